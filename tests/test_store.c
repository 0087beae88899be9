/* SPDX-License-Identifier: MIT */
/*
 * test_store.c - the descriptor store: fdpass_connect_holder, fdpass_store,
 * fdpass_fetch, fdpass_list and fdpass_remove against the holder (holder/)
 * running as a real process (store_holder), and against hostile holders
 * and clients, and systemd's notification protocol on the holder's notify
 * socket (holder/notify.c). Descriptor counts are checked in this process
 * (FD_TEST) and in the holder's (/proc/PID/fd).
 */
#define _GNU_SOURCE

#include "helpers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "store_holder.h"
#include "waiter.h"
#include "store_wire.h"

static char path[128];

static void make_dir(void)
{
  scratch_make();
  snprintf(path, sizeof path, "%s", in_dir("holder.sock"));
}

TestSuite(store, .init = make_dir, .fini = scratch_remove);

/* Start the holder on `where` with `args` (NULL-terminated), as `uid`
 * (-1: ours), in a child of this process; wait until it listens. */
static pid_t start_holder_as(const char *where, int uid, const char **args)
{
  int ready[2];
  cr_assert_eq(pipe(ready), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    /* Nothing of the test process but the ready pipe, as after an exec:
     * the test framework's own descriptors stay with the test. */
    if (dup2(ready[1], 3) != 3)
      _exit(2);
    for (int fd = 4; fd < 4096; fd++)
      close(fd);
    if (uid >= 0 && (setgroups(0, NULL) != 0 ||
                     setresgid(uid, uid, uid) != 0 ||
                     setresuid(uid, uid, uid) != 0))
      _exit(3);
    /* A failed test must not leave its holder behind. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    _exit(run_store_holder(where, args, 3));
  }
  close(ready[1]);
  char line[8] = "";
  cr_assert_eq(read(ready[0], line, sizeof line), 6, "the holder failed");
  cr_assert_eq(read(ready[0], line, sizeof line), 0); /* closed it */
  close(ready[0]);
  return pid;
}

static pid_t start_holder(const char **args)
{
  return start_holder_as(path, -1, args);
}

static void stop_holder(pid_t pid)
{
  kill(pid, SIGTERM);
  wait_child_ok(pid);
}

/* fork; the child runs as `uid` (it exits 10 if it cannot). */
static pid_t fork_as(int uid)
{
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0 && setresuid(uid, uid, uid) != 0)
    _exit(10);
  return pid;
}

static int fds_of(pid_t pid)
{
  char where[64];
  snprintf(where, sizeof where, "/proc/%d/fd", (int)pid);
  DIR *d = opendir(where);
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d));)
    n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

/* Wait (10 s at most: a busy machine may run its thread late) until the
 * holder has `expected` descriptors open: it closes what it no longer
 * keeps on a thread of its own. */
static void assert_holder_fds(pid_t pid, int expected, const char *what)
{
  for (int i = 0; i < 1000 && fds_of(pid) != expected; i++)
    usleep(10000);
  cr_assert_eq(fds_of(pid), expected, "%s: %d descriptors, not %d", what,
               fds_of(pid), expected);
}

static int connect_holder(void)
{
  int sock;
  assert_ok(fdpass_connect_holder(path, &sock));
  return sock;
}

static long long ms_now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

FD_TEST(store, store_fetch_list_remove_on_one_connection)
{
  pid_t holder = start_holder(NULL);
  int holder_fds = fds_of(holder);
  int sock = connect_holder();
  int p[2], q[2];
  make_pipe(p);
  make_pipe(q);
  assert_ok(fdpass_store(sock, "web", p, 2, 5000));
  assert_ok(fdpass_store(sock, "log file", &q[1], 1, 5000));
  assert_holder_fds(holder, holder_fds + 1 + 3, "the holder keeps 3");

  int got[4];
  size_t n = 4;
  char names[64];
  assert_ok(fdpass_fetch(sock, "web", got, &n, names, sizeof names, 5000));
  cr_assert_eq(n, 2);
  cr_assert_str_eq(names, "web:web");
  cr_assert(same_file(got[0], p[0]) && same_file(got[1], p[1]));
  cr_assert(is_cloexec(got[0]) && is_cloexec(got[1]));
  write_all(got[1], "x", 1); /* the copy really is the pipe */
  char byte;
  read_exact(p[0], &byte, 1);
  close(got[0]);
  close(got[1]);

  n = 4;
  assert_ok(fdpass_fetch(sock, NULL, got, &n, names, sizeof names, -1));
  cr_assert_eq(n, 3);
  cr_assert_str_eq(names, "web:web:log file");
  cr_assert(same_file(got[2], q[1]));
  for (size_t i = 0; i < n; i++)
    close(got[i]);

  /* Replacing keeps the name's place; the old copies are closed. */
  assert_ok(fdpass_store(sock, "web", &q[0], 1, 5000));
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  cr_assert_str_eq(names, "web:log file");
  assert_holder_fds(holder, holder_fds + 1 + 2, "replaced");

  assert_ok(fdpass_remove(sock, "web", 5000));
  assert_status(fdpass_remove(sock, "web", 5000), FDPASS_ENONAME);
  n = 4;
  assert_status(fdpass_fetch(sock, "web", got, &n, NULL, 0, 5000),
                FDPASS_ENONAME);
  assert_ok(fdpass_remove(sock, "log file", 5000));
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  cr_assert_str_eq(names, "");
  n = 4;
  assert_ok(fdpass_fetch(sock, NULL, got, &n, names, sizeof names, 5000));
  cr_assert_eq(n, 0);
  assert_holder_fds(holder, holder_fds + 1, "removed");
  close(sock);
  close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);
  stop_holder(holder);
}

