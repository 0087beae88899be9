/* SPDX-License-Identifier: MIT */
/* test_contract.c - every status a function returns is one that fdpass.h
 * lists for it, every function that returns statuses is called here, and
 * every status it lists is driven here: by the main test, by a test of
 * its own that skips visibly where the system or the user cannot provoke
 * it, or named below as one that no test can provoke, with the reason.
 * The lists are read from the header itself, so that the header and this
 * test cannot drift. The descriptor store's functions talk to the
 * library's own holder (holder/, run as tests/store_holder.c runs it)
 * and to holders played by hand. */
#define _GNU_SOURCE

#include "helpers.h"

#include "store_holder.h"
#include "store_wire.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
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
  int has_list; /* its comment says "Returns" */
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

/* Is `at` inside an `#ifdef _WIN32` block of the header `text`? What is
 * declared there exists only on Windows. */
static int windows_only(const char *text, const char *at)
{
  const char *block = NULL;
  for (const char *p = text; (p = strstr(p, "\n#ifdef _WIN32\n")) && p < at;
       p++)
    block = p;
  const char *end = block ? strstr(block, "\n#endif") : NULL;
  return end && end > at;
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
    if (windows_only(text, decl))
      continue;
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
    c->has_list = start < end;
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
 *  ENOMEM, ESYS: the kernel out of memory, or an error no mapping knows
 *    (the store's ENOMEM from the holder is driven, by a played holder);
 *  EMFILE on send: ETOOMANYREFS, descriptors in flight beyond a limit
 *    that root does not have;
 *  ENOTSUP on listen/connect: abstract names exist on Linux (listen's
 *    other ENOTSUP needs unshare and netlink refused: test_listen);
 *  ENOTSUP on connect_holder: Linux always tells who listens;
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
    {"fdpass_connect", {FDPASS_ENOMEM, FDPASS_ESYS}},
    {"fdpass_close", {FDPASS_ESYS}},
    {"fdpass_connect_holder", {FDPASS_ENOMEM, FDPASS_ESYS, FDPASS_ENOTSUP}},
    {"fdpass_store", {FDPASS_ESYS}},
    {"fdpass_fetch", {FDPASS_ESYS}},
    {"fdpass_list", {FDPASS_ESYS}},
    {"fdpass_remove", {FDPASS_ESYS}},
    {"fdpass_store_with", {FDPASS_ESYS}},
};

/* The functions declared `int` that return no status: nothing to drive.
 * Every other one must list its statuses and be called here. */
static const char *const no_status[] = {
    "fdpass_version",  /* the version number */
    "fdpass_os_error", /* an OS error number */
};

static int returns_no_status(const char *function)
{
  for (size_t i = 0; i < sizeof no_status / sizeof no_status[0]; i++)
    if (strcmp(no_status[i], function) == 0)
      return 1;
  return 0;
}

/* Statuses that not every kernel or user can provoke: each is driven by
 * contract::TEST, which skips, visibly, where it cannot. */
static const struct {
  const char *function, *test;
  int code;
} elsewhere[] = {
    {"fdpass_send", "a_receiver_that_refuses_descriptors", FDPASS_EREFUSED},
    {"fdpass_send_flags", "a_receiver_that_refuses_descriptors",
     FDPASS_EREFUSED},
    {"fdpass_send_fds", "a_receiver_that_refuses_descriptors",
     FDPASS_EREFUSED},
    {"fdpass_store", "a_receiver_that_refuses_descriptors", FDPASS_EREFUSED},
    {"fdpass_store_with", "a_receiver_that_refuses_descriptors",
     FDPASS_EREFUSED},
    {"fdpass_send", "a_descriptor_the_kernel_will_not_pass", FDPASS_EINVAL},
    {"fdpass_listen", "another_user_is_refused", FDPASS_EACCES},
    {"fdpass_listen_mode", "another_user_is_refused", FDPASS_EACCES},
    {"fdpass_connect", "another_user_is_refused", FDPASS_EACCES},
    {"fdpass_connect_holder", "another_user_is_refused", FDPASS_EACCES},
};

/* At the end of contract::`test`: it drove every status it stands for. */
static void assert_driven_by(const char *test)
{
  for (size_t i = 0; i < sizeof elsewhere / sizeof elsewhere[0]; i++)
    if (strcmp(elsewhere[i].test, test) == 0)
      cr_assert(find(elsewhere[i].function)->seen[-elsewhere[i].code],
                "%s never returned %s", elsewhere[i].function,
                fdpass_errname(elsewhere[i].code));
}

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

  int y;
  CALL(fdpass_socketpair, &x, &y);
  close(x);
  close(y);
  CALL(fdpass_socketpair, NULL, &x);

  char live[128];
  strcpy(live, in_dir("live"));
  CALL(fdpass_listen, live, &listener);
  CALL(fdpass_listen, live, &x);                     /* EADDRINUSE */
  CALL(fdpass_listen_mode, in_dir("m"), 0660, &x);
  close(x);
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

  /* A replacer of the same stale file that died holding its claim (a hard
   * link named after the file's inode): ETIMEDOUT after 2 s. */
  int stale;
  assert_ok(fdpass_listen(in_dir("late"), &stale));
  close(stale);
  struct stat late;
  cr_assert_eq(lstat(in_dir("late"), &late), 0);
  char claim[128];
  snprintf(claim, sizeof claim, "%s/.fdpass-replacing-%llx-%llx", scratch_dir,
           (unsigned long long)late.st_dev, (unsigned long long)late.st_ino);
  cr_assert_eq(link(in_dir("late"), claim), 0);
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
  unlink(claim);
  find("fdpass_listen")->seen[-FDPASS_ETIMEDOUT] = 1;
  find("fdpass_listen_mode")->seen[-FDPASS_ETIMEDOUT] = 1;

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

/* The library's holder (holder/) serving `path` in a child process, with
 * RLIMIT_NOFILE `nofile` (0: as the holder sets it), as test_store runs it
 * (store_holder.c). The one place this test starts a holder; stop_holder
 * ends it. */
static pid_t start_holder(const char *path, int nofile)
{
  char limit[16];
  snprintf(limit, sizeof limit, "%d", nofile);
  const char *args[] = {nofile > 0 ? "-n" : NULL, limit, NULL};
  int ready[2];
  cr_assert_eq(pipe(ready), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlives a failed test */
    close(ready[0]);
    _exit(run_store_holder(path, args, ready[1]));
  }
  close(ready[1]);
  char line[8] = "";
  cr_assert_eq(read(ready[0], line, sizeof line), 6, "the holder failed");
  close(ready[0]);
  return pid;
}

static void stop_holder(pid_t pid)
{
  int status;
  kill(pid, SIGKILL);
  cr_assert_eq(waitpid(pid, &status, 0), pid);
}

/* A holder that hangs up at once: while `hang_up` is a listener, the
 * getsockopt(SO_PEERCRED) that fdpass_connect_holder makes between its
 * connect and its hello closes it first, and with it the connection that
 * nobody accepted yet. */
static int hang_up = -1;

int getsockopt(int fd, int level, int name, void *value, socklen_t *size)
{
  static int (*real)(int, int, int, void *, socklen_t *);
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "getsockopt");
  if (hang_up >= 0 && level == SOL_SOCKET && name == SO_PEERCRED) {
    close(hang_up);
    hang_up = -1;
  }
  return real(fd, level, name, value, size);
}

