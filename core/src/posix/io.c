/* SPDX-License-Identifier: MIT */
/*
 * io.c - the hot path of the POSIX platform layer: the socket check, one
 * send and one receive with SCM_RIGHTS (platform.h documents them).
 */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h> /* offsetof */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__) && !defined(SCM_PIDFD)
#define SCM_PIDFD 0x04 /* Linux 6.5: SO_PASSPIDFD adds the sender's pidfd */
#endif

/* Room for what socket options of the receiving socket may add to any
 * message, so that it never crowds out the descriptors nor makes the
 * kernel report a truncation: credentials (SO_PASSCRED, or the BSDs'
 * LOCAL_CREDS), a pidfd (SO_PASSPIDFD), a security label (SO_PASSSEC) of
 * up to LABEL_MAX bytes, and both timestamps, which Linux attaches side by
 * side: SO_TIMESTAMP or SO_TIMESTAMPNS (one time) and SO_TIMESTAMPING
 * (three). A longer label is reported as a truncation
 * (docs/security.md). */
#define LABEL_MAX 256
#ifdef SCM_CREDENTIALS
#define CREDS_SPACE CMSG_SPACE(sizeof(struct ucred))
#else
#define CREDS_SPACE CMSG_SPACE(128) /* struct cmsgcred, sockcred... */
#endif
/* A time as the kernel's struct __kernel_timespec: 16 bytes, also where
 * this C library's time_t has 32 bits (the options' _NEW variants). */
#define TIME_SIZE 16
#define OPTIONS_SPACE                                                        \
  (CREDS_SPACE + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(LABEL_MAX) +           \
   CMSG_SPACE(TIME_SIZE) + CMSG_SPACE(3 * TIME_SIZE))

/* Control-message buffer for the largest message, aligned for cmsghdr. */
union control {
  struct cmsghdr align;
  unsigned char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS) + OPTIONS_SPACE];
};

/* musl's sendmsg() on 64-bit copies the control data into a 1024-byte
 * buffer, to clear the padding of its cmsghdr, and fails with ENOMEM above
 * that: a full message (FDPASS_MAX_FDS descriptors) needs 1032 bytes. The
 * padding of fdp_os_send's message is zero already, so it goes to the kernel
 * as it is. glibc, which defines __GLIBC__, lays msghdr out as the kernel
 * does and has no such limit. */
#if defined(__linux__) && !defined(__GLIBC__) && SIZE_MAX > UINT_MAX
#include <sys/syscall.h>
#define fdp_sendmsg(sock, msg, flags) syscall(SYS_sendmsg, sock, msg, flags)
#else
#define fdp_sendmsg(sock, msg, flags) sendmsg(sock, msg, flags)
#endif

#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif

/* getsockname with room for the family alone: portable, and on Linux
 * cheaper than getsockopt(SO_DOMAIN), which matters because every send
 * pays for this check (bench/). */
int fdp_os_check_passable(int sock)
{
  struct sockaddr address = {0};
  socklen_t size = offsetof(struct sockaddr, sa_family) +
                   sizeof address.sa_family;
  if (getsockname(sock, &address, &size) != 0)
    return fdp_fail_os(errno);
  return address.sa_family == AF_UNIX ? FDPASS_OK : fdp_fail(FDPASS_ENOTSUP);
}

/* The status of a failed sendmsg that carried `nfds` descriptors. */
static int send_failure(int error, size_t nfds)
{
  switch (error) {
  case EPERM: /* Linux 6.16: the receiver turned SO_PASSRIGHTS off */
    if (nfds > 0)
      return fdp_fail_with(FDPASS_EREFUSED, error);
    break;
  case ECONNREFUSED: /* the peer of a datagram socket is gone */
    return fdp_fail_with(FDPASS_ECLOSED, error);
  case EMSGSIZE: /* a datagram larger than the socket takes */
    return fdp_fail_with(FDPASS_EINVAL, error);
  }
  return fdp_fail_os(error);
}

int fdp_os_send(int sock, const void *data, size_t len, const int *fds,
                size_t nfds, int nonblock, size_t *sent)
{
  union control control;
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

  if (nfds > 0) {
    size_t bytes = nfds * sizeof(int);
    memset(control.buf, 0, CMSG_SPACE(bytes)); /* no uninitialised padding */
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(bytes);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(bytes);
    memcpy(CMSG_DATA(cmsg), fds, bytes);
  }

#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
  int one = 1;
  if (setsockopt(sock, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) != 0)
    return fdp_fail_os(errno);
#endif

  int flags = SEND_FLAGS | (nonblock ? MSG_DONTWAIT : 0);
  ssize_t n;
  do
    n = fdp_sendmsg(sock, &msg, flags);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return send_failure(errno, nfds);
  *sent = (size_t)n;
  return FDPASS_OK;
}