FD_TEST(store, fetch_that_does_not_fit_delivers_nothing)
{
  pid_t holder = start_holder(NULL);
  int sock = connect_holder();
  int p[2], got[3];
  make_pipe(p);
  assert_ok(fdpass_store(sock, "a", p, 2, 5000));
  size_t n = 1;
  int before = count_fds();
  assert_status(fdpass_fetch(sock, "a", got, &n, NULL, 0, 5000),
                FDPASS_ETRUNC);
  cr_assert_eq(n, 2, "ETRUNC tells how many there are");
  char small[3];
  n = 3;
  assert_status(fdpass_fetch(sock, NULL, got, &n, small, sizeof small, 5000),
                FDPASS_ETRUNC);
  cr_assert_eq(n, 2);
  assert_status(fdpass_list(sock, small, sizeof small, 5000), FDPASS_ETRUNC);
  cr_assert_eq(count_fds(), before, "nothing was delivered");
  /* The connection is still in step. */
  char names[4];
  n = 3;
  assert_ok(fdpass_fetch(sock, "a", got, &n, names, sizeof names, 5000));
  cr_assert_str_eq(names, "a:a");
  close(got[0]);
  close(got[1]);
  close(sock);
  close(p[0]);
  close(p[1]);
  stop_holder(holder);
}

FD_TEST(store, names_follow_systemd_and_bad_ones_send_nothing)
{
  int a, b;
  make_pair(&a, &b);
  int fd = a, got[1];
  size_t n = 1;
  char long_name[257];
  memset(long_name, 'x', 256);
  long_name[256] = '\0';
  const char *bad[] = {"", "a:b", "tab\there", "\x7f", "caf\xc3\xa9",
                       long_name};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_status(fdpass_store(a, bad[i], &fd, 1, 0), FDPASS_EINVAL);
    assert_status(fdpass_remove(a, bad[i], 0), FDPASS_EINVAL);
    assert_status(fdpass_fetch(a, bad[i], got, &n, NULL, 0, 0),
                  FDPASS_EINVAL);
  }
  assert_status(fdpass_store(a, NULL, &fd, 1, 0), FDPASS_EINVAL);
  assert_status(fdpass_store(a, "x", &fd, 0, 0), FDPASS_EINVAL);
  assert_status(fdpass_store(a, "x", NULL, 1, 0), FDPASS_EINVAL);
  assert_status(fdpass_store(a, "x", &fd, FDPASS_MAX_FDS + 1, 0),
                FDPASS_EINVAL);
  assert_status(fdpass_store(a, "x", &fd, 1, -2), FDPASS_EINVAL);
  assert_status(fdpass_fetch(a, "x", got, NULL, NULL, 0, 0), FDPASS_EINVAL);
  assert_status(fdpass_list(a, NULL, 10, 0), FDPASS_EINVAL);
  assert_status(fdpass_connect_holder(path, NULL), FDPASS_EINVAL);
  set_nonblocking(b);
  char byte;
  cr_assert_eq(read(b, &byte, 1), -1, "something was sent");
  cr_assert_eq(errno, EAGAIN);
  /* The longest name and a space are fine. */
  long_name[255] = '\0';
  cr_assert(fdp_name_is_valid(long_name, 255));
  cr_assert(fdp_name_is_valid("a b", 3));
  close(a);
  close(b);
}

FD_TEST(store, a_thousand_names_in_order_across_many_frames)
{
  pid_t holder = start_holder(NULL);
  int sock = connect_holder();
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  enum { N = 600 };
  char name[16];
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "n%d", i);
    assert_ok(fdpass_store(sock, name, &null, 1, 5000));
  }
  static int got[N];
  static char names[N * 8];
  size_t n = N;
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  cr_assert_geq(limit.rlim_cur, 2 * N, "RLIMIT_NOFILE too low for the test");
  assert_ok(fdpass_fetch(sock, NULL, got, &n, names, sizeof names, 5000));
  cr_assert_eq(n, N);
  const char *p = names;
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "n%d", i);
    cr_assert(!strncmp(p, name, strlen(name)), "name %d: %.20s", i, p);
    p += strlen(name) + 1;
    cr_assert(same_file(got[i], null));
    close(got[i]);
  }
  close(null);
  close(sock);
  stop_holder(holder);
}

/* A client that stalls mid-request, and one that dies mid-request, delay
 * nobody and leave nothing stored nor open in the holder. */
