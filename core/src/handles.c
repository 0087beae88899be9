/* SPDX-License-Identifier: MIT */
/*
 * handles.c - Windows only: fdpass_send_handle and fdpass_recv_handle,
 * fdpass_send and fdpass_recv for raw HANDLEs, in the same wire format,
 * and fdpass_socketpair_tcp. The work is in the platform layer
 * (fdp_os_send_handles, fdp_os_socketpair_tcp).
 */
#include "internal.h"
#include "platform.h"

/* `sock` holds a SOCKET's 32 significant bits (fdpass.h). */
static int socket_arg(uintptr_t sock)
{
  return (int)(intptr_t)sock;
}

int fdpass_send_handle(uintptr_t sock, void *handle)
{
  static const unsigned char zero = 0; /* IO::FDPass's one data byte */
  if (sock == (uintptr_t)-1) /* INVALID_SOCKET */
    return fdp_fail(FDPASS_EBADF);
  int rc = fdp_os_check_passable(socket_arg(sock));
  if (rc != FDPASS_OK)
    return rc;
  size_t sent;
  return fdp_os_send_handles(socket_arg(sock), &zero, 1, &handle, 1, &sent);
}

int fdpass_recv_handle(uintptr_t sock, void **handle)
{
  if (handle == NULL)
    return fdp_fail(FDPASS_EINVAL);
  if (sock == (uintptr_t)-1)
    return fdp_fail(FDPASS_EBADF);
  unsigned char byte;
  void *received = NULL;
  struct fdp_received got = {0};
  int rc = fdp_os_recv_handles(socket_arg(sock), &byte, 1, &received, 1,
                               &got);
  if (rc != FDPASS_OK)
    return rc;
  if (got.fds_lost || got.data_lost) {
    if (got.nfds > 0)
      fdp_os_close_handle(received);
    return fdp_fail(FDPASS_ETRUNC);
  }
  if (got.nfds == 0)
    return fdp_fail(FDPASS_ENOFD);
  *handle = received;
  return FDPASS_OK;
}

int fdpass_socketpair_tcp(uintptr_t *a, uintptr_t *b)
{
  if (a == NULL || b == NULL)
    return fdp_fail(FDPASS_EINVAL);
  int x, y;
  int rc = fdp_os_socketpair_tcp(&x, &y);
  if (rc != FDPASS_OK)
    return rc;
  *a = (uintptr_t)(intptr_t)x; /* sign-extended, as fdpass.h says */
  *b = (uintptr_t)(intptr_t)y;
  return FDPASS_OK;
}

int fdpass_send_socket(uintptr_t sock, uintptr_t s)
{
  if (sock == (uintptr_t)-1 || s == (uintptr_t)-1) /* INVALID_SOCKET */
    return fdp_fail(FDPASS_EBADF);
  return fdp_os_send_socket(socket_arg(sock), s);
}

int fdpass_recv_socket(uintptr_t sock, uintptr_t *s)
{
  if (s == NULL)
    return fdp_fail(FDPASS_EINVAL);
  if (sock == (uintptr_t)-1)
    return fdp_fail(FDPASS_EBADF);
  return fdp_os_recv_socket(socket_arg(sock), s);
}
