/*
 * posix_io.h - fdp_os_check_passable, fdp_os_send and fdp_os_recv
 * (platform.h, which documents them) for Linux, the BSDs and macOS.
 *
 * They are defined here, inline, rather than in posix.c so that the public
 * functions in message.c make their system calls directly: a system call
 * deep in the kernel's network code leaves the CPU's return predictor
 * empty, and each extra frame open across it costs a mispredicted return
 * (about 1% of a pass here; bench/). Only platform.h includes this file.
 */
#ifndef FDPASS_POSIX_IO_H
#define FDPASS_POSIX_IO_H

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h> /* offsetof */
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__linux__) && !defined(MSG_CMSG_CLOEXEC)
/* Without it, received descriptors would not be close-on-exec atomically. */
#error "include internal.h first, for its _GNU_SOURCE"
#endif

#ifdef SCM_CREDENTIALS
/* Room for the credentials a peer's SO_PASSCRED adds before the descriptors,
 * so that they never truncate the descriptors. */
#define CREDS_SPACE CMSG_SPACE(sizeof(struct ucred))
#else
#define CREDS_SPACE 0
#endif

/* Control-message buffer for the largest message, aligned for cmsghdr. */
union control {
  struct cmsghdr align;
  unsigned char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS) + CREDS_SPACE];
};

#ifdef MSG_NOSIGNAL
#define SEND_FLAGS MSG_NOSIGNAL
#else
#define SEND_FLAGS 0
#endif

#if !defined(SOCK_CLOEXEC) || !defined(MSG_CMSG_CLOEXEC)
/* Fallback where close-on-exec cannot be set atomically. */
static inline int set_cloexec(int fd)
{
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    return -1;
  return 0;
}
#endif

/* getsockname with room for the family alone: portable, and on Linux
 * cheaper than getsockopt(SO_DOMAIN), which matters because every send
 * pays for this check (bench/). */
static FDP_INLINE int fdp_os_check_passable(int sock)
{
  struct sockaddr address = {0};
  socklen_t size = offsetof(struct sockaddr, sa_family) +
                   sizeof address.sa_family;
  if (getsockname(sock, &address, &size) != 0)
    return fdp_fail_os(errno);
  return address.sa_family == AF_UNIX ? FDPASS_OK : fdp_fail(FDPASS_ENOTSUP);
}

static FDP_INLINE int fdp_os_send(int sock, const void *data, size_t len,
                                  const int *fds, size_t nfds, int nonblock,
                                  size_t *sent)
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
    n = sendmsg(sock, &msg, flags);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return fdp_fail_os(errno);
  *sent = (size_t)n;
  return FDPASS_OK;
}

static inline int is_datagram(int sock)
{
  int type = 0;
  socklen_t size = sizeof type;
  return getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &size) == 0 &&
         type == SOCK_DGRAM;
}

/* Move the `count` descriptors at `data` (a control message, maybe not
 * aligned for int) into `fds` while there is room; close the others. */
static inline void take_fds(const unsigned char *data, size_t count,
                            int *fds, size_t cap, int flags,
                            struct fdp_received *got)
{
  size_t room = cap - got->nfds;
  size_t keep = count < room ? count : room;
  if (keep > 0) {
    memcpy(fds + got->nfds, data, keep * sizeof(int));
#ifndef MSG_CMSG_CLOEXEC
    for (size_t i = 0; i < keep && !(flags & FDPASS_NOCLOEXEC); i++)
      set_cloexec(fds[got->nfds + i]); /* not atomic: no MSG_CMSG_CLOEXEC */
#else
    (void)flags;
#endif
    got->nfds += keep;
  }
  if (keep < count)
    got->fds_lost = 1;
  for (size_t i = keep; i < count; i++) {
    int fd;
    memcpy(&fd, data + i * sizeof fd, sizeof fd);
    close(fd);
  }
}

static FDP_INLINE int fdp_os_recv(int sock, void *buf, size_t len, int *fds,
                                  size_t cap, int flags,
                                  struct fdp_received *got)
{
  union control control;
  struct iovec iov = {.iov_base = buf, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  msg.msg_control = control.buf;
  msg.msg_controllen = (cap > 0 ? CMSG_SPACE(cap * sizeof(int)) : 0) +
                       CREDS_SPACE;
  if (msg.msg_controllen == 0)
    msg.msg_control = NULL;

  int recv_flags = (flags & FDPASS_NONBLOCK) ? MSG_DONTWAIT : 0;
#ifdef MSG_CMSG_CLOEXEC
  if (!(flags & FDPASS_NOCLOEXEC))
    recv_flags |= MSG_CMSG_CLOEXEC;
#endif

  ssize_t n;
  do
    n = recvmsg(sock, &msg, recv_flags);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return fdp_fail_os(errno);

  got->len = (size_t)n;
  got->nfds = 0;
  got->fds_lost = (msg.msg_flags & MSG_CTRUNC) != 0;
  got->data_lost = (msg.msg_flags & MSG_TRUNC) != 0;

  for (struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
       cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
        cmsg->cmsg_len < CMSG_LEN(0))
      continue;
    take_fds(CMSG_DATA(cmsg), (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int),
             fds, cap, flags, got);
  }

  if (n == 0 && got->nfds == 0 && !got->fds_lost && !is_datagram(sock))
    return fdp_fail(FDPASS_ECLOSED);
  return FDPASS_OK;
}

#endif