FD_TEST(store, stalled_and_killed_clients_delay_nobody_and_leave_nothing)
{
  pid_t holder = start_holder(NULL);
  int holder_fds = fds_of(holder);
  int stalled;
  assert_ok(fdpass_connect(path, &stalled));
  write_all(stalled, "\xfd\x01S", 3); /* a third of a header */

  /* A store with its descriptors, then death before the name ends. */
  pid_t child = fork();
  cr_assert(child >= 0);
  if (child == 0) {
    int sock, null = open("/dev/null", O_RDONLY);
    if (fdpass_connect(path, &sock) != 0)
      _exit(1);
    unsigned char frame[FDP_WIRE_HEADER + 2];
    struct fdp_frame f = {FDP_OP_STORE, 0, 1, 0, 4};
    fdp_wire_encode(&f, frame);
    memcpy(frame + FDP_WIRE_HEADER, "ha", 2);
    size_t len = sizeof frame;
    _exit(fdpass_send_fds(sock, frame, &len, &null, 1, 0) == 0 ? 0 : 2);
  }
  wait_child_ok(child);

  long long start = ms_now();
  int sock = connect_holder(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  char names[64];
  assert_ok(fdpass_store(sock, "quick", &null, 1, 2000));
  assert_ok(fdpass_list(sock, names, sizeof names, 2000));
  cr_assert_str_eq(names, "quick", "half a store was kept: %s", names);
  cr_assert_lt(ms_now() - start, 1000, "a stalled client held us up");
  assert_ok(fdpass_remove(sock, "quick", 2000));
  close(sock);
  close(stalled);
  close(null);
  /* The holder closes what the dead client sent once it sees it gone. */
  assert_holder_fds(holder, holder_fds, "the holder leaked");
  stop_holder(holder);
}

/* A peer that is not a holder: each reply breaks the protocol, and the
 * client returns FDPASS_EPROTO with every descriptor it got closed. */
static void fake_reply(int sock, const void *bytes, size_t len, int nfds)
{
  struct raw_message m;
  raw_recv(sock, sizeof m.data, &m); /* the whole request */
  raw_close(&m);
  int fds[4];
  for (int i = 0; i < nfds; i++)
    fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (len)
    raw_send(sock, bytes, len, fds, (size_t)nfds);
  for (int i = 0; i < nfds; i++)
    close(fds[i]);
}

FD_TEST(store, hostile_holder_gets_eproto_and_leaks_nothing)
{
  static const struct {
    unsigned char bytes[24];
    size_t len;
    int nfds;
  } replies[] = {
    {"\0", 1, 1},                                    /* a 1.1 handoff */
    {"\xfd\x02" "F\0\0\1\0\0\0\0\0\0", 12, 1},        /* version 2 */
    {"\xfd\x01" "F\0\0\2\0\0\0\0\0\1" "a", 13, 1},    /* 2 said, 1 sent */
    {"\xfd\x01" "F\0\0\1\0\0\0\0\0\3" "a:b", 15, 1},  /* 2 names, 1 fd */
    {"\xfd\x01" "F\0\0\1\0\0\0\0\0\1" ":", 13, 1},    /* a bad name */
    {"\xfd\x01" "F\0\0\3\0\0\0\0\0\5" "a:a:a", 17, 3}, /* over capacity */
    {"\xfd\x01" "F\x63\0\0\0\0\0\0\0\0", 12, 0},      /* unknown code */
    {"\xfd\x01" "L\0\0\0\0\0\0\0\0\0", 12, 0},        /* another op */
    {"\xfd\x01" "F\0\0\1\1\0\0\0\0\1" "a", 13, 1},    /* MORE, then EOF */
  };
  for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
    int a, b, got[2];
    make_pair(&a, &b);
    pid_t child = fork();
    cr_assert(child >= 0);
    if (child == 0) {
      close(a);
      fake_reply(b, replies[i].bytes, replies[i].len, replies[i].nfds);
      _exit(0);
    }
    close(b);
    int before = count_fds();
    size_t n = 2;
    char names[16];
    int status = fdpass_fetch(a, NULL, got, &n, names, sizeof names, 5000);
    cr_assert(status == FDPASS_EPROTO || (i == 8 && status == FDPASS_ECLOSED),
              "reply %zu: %s", i, fdpass_errname(status));
    cr_assert_eq(count_fds(), before, "reply %zu leaked", i);
    wait_child_ok(child);
    close(a);
  }
}

FD_TEST(store, silent_holder_times_out)
{
  int a, b, got[1];
  make_pair(&a, &b);
  size_t n = 1;
  long long start = ms_now();
  assert_status(fdpass_fetch(a, "x", got, &n, NULL, 0, 100),
                FDPASS_ETIMEDOUT);
  cr_assert_geq(ms_now() - start, 100);
  /* A holder that never reads: the request cannot even go out. */
  fill_socket(a);
  assert_status(fdpass_remove(a, "x", 50), FDPASS_ETIMEDOUT);
  close(a);
  close(b);
}

/* A holder with a descriptor limit of `limit`, a connection to it, and
 * `n` descriptors to store. */
static pid_t start_holder_with_limit(const char *limit, int *sock, int *fds,
                                     int n)
{
  if (under_valgrind())
    cr_skip_test("valgrind virtualises the descriptor limit");
  const char *args[] = {"-n", limit, NULL};
  pid_t holder = start_holder(args);
  *sock = connect_holder();
  for (int i = 0; i < n; i++)
    fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
  return holder;
}

FD_TEST(store, holder_out_of_descriptors_refuses_the_store_and_serves_on)
{
  int sock, fds[40];
  pid_t holder = start_holder_with_limit("24", &sock, fds, 40);
  assert_status(fdpass_store(sock, "many", fds, 40, 5000), FDPASS_EMFILE);
  /* The EMFILE reply comes once what came of "many" is closed (on the
   * holder's closing thread): a store that fits works at once. */
  assert_ok(fdpass_store(sock, "few", fds, 2, 5000));
  char names[64];
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  cr_assert_str_eq(names, "few:few");
  for (int i = 0; i < 40; i++)
    close(fds[i]);
  close(sock);
  stop_holder(holder);
}

/* Only its own uid (and root) by default; read and write rights apart. */
FD_TEST(store, another_uid_needs_rights_and_a_squatter_is_refused)
{
  if (geteuid() != 0 || under_valgrind())
    cr_skip_test("needs root to act as another uid (and no valgrind, whose "
                 "log files that uid cannot write)");
  enum { OTHER = 65534 };
  char abstract[64];
  snprintf(abstract, sizeof abstract, "@fdpass-store-%d", (int)getpid());
  snprintf(path, sizeof path, "%s", abstract);

  /* A holder of another uid: connect_holder refuses it, sending nothing. */
  pid_t squatter = start_holder_as(abstract, OTHER, NULL);
  int sock;
  assert_status(fdpass_connect_holder(abstract, &sock), FDPASS_EACCES);
  stop_holder(squatter);

  const char *args[] = {"-r", "65534", NULL};
  pid_t holder = start_holder(args);
  sock = connect_holder();
  int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_ok(fdpass_store(sock, "shared", &null, 1, 5000));
  pid_t child = fork_as(OTHER);
  if (child == 0) {
    int s, got[1];
    size_t n = 1;
    /* A root holder is trusted; the holder grants only reading. */
    if (fdpass_connect_holder(abstract, &s) != FDPASS_OK)
      _exit(11);
    if (fdpass_fetch(s, "shared", got, &n, NULL, 0, 5000) != FDPASS_OK ||
        n != 1)
      _exit(12);
    if (fdpass_store(s, "mine", got, 1, 5000) != FDPASS_EACCES)
      _exit(13);
    if (fdpass_remove(s, "shared", 5000) != FDPASS_EACCES)
      _exit(14);
    _exit(0);
  }
  wait_child_ok(child);
  stop_holder(holder);

  /* Without rights the connection is refused outright: the client is
   * told (FDPASS_EACCES), at its hello or at its first request. */
  holder = start_holder(NULL);
  child = fork_as(OTHER);
  if (child == 0) {
    int s, got[1];
    size_t n = 1;
    int status = fdpass_connect_holder(abstract, &s);
    if (status == FDPASS_OK)
      status = fdpass_fetch(s, "shared", got, &n, NULL, 0, 5000);
    _exit(status == FDPASS_EACCES ? 0 : 15);
  }
  wait_child_ok(child);
  stop_holder(holder);
  close(sock);
  close(null);
}