static void close_fds(const unsigned char *data, size_t count)
{
  for (size_t i = 0; i < count; i++) {
    int fd;
    memcpy(&fd, data + i * sizeof fd, sizeof fd);
    close(fd);
  }
}

/* Move the `count` descriptors at `data` (a control message, maybe not
 * aligned for int) into `fds` while there is room; close the others. */
static void take_fds(const unsigned char *data, size_t count, int *fds,
                     size_t cap, int flags, struct fdp_received *got)
{
  size_t room = cap - got->nfds;
  size_t keep = count < room ? count : room;
  if (keep > 0) {
    memcpy(fds + got->nfds, data, keep * sizeof(int));
#ifndef MSG_CMSG_CLOEXEC
    for (size_t i = 0; i < keep && !(flags & FDPASS_NOCLOEXEC); i++)
      fdp_os_set_cloexec(fds[got->nfds + i]); /* not atomic here */
#else
    (void)flags;
#endif
    got->nfds += keep;
  }
  if (keep < count)
    got->fds_lost = 1;
  close_fds(data + keep * sizeof(int), count - keep);
}

/* After a receive of 0 bytes and no descriptors: is that the end of the
 * stream, or an empty message? Only stream and seqpacket sockets end; a
 * seqpacket socket has ended when its peer shut down (poll says so), and
 * otherwise a live peer sent an empty message. */
static int at_end(int sock)
{
  switch (fdp_posix_socket_type(sock)) {
  case SOCK_DGRAM:
    return 0;
  case SOCK_SEQPACKET: {
#ifdef POLLRDHUP
    struct pollfd pfd = {.fd = sock, .events = POLLIN | POLLRDHUP};
#else
    struct pollfd pfd = {.fd = sock, .events = POLLIN};
#endif
    int ready;
    do
      ready = poll(&pfd, 1, 0);
    while (ready < 0 && errno == EINTR);
#ifdef POLLRDHUP
    return ready > 0 && (pfd.revents & (POLLHUP | POLLRDHUP));
#else
    return ready > 0 && (pfd.revents & POLLHUP);
#endif
  }
  default:
    return 1;
  }
}

int fdp_os_recv(int sock, void *buf, size_t len, int *fds, size_t cap,
                int flags, struct fdp_received *got)
{
  union control control;
  struct iovec iov = {.iov_base = buf, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  msg.msg_control = control.buf;
  msg.msg_controllen = CMSG_SPACE(cap * sizeof(int)) + OPTIONS_SPACE;

  int recv_flags = (flags & FDPASS_NONBLOCK) ? MSG_DONTWAIT : 0;
#ifdef MSG_CMSG_CLOEXEC
  if (!(flags & FDPASS_NOCLOEXEC))
    recv_flags |= MSG_CMSG_CLOEXEC;
#endif

  ssize_t n;
  do
    n = recvmsg(sock, &msg, recv_flags);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    /* The library built every argument: EINVAL means that the socket
     * listens or was never connected (Linux; the BSDs say ENOTCONN). */
    if (errno == EINVAL)
      return fdp_fail_with(FDPASS_ENOTCONN, errno);
    return fdp_fail_os(errno);
  }

  got->len = (size_t)n;
  got->nfds = 0;
  got->fds_lost = (msg.msg_flags & MSG_CTRUNC) != 0;
  got->data_lost = (msg.msg_flags & MSG_TRUNC) != 0;

  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_len < CMSG_LEN(0))
      continue;
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (cmsg->cmsg_type == SCM_RIGHTS)
      take_fds(CMSG_DATA(cmsg), count, fds, cap, flags, got);
#ifdef SCM_PIDFD
    else if (cmsg->cmsg_type == SCM_PIDFD) /* a descriptor nobody asked for */
      close_fds(CMSG_DATA(cmsg), count);
#endif
  }

  if (n == 0 && got->nfds == 0 && !got->fds_lost && at_end(sock))
    return fdp_fail(FDPASS_ECLOSED);
  return FDPASS_OK;
}

int fdp_os_lost_fds_cause(int sock)
{
  int probe = fcntl(sock, F_DUPFD_CLOEXEC, 0);
  if (probe < 0)
    return errno == EMFILE ? EMFILE : 0;
  close(probe);
  return 0;
}
