/* SPDX-License-Identifier: MIT */
/* test_listen.c - fdpass_listen on a path as a hostile local user or a
 * second instance would meet it: never hang, never disturb a live server,
 * never unlink or chmod what is not its own, and report the real cause. */
#define _GNU_SOURCE

#include "helpers.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


TestSuite(listen, .init = scratch_make, .fini = scratch_remove);

static struct sockaddr_un address_of(const char *path)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  cr_assert_lt(strlen(path), sizeof addr.sun_path);
  strcpy(addr.sun_path, path);
  return addr;
}

/* A socket bound at `path` by plain bind(2); listening with `backlog`
 * unless it is negative. */
static int raw_bound(const char *path, int backlog)
{
  struct sockaddr_un addr = address_of(path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert(s >= 0);
  cr_assert_eq(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
  if (backlog >= 0)
    cr_assert_eq(listen(s, backlog), 0);
  return s;
}

/* A socket file at `path` that nothing is bound to any more. */
static void make_stale(const char *path)
{
  close(raw_bound(path, 1));
  struct stat st;
  cr_assert(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));
}

static long long now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Where the kernel cannot list bound sockets (another OS, no netlink), the
 * library falls back to a non-blocking probe: socket(AF_NETLINK) fails on
 * demand here to test that path on Linux too. */
static int no_sock_diag;

int socket(int domain, int type, int protocol)
{
  static int (*real)(int, int, int);
  if (no_sock_diag && domain == AF_NETLINK) {
    errno = EPERM;
    return -1;
  }
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "socket");
  return real(domain, type, protocol);
}

static void full_backlog_is_answered_promptly(const char *path)
{
  int live = raw_bound(path, 0), clients[16], n = 0, full = 0;
  while (n < 16 && !full) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un addr = address_of(path);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) {
      cr_assert_eq(errno, EAGAIN, "%s", strerror(errno));
      full = 1;
      close(c);
    } else {
      clients[n++] = c;
    }
  }
  cr_assert(full, "the backlog never filled");
  int listener;
  long long start = now_ms();
  assert_status(fdpass_listen(path, &listener), FDPASS_EADDRINUSE);
  cr_assert_lt(now_ms() - start, 1000, "it must not wait for the server");
  while (n > 0)
    close(clients[--n]);
  close(live);
}

FD_TEST(listen, a_live_server_with_a_full_backlog_is_answered_promptly)
{
  full_backlog_is_answered_promptly(in_dir("full"));
}

FD_TEST(listen, without_sock_diag_a_full_backlog_is_answered_promptly)
{
  no_sock_diag = 1;
  full_backlog_is_answered_promptly(in_dir("full"));
  no_sock_diag = 0;
}

FD_TEST(listen, without_sock_diag_a_stale_file_is_replaced)
{
  const char *path = in_dir("stale");
  make_stale(path);
  int listener, client;
  no_sock_diag = 1;
  int status = fdpass_listen(path, &listener);
  no_sock_diag = 0;
  assert_ok(status);
  assert_ok(fdpass_connect(path, &client));
  close(client);
  close(listener);
}

FD_TEST(listen, a_refused_second_listener_leaves_no_connection_behind)
{
  const char *path = in_dir("once");
  int live, second;
  assert_ok(fdpass_listen(path, &live));
  assert_status(fdpass_listen(path, &second), FDPASS_EADDRINUSE);
  set_nonblocking(live);
  int queued = accept4(live, NULL, NULL, SOCK_CLOEXEC);
  cr_assert_eq(queued, -1, "a probe connection was left in the queue");
  cr_assert_eq(errno, EAGAIN);
  close(live);
}

FD_TEST(listen, a_socket_bound_but_not_listening_is_never_unlinked)
{
  const char *path = in_dir("bound");
  int bound = raw_bound(path, -1);
  struct stat before, after;
  cr_assert_eq(lstat(path, &before), 0);
  int listener;
  assert_status(fdpass_listen(path, &listener), FDPASS_EADDRINUSE);
  cr_assert_eq(lstat(path, &after), 0, "the file was unlinked");
  cr_assert_eq(after.st_ino, before.st_ino);
  cr_assert_eq(listen(bound, 1), 0); /* and its owner can still use it */
  int client;
  assert_ok(fdpass_connect(path, &client));
  close(client);
  close(bound);
}

FD_TEST(listen, racing_replacers_of_a_stale_file_one_wins)
{
  const char *path = in_dir("race");
  int rounds = under_valgrind() ? 10 : 100; /* each forks twice */
  for (int round = 0; round < rounds; round++) {
    make_stale(path);
    int go[2], results[2], done[2];
    cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(results, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(done, O_CLOEXEC), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
      kids[k] = fork();
      cr_assert(kids[k] >= 0);
      if (kids[k] == 0) {
        close(go[1]);
        close(done[1]);
        char c;
        (void)!read(go[0], &c, 1); /* both start together */
        int listener, status = fdpass_listen(path, &listener);
        (void)!write(results[1], &status, sizeof status);
        (void)!read(done[0], &c, 1); /* keep listening until told */
        _exit(0);
      }
    }
    close(go[0]);
    close(go[1]); /* go */
    int status[2];
    for (int k = 0; k < 2; k++)
      cr_assert_eq(read(results[0], &status[k], sizeof status[k]),
                   (ssize_t)sizeof status[k]);
    int winners = (status[0] == FDPASS_OK) + (status[1] == FDPASS_OK);
    cr_assert_eq(winners, 1, "round %d: %s and %s", round,
                 fdpass_errname(status[0]), fdpass_errname(status[1]));
    cr_assert(status[0] == FDPASS_EADDRINUSE ||
              status[1] == FDPASS_EADDRINUSE);
    int client; /* the winner listens on the file that is there */
    assert_ok(fdpass_connect(path, &client));
    close(client);
    close(done[1]);
    for (int k = 0; k < 2; k++)
      wait_child_ok(kids[k]);
    close(done[0]);
    close(results[0]);
    close(results[1]);
    unlink(path);
  }
}

