/* SPDX-License-Identifier: MIT */
/*
 * socket.c - the POSIX platform layer's sockets and descriptors: waiting,
 * closing, socket pairs, accepting, peer credentials, the clock and the
 * mapping of errno values to status codes (platform.h documents them).
 */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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

long long fdp_os_now_ms(void)
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

  long long deadline = timeout_ms > 0 ? fdp_os_now_ms() + timeout_ms : 0;
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
      long long left = deadline - fdp_os_now_ms();
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

int fdp_os_set_cloexec(int fd)
{
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
    return fdp_fail_os(errno);
  return FDPASS_OK;
}

int fdp_posix_new_descriptor(int fd, int *out)
{
  if (fd < 0)
    return fdp_fail_os(errno);
#ifndef SOCK_CLOEXEC
  int rc = fdp_os_set_cloexec(fd);
  if (rc != FDPASS_OK) {
    close(fd);
    return rc;
  }
#endif
  *out = fd;
  return FDPASS_OK;
}

int fdp_posix_socket(int type, int *fd)
{
  return fdp_posix_new_descriptor(socket(AF_UNIX, type | CLOEXEC_TYPE, 0),
                                  fd);
}

int fdp_posix_socket_type(int sock)
{
  int type = 0;
  socklen_t size = sizeof type;
  return getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &size) == 0 ? type : 0;
}

int fdp_os_socketpair(int *a, int *b)
{
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | CLOEXEC_TYPE, 0, pair) != 0)
    return fdp_fail_os(errno);
  int rc = fdp_posix_new_descriptor(pair[0], a);
  if (rc != FDPASS_OK) {
    close(pair[1]);
    return rc;
  }
  rc = fdp_posix_new_descriptor(pair[1], b);
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
    return fdp_posix_new_descriptor(s, sock);
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
  /* A connected datagram socket (not a socketpair) has no credentials:
   * the kernel reports uid and gid -1. Never pass that off as a uid. */
  if (cred.uid == (uid_t)-1)
    return fdp_fail(FDPASS_ENOTSUP);
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
    return FDPASS_ECLOSED;
  case ENOTCONN:
  case EDESTADDRREQ:
    return FDPASS_ENOTCONN;
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