/* A client that asks nothing gets fdpass 1.1's one-message handoff, which
 * a plain fdpass_recv (IO::FDPass's format) takes; one that connected with
 * fdpass_connect_holder may stay quiet as long as it likes. */
FD_TEST(store, a_client_that_asks_nothing_gets_the_old_handoff)
{
  const char *args[] = {"-l", "50", NULL};
  pid_t holder = start_holder(args);
  int sock = connect_holder(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  usleep(200000); /* four times the holder's patience */
  assert_ok(fdpass_store(sock, "unknown", &null, 1, 5000));
  int reader, got;
  assert_ok(fdpass_connect(path, &reader));
  assert_ok(fdpass_recv(reader, &got));
  cr_assert(same_file(got, null));
  char byte;
  cr_assert_eq(read(reader, &byte, 1), 0, "the holder did not hang up");
  close(got);
  close(reader);
  close(null);
  close(sock);
  stop_holder(holder);
}

/* ---- the holder never waits for a client (issue 21) ---------------- */

/* A loopback TCP connection whose last close lingers for 30 s: SO_LINGER
 * on, and both buffers full because the peer never reads. `*peer` is the
 * peer's end: closing it resets the connection and ends the linger. */
static int lingering_socket(int *peer)
{
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in address = {.sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof address;
  cr_assert_eq(bind(listener, (struct sockaddr *)&address, len), 0);
  cr_assert_eq(listen(listener, 1), 0);
  cr_assert_eq(getsockname(listener, (struct sockaddr *)&address, &len), 0);
  int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_eq(connect(sock, (struct sockaddr *)&address, len), 0);
  *peer = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  cr_assert(*peer >= 0);
  close(listener);
  struct linger linger = {1, 30};
  cr_assert_eq(setsockopt(sock, SOL_SOCKET, SO_LINGER, &linger,
                          sizeof linger), 0);
  cr_assert_gt(fill_socket(sock), 0);
  return sock;
}

/* Removing a stored socket whose close lingers: the holder answers at
 * once and serves another client meanwhile. Before that, a daemon stores
 * again the socket it fetched: the holder closes the copy it replaces on
 * its loop (the same open file stays, so that close is not the last and
 * cannot linger) and keeps the socket intact. */
FD_TEST(store, a_lingering_close_stalls_nobody)
{
  if (under_valgrind())
    cr_skip_test("valgrind holds every thread while one closes");
  pid_t holder = start_holder(NULL);
  int peer, lingering = lingering_socket(&peer);
  int sock = connect_holder();
  assert_ok(fdpass_store(sock, "linger", &lingering, 1, 5000));
  int before = fds_of(holder);
  for (int i = 0; i < 3; i++) {
    int copy;
    size_t n = 1;
    assert_ok(fdpass_fetch(sock, "linger", &copy, &n, NULL, 0, 5000));
    assert_ok(fdpass_store(sock, "linger", &copy, 1, 5000));
    close(copy);
    /* Counted at the reply, not later: the old copy is closed by then. */
    cr_assert_eq(fds_of(holder), before, "store %d: %d descriptors, not %d",
                 i, fds_of(holder), before);
  }
  /* Still connected: nothing the holder closed was the socket's last. */
  char byte;
  cr_assert_eq(recv(peer, &byte, 1, MSG_PEEK | MSG_DONTWAIT), 1);
  close(lingering); /* the holder's copy is the last */
  assert_ok(fdpass_remove(sock, "linger", 3000)); /* it closes it now */
  int other = connect_holder();
  char names[16];
  assert_ok(fdpass_list(other, names, sizeof names, 3000));
  cr_assert_str_eq(names, "");
  close(peer);
  close(other);
  close(sock);
  stop_holder(holder);
}

/* The holder's wait (holder/waiter.c: epoll on Linux) is told before a
 * descriptor it watched is closed; the number, given to another file next,
 * is then watched afresh (epoll dropped the old file when it closed, so
 * without being told the waiter would think the new one registered). */
FD_TEST(store, the_holders_wait_takes_a_reused_number_for_a_new_file)
{
  struct waiter *w = waiter_new();
  cr_assert_not_null(w);
  int old[2], fresh[2];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, old), 0);
  struct pollfd p = {.fd = old[0], .events = POLLIN};
  cr_assert_eq(waiter_wait(w, &p, 1, 0), 0);
  int number = old[0];
  waiter_forget(w, number);
  close(old[0]);
  close(old[1]);
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fresh),
               0);
  cr_assert_eq(fresh[0], number, "the lowest free number comes back");
  write_all(fresh[1], "x", 1);
  p = (struct pollfd){.fd = number, .events = POLLIN};
  cr_assert_eq(waiter_wait(w, &p, 1, 2000), 1, "the new file not watched");
  cr_assert(p.revents & POLLIN);
  /* No longer asked for: left out, and nothing is told of it. */
  p.fd = -1;
  cr_assert_eq(waiter_wait(w, &p, 1, 0), 0);
  close(fresh[0]);
  close(fresh[1]);
  waiter_free(w);
}

/* A fetch takes no descriptor slot in the holder: its frames carry what
 * the holder keeps (1.3.0 duplicated them, and said EMFILE here). */
FD_TEST(store, a_holder_with_a_full_table_still_serves_fetches)
{
  int sock, fds[32];
  pid_t holder = start_holder_with_limit("32", &sock, fds, 32);
  assert_ok(fdpass_store(sock, "few", fds, 2, 5000));
  /* Fill every slot the holder has left. */
  size_t room = (size_t)(32 - fds_of(holder));
  cr_assert_gt(room, 0);
  assert_ok(fdpass_store(sock, "filler", fds, room, 5000));
  cr_assert_eq(fds_of(holder), 32);
  int got[2];
  size_t n = 2;
  char names[16];
  assert_ok(fdpass_fetch(sock, "few", got, &n, names, sizeof names, 5000));
  cr_assert_eq(n, 2);
  cr_assert_str_eq(names, "few:few");
  close(got[0]);
  close(got[1]);
  for (int i = 0; i < 32; i++)
    close(fds[i]);
  close(sock);
  stop_holder(holder);
}