FD_TEST(listen, the_mode_is_exact_whatever_the_umask)
{
  const struct {
    mode_t umask;
    int mode;
  } cases[] = {{077, 0666}, {0, 0600}, {022, 0660}, {0777, 0777}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[16];
    snprintf(name, sizeof name, "mode%zu", i);
    const char *path = in_dir(name);
    mode_t saved = umask(cases[i].umask);
    int listener, status = fdpass_listen_mode(path, cases[i].mode, &listener);
    umask(saved);
    assert_ok(status);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, (mode_t)cases[i].mode,
                 "umask %03o, mode %03o: got %03o", cases[i].umask,
                 cases[i].mode, st.st_mode & 07777);
    close(listener);
  }
}

/* An attacker who swaps a symbolic link in just after bind(2): the hook
 * runs inside fdpass_listen, between its bind and whatever follows. */
static void (*after_bind)(const char *path);

int bind(int fd, const struct sockaddr *address, socklen_t size)
{
  static int (*real)(int, const struct sockaddr *, socklen_t);
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "bind");
  int rc = real(fd, address, size);
  const struct sockaddr_un *un = (const struct sockaddr_un *)address;
  if (rc == 0 && after_bind && un->sun_family == AF_UNIX && un->sun_path[0])
    after_bind(un->sun_path);
  return rc;
}

static void swap_in_a_link(const char *path)
{
  cr_assert_eq(rename(path, in_dir("moved")), 0);
  cr_assert_eq(symlink(in_dir("victim"), path), 0);
}

FD_TEST(listen, a_symbolic_link_swapped_in_is_never_followed)
{
  const char *victim = in_dir("victim");
  int fd = open(victim, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  cr_assert(fd >= 0);
  close(fd);
  char path[256];
  strcpy(path, in_dir("swapped"));
  after_bind = swap_in_a_link;
  int listener, status = fdpass_listen_mode(path, 0666, &listener);
  after_bind = NULL;
  cr_assert_neq(status, FDPASS_OK);
  struct stat st;
  cr_assert_eq(stat(victim, &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0600, "the victim was chmodded to %03o",
               st.st_mode & 07777);
  cr_assert_eq(lstat(path, &st), 0, "someone else's link was unlinked");
  cr_assert(S_ISLNK(st.st_mode));
}

FD_TEST(listen, with_one_free_slot_the_cause_is_emfile)
{
  if (under_valgrind())
    cr_skip_test("valgrind does not pass RLIMIT_NOFILE on to the kernel");
  const char *path = in_dir("slots");
  make_stale(path);
  struct full_table table;
  fill_table(&table, 1); /* one free slot: the listener takes it */
  int listener, status = fdpass_listen(path, &listener);
  int os_error = fdpass_os_error();
  empty_table(&table);
  assert_status(status, FDPASS_EMFILE);
  cr_assert_eq(os_error, EMFILE);
}

FD_TEST(listen, a_stale_file_in_a_directory_you_cannot_write_is_eacces)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to play another user");
  const char *path = in_dir("locked");
  make_stale(path);
  cr_assert_eq(chmod(scratch_dir, 0755), 0); /* others may enter, not write */
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0)
      _exit(2);
    int listener, status = fdpass_listen(path, &listener);
    _exit(status == FDPASS_EACCES ? 0 : 3);
  }
  wait_child_ok(pid);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0, "the stale file is still there");
}

FD_TEST(listen, a_path_of_a_full_108_bytes_works)
{
  char path[256];
  size_t room = sizeof ((struct sockaddr_un *)0)->sun_path;
  int len = snprintf(path, sizeof path, "%s/", scratch_dir);
  memset(path + len, 'p', room - (size_t)len);
  path[room] = '\0';
  cr_assert_eq(strlen(path), room);
  int listener, client, server, p[2], got;
  assert_ok(fdpass_listen(path, &listener));
  assert_ok(fdpass_connect(path, &client));
  assert_ok(fdpass_accept(listener, &server));
  make_pipe(p);
  assert_ok(fdpass_send(client, p[1]));
  assert_ok(fdpass_recv(server, &got));
  cr_assert(same_file(got, p[1]));
  close(got);
  close(p[0]);
  close(p[1]);
  close(server);
  close(client);
  close(listener);
  strcat(path, "q"); /* 109 bytes: too long everywhere */
  assert_status(fdpass_listen(path, &listener), FDPASS_ENAMETOOLONG);
  assert_status(fdpass_connect(path, &client), FDPASS_ENAMETOOLONG);
}
