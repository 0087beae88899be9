/* SPDX-License-Identifier: MIT */
/*
 * message.c - sending and receiving descriptors: argument checks, the
 * IO::FDPass wire format, blocking semantics and truncation rules. The
 * system calls themselves are in the platform layer (platform.h).
 */
#include "internal.h"
#include "platform.h"

#define KNOWN_FLAGS (FDPASS_NONBLOCK | FDPASS_NOCLOEXEC)

/* Send `len` bytes with `fds` on the first byte. Blocking: everything or a
 * failure, waiting out a non-blocking socket. FDPASS_NONBLOCK: as much as
 * goes without waiting. `*sent` counts the bytes that went out. */
static inline int send_message(int sock, const unsigned char *data,
                               size_t len, const int *fds, size_t nfds,
                               int nonblock, size_t *sent)
{
  size_t done = 0;
  int rc = FDPASS_OK;
  while (done < len) {
    size_t n = 0;
    rc = fdp_os_send(sock, data + done, len - done, done ? NULL : fds,
                     done ? 0 : nfds, nonblock, &n);
    if (rc == FDPASS_OK) {
      done += n;
    } else if (rc == FDPASS_EAGAIN && !nonblock) {
      rc = fdp_os_wait(sock, FDPASS_WRITABLE, -1);
      if (rc != FDPASS_OK)
        break;
    } else {
      if (rc == FDPASS_EAGAIN && done > 0)
        rc = FDPASS_OK; /* a short non-blocking send is a success */
      break;
    }
  }
  *sent = done;
  return rc;
}

/* One receive, waiting out a non-blocking socket unless told not to. */
static inline int receive_message(int sock, void *buf, size_t len,
                                  int *fds, size_t cap, int flags,
                                  struct fdp_received *got)
{
  for (;;) {
    int rc = fdp_os_recv(sock, buf, len, fds, cap, flags, got);
    if (rc != FDPASS_EAGAIN || (flags & FDPASS_NONBLOCK))
      return rc;
    rc = fdp_os_wait(sock, FDPASS_READABLE, -1);
    if (rc != FDPASS_OK)
      return rc;
  }
}

/* The OS error behind descriptors that a receive lost (EMFILE when this
 * process has no free slot), or 0: asked only after a loss. */
static int lost_cause(int sock, const struct fdp_received *got)
{
  return got->fds_lost ? fdp_os_lost_fds_cause(sock) : 0;
}

/* fdpass_send_flags and fdpass_recv_flags, inlined into the plain calls
 * so that the common path keeps one frame. */
static inline int send_one(int sock, int fd, int flags)
{
  static const unsigned char zero = 0; /* IO::FDPass's one data byte */
  if (flags & ~KNOWN_FLAGS)
    return fdp_fail(FDPASS_EINVAL);
  if (sock < 0 || fd < 0)
    return fdp_fail(FDPASS_EBADF);
  int rc = fdp_os_check_passable(sock);
  if (rc != FDPASS_OK)
    return rc;
  size_t sent;
  return send_message(sock, &zero, 1, &fd, 1, flags & FDPASS_NONBLOCK, &sent);
}

static inline int recv_one(int sock, int *fd, int flags)
{
  if (fd == NULL || (flags & ~KNOWN_FLAGS))
    return fdp_fail(FDPASS_EINVAL);
  if (sock < 0)
    return fdp_fail(FDPASS_EBADF);

  unsigned char byte;
  int received = -1; /* set when got.nfds > 0 */
  struct fdp_received got = {0}; /* GCC cannot see it is always set */
  int rc = receive_message(sock, &byte, 1, &received, 1, flags, &got);
  if (rc != FDPASS_OK)
    return rc;
  if (got.fds_lost || got.data_lost) {
    if (got.nfds > 0) {
      fdp_os_close(received);
      return fdp_fail(FDPASS_ETRUNC);
    }
    /* Nothing in our hands: say EMFILE when that was the cause. */
    int cause = lost_cause(sock, &got);
    return cause ? fdp_fail_os(cause) : fdp_fail(FDPASS_ETRUNC);
  }
  if (got.nfds == 0) {
    /* Tell a socket that can never carry descriptors from a peer that
     * sent none; the check costs a system call, so only here. */
    rc = fdp_os_check_passable(sock);
    return rc == FDPASS_ENOTSUP ? rc : fdp_fail(FDPASS_ENOFD);
  }
  *fd = received;
  return FDPASS_OK;
}

