/*
 * posix.c - the platform layer (platform.h) for Linux, the BSDs and macOS.
 *
 * Every OS difference of the library is decided here, by feature tests:
 * MSG_CMSG_CLOEXEC and SOCK_CLOEXEC (atomic close-on-exec) with an fcntl
 * fallback, MSG_NOSIGNAL or SO_NOSIGPIPE against SIGPIPE, and the peer
 * credential calls of each system.
 */
#define _GNU_SOURCE /* MSG_CMSG_CLOEXEC, SOCK_CLOEXEC, accept4, struct ucred */

#include "internal.h"
#include "platform.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#if defined(__FreeBSD__)
#include <sys/param.h> /* __FreeBSD_version */
#endif
#if defined(LOCAL_PEERCRED)
#include <sys/ucred.h> /* struct xucred */
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
static int set_cloexec(int fd)
{
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    return -1;
  return 0;
}
#endif

int fdp_os_check_passable(int sock)
{
#ifdef SO_DOMAIN
  int domain = 0;
  socklen_t size = sizeof domain;
  if (getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &size) != 0)
    return fdp_fail_os(errno);
#else
  struct sockaddr_storage address;
  socklen_t size = sizeof address;
  if (getsockname(sock, (struct sockaddr *)&address, &size) != 0)
    return fdp_fail_os(errno);
  int domain = address.ss_family;
#endif
  return domain == AF_UNIX ? FDPASS_OK : fdp_fail(FDPASS_ENOTSUP);
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
    n = sendmsg(sock, &msg, flags);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return fdp_fail_os(errno);
  *sent = (size_t)n;
  return FDPASS_OK;
}

static int is_datagram(int sock)
{
  int type = 0;
  socklen_t size = sizeof type;
  return getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &size) == 0 &&
         type == SOCK_DGRAM;
}

/* Keep `fd` if there is room, close it otherwise. */
static void take_fd(int fd, int *fds, size_t cap, int flags,
                    struct fdp_received *got)
{
  if (got->nfds >= cap) {
    close(fd);
    got->fds_lost = 1;
    return;
  }
#ifndef MSG_CMSG_CLOEXEC
  if (!(flags & FDPASS_NOCLOEXEC))
    set_cloexec(fd); /* not atomic: this OS has no MSG_CMSG_CLOEXEC */
#else
  (void)flags;
#endif
  fds[got->nfds++] = fd;
}

int fdp_os_recv(int sock, void *buf, size_t len, int *fds, size_t cap,
                int flags, struct fdp_received *got)
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
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    const unsigned char *data = CMSG_DATA(cmsg);
    for (size_t i = 0; i < count; i++) {
      int fd;
      memcpy(&fd, data + i * sizeof fd, sizeof fd); /* may be unaligned */
      take_fd(fd, fds, cap, flags, got);
    }
  }

  if (n == 0 && got->nfds == 0 && !got->fds_lost && !is_datagram(sock))
    return fdp_fail(FDPASS_ECLOSED);
  return FDPASS_OK;
}

static long long now_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

int fdp_os_wait(int fd, int events, int timeout_ms)
{
  struct pollfd pfd = {.fd = fd, .events = 0};
  if (events & FDPASS_READABLE)
    pfd.events |= POLLIN;
  if (events & FDPASS_WRITABLE)
    pfd.events |= POLLOUT;

  long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
  int remaining = timeout_ms;
  for (;;) {
    int ready = poll(&pfd, 1, remaining);
    if (ready > 0)
      return (pfd.revents & POLLNVAL) ? fdp_fail_os(EBADF) : FDPASS_OK;
    if (ready == 0)
      return fdp_fail(FDPASS_ETIMEDOUT);
    if (errno != EINTR)
      return fdp_fail_os(errno);
    if (timeout_ms > 0) {
      long long left = deadline - now_ms();
      remaining = left > 0 ? (int)left : 0;
    }
  }
}

int fdp_os_close(int fd)
{
  /* After EINTR (or EINPROGRESS) the descriptor is released all the same;
   * retrying could close a descriptor another thread just opened. */
  if (close(fd) == 0 || errno == EINTR || errno == EINPROGRESS)
    return FDPASS_OK;
  return fdp_fail_os(errno);
}

#ifdef SOCK_CLOEXEC
#define CLOEXEC_TYPE SOCK_CLOEXEC
#else
#define CLOEXEC_TYPE 0
#endif

/* Hand out `fd`, just returned by a call asked for CLOEXEC_TYPE: check it,
 * and where the OS has no SOCK_CLOEXEC set close-on-exec now (or close it
 * and fail). */
static int new_descriptor(int fd, int *out)
{
  if (fd < 0)
    return fdp_fail_os(errno);
#ifndef SOCK_CLOEXEC
  if (set_cloexec(fd) != 0) {
    int rc = fdp_fail_os(errno);
    close(fd);
    return rc;
  }
#endif
  *out = fd;
  return FDPASS_OK;
}

