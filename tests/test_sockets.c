/* SPDX-License-Identifier: MIT */
/* test_sockets.c - the local-socket helpers, waiting and peer credentials. */
#define _GNU_SOURCE

#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>


TestSuite(sockets, .init = scratch_make, .fini = scratch_remove);

/* An abstract name no other test run uses. */
static const char *abstract_name(const char *tag)
{
  static char name[64];
  snprintf(name, sizeof name, "@fdpass-test-%ld-%s", (long)getpid(), tag);
  return name;
}

FD_TEST(sockets, socketpair_is_connected_and_close_on_exec)
{
  int a, b;
  assert_ok(fdpass_socketpair(&a, &b));
  cr_assert(is_cloexec(a) && is_cloexec(b));
  write_all(a, "ping", 4);
  char buf[4];
  read_exact(b, buf, 4);
  cr_assert_arr_eq(buf, "ping", 4);
  assert_status(fdpass_socketpair(NULL, &b), FDPASS_EINVAL);
  assert_status(fdpass_socketpair(&a, NULL), FDPASS_EINVAL);
  assert_ok(fdpass_close(a));
  assert_ok(fdpass_close(b));
}

static void listen_connect_accept(const char *path)
{
  int listener, client, server, got, p[2];
  assert_ok(fdpass_listen(path, &listener));
  assert_ok(fdpass_connect(path, &client));
  assert_ok(fdpass_accept(listener, &server));
  cr_assert(is_cloexec(listener) && is_cloexec(client) && is_cloexec(server));
  make_pipe(p);
  assert_ok(fdpass_send(client, p[1]));
  assert_ok(fdpass_recv(server, &got));
  cr_assert(same_file(got, p[1]));
  close(got);
  close(p[0]);
  close(p[1]);
  close(client);
  close(server);
  close(listener);
}

FD_TEST(sockets, path_listen_connect_accept_pass)
{
  listen_connect_accept(in_dir("a.sock"));
}

FD_TEST(sockets, abstract_listen_connect_accept_pass)
{
  const char *name = abstract_name("abstract");
  listen_connect_accept(name);
  struct stat st;
  cr_assert_neq(stat(name, &st), 0, "no file for an abstract name");
}

FD_TEST(sockets, socket_file_mode_is_0600_whatever_the_umask)
{
  mode_t masks[] = {0, 022, 077, 0277};
  for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
    mode_t old = umask(masks[i]);
    int listener;
    const char *path = in_dir("mode.sock");
    assert_ok(fdpass_listen(path, &listener));
    umask(old);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 07777, 0600, "umask %03o gave mode %03o",
                 masks[i], st.st_mode & 07777);
    close(listener);
    unlink(path);
  }
}

FD_TEST(sockets, listen_mode_sets_the_socket_file_mode)
{
  int modes[] = {0660, 0666, 0700, 0};
  mode_t old = umask(077);
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    int listener;
    const char *path = in_dir("mode.sock");
    assert_ok(fdpass_listen_mode(path, modes[i], &listener));
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, (mode_t)modes[i], "asked %03o, got %03o",
                 modes[i], st.st_mode & 07777);
    close(listener);
    unlink(path);
  }
  umask(old);
  int listener = -1;
  assert_status(fdpass_listen_mode(in_dir("x.sock"), 01777, &listener),
                FDPASS_EINVAL);
  assert_status(fdpass_listen_mode(in_dir("x.sock"), -1, &listener),
                FDPASS_EINVAL);
  assert_status(fdpass_listen_mode(in_dir("x.sock"), 0600, NULL),
                FDPASS_EINVAL);
  cr_assert_eq(listener, -1);
  assert_ok(fdpass_listen_mode(abstract_name("mode"), 0666, &listener));
  close(listener);
}

FD_TEST(sockets, listen_where_someone_listens_is_eaddrinuse)
{
  int first, second = -1;
  const char *path = in_dir("busy.sock");
  assert_ok(fdpass_listen(path, &first));
  assert_status(fdpass_listen(path, &second), FDPASS_EADDRINUSE);
  cr_assert_eq(second, -1);
  int client, server;
  assert_ok(fdpass_connect(path, &client)); /* the first still works */
  assert_ok(fdpass_accept(first, &server));
  close(client);
  close(server);
  close(first);

  const char *name = abstract_name("busy");
  assert_ok(fdpass_listen(name, &first));
  assert_status(fdpass_listen(name, &second), FDPASS_EADDRINUSE);
  close(first);
}