/* Every request of the store on `sock` within `ms`. A holder played by
 * hand at `holder` (-1: none) has the reply ready before each request: a
 * header for the request's operation with `status`, or garbage. */
static void every_request(int sock, int ms, int holder, int status,
                          int garbage)
{
  static const unsigned ops[] = {FDP_OP_STORE, FDP_OP_FETCH, FDP_OP_LIST,
                                 FDP_OP_REMOVE};
  for (size_t i = 0; i < 4; i++) {
    unsigned char header[FDP_WIRE_HEADER];
    fdp_wire_encode(&(struct fdp_frame){ops[i], status, 0, 0, 0}, header);
    if (garbage)
      memset(header, 'x', sizeof header);
    if (holder >= 0)
      write_all(holder, header, sizeof header);
    int got[1];
    size_t n = 1;
    char names[8];
    switch (ops[i]) {
    case FDP_OP_STORE:
      CALL(fdpass_store, sock, "a", &sock, 1, ms);
      break;
    case FDP_OP_FETCH:
      CALL(fdpass_fetch, sock, "a", got, &n, names, sizeof names, ms);
      break;
    case FDP_OP_LIST:
      CALL(fdpass_list, sock, names, sizeof names, ms);
      break;
    default:
      CALL(fdpass_remove, sock, "a", ms);
    }
  }
}

static char holder_path[128]; /* for exhausted_store_calls */
static int holder_sock;

static void exhausted_store_calls(void)
{
  int x;
  size_t n = 1;
  CALL(fdpass_connect_holder, holder_path, &x);
  CALL(fdpass_fetch, holder_sock, "a", &x, &n, NULL, 0, 5000);
}

