/* SPDX-License-Identifier: MIT */
/*
 * contract_check.c - the header's contract, checked by a plain program with
 * no test framework, for C libraries that Criterion is not built for (musl)
 * and every other build alike: single and batch passing, close-on-exec,
 * truncation, the status codes of bad input, a peer that is gone, waiting,
 * peer credentials and the local-socket helpers. Exits 1 at the first
 * broken promise; no descriptor may leak across the whole run.
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <fdpass.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "open_fds.h" /* after <stdio.h>: it uses NULL */

static int checks;

#define CHECK(cond)                                                          \
  do {                                                                       \
    checks++;                                                                \
    if (!(cond)) {                                                           \
      fprintf(stderr, "contract_check: %s:%d: %s\n", __FILE__, __LINE__,     \
              #cond);                                                        \
      exit(1);                                                               \
    }                                                                        \
  } while (0)

#define STATUS(call, code)                                                   \
  do {                                                                       \
    int status_ = (call);                                                    \
    if (status_ != (code))                                                   \
      fprintf(stderr, "contract_check: %s returned %s\n", #call,              \
              fdpass_errname(status_));                                      \
    CHECK(status_ == (code));                                                \
  } while (0)

static int cloexec(int fd)
{
  int flags = fcntl(fd, F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC);
}

static int same_file(int a, int b)
{
  struct stat sa, sb;
  return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

static void single_and_batch(int a, int b)
{
  int p[2], fd = -1;
  CHECK(pipe(p) == 0);
  STATUS(fdpass_send(a, p[1]), FDPASS_OK);
  STATUS(fdpass_recv(b, &fd), FDPASS_OK);
  CHECK(fd != p[1] && same_file(fd, p[1]) && cloexec(fd));
  CHECK(write(fd, "x", 1) == 1); /* the duplicate works */
  char c;
  CHECK(read(p[0], &c, 1) == 1 && c == 'x');
  close(fd);

  /* The most descriptors a message carries, in order, with data. */
  int out[FDPASS_MAX_FDS], in[FDPASS_MAX_FDS];
  for (int i = 0; i < FDPASS_MAX_FDS; i++)
    out[i] = p[i % 2];
  size_t len = 3, nfds = FDPASS_MAX_FDS;
  STATUS(fdpass_send_fds(a, "abc", &len, out, FDPASS_MAX_FDS, 0), FDPASS_OK);
  char buf[8];
  len = sizeof buf;
  STATUS(fdpass_recv_fds(b, buf, &len, in, &nfds, FDPASS_NOCLOEXEC),
         FDPASS_OK);
  CHECK(len == 3 && memcmp(buf, "abc", 3) == 0 && nfds == FDPASS_MAX_FDS);
  for (int i = 0; i < FDPASS_MAX_FDS; i++) {
    CHECK(same_file(in[i], p[i % 2]) && !cloexec(in[i]));
    close(in[i]);
  }

  /* Three descriptors where one was asked for: the surplus is closed. */
  int before = open_fds();
  len = 1;
  STATUS(fdpass_send_fds(a, "", &len, out, 3, 0), FDPASS_OK);
  STATUS(fdpass_recv(b, &fd), FDPASS_ETRUNC);
  CHECK(open_fds() == before);
  close(p[0]);
  close(p[1]);
}

static void bad_input(int a, int b)
{
  int fd, p[2];
  size_t len = 1, nfds = 1;
  STATUS(fdpass_send(-1, 0), FDPASS_EBADF);
  STATUS(fdpass_send(a, -1), FDPASS_EBADF);
  STATUS(fdpass_recv(b, NULL), FDPASS_EINVAL);
  STATUS(fdpass_send_fds(a, "x", &len, &a, FDPASS_MAX_FDS + 1, 0),
         FDPASS_EINVAL);
  len = 0;
  STATUS(fdpass_send_fds(a, "", &len, &a, 1, 0), FDPASS_EINVAL);
  len = 1;
  STATUS(fdpass_recv_fds(b, &fd, &len, &fd, &nfds, 0x40000000),
         FDPASS_EINVAL);
  CHECK(pipe(p) == 0);
  STATUS(fdpass_send(p[1], a), FDPASS_ENOTSOCK);
  close(p[0]);
  close(p[1]);
  STATUS(fdpass_wait(b, FDPASS_READABLE, 10), FDPASS_ETIMEDOUT);
  len = 1;
  STATUS(fdpass_recv_fds(b, &fd, &len, &fd, &nfds, FDPASS_NONBLOCK),
         FDPASS_EAGAIN);
  for (int code = 0; code >= -40; code--)
    CHECK(fdpass_errname(code) != NULL && fdpass_strerror(code) != NULL);
}

static void peer_and_gone_peer(void)
{
  int a, b, fd;
  int64_t pid = 0, uid = -1, gid = -1;
  STATUS(fdpass_socketpair(&a, &b), FDPASS_OK);
  STATUS(fdpass_peer_credentials(a, &pid, &uid, &gid), FDPASS_OK);
  CHECK(pid == getpid() && uid == getuid() && gid == getgid());
  close(b);
  signal(SIGPIPE, SIG_DFL); /* a SIGPIPE would end this program */
  STATUS(fdpass_send(a, a), FDPASS_ECLOSED);
  STATUS(fdpass_recv(a, &fd), FDPASS_ECLOSED);
  close(a);
}

/* A listener on a path; a child connects and sends its stdin back. */
static void listen_connect_accept(void)
{
  char dir[] = "/tmp/fdpass-contract-XXXXXX", path[64];
  CHECK(mkdtemp(dir) != NULL);
  snprintf(path, sizeof path, "%s/sock", dir);
  int listener, sock, fd, status;
  STATUS(fdpass_listen(path, &listener), FDPASS_OK);
  CHECK(cloexec(listener));
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    int s;
    _exit(fdpass_connect(path, &s) == FDPASS_OK &&
                  fdpass_send(s, STDERR_FILENO) == FDPASS_OK
              ? 0
              : 1);
  }
  STATUS(fdpass_accept(listener, &sock), FDPASS_OK);
  STATUS(fdpass_recv(sock, &fd), FDPASS_OK);
  CHECK(same_file(fd, STDERR_FILENO));
  CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
        WEXITSTATUS(status) == 0);
  close(fd);
  close(sock);
  /* Last: finding that someone listens takes a connection to the listener. */
  STATUS(fdpass_listen(path, &fd), FDPASS_EADDRINUSE);
  close(listener);
  CHECK(unlink(path) == 0 && rmdir(dir) == 0);
  STATUS(fdpass_connect(path, &sock), FDPASS_ENOENT);
}

int main(void)
{
  int before = open_fds(), a, b;
  CHECK(before >= 0);
  CHECK(fdpass_version() == FDPASS_VERSION_MAJOR * 10000 +
                                FDPASS_VERSION_MINOR * 100 +
                                FDPASS_VERSION_PATCH);
  STATUS(fdpass_socketpair(&a, &b), FDPASS_OK);
  CHECK(cloexec(a) && cloexec(b));
  single_and_batch(a, b);
  bad_input(a, b);
  STATUS(fdpass_close(a), FDPASS_OK);
  STATUS(fdpass_close(b), FDPASS_OK);
  peer_and_gone_peer();
  listen_connect_accept();
  CHECK(open_fds() == before);
  printf("contract_check: %d checks passed, libfdpass %s\n", checks,
         fdpass_version_string());
  return 0;
}