FD_TEST(sockets, a_stale_socket_file_is_replaced)
{
  int listener;
  const char *path = in_dir("stale.sock");
  assert_ok(fdpass_listen(path, &listener));
  close(listener); /* the file stays, nobody listens */
  int client;
  assert_status(fdpass_connect(path, &client), FDPASS_ECONNREFUSED);
  assert_ok(fdpass_listen(path, &listener));
  int server;
  assert_ok(fdpass_connect(path, &client));
  assert_ok(fdpass_accept(listener, &server));
  close(client);
  close(server);
  close(listener);
}

FD_TEST(sockets, another_file_in_the_way_is_left_alone)
{
  const char *path = in_dir("file");
  int file = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  cr_assert(file >= 0);
  write_all(file, "keep", 4);
  close(file);
  int listener;
  assert_status(fdpass_listen(path, &listener), FDPASS_EADDRINUSE);
  struct stat st;
  cr_assert_eq(stat(path, &st), 0);
  cr_assert(S_ISREG(st.st_mode) && st.st_size == 4, "file untouched");
}

FD_TEST(sockets, path_errors)
{
  int sock = -1;
  char long_path[200];
  memset(long_path, 'x', sizeof long_path - 1);
  long_path[0] = '/';
  long_path[sizeof long_path - 1] = '\0';
  char long_name[200];
  memset(long_name, 'y', sizeof long_name - 1);
  long_name[0] = '@';
  long_name[sizeof long_name - 1] = '\0';

  assert_status(fdpass_listen(NULL, &sock), FDPASS_EINVAL);
  assert_status(fdpass_listen("", &sock), FDPASS_EINVAL);
  assert_status(fdpass_listen("@", &sock), FDPASS_EINVAL);
  assert_status(fdpass_listen(in_dir("x.sock"), NULL), FDPASS_EINVAL);
  assert_status(fdpass_listen(long_path, &sock), FDPASS_ENAMETOOLONG);
  assert_status(fdpass_listen(long_name, &sock), FDPASS_ENAMETOOLONG);
  assert_status(fdpass_listen(in_dir("no/such/dir.sock"), &sock),
                FDPASS_ENOENT);
  assert_status(fdpass_connect(NULL, &sock), FDPASS_EINVAL);
  assert_status(fdpass_connect(in_dir("x.sock"), NULL), FDPASS_EINVAL);
  assert_status(fdpass_connect(long_path, &sock), FDPASS_ENAMETOOLONG);
  assert_status(fdpass_connect(in_dir("missing.sock"), &sock), FDPASS_ENOENT);
  assert_status(fdpass_connect(abstract_name("nobody"), &sock),
                FDPASS_ECONNREFUSED);
  cr_assert_eq(sock, -1, "nothing written on failure");
}

FD_TEST(sockets, permission_denied_is_eacces)
{
  if (geteuid() == 0) {
    /* root passes permission checks; test as an unprivileged user. */
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
      int listener, sock;
      if (fdpass_listen(in_dir("root.sock"), &listener) != FDPASS_OK)
        _exit(2);
      if (chmod(scratch_dir, 0711) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        _exit(3);
      if (fdpass_connect(in_dir("root.sock"), &sock) != FDPASS_EACCES)
        _exit(4);
      if (fdpass_listen(in_dir("other.sock"), &sock) != FDPASS_EACCES)
        _exit(5);
      _exit(0);
    }
    wait_child_ok(pid);
    return;
  }
  int sock;
  assert_status(fdpass_listen("/proc/fdpass.sock", &sock), FDPASS_EACCES);
}

FD_TEST(sockets, accept_errors)
{
  int a, b, sock;
  make_pair(&a, &b);
  assert_status(fdpass_accept(a, &sock), FDPASS_EINVAL);
  assert_status(fdpass_accept(a, NULL), FDPASS_EINVAL);
  assert_status(fdpass_accept(-1, &sock), FDPASS_EBADF);
  assert_status(fdpass_accept(closed_fd(), &sock), FDPASS_EBADF);
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_status(fdpass_accept(file, &sock), FDPASS_ENOTSOCK);
  close(file);
  close(a);
  close(b);
}

struct connect_later {
  const char *path;
  int sock;
};

static void *connect_later(void *arg)
{
  struct connect_later *c = arg;
  usleep(50 * 1000);
  return (void *)(intptr_t)fdpass_connect(c->path, &c->sock);
}

FD_TEST(sockets, accept_on_a_non_blocking_listener_waits)
{
  int listener, server;
  struct connect_later c = {.path = in_dir("wait.sock")};
  assert_ok(fdpass_listen(c.path, &listener));
  set_nonblocking(listener);
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, connect_later, &c), 0);
  assert_ok(fdpass_accept(listener, &server));
  void *status;
  pthread_join(thread, &status);
  cr_assert_eq((intptr_t)status, FDPASS_OK);
  close(c.sock);
  close(server);
  close(listener);
}