/* The same socket sent by clients without any right, on the byte that
 * follows their connection: the holder refuses them and closes their
 * connections, with the socket still unread in them. */
Test(store, a_refused_client_with_a_lingering_socket_stalls_nobody,
     .timeout = 30)
{
  if (geteuid() != 0 || under_valgrind())
    cr_skip_test("needs root to act as another uid (and no valgrind, which "
                 "holds every thread while one closes)");
  snprintf(path, sizeof path, "@fdpass-store-linger-%d", (int)getpid());
  pid_t holder = start_holder(NULL);
  int peer, lingering = lingering_socket(&peer);
  int go[2];
  cr_assert_eq(pipe(go), 0);
  pid_t child = fork_as(65534);
  if (child != 0) { /* the last references are the child's */
    close(lingering);
    close(go[0]);
    write_all(go[1], "", 1);
    close(go[1]);
  }
  if (child == 0) {
    char byte;
    if (read(go[0], &byte, 1) != 1)
      _exit(10);
    for (int i = 0; i < 20; i++) {
      int s;
      size_t len = 1;
      if (fdpass_connect(path, &s) != FDPASS_OK)
        _exit(11);
      (void)fdpass_send_fds(s, "x", &len, &lingering, 1, 0);
      close(s);
    }
    _exit(0); /* an exiting process never lingers: the holder does */
  }
  wait_child_ok(child);
  int sock = connect_holder();
  char names[16];
  assert_ok(fdpass_list(sock, names, sizeof names, 3000));
  close(peer);
  close(sock);
  stop_holder(holder);
}

/* Descriptors belong to a frame's first byte: on its payload they are a
 * protocol error, and nothing is stored. */
FD_TEST(store, descriptors_on_the_payload_are_eproto)
{
  pid_t holder = start_holder(NULL);
  int raw, null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_ok(fdpass_connect(path, &raw));
  unsigned char frame[FDP_WIRE_HEADER];
  struct fdp_frame f = {FDP_OP_STORE, 0, 1, 0, 3};
  fdp_wire_encode(&f, frame);
  raw_send(raw, frame, sizeof frame, NULL, 0);
  raw_send(raw, "abc", 3, &null, 1);
  unsigned char reply[FDP_WIRE_HEADER];
  read_exact(raw, reply, sizeof reply);
  assert_ok(fdp_wire_decode(reply, &f));
  assert_status(f.status, FDPASS_EPROTO);
  int sock = connect_holder();
  char names[16];
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  cr_assert_str_eq(names, "", "stored: %s", names);
  close(sock);
  close(raw);
  close(null);
  stop_holder(holder);
}

/* A client connected by other means than fdpass_connect_holder (no
 * hello), quiet for longer than the holder waits before the one-message
 * handoff, is served when it speaks: it skips the handoff it was sent. */
FD_TEST(store, a_quiet_client_without_hello_is_served)
{
  const char *args[] = {"-l", "50", NULL};
  pid_t holder = start_holder(args);
  int sock = connect_holder(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_ok(fdpass_store(sock, "web", &null, 1, 5000));
  int quiet;
  assert_ok(fdpass_connect(path, &quiet));
  usleep(300000); /* six times the holder's patience */
  assert_ok(fdpass_store(quiet, "log", &null, 1, 5000));
  int got[2];
  size_t n = 2;
  char names[16];
  assert_ok(fdpass_fetch(quiet, NULL, got, &n, names, sizeof names, 5000));
  cr_assert_str_eq(names, "web:log");
  close(got[0]);
  close(got[1]);
  close(quiet);
  close(null);
  close(sock);
  stop_holder(holder);
}

/* A client has the documented idle time between requests, also after a
 * reply: not just the 5 s of a request. */
FD_TEST(store, after_a_reply_the_next_request_may_wait)
{
  pid_t holder = start_holder(NULL);
  int sock = connect_holder();
  char names[16];
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  sleep(6);
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  close(sock);
  stop_holder(holder);
}

/* Every uid but root and the holder's own has a share: connections at
 * once, descriptors stored. Past it, EACCES and EMFILE; root is served
 * even when other uids fill the whole table. */
Test(store, a_uid_gets_its_share_and_root_is_always_served, .timeout = 30)
{
  if (geteuid() != 0 || under_valgrind())
    cr_skip_test("needs root to act as another uid (and no valgrind, whose "
                 "log files that uid cannot write)");
  snprintf(path, sizeof path, "@fdpass-store-share-%d", (int)getpid());
  const char *args[] = {"-w", "65534", "-r", "65534", "-c", "3", "-s", "3",
                        NULL};
  pid_t holder = start_holder(args);
  pid_t child = fork_as(65534);
  if (child == 0) {
    int s[4], null = open("/dev/null", O_RDONLY), fds[3] = {null, null, null};
    char names[64];
    for (int i = 0; i < 3; i++)
      if (fdpass_connect_holder(path, &s[i]) != FDPASS_OK)
        _exit(11);
    int status = fdpass_connect_holder(path, &s[3]);
    if (status == FDPASS_OK)
      status = fdpass_list(s[3], names, sizeof names, 5000);
    if (status != FDPASS_EACCES)
      _exit(12);
    if (fdpass_store(s[0], "three", fds, 3, 5000) != FDPASS_OK)
      _exit(13);
    if (fdpass_store(s[1], "fourth", fds, 1, 5000) != FDPASS_EMFILE)
      _exit(14);
    if (fdpass_store(s[2], "three", fds, 2, 5000) != FDPASS_OK)
      _exit(15); /* a replacement counts what it replaces */
    _exit(0);
  }
  wait_child_ok(child);
  stop_holder(holder);

  /* A uid allowed many connections fills the table: root gets in. */
  const char *many[] = {"-r", "65534", "-c", "5000", NULL};
  holder = start_holder(many);
  int go[2];
  cr_assert_eq(pipe(go), 0);
  child = fork();
  cr_assert(child >= 0);
  if (child == 0) {
    struct rlimit limit = {2000, 2000};
    close(go[0]);
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0 ||
        setresuid(65534, 65534, 65534) != 0)
      _exit(10);
    for (int i = 0; i < 1100; i++) {
      int s;
      if (fdpass_connect_holder(path, &s) != FDPASS_OK)
        _exit(11);
    }
    (void)!write(go[1], "", 1);
    pause(); /* holding them until killed */
    _exit(0);
  }
  close(go[1]);
  char byte;
  cr_assert_eq(read(go[0], &byte, 1), 1, "the other uid could not connect");
  close(go[0]);
  int sock = connect_holder();
  char names[16];
  assert_ok(fdpass_list(sock, names, sizeof names, 3000));
  close(sock);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  stop_holder(holder);
}