int fdp_os_socket(int type, int *fd)
{
  return new_descriptor(socket(AF_UNIX, type | CLOEXEC_TYPE, 0), fd);
}

int fdp_os_socketpair(int *a, int *b)
{
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | CLOEXEC_TYPE, 0, pair) != 0)
    return fdp_fail_os(errno);
  int rc = new_descriptor(pair[0], a);
  if (rc != FDPASS_OK) {
    close(pair[1]);
    return rc;
  }
  rc = new_descriptor(pair[1], b);
  if (rc != FDPASS_OK)
    close(*a);
  return rc;
}

int fdp_os_accept(int listener, int *sock)
{
  for (;;) {
#ifdef SOCK_CLOEXEC
    int s = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
#else
    int s = accept(listener, NULL, NULL);
#endif
    /* A connection that was reset before it was accepted is not ours. */
    if (s < 0 && (errno == EINTR || errno == ECONNABORTED))
      continue;
    return new_descriptor(s, sock);
  }
}

#ifndef SOL_LOCAL
#define SOL_LOCAL 0
#endif

int fdp_os_peer_credentials(int sock, int64_t *pid, int64_t *uid,
                            int64_t *gid)
{
  /* Credentials are recorded at connect time; unconnected means no peer. */
  struct sockaddr_storage peer;
  socklen_t peer_size = sizeof peer;
  if (getpeername(sock, (struct sockaddr *)&peer, &peer_size) != 0)
    return fdp_fail_os(errno);

#if defined(SO_PEERCRED) && defined(__linux__)
  struct ucred cred;
  socklen_t size = sizeof cred;
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0)
    return fdp_fail_os(errno);
  *pid = cred.pid > 0 ? cred.pid : -1;
  *uid = cred.uid;
  *gid = cred.gid;
#elif defined(SO_PEERCRED) && defined(__OpenBSD__)
  struct sockpeercred cred;
  socklen_t size = sizeof cred;
  if (getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0)
    return fdp_fail_os(errno);
  *pid = cred.pid > 0 ? cred.pid : -1;
  *uid = cred.uid;
  *gid = cred.gid;
#elif defined(LOCAL_PEERCRED)
  struct xucred cred;
  socklen_t size = sizeof cred;
  if (getsockopt(sock, SOL_LOCAL, LOCAL_PEERCRED, &cred, &size) != 0)
    return fdp_fail_os(errno);
  *uid = cred.cr_uid;
  *gid = cred.cr_ngroups > 0 ? cred.cr_groups[0] : -1;
  *pid = -1;
#if defined(LOCAL_PEERPID)
  pid_t peer_pid;
  socklen_t pid_size = sizeof peer_pid;
  if (getsockopt(sock, SOL_LOCAL, LOCAL_PEERPID, &peer_pid, &pid_size) == 0)
    *pid = peer_pid;
#elif defined(__FreeBSD__) && __FreeBSD_version >= 1300000
  *pid = cred.cr_pid;
#endif
#else
  uid_t peer_uid;
  gid_t peer_gid;
  if (getpeereid(sock, &peer_uid, &peer_gid) != 0)
    return fdp_fail_os(errno);
  *pid = -1;
  *uid = peer_uid;
  *gid = peer_gid;
#endif
  return FDPASS_OK;
}

int fdp_code_from_os(int os_error)
{
  switch (os_error) {
  case EINVAL: return FDPASS_EINVAL;
  case EBADF: return FDPASS_EBADF;
  case ENOTSOCK: return FDPASS_ENOTSOCK;
  case EOPNOTSUPP:
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
  case ENOTSUP:
#endif
  case EAFNOSUPPORT:
  case EPROTONOSUPPORT:
  case EPROTOTYPE:
    return FDPASS_ENOTSUP;
  case EAGAIN:
#if EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK:
#endif
    return FDPASS_EAGAIN;
  case ETIMEDOUT: return FDPASS_ETIMEDOUT;
  case EPIPE:
  case ECONNRESET:
  case ENOTCONN:
    return FDPASS_ECLOSED;
  case EMFILE:
  case ENFILE:
#ifdef ETOOMANYREFS
  case ETOOMANYREFS: /* too many descriptors in flight for this sender */
#endif
    return FDPASS_EMFILE;
  case ENOMEM:
  case ENOBUFS:
    return FDPASS_ENOMEM;
  case EACCES:
  case EPERM:
    return FDPASS_EACCES;
  case ENOENT:
  case ENOTDIR:
    return FDPASS_ENOENT;
  case EADDRINUSE: return FDPASS_EADDRINUSE;
  case ECONNREFUSED: return FDPASS_ECONNREFUSED;
  case ENAMETOOLONG: return FDPASS_ENAMETOOLONG;
  default: return FDPASS_ESYS;
  }
}