FD_TEST(sockets, close_reports_bad_descriptors)
{
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_ok(fdpass_close(fd));
  cr_assert_eq(fcntl(fd, F_GETFD), -1, "really closed");
  assert_status(fdpass_close(fd), FDPASS_EBADF);
  assert_status(fdpass_close(-1), FDPASS_EBADF);
}

FD_TEST(sockets, wait_for_readable_and_writable)
{
  int a, b;
  make_pair(&a, &b);
  assert_status(fdpass_wait(b, FDPASS_READABLE, 0), FDPASS_ETIMEDOUT);
  assert_status(fdpass_wait(b, FDPASS_READABLE, 30), FDPASS_ETIMEDOUT);
  assert_ok(fdpass_wait(a, FDPASS_WRITABLE, 0));
  assert_ok(fdpass_wait(a, FDPASS_READABLE | FDPASS_WRITABLE, -1));
  write_all(a, "r", 1);
  assert_ok(fdpass_wait(b, FDPASS_READABLE, -1));
  fill_socket(a);
  assert_status(fdpass_wait(a, FDPASS_WRITABLE, 10), FDPASS_ETIMEDOUT);
  close(b);
  assert_ok(fdpass_wait(a, FDPASS_WRITABLE, 1000)); /* peer gone: ready */
  close(a);
}

FD_TEST(sockets, wait_argument_errors)
{
  int a, b;
  make_pair(&a, &b);
  assert_status(fdpass_wait(a, 0, 0), FDPASS_EINVAL);
  assert_status(fdpass_wait(a, 0x4, 0), FDPASS_EINVAL);
  assert_status(fdpass_wait(a, FDPASS_READABLE, -2), FDPASS_EINVAL);
  assert_status(fdpass_wait(-1, FDPASS_READABLE, 0), FDPASS_EBADF);
  assert_status(fdpass_wait(closed_fd(), FDPASS_READABLE, 0), FDPASS_EBADF);
  close(a);
  close(b);
}

static void alarm_handler(int sig)
{
  (void)sig;
}

FD_TEST(sockets, wait_keeps_its_timeout_through_signals)
{
  int a, b;
  make_pair(&a, &b);
  struct sigaction sa = {.sa_handler = alarm_handler}; /* no SA_RESTART */
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval every_ms = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &every_ms, NULL);
  assert_status(fdpass_wait(b, FDPASS_READABLE, 100), FDPASS_ETIMEDOUT);
  setitimer(ITIMER_REAL, &off, NULL);
  close(a);
  close(b);
}

FD_TEST(sockets, peer_credentials_of_a_socketpair_are_ours)
{
  int a, b;
  make_pair(&a, &b);
  int64_t pid = 0, uid = -2, gid = -2;
  assert_ok(fdpass_peer_credentials(a, &pid, &uid, &gid));
  cr_assert_eq(pid, getpid());
  cr_assert_eq(uid, getuid());
  cr_assert_eq(gid, getgid());
  assert_ok(fdpass_peer_credentials(a, NULL, NULL, NULL));
  assert_ok(fdpass_peer_credentials(b, NULL, &uid, NULL));
  cr_assert_eq(uid, getuid());
  close(a);
  close(b);
}

FD_TEST(sockets, peer_credentials_name_the_connecting_process)
{
  int listener, server;
  const char *path = in_dir("cred.sock");
  assert_ok(fdpass_listen(path, &listener));
  int ready[2];
  make_pipe(ready);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int sock;
    char done;
    close(ready[1]);
    if (fdpass_connect(path, &sock) != FDPASS_OK)
      _exit(1);
    _exit(read(ready[0], &done, 1) == 0 ? 0 : 2); /* hold until told */
  }
  close(ready[0]);
  assert_ok(fdpass_accept(listener, &server));
  int64_t peer;
  assert_ok(fdpass_peer_credentials(server, &peer, NULL, NULL));
  cr_assert_eq(peer, pid);
  close(ready[1]);
  wait_child_ok(pid);
  close(server);
  close(listener);
}

FD_TEST(sockets, peer_credentials_errors)
{
  int t1, t2;
  make_tcp_pair(&t1, &t2);
  int64_t pid;
  assert_status(fdpass_peer_credentials(t1, &pid, NULL, NULL),
                FDPASS_ENOTSUP);
  int unconnected = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_status(fdpass_peer_credentials(unconnected, &pid, NULL, NULL),
                FDPASS_ENOTCONN);
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_status(fdpass_peer_credentials(file, &pid, NULL, NULL),
                FDPASS_ENOTSOCK);
  assert_status(fdpass_peer_credentials(-1, &pid, NULL, NULL), FDPASS_EBADF);
  assert_status(fdpass_peer_credentials(closed_fd(), &pid, NULL, NULL),
                FDPASS_EBADF);
  close(file);
  close(unconnected);
  close(t1);
  close(t2);
}