/* Lines in the holder's log file `log` (in the test's directory). */
static int log_lines(const char *log, const char *containing)
{
  FILE *f = fopen(log, "r");
  cr_assert_not_null(f);
  char line[512];
  int n = 0;
  while (fgets(line, sizeof line, f))
    n += containing == NULL || strstr(line, containing) != NULL;
  fclose(f);
  return n;
}

/* A flood of clients that break the protocol writes a few lines a second
 * and a count of the rest, not a line each. */
FD_TEST(store, the_log_has_a_ceiling)
{
  char log[160];
  snprintf(log, sizeof log, "%s", in_dir("holder.log"));
  const char *args[] = {"-e", log, NULL};
  pid_t holder = start_holder(args);
  for (int i = 0; i < 200; i++) {
    int s;
    assert_ok(fdpass_connect(path, &s));
    write_all(s, "garbage garbage!", 16);
    char reply[FDP_WIRE_HEADER];
    read_exact(s, reply, sizeof reply); /* EPROTO, then it hangs up */
    close(s);
  }
  stop_holder(holder);
  int lines = log_lines(log, NULL);
  cr_assert_lt(lines, 60, "%d log lines for 200 broken clients", lines);
  cr_assert_geq(log_lines(log, "left out"), 1, "no count of the rest");
}

/* Stopping says how many descriptors it drops. */
FD_TEST(store, stopping_says_what_is_dropped)
{
  char log[160];
  snprintf(log, sizeof log, "%s", in_dir("holder.log"));
  const char *args[] = {"-e", log, NULL};
  pid_t holder = start_holder(args);
  int sock = connect_holder(), p[2];
  make_pipe(p);
  assert_ok(fdpass_store(sock, "a", p, 2, 5000));
  assert_ok(fdpass_store(sock, "b", p, 1, 5000));
  close(sock);
  close(p[0]);
  close(p[1]);
  stop_holder(holder);
  cr_assert_eq(log_lines(log, "3 descriptors under 2 names"), 1,
               "the log does not say what was dropped");
}

/* A whole store larger than half the holder's descriptor limit is fetched
 * all the same: the holder duplicates one frame's descriptors at a time,
 * not all of them before it sends any. */
FD_TEST(store, a_store_over_half_the_limit_is_fetched_whole)
{
  if (under_valgrind())
    cr_skip_test("valgrind virtualises the descriptor limit");
  const char *args[] = {"-n", "1000", NULL};
  pid_t holder = start_holder(args);
  int sock = connect_holder(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  enum { N = 700 };
  char name[16];
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "n%d", i);
    assert_ok(fdpass_store(sock, name, &null, 1, 5000));
  }
  static int got[N];
  size_t n = N;
  assert_ok(fdpass_fetch(sock, NULL, got, &n, NULL, 0, 5000));
  cr_assert_eq(n, N);
  for (int i = 0; i < N; i++)
    close(got[i]);
  /* At once again: the copies of the last one may not all be closed. */
  n = N;
  assert_ok(fdpass_fetch(sock, NULL, got, &n, NULL, 0, 5000));
  for (int i = 0; i < N; i++)
    close(got[i]);
  close(null);
  close(sock);
  stop_holder(holder);
}

/* A store may refuse to replace what a name holds (EADDRINUSE, nothing
 * changed) and may give its descriptors a lifetime, after which the holder
 * closes and forgets them. */
FD_TEST(store, new_names_only_and_lifetimes)
{
  pid_t holder = start_holder(NULL);
  int holder_fds = fds_of(holder);
  int sock = connect_holder(), p[2];
  make_pipe(p);
  assert_ok(fdpass_store_with(sock, "keep", &p[0], 1, FDPASS_STORE_NEW, 0,
                              5000));
  assert_status(fdpass_store_with(sock, "keep", &p[1], 1, FDPASS_STORE_NEW,
                                  0, 5000),
                FDPASS_EADDRINUSE);
  int got[1];
  size_t n = 1;
  assert_ok(fdpass_fetch(sock, "keep", got, &n, NULL, 0, 5000));
  cr_assert(same_file(got[0], p[0]), "a refused store replaced it");
  close(got[0]);
  assert_ok(fdpass_store_with(sock, "brief", &p[1], 1, 0, 100, 5000));
  char names[32];
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  cr_assert_str_eq(names, "keep:brief");
  for (int i = 0; i < 200 && strcmp(names, "keep") != 0; i++) {
    usleep(10000);
    assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  }
  cr_assert_str_eq(names, "keep", "the lifetime did not end");
  assert_holder_fds(holder, holder_fds + 1 + 1, "expired but open");
  close(p[0]);
  close(p[1]);
  close(sock);
  stop_holder(holder);
}

/* Rules per name: a uid may store and fetch the names with its prefix,
 * nothing else; listing is a right of its own. */