FDP_FLATTEN
int fdpass_send(int sock, int fd)
{
  return send_one(sock, fd, 0);
}

FDP_FLATTEN
int fdpass_send_flags(int sock, int fd, int flags)
{
  return send_one(sock, fd, flags);
}

FDP_FLATTEN
int fdpass_recv(int sock, int *fd)
{
  return recv_one(sock, fd, 0);
}

FDP_FLATTEN
int fdpass_recv_flags(int sock, int *fd, int flags)
{
  return recv_one(sock, fd, flags);
}

FDP_FLATTEN
int fdpass_send_fds(int sock, const void *data, size_t *len, const int *fds,
                    size_t nfds, int flags)
{
  if (len == NULL)
    return fdp_fail(FDPASS_EINVAL);
  size_t want = *len;
  *len = 0;
  if ((want > 0 && data == NULL) || (nfds > 0 && fds == NULL) ||
      nfds > FDPASS_MAX_FDS || (nfds > 0 && want == 0) ||
      (flags & ~KNOWN_FLAGS))
    return fdp_fail(FDPASS_EINVAL);
  if (sock < 0)
    return fdp_fail(FDPASS_EBADF);
  for (size_t i = 0; i < nfds; i++)
    if (fds[i] < 0)
      return fdp_fail(FDPASS_EBADF);
  int rc = fdp_os_check_passable(sock);
  if (rc != FDPASS_OK)
    return rc;
  return send_message(sock, data, want, fds, nfds, flags & FDPASS_NONBLOCK,
                      len);
}

/* fdpass_recv_fds; `checked`: the caller checked this socket earlier in
 * the same call (store.c: its request went out), so the socket check, a
 * system call, is not made again for a message without descriptors. */
static inline int recv_fds(int sock, void *buf, size_t *len, int *fds,
                           size_t *nfds, int flags, int checked)
{
  if (buf == NULL || len == NULL || nfds == NULL || *len == 0 ||
      (*nfds > 0 && fds == NULL) || (flags & ~KNOWN_FLAGS))
    return fdp_fail(FDPASS_EINVAL);
  if (sock < 0)
    return fdp_fail(FDPASS_EBADF);

  size_t cap = *nfds < FDPASS_MAX_FDS ? *nfds : FDPASS_MAX_FDS;
  struct fdp_received got = {0}; /* GCC cannot see it is always set */
  int rc = receive_message(sock, buf, *len, fds, cap, flags, &got);
  if (rc != FDPASS_OK)
    return rc;
  *len = got.len;
  *nfds = got.nfds;
  if (got.fds_lost || got.data_lost)
    return fdp_fail_with(FDPASS_ETRUNC, lost_cause(sock, &got));
  /* As in fdpass_recv, the socket is checked only when it matters: a
   * message came without descriptors (delivered all the same). Only the
   * check's verdict counts: a failure of the check itself says nothing
   * about the message, which was delivered. */
  if (got.nfds == 0 && !checked &&
      fdp_os_check_passable(sock) == FDPASS_ENOTSUP)
    return FDPASS_ENOTSUP;
  return FDPASS_OK;
}

FDP_FLATTEN
int fdpass_recv_fds(int sock, void *buf, size_t *len, int *fds, size_t *nfds,
                    int flags)
{
  return recv_fds(sock, buf, len, fds, nfds, flags, 0);
}

FDP_FLATTEN
int fdp_recv_fds_checked(int sock, void *buf, size_t *len, int *fds,
                         size_t *nfds, int flags)
{
  return recv_fds(sock, buf, len, fds, nfds, flags, 1);
}