static void store_calls(void)
{
  int s, x, p[2], fds[2], t1, t2;
  size_t n;
  char names[64];
  make_pipe(p);
  make_tcp_pair(&t1, &t2);

  /* The library's holder: every answer it gives. */
  strcpy(holder_path, in_dir("holder"));
  pid_t holder = start_holder(holder_path, 0);
  CALL(fdpass_connect_holder, holder_path, &s);
  CALL(fdpass_store, s, "a", p, 2, 5000);
  n = 2;
  CALL(fdpass_fetch, s, "a", fds, &n, names, sizeof names, 5000);
  close(fds[0]);
  close(fds[1]);
  n = 0;
  CALL(fdpass_fetch, s, NULL, NULL, &n, NULL, 0, 5000); /* ETRUNC */
  n = 2;
  CALL(fdpass_fetch, s, "b", fds, &n, NULL, 0, 5000); /* ENONAME */
  CALL(fdpass_list, s, names, sizeof names, 5000);
  CALL(fdpass_list, s, names, 2, 5000); /* ETRUNC: "a:a" */
  CALL(fdpass_remove, s, "b", 5000);    /* ENONAME */
  CALL(fdpass_remove, s, "a", 5000);
  CALL(fdpass_store, s, "a:b", p, 1, 5000); /* EINVAL */
  CALL(fdpass_fetch, s, "a", fds, NULL, NULL, 0, 5000);
  CALL(fdpass_list, s, NULL, 0, 5000);
  CALL(fdpass_remove, s, "", 5000);
  CALL(fdpass_connect_holder, holder_path, NULL);
  CALL(fdpass_connect_holder, "", &x);
  CALL(fdpass_connect_holder, in_dir("none"), &x); /* ENOENT */
  close(open(in_dir("plain"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  CALL(fdpass_connect_holder, in_dir("plain"), &x); /* ECONNREFUSED */
  char huge[200];
  memset(huge, 'h', sizeof huge - 1);
  huge[sizeof huge - 1] = '\0';
  CALL(fdpass_connect_holder, huge, &x); /* ENAMETOOLONG */
  /* This process out of descriptor slots: EMFILE. */
  assert_ok(fdpass_store(s, "a", p, 1, 5000));
  holder_sock = s;
  with_free_slots(0, exhausted_store_calls);
  close(s); /* out of step now */
  stop_holder(holder);

  /* The holder out of descriptor slots: EMFILE, nothing stored. */
  holder = start_holder(in_dir("holder-24"), 24);
  CALL(fdpass_connect_holder, in_dir("holder-24"), &s);
  int many[40];
  for (size_t i = 0; i < 40; i++)
    many[i] = p[i % 2];
  CALL(fdpass_store, s, "many", many, 40, 5000);
  close(s);
  stop_holder(holder);

  /* A holder that hangs up before the hello: ECLOSED. */
  assert_ok(fdpass_listen(in_dir("hangs-up"), &hang_up));
  CALL(fdpass_connect_holder, in_dir("hangs-up"), &x);
  cr_assert_eq(hang_up, -1, "fdpass_connect_holder never asked who listens");

  /* Holders played by hand: refusals, no memory, garbage, silence,
   * hanging up. */
  int c, h;
  make_pair(&c, &h);
  every_request(c, 5000, h, FDPASS_EACCES, 0);
  every_request(c, 5000, h, FDPASS_ENOMEM, 0); /* EPROTO for remove */
  every_request(c, 5000, h, 0, 1);             /* EPROTO */
  close(c);
  close(h);
  make_pair(&c, &h);
  every_request(c, 0, -1, 0, 0); /* ETIMEDOUT */
  close(h);
  every_request(c, 5000, -1, 0, 0); /* ECLOSED */
  close(c);

  /* Sockets no holder can be behind. */
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int unconnected = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  every_request(-1, 0, -1, 0, 0);          /* EBADF */
  every_request(closed_fd(), 0, -1, 0, 0); /* EBADF */
  every_request(file, 0, -1, 0, 0);        /* ENOTSOCK */
  every_request(t1, 0, -1, 0, 0);          /* ENOTSUP */
  every_request(unconnected, 0, -1, 0, 0); /* ENOTCONN */
  close(file);
  close(unconnected);
  close(t1);
  close(t2);
  close(p[0]);
  close(p[1]);
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
  close(b); /* EREFUSED: contract::a_receiver_that_refuses_descriptors */
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
  store_calls();
  store_with();
  int missing = 0;
  for (int i = 0; i < ncontracts; i++) {
    struct contract *c = &contracts[i];
    int called = 0;
    for (int k = 0; k < NCODES; k++)
      called |= c->seen[k];
    if (returns_no_status(c->name)) {
      c->has_list = 0; /* nothing to hold it to */
      continue;
    }
    if (!c->has_list || !called) {
      cr_log_error(c->has_list ? "%s is never called here"
                               : "%s lists no statuses (\"Returns ...\")",
                   c->name);
      missing++;
    }
  }
  for (size_t i = 0; i < sizeof unprovoked / sizeof unprovoked[0]; i++)
    for (int k = 0; k < 4 && unprovoked[i].codes[k]; k++)
      find(unprovoked[i].function)->seen[-unprovoked[i].codes[k]] = 1;
  for (size_t i = 0; i < sizeof elsewhere / sizeof elsewhere[0]; i++)
    find(elsewhere[i].function)->seen[-elsewhere[i].code] = 1;
  for (int i = 0; i < ncontracts; i++)
    for (int k = 0; k < NCODES && contracts[i].has_list; k++)
      if (contracts[i].listed[k] && !contracts[i].seen[k]) {
        cr_log_error("%s lists %s, which no test provoked",
                     contracts[i].name, fdpass_errname(-k));
        missing++;
      }
  cr_assert_eq(missing, 0, "%d functions or listed statuses not driven",
               missing);
}

/* Linux 6.16's SO_PASSRIGHTS off on the receiving end: EREFUSED. */
FD_TEST(contract, a_receiver_that_refuses_descriptors)
{
  read_header();
  int a, b, p[2], off = 0;
  make_pair(&a, &b);
  make_pipe(p);
  if (setsockopt(b, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof off) != 0) {
    int error = errno;
    close(a);
    close(b);
    close(p[0]);
    close(p[1]);
    cr_skip_test("no SO_PASSRIGHTS (Linux 6.16) here: %s", strerror(error));
  }
  size_t len = 1;
  CALL(fdpass_send, a, p[0]);
  CALL(fdpass_send_flags, a, p[0], 0);
  CALL(fdpass_send_fds, a, "x", &len, p, 1, 0);
  CALL(fdpass_store, a, "a", p, 1, 5000);
  CALL(fdpass_store_with, a, "a", p, 1, 0, 0, 5000);
  assert_driven_by("a_receiver_that_refuses_descriptors");
  close(a);
  close(b);
  close(p[0]);
  close(p[1]);
}

/* A descriptor the kernel refuses to pass, an io_uring instance: EINVAL. */
FD_TEST(contract, a_descriptor_the_kernel_will_not_pass)
{
  read_header();
  struct {
    unsigned entries[32];
  } params = {{0}};
  int ring = (int)syscall(SYS_io_uring_setup, 1, &params);
  if (ring < 0)
    cr_skip_test("no io_uring here: %s", strerror(errno));
  int a, b;
  size_t len = 1;
  make_pair(&a, &b);
  CALL(fdpass_send, a, ring);
  CALL(fdpass_send_flags, a, ring, 0);
  CALL(fdpass_send_fds, a, "x", &len, &ring, 1, 0);
  assert_driven_by("a_descriptor_the_kernel_will_not_pass");
  close(ring);
  close(a);
  close(b);
}

/* Another user (uid and gid 65534, so only as root), outside the scratch
 * directory (mode 0700): EACCES. The child reports what each call
 * returned, and this process holds it to the contract. */
FD_TEST(contract, another_user_is_refused)
{
  if (geteuid() != 0)
    cr_skip_test("not root: cannot act as another user");
  read_header();
  static const char *const functions[] = {"fdpass_listen",
                                          "fdpass_listen_mode",
                                          "fdpass_connect",
                                          "fdpass_connect_holder"};
  int live, report[2];
  char path[128];
  strcpy(path, in_dir("live"));
  assert_ok(fdpass_listen(path, &live));
  make_pipe(report);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int l, got[4];
    if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
        setresuid(65534, 65534, 65534))
      _exit(2);
    got[0] = fdpass_listen(in_dir("x"), &l);
    got[1] = fdpass_listen_mode(in_dir("x"), 0600, &l);
    got[2] = fdpass_connect(path, &l);
    got[3] = fdpass_connect_holder(path, &l);
    _exit(write(report[1], got, sizeof got) == sizeof got ? 0 : 1);
  }
  close(report[1]);
  int got[4];
  read_exact(report[0], got, sizeof got);
  wait_child_ok(pid);
  for (size_t i = 0; i < 4; i++)
    returned(functions[i], got[i]);
  assert_driven_by("another_user_is_refused");
  close(report[0]);
  close(live);
}