Test(store, rules_per_name_and_a_right_to_list, .timeout = 30)
{
  if (geteuid() != 0 || under_valgrind())
    cr_skip_test("needs root to act as another uid (and no valgrind, whose "
                 "log files that uid cannot write)");
  snprintf(path, sizeof path, "@fdpass-store-rules-%d", (int)getpid());
  const char *args[] = {"-x", "65534:sf:web-", "-x", "65534:l:", NULL};
  pid_t holder = start_holder(args);
  int sock = connect_holder(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_ok(fdpass_store(sock, "db", &null, 1, 5000));
  pid_t child = fork_as(65534);
  if (child == 0) {
    int s, got[2];
    size_t n = 2;
    char names[64];
    if (fdpass_connect_holder(path, &s) != FDPASS_OK)
      _exit(10);
    if (fdpass_store(s, "web-1", &null, 1, 5000) != FDPASS_OK)
      _exit(11);
    if (fdpass_store(s, "db", &null, 1, 5000) != FDPASS_EACCES)
      _exit(12);
    if (fdpass_fetch(s, "web-1", got, &n, NULL, 0, 5000) != FDPASS_OK)
      _exit(13);
    n = 2;
    if (fdpass_fetch(s, "db", got, &n, NULL, 0, 5000) != FDPASS_EACCES ||
        fdpass_fetch(s, NULL, got, &n, NULL, 0, 5000) != FDPASS_EACCES)
      _exit(14);
    if (fdpass_remove(s, "web-1", 5000) != FDPASS_EACCES)
      _exit(15);
    if (fdpass_list(s, names, sizeof names, 5000) != FDPASS_OK ||
        strcmp(names, "db:web-1") != 0)
      _exit(16);
    _exit(0);
  }
  wait_child_ok(child);
  close(null);
  close(sock);
  stop_holder(holder);
}

/* A lame duck: once stopped, the holder serves the clients it has until
 * they hang up (within its time), and accepts no new one. */
FD_TEST(store, a_lame_duck_serves_its_clients_then_stops)
{
  const char *args[] = {"-d", "5000", NULL};
  pid_t holder = start_holder(args);
  int sock = connect_holder(), null = open("/dev/null", O_RDONLY | O_CLOEXEC);
  char names[16];
  assert_ok(fdpass_list(sock, names, sizeof names, 5000)); /* accepted */
  kill(holder, SIGTERM);
  usleep(100000);
  assert_ok(fdpass_store(sock, "late", &null, 1, 5000));
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  cr_assert_str_eq(names, "late");
  long long start = ms_now();
  close(sock);
  wait_child_ok(holder); /* as soon as its last client is gone */
  cr_assert_lt(ms_now() - start, 4000, "the lame duck outlived its clients");
  close(null);
}

/* ---- systemd's notification protocol (holder/notify.c) -------------- */

/* The holder's notify socket, an abstract name. */
static char notify[64];

/* With one more option `opt` and its `value`, if `value` is not NULL. */
static pid_t start_notify_holder_with(const char *opt, const char *value)
{
  snprintf(notify, sizeof notify, "@fdpass-store-notify-%d", (int)getpid());
  const char *args[] = {"-N", notify, value ? opt : NULL, value, NULL};
  return start_holder(args);
}

static pid_t start_notify_holder(const char *write_uid)
{
  return start_notify_holder_with("-w", write_uid);
}

/* One datagram `text` with `fds`, as a daemon's sd_pid_notify_with_fds
 * sends it: the kernel adds the credentials. */
static void notify_send(const char *text, const int *fds, size_t nfds)
{
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  size_t n = strlen(notify);
  memcpy(a.sun_path + 1, notify + 1, n - 1);
  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cr_assert(sock >= 0);
  cr_assert_eq(connect(sock, (struct sockaddr *)&a,
                       (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                   n)),
               0, "connect to %s: %s", notify, strerror(errno));
  size_t len = strlen(text);
  assert_ok(fdpass_send_fds(sock, text, &len, fds, nfds, 0));
  close(sock);
}

FD_TEST(store, notify_adds_once_and_removes_as_systemd)
{
  pid_t holder = start_notify_holder(NULL);
  int holder_fds = fds_of(holder);
  int sock = connect_holder();
  int ends[4], *p = ends, *q = ends + 2; /* two pipes */
  make_pipe(p);
  make_pipe(q);
  int twice[] = {p[0], p[0]};
  notify_send("READY=1\nSTATUS=up\nFDPOLL=0\nFDSTORE=1\nFDNAME=web", twice,
              2);
  notify_send("FDSTORE=1\nFDNAME=web", &q[0], 1); /* added after */
  notify_send("FDSTORE=1\nFDNAME=web", &p[0], 1); /* there already */
  notify_send("FDSTORE=1", &q[1], 1);              /* systemd's default */
  int got[4];
  size_t n = 4;
  char names[64];
  assert_ok(fdpass_fetch(sock, NULL, got, &n, names, sizeof names, 5000));
  cr_assert_eq(n, 3);
  cr_assert_str_eq(names, "web:web:stored");
  cr_assert(same_file(got[0], p[0]) && same_file(got[1], q[0]) &&
            same_file(got[2], q[1]));
  cr_assert(is_cloexec(got[0]));
  write_all(p[1], "x", 1); /* the stored one really is the pipe */
  char byte;
  read_exact(got[0], &byte, 1);
  for (size_t i = 0; i < n; i++)
    close(got[i]);
  assert_holder_fds(holder, holder_fds + 1 + 3, "the holder keeps 3");

  notify_send("FDSTOREREMOVE=1\nFDNAME=web", NULL, 0);
  notify_send("FDSTOREREMOVE=1\nFDSTORE=1\nFDNAME=stored", &p[1], 1);
  n = 4;
  assert_ok(fdpass_fetch(sock, NULL, got, &n, names, sizeof names, 5000));
  cr_assert_eq(n, 1);
  cr_assert_str_eq(names, "stored");
  cr_assert(same_file(got[0], p[1]), "FDSTOREREMOVE=1 then FDSTORE=1");
  close(got[0]);
  assert_holder_fds(holder, holder_fds + 1 + 1, "replaced");
  close(sock);
  for (int i = 0; i < 4; i++)
    close(ends[i]);
  stop_holder(holder);
}

FD_TEST(store, notify_drops_what_it_does_not_store)
{
  pid_t holder = start_notify_holder(NULL);
  int holder_fds = fds_of(holder);
  int p[2];
  make_pipe(p);
  int three[] = {p[0], p[1], p[0]};
  static char too_long[5000];
  memset(too_long, 'x', sizeof too_long - 1);
  memcpy(too_long, "FDSTORE=1\nSTATUS=", 17);
  const char *dropped[] = {"READY=1\nFDNAME=no-store",
                           "FDSTORE=1\nFDNAME=a:b",
                           "FDSTORE=1\nFDNAME=",
                           too_long};
  for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
    notify_send(dropped[i], three, 3);
  int sock = connect_holder();
  char names[64];
  assert_ok(fdpass_list(sock, names, sizeof names, 5000));
  cr_assert_str_eq(names, "", "stored: %s", names);
  close(sock);
  assert_holder_fds(holder, holder_fds, "every dropped descriptor closed");
  close(p[0]);
  close(p[1]);
  stop_holder(holder);
}

/* The sender is who the kernel says, with the rights of that uid. */
FD_TEST(store, notify_needs_the_write_right)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to act as another uid");
  enum { OTHER = 65534 };
  for (int granted = 0; granted < 2; granted++) {
    pid_t holder = start_notify_holder(granted ? "65534" : NULL);
    int holder_fds = fds_of(holder);
    pid_t child = fork_as(OTHER);
    if (child == 0) {
      int p[2];
      if (pipe(p) != 0)
        _exit(10);
      notify_send("FDSTORE=1\nFDNAME=theirs", p, 2);
      _exit(0);
    }
    wait_child_ok(child);
    int sock = connect_holder();
    char names[64];
    assert_ok(fdpass_list(sock, names, sizeof names, 5000));
    cr_assert_str_eq(names, granted ? "theirs:theirs" : "",
                     "--write-uid %d %s: %s", OTHER,
                     granted ? "given" : "not given", names);
    close(sock);
    assert_holder_fds(holder, holder_fds + (granted ? 2 : 0),
                      "what came was stored or closed");
    stop_holder(holder);
  }
}

