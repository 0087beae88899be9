/* bare.c N - the benchmark's baseline: N round trips of one descriptor
 * over a socketpair with bare sendmsg/recvmsg (SCM_RIGHTS), then with
 * fdpass_send/fdpass_recv; prints nanoseconds per round trip of each. */
#define _GNU_SOURCE
#include <fdpass.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* CPU time: the loops never wait, and other processes do not count. */
static double now_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

/* One message: a data byte and room for one descriptor. */
struct message {
  char byte;
  struct iovec iov;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int))];
  } control;
  struct msghdr msg;
};

static void message_init(struct message *m)
{
  m->byte = 0;
  m->iov = (struct iovec){&m->byte, 1};
  m->msg = (struct msghdr){.msg_iov = &m->iov, .msg_iovlen = 1,
                           .msg_control = m->control.buf,
                           .msg_controllen = sizeof m->control.buf};
}

static void bare_send(int sock, int fd)
{
  struct message m;
  message_init(&m);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m.msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  if (sendmsg(sock, &m.msg, MSG_NOSIGNAL) != 1)
    abort();
}

static int bare_recv(int sock)
{
  struct message m;
  message_init(&m);
  if (recvmsg(sock, &m.msg, MSG_CMSG_CLOEXEC) != 1)
    abort();
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m.msg)), sizeof fd);
  return fd;
}

int main(int argc, char **argv)
{
  long n = argc > 1 ? atol(argv[1]) : 100000;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return 1;
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    bare_send(sv[0], sv[0]);
    close(bare_recv(sv[1]));
  }
  double t1 = now_ns();
  for (long i = 0; i < n; i++) {
    int fd;
    if (fdpass_send(sv[0], sv[0]) != FDPASS_OK ||
        fdpass_recv(sv[1], &fd) != FDPASS_OK || fdpass_close(fd) != FDPASS_OK)
      return 1;
  }
  double t2 = now_ns();
  printf("bare %.0f\nlibfdpass %.0f\n", (t1 - t0) / n, (t2 - t1) / n);
  return 0;
}
