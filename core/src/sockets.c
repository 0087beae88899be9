/* SPDX-License-Identifier: MIT */
/*
 * sockets.c - local-socket helpers for programs and languages that lack
 * them: socket pairs, listening on and connecting to paths (or Linux
 * abstract names), accepting, closing, waiting and peer credentials.
 * Argument checks live here; the OS work is in the platform layer.
 */
#include "internal.h"
#include "platform.h"

#include <stddef.h>

/* Mode of a socket file made by fdpass_listen: only its owner connects. */
#define SOCKET_FILE_MODE 0600

int fdpass_listen(const char *path, int *listener)
{
  return fdpass_listen_mode(path, SOCKET_FILE_MODE, listener);
}

int fdpass_listen_mode(const char *path, int mode, int *listener)
{
  if (path == NULL || path[0] == '\0' || listener == NULL || mode < 0 ||
      mode > 0777)
    return fdp_fail(FDPASS_EINVAL);
  return fdp_os_listen(path, mode, listener);
}

int fdpass_connect(const char *path, int *sock)
{
  if (path == NULL || path[0] == '\0' || sock == NULL)
    return fdp_fail(FDPASS_EINVAL);
  return fdp_os_connect(path, sock);
}

int fdpass_accept(int listener, int *sock)
{
  if (sock == NULL)
    return fdp_fail(FDPASS_EINVAL);
  if (listener < 0)
    return fdp_fail(FDPASS_EBADF);
  for (;;) {
    int rc = fdp_os_accept(listener, sock);
    if (rc != FDPASS_EAGAIN)
      return rc;
    rc = fdp_os_wait(listener, FDPASS_READABLE, -1);
    if (rc != FDPASS_OK)
      return rc;
  }
}

int fdpass_socketpair(int *a, int *b)
{
  if (a == NULL || b == NULL)
    return fdp_fail(FDPASS_EINVAL);
  return fdp_os_socketpair(a, b);
}

int fdpass_close(int fd)
{
  if (fd < 0)
    return fdp_fail(FDPASS_EBADF);
  return fdp_os_close(fd);
}

int fdpass_wait(int sock, int events, int timeout_ms)
{
  if (events == 0 || (events & ~(FDPASS_READABLE | FDPASS_WRITABLE)) ||
      timeout_ms < -1)
    return fdp_fail(FDPASS_EINVAL);
  if (sock < 0)
    return fdp_fail(FDPASS_EBADF);
  return fdp_os_wait(sock, events, timeout_ms);
}

int fdpass_peer_credentials(int sock, int64_t *pid, int64_t *uid,
                            int64_t *gid)
{
  if (sock < 0)
    return fdp_fail(FDPASS_EBADF);
  int rc = fdp_os_check_passable(sock);
  if (rc != FDPASS_OK)
    return rc;
  int64_t p, u, g;
  rc = fdp_os_peer_credentials(sock, &p, &u, &g);
  if (rc != FDPASS_OK)
    return rc;
  if (pid)
    *pid = p;
  if (uid)
    *uid = u;
  if (gid)
    *gid = g;
  return FDPASS_OK;
}