/* Where the holder's main thread sleeps in the kernel (/proc/PID/wchan):
 * "0" while it runs, "" where the kernel does not tell. */
static void holder_sleeps_in(pid_t pid, char *where, size_t size)
{
  char wchan[64];
  snprintf(wchan, sizeof wchan, "/proc/%d/wchan", (int)pid);
  FILE *f = fopen(wchan, "r");
  where[0] = '\0';
  if (f && !fgets(where, (int)size, f))
    where[0] = '\0';
  if (f)
    fclose(f);
}

/* A datagram sent before a request is applied before it, also when the
 * request comes behind a hello (never answered) and reaches the holder
 * after it read the notify socket, in the pass that reads the hello. The
 * holder is held there on its log, a full FIFO; under qemu-user it is
 * slow enough to be there by itself, now and then. */
FD_TEST(store, a_datagram_before_a_request_behind_a_hello_comes_first)
{
  char log[160], where[64] = "";
  snprintf(log, sizeof log, "%s", in_dir("holder.log"));
  cr_assert_eq(mkfifo(log, 0600), 0);
  int log_in = open(log, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  int log_out = open(log, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  cr_assert(log_in >= 0 && log_out >= 0);
  pid_t holder = start_notify_holder_with("-e", log);
  int holder_fds = fds_of(holder);
  /* Idle, it sleeps in poll: a name, unless the kernel tells nothing. */
  for (int i = 0; i < 200 && (!where[0] || !strcmp(where, "0")); i++) {
    usleep(10000);
    holder_sleeps_in(holder, where, sizeof where);
  }
  if (!where[0] || !strcmp(where, "0")) {
    stop_holder(holder);
    close(log_in);
    close(log_out);
    cr_skip_test("the kernel does not tell where a process sleeps (wchan)");
  }
  int first, second; /* served in this order in a pass */
  assert_ok(fdpass_connect(path, &first));
  assert_holder_fds(holder, holder_fds + 1, "the first client accepted");
  assert_ok(fdpass_connect(path, &second));
  assert_holder_fds(holder, holder_fds + 2, "the second client accepted");
  static char filler[4096];
  while (write(log_out, filler, sizeof filler) > 0)
    ;
  while (write(log_out, filler, 1) > 0)
    ;
  /* One pass finds both: the first client's garbage, whose log line
   * holds the holder, and the second's hello. */
  int stopped;
  cr_assert_eq(kill(holder, SIGSTOP), 0);
  cr_assert_eq(waitpid(holder, &stopped, WUNTRACED), holder);
  cr_assert(WIFSTOPPED(stopped));
  unsigned char hello[FDP_WIRE_HEADER], list[FDP_WIRE_HEADER + 8] = {0};
  struct fdp_frame f = {FDP_OP_HELLO, 0, 0, 0, 0};
  fdp_wire_encode(&f, hello);
  write_all(second, hello, sizeof hello);
  write_all(first, "garbage garbage!", 16);
  cr_assert_eq(kill(holder, SIGCONT), 0);
  for (int i = 0; i < 1000 && !strstr(where, "pipe_write"); i++) {
    usleep(10000);
    holder_sleeps_in(holder, where, sizeof where);
  }
  cr_assert(strstr(where, "pipe_write"), "the holder never logged (%s)",
            where);
  /* Now the datagram, then the request: it must see what was stored. */
  int p[2];
  make_pipe(p);
  notify_send("FDSTORE=1\nFDNAME=late", &p[0], 1);
  f = (struct fdp_frame){FDP_OP_LIST, 0, 0, 0, 8};
  fdp_wire_encode(&f, list);
  fdp_wire_put32(list + FDP_WIRE_HEADER + 4, 64); /* names capacity */
  write_all(second, list, sizeof list);
  while (read(log_in, filler, sizeof filler) > 0)
    ;
  unsigned char reply[FDP_WIRE_HEADER];
  char names[64] = "";
  read_exact(second, reply, sizeof reply);
  assert_ok(fdp_wire_decode(reply, &f));
  assert_ok(f.status);
  cr_assert_lt(f.length, sizeof names);
  read_exact(second, names, f.length);
  cr_assert_str_eq(names, "late", "the list came before the datagram: %s",
                   names);
  close(first);
  close(second);
  assert_holder_fds(holder, holder_fds + 1, "the holder keeps the pipe");
  stop_holder(holder);
  close(p[0]);
  close(p[1]);
  close(log_in);
  close(log_out);
}
