/* SPDX-License-Identifier: MIT */
/* test_contract.c - every status a function returns is one that fdpass.h
 * lists for it, and every status it lists is driven here (or named below
 * as one that no test can provoke, with the reason). The lists are read
 * from the header itself, so that the header and this test cannot drift. */
#define _GNU_SOURCE

#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16 */
#endif

enum { MAX_FUNCTIONS = 48, NCODES = 64 };

/* What the header lists for each function, and what the test saw. */
static struct contract {
  char name[48];
  unsigned char listed[NCODES]; /* by -code */
  unsigned char seen[NCODES];
  char inherits[48]; /* "Returns what fdpass_X returns" */
} contracts[MAX_FUNCTIONS];
static int ncontracts;

static struct contract *find(const char *name)
{
  for (int i = 0; i < ncontracts; i++)
    if (strcmp(contracts[i].name, name) == 0)
      return &contracts[i];
  return NULL;
}

static int code_of(const char *name)
{
#define XX(n, value, message)                                                \
  if (strcmp(name, #n) == 0)                                                 \
    return value;
  FDPASS_ERRNO_MAP(XX)
#undef XX
  return 0;
}

/* Each declaration's contract is the comment just above it (shared by
 * declarations in a row): every FDPASS_E* from its "Returns" on. */
static void read_header(void)
{
  FILE *f = fopen(FDPASS_HEADER, "r");
  cr_assert_not_null(f, "%s", FDPASS_HEADER);
  static char text[1 << 17];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = '\0';
  for (char *decl = text; (decl = strstr(decl, "FDPASS_API int fdpass_"));
       decl++) {
    struct contract *c = &contracts[ncontracts++];
    cr_assert_lt(ncontracts, MAX_FUNCTIONS);
    sscanf(decl + strlen("FDPASS_API int "), "%47[a-z0-9_]", c->name);
    char *end = decl;
    while (end > text && strncmp(end, "*/", 2) != 0)
      end--;
    char *start = end;
    while (start > text && strncmp(start, "/*", 2) != 0)
      start--;
    while (start < end && strncmp(start, "Return", 6) != 0)
      start++; /* the list, not the prose before it */
    for (char *p = start; p < end; p++) {
      char code[32];
      if (strncmp(p, "FDPASS_E", 8) == 0 &&
          sscanf(p + 7, "%31[A-Z]", code) == 1 && code_of(code) < 0)
        c->listed[-code_of(code)] = 1;
      if (strncmp(p, "what fdpass_", 12) == 0)
        sscanf(p + 5, "%47[a-z0-9_]", c->inherits);
    }
    c->listed[0] = 1; /* FDPASS_OK */
  }
  for (int i = 0; i < ncontracts; i++) {
    struct contract *parent = find(contracts[i].inherits);
    for (int k = 0; parent && k < NCODES; k++)
      contracts[i].listed[k] |= parent->listed[k];
  }
}

/* Record what `function` returned; it must be listed for it. */
static void returned(const char *function, int status)
{
  struct contract *c = find(function);
  cr_assert_not_null(c, "%s is not declared in fdpass.h", function);
  cr_assert(status <= 0 && -status < NCODES);
  cr_assert(c->listed[-status], "%s returned %s, which fdpass.h does not "
            "list for it", function, fdpass_errname(status));
  c->seen[-status] = 1;
}

#define CALL(function, ...) returned(#function, function(__VA_ARGS__))

/* Statuses listed that no test here can provoke, and why:
 *  ENOMEM, ESYS: the kernel out of memory, or an error no mapping knows;
 *  EMFILE on send: ETOOMANYREFS, descriptors in flight beyond a limit
 *    that root does not have;
 *  ENOTSUP on listen/connect: abstract names exist on Linux;
 *  ESYS on close: a delayed write error of a file system. */
static const struct {
  const char *function;
  int codes[4];
} unprovoked[] = {
    {"fdpass_send", {FDPASS_ENOMEM, FDPASS_ESYS, FDPASS_EMFILE}},
    {"fdpass_send_flags", {FDPASS_ENOMEM, FDPASS_ESYS, FDPASS_EMFILE}},
    {"fdpass_send_fds", {FDPASS_ENOMEM, FDPASS_ESYS, FDPASS_EMFILE}},
    {"fdpass_recv", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_recv_flags", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_recv_fds", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_wait", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_peer_credentials", {FDPASS_ESYS}},
    {"fdpass_socketpair", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_listen", {FDPASS_ENOMEM, FDPASS_ESYS, FDPASS_ENOTSUP}},
    {"fdpass_listen_mode", {FDPASS_ENOMEM, FDPASS_ESYS, FDPASS_ENOTSUP}},
    {"fdpass_accept", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_store_with", {FDPASS_ESYS}},
    {"fdpass_connect", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_close", {FDPASS_ESYS}},
};


/* Run `body` with no free descriptor slot but `room`. */
static void with_free_slots(int room, void (*body)(void))
{
  struct full_table table;
  fill_table(&table, room);
  body();
  empty_table(&table);
}

static int sock_a, sock_b, listener; /* for exhausted_calls */

static void exhausted_calls(void)
{
  int x, y;
  CALL(fdpass_socketpair, &x, &y);
  CALL(fdpass_listen, in_dir("emfile"), &x);
  CALL(fdpass_listen_mode, in_dir("emfile"), 0600, &x);
  CALL(fdpass_connect, in_dir("live"), &x);
  CALL(fdpass_accept, listener, &x);
  CALL(fdpass_recv, sock_b, &x);
  CALL(fdpass_recv_flags, sock_b, &x, 0);
}

static void passing(void)
{
  int a, b, t1, t2, p[2], got, file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  make_pair(&a, &b);
  make_tcp_pair(&t1, &t2);
  make_pipe(p);
  int unconnected = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char buf[8];
  size_t len, nfds;
  int fds[4];

  /* Success, and the simple failures of every passing call. */
  CALL(fdpass_send, a, p[0]);
  CALL(fdpass_recv, b, &got);
  close(got);
  CALL(fdpass_send_flags, a, p[0], FDPASS_NONBLOCK);
  CALL(fdpass_recv_flags, b, &got, FDPASS_NONBLOCK);
  close(got);
  len = 1;
  CALL(fdpass_send_fds, a, "x", &len, p, 2, 0);
  len = 1, nfds = 2;
  CALL(fdpass_recv_fds, b, buf, &len, fds, &nfds, 0);
  close(fds[0]);
  close(fds[1]);
  CALL(fdpass_recv_flags, b, &got, FDPASS_NONBLOCK); /* EAGAIN */
  len = 1, nfds = 0;
  CALL(fdpass_recv_fds, b, buf, &len, NULL, &nfds, FDPASS_NONBLOCK);
  const int bad_ones[] = {-1, closed_fd()};
  for (size_t i = 0; i < 2; i++) {
    int bad = bad_ones[i];
    len = 1, nfds = 0;
    CALL(fdpass_send, bad, p[0]);
    CALL(fdpass_send_flags, bad, p[0], 0);
    CALL(fdpass_recv, bad, &got);
    CALL(fdpass_recv_flags, bad, &got, 0);
    CALL(fdpass_send_fds, bad, "x", &len, NULL, 0, 0);
    len = 1;
    CALL(fdpass_recv_fds, bad, buf, &len, NULL, &nfds, 0);
  }
  len = 1, nfds = 0;
  CALL(fdpass_send, file, p[0]); /* ENOTSOCK */
  CALL(fdpass_send_flags, file, p[0], 0);
  CALL(fdpass_recv, file, &got);
  CALL(fdpass_recv_flags, file, &got, 0);
  CALL(fdpass_send_fds, file, "x", &len, p, 1, 0);
  len = 1;
  CALL(fdpass_recv_fds, file, buf, &len, NULL, &nfds, 0);
  len = 1;
  CALL(fdpass_send, t1, p[0]); /* ENOTSUP: TCP */
  CALL(fdpass_send_flags, t1, p[0], 0);
  CALL(fdpass_send_fds, t1, "x", &len, p, 1, 0);
  write_all(t1, "xyz", 3);
  CALL(fdpass_recv, t2, &got);
  CALL(fdpass_recv_flags, t2, &got, 0);
  len = 1;
  CALL(fdpass_recv_fds, t2, buf, &len, NULL, &nfds, 0);
  len = 1;
  CALL(fdpass_send, unconnected, p[0]); /* ENOTCONN */
  CALL(fdpass_send_flags, unconnected, p[0], 0);
  CALL(fdpass_send_fds, unconnected, "x", &len, p, 1, 0);
  CALL(fdpass_recv, unconnected, &got);
  CALL(fdpass_recv_flags, unconnected, &got, 0);
  len = 1;
  CALL(fdpass_recv_fds, unconnected, buf, &len, NULL, &nfds, 0);
  len = 1;
  CALL(fdpass_recv, b, NULL); /* EINVAL */
  CALL(fdpass_recv_flags, b, &got, 0x40);
  CALL(fdpass_send_flags, a, p[0], 0x40);
  CALL(fdpass_send_fds, a, "x", &len, p, FDPASS_MAX_FDS + 1, 0);
  len = 0;
  CALL(fdpass_recv_fds, b, buf, &len, NULL, &nfds, 0);

  /* What the peer does: more than asked, nothing, or too much queued. */
  raw_send(a, "\0", 1, p, 2);
  CALL(fdpass_recv, b, &got); /* ETRUNC */
  raw_send(a, "\0", 1, p, 2);
  CALL(fdpass_recv_flags, b, &got, 0);
  raw_send(a, "x", 1, p, 2);
  len = 1, nfds = 1;
  CALL(fdpass_recv_fds, b, buf, &len, fds, &nfds, 0);
  close(fds[0]);
  raw_send(a, "\0", 1, NULL, 0);
  CALL(fdpass_recv, b, &got); /* ENOFD */
  raw_send(a, "\0", 1, NULL, 0);
  CALL(fdpass_recv_flags, b, &got, 0);
  size_t filled = fill_socket(a);
  CALL(fdpass_send_flags, a, p[0], FDPASS_NONBLOCK); /* EAGAIN */
  len = 1;
  CALL(fdpass_send_fds, a, "x", &len, p, 1, FDPASS_NONBLOCK);
  char *sink = malloc(filled);
  read_exact(b, sink, filled);
  free(sink);

  /* A receiver that refuses descriptors (Linux 6.16's SO_PASSRIGHTS). */
  int off = 0;
  if (setsockopt(b, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof off) == 0) {
    len = 1;
    CALL(fdpass_send, a, p[0]);
    CALL(fdpass_send_flags, a, p[0], 0);
    CALL(fdpass_send_fds, a, "x", &len, p, 1, 0);
  } else {
    cr_log_warn("no SO_PASSRIGHTS here: FDPASS_EREFUSED is not driven");
    for (const char **f = (const char *[]){"fdpass_send", "fdpass_send_flags",
                                           "fdpass_send_fds", NULL};
         *f; f++)
      find(*f)->seen[-FDPASS_EREFUSED] = 1;
  }

  /* A descriptor the kernel refuses to pass: an io_uring instance. */
  struct {
    unsigned entries[32];
  } params = {{0}};
  int ring = (int)syscall(SYS_io_uring_setup, 1, &params);
  if (ring >= 0) {
    len = 1;
    CALL(fdpass_send, a, ring);
    CALL(fdpass_send_flags, a, ring, 0);
    CALL(fdpass_send_fds, a, "x", &len, &ring, 1, 0);
    close(ring);
  } else {
    cr_log_warn("no io_uring here (%s)", strerror(errno));
    for (const char **f = (const char *[]){"fdpass_send", "fdpass_send_flags",
                                           NULL};
         *f; f++)
      find(*f)->seen[-FDPASS_EINVAL] = 1;
  }

  /* The end: the peer goes away. */
  close(a);
  len = 1, nfds = 0;
  CALL(fdpass_recv, b, &got); /* ECLOSED */
  CALL(fdpass_recv_flags, b, &got, 0);
  CALL(fdpass_recv_fds, b, buf, &len, NULL, &nfds, 0);
  len = 1;
  CALL(fdpass_send, b, p[0]);
  CALL(fdpass_send_flags, b, p[0], 0);
  CALL(fdpass_send_fds, b, "x", &len, p, 1, 0);

  close(b);
  close(t1);
  close(t2);
  close(p[0]);
  close(p[1]);
  close(file);
  close(unconnected);
}

static void sockets(void)
{
  int a, b, t1, t2, x, file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int64_t id;
  make_pair(&a, &b);
  make_tcp_pair(&t1, &t2);
  int unconnected = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int dgram = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  CALL(fdpass_wait, a, FDPASS_WRITABLE, 0);
  CALL(fdpass_wait, a, FDPASS_READABLE, 0); /* ETIMEDOUT */
  CALL(fdpass_wait, a, 0, 0);               /* EINVAL */
  CALL(fdpass_wait, a, FDPASS_READABLE, -2);
  CALL(fdpass_wait, -1, FDPASS_READABLE, 0);
  CALL(fdpass_wait, closed_fd(), FDPASS_READABLE, 0);

  CALL(fdpass_peer_credentials, a, &id, NULL, NULL);
  CALL(fdpass_peer_credentials, -1, &id, NULL, NULL);
  CALL(fdpass_peer_credentials, file, &id, NULL, NULL);
  CALL(fdpass_peer_credentials, t1, &id, NULL, NULL);
  CALL(fdpass_peer_credentials, unconnected, &id, NULL, NULL);

  CALL(fdpass_socketpair, NULL, &x);

  char live[128];
  strcpy(live, in_dir("live"));
  CALL(fdpass_listen, live, &listener);
  CALL(fdpass_listen, live, &x);                     /* EADDRINUSE */
  CALL(fdpass_listen_mode, in_dir("m"), 01000, &x);  /* EINVAL */
  CALL(fdpass_listen, "", &x);
  CALL(fdpass_listen_mode, "", 0600, &x);
  CALL(fdpass_listen, "/nonexistent-fdpass/s", &x);  /* ENOENT */
  CALL(fdpass_listen_mode, "/nonexistent-fdpass/s", 0600, &x);
  char huge[200];
  memset(huge, 'h', sizeof huge - 1);
  huge[sizeof huge - 1] = '\0';
  CALL(fdpass_listen, huge, &x); /* ENAMETOOLONG */
  CALL(fdpass_listen_mode, huge, 0600, &x);
  CALL(fdpass_connect, huge, &x);
  CALL(fdpass_listen_mode, in_dir("live"), 0600, &x);

  CALL(fdpass_connect, live, &x);
  int server;
  CALL(fdpass_accept, listener, &server);
  close(server);
  close(x);
  CALL(fdpass_connect, in_dir("none"), &x);  /* ENOENT */
  CALL(fdpass_connect, "", &x);              /* EINVAL */
  close(open(in_dir("plain"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  CALL(fdpass_connect, in_dir("plain"), &x); /* ECONNREFUSED */
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, in_dir("dgram"));
  cr_assert_eq(bind(dgram, (struct sockaddr *)&addr, sizeof addr), 0);
  CALL(fdpass_connect, in_dir("dgram"), &x); /* ENOTSUP: not a stream */
  CALL(fdpass_accept, dgram, &x);            /* ENOTSUP */
  int dgram_client = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cr_assert_eq(connect(dgram_client, (struct sockaddr *)&addr, sizeof addr),
               0);
  CALL(fdpass_peer_credentials, dgram_client, &id, NULL, NULL); /* ENOTSUP */
  close(dgram_client);

  CALL(fdpass_accept, listener, NULL);  /* EINVAL */
  CALL(fdpass_accept, a, &x);           /* EINVAL: does not listen */
  CALL(fdpass_accept, -1, &x);          /* EBADF */
  CALL(fdpass_accept, file, &x);        /* ENOTSOCK */

  /* Another process holds the directory's lock: ETIMEDOUT after 2 s. */
  int held = open(scratch_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cr_assert_eq(flock(held, LOCK_EX), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int l;
    _exit(fdpass_listen_mode(in_dir("late"), 0600, &l) == FDPASS_ETIMEDOUT &&
                  fdpass_listen(in_dir("late"), &l) == FDPASS_ETIMEDOUT
              ? 0
              : 1);
  }
  wait_child_ok(pid);
  close(held);
  find("fdpass_listen")->seen[-FDPASS_ETIMEDOUT] = 1;
  find("fdpass_listen_mode")->seen[-FDPASS_ETIMEDOUT] = 1;

  /* As another user: EACCES. */
  if (geteuid() == 0) {
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
      int l;
      if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
          setresuid(65534, 65534, 65534))
        _exit(2);
      _exit(fdpass_listen(in_dir("x"), &l) == FDPASS_EACCES &&
                    fdpass_listen_mode(in_dir("x"), 0600, &l) ==
                        FDPASS_EACCES &&
                    fdpass_connect(live, &l) == FDPASS_EACCES
                ? 0
                : 1);
    }
    wait_child_ok(pid);
  } else {
    cr_log_warn("not root: FDPASS_EACCES is not driven");
  }
  find("fdpass_listen")->seen[-FDPASS_EACCES] = 1;
  find("fdpass_listen_mode")->seen[-FDPASS_EACCES] = 1;
  find("fdpass_connect")->seen[-FDPASS_EACCES] = 1;

  /* No free descriptor slot: EMFILE, with a connection and messages that
   * carry descriptors waiting. */
  int pending;
  assert_ok(fdpass_connect(live, &pending));
  make_pair(&sock_a, &sock_b);
  raw_send(sock_a, "\0", 1, &file, 1);
  raw_send(sock_a, "\0", 1, &file, 1);
  with_free_slots(0, exhausted_calls);
  close(pending);
  close(sock_a);
  close(sock_b);

  int closeme = open("/dev/null", O_RDONLY | O_CLOEXEC);
  CALL(fdpass_close, closeme);
  CALL(fdpass_close, closeme); /* EBADF */
  CALL(fdpass_close, -1);

  close(listener);
  close(a);
  close(b);
  close(t1);
  close(t2);
  close(file);
  close(unconnected);
  close(dgram);
}

/* fdpass_store_with (1.3) against a peer whose answers are written into
 * the socket before the call: each status of a store reply, and the
 * socket's own errors. */
static void store_with(void)
{
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), a, b;
  CALL(fdpass_store_with, -1, "x", &fd, 1, 0, 0, 0);            /* EBADF */
  CALL(fdpass_store_with, fd, "x", &fd, 1, 0, 0, 0);            /* ENOTSOCK */
  CALL(fdpass_store_with, fd, "x", &fd, 1, 2, 0, 0);            /* EINVAL */
  int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  CALL(fdpass_store_with, udp, "x", &fd, 1, 0, 0, 0);           /* ENOTSUP */
  int lone = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CALL(fdpass_store_with, lone, "x", &fd, 1, 0, 0, 0);          /* ENOTCONN */
  /* Replies: EACCES, EMFILE, ENOMEM, EADDRINUSE, then garbage (EPROTO). */
  static const unsigned char codes[] = {12, 10, 11, 14, 0};
  for (size_t i = 0; i < sizeof codes; i++) {
    make_pair(&a, &b);
    unsigned char reply[12] = {0xFD, 1, 'S', codes[i]};
    if (codes[i] == 0)
      memcpy(reply, "not a frame!", 12);
    write_all(b, reply, sizeof reply);
    CALL(fdpass_store_with, a, "x", &fd, 1, FDPASS_STORE_NEW, 1000, 5000);
    close(a);
    close(b);
  }
  make_pair(&a, &b);
  unsigned char ok[12] = {0xFD, 1, 'S', 0};
  write_all(b, ok, sizeof ok);
  CALL(fdpass_store_with, a, "x", &fd, 1, 0, 0, 5000);          /* OK */
  CALL(fdpass_store_with, a, "x", &fd, 1, 0, 0, 10);            /* ETIMEDOUT */
  int off = 0;
  if (setsockopt(b, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof off) == 0)
    CALL(fdpass_store_with, a, "x", &fd, 1, 0, 0, 5000);        /* EREFUSED */
  else
    find("fdpass_store_with")->seen[-FDPASS_EREFUSED] = 1;
  close(b);
  CALL(fdpass_store_with, a, "x", &fd, 1, 0, 0, 5000);          /* ECLOSED */
  close(a);
  close(lone);
  close(udp);
  close(fd);
}

TestSuite(contract, .init = scratch_make, .fini = scratch_remove);

FD_TEST(contract, every_status_is_listed_and_every_listed_status_is_driven)
{
  if (under_valgrind())
    cr_skip_test("valgrind does not pass RLIMIT_NOFILE on to the kernel");
  read_header();
  passing();
  sockets();
  store_with();
  for (size_t i = 0; i < sizeof unprovoked / sizeof unprovoked[0]; i++)
    for (int k = 0; k < 4 && unprovoked[i].codes[k]; k++)
      find(unprovoked[i].function)->seen[-unprovoked[i].codes[k]] = 1;
  int missing = 0;
  for (int i = 0; i < ncontracts; i++) {
    struct contract *c = &contracts[i];
    int checked = 0;
    for (int k = 1; k < NCODES; k++)
      checked |= c->seen[k];
    if (!checked)
      continue; /* not a function this test drives (version, names...) */
    for (int k = 1; k < NCODES; k++)
      if (c->listed[k] && !c->seen[k]) {
        cr_log_error("%s lists %s, which no test provoked", c->name,
                     fdpass_errname(-k));
        missing++;
      }
  }
  cr_assert_eq(missing, 0, "%d listed statuses not driven", missing);
}
