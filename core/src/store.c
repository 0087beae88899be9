/* SPDX-License-Identifier: MIT */
/*
 * store.c - the descriptor store's client functions: fdpass_connect_holder,
 * fdpass_store, fdpass_fetch, fdpass_list, fdpass_remove. Written on top of
 * the public functions, so they work wherever those do.
 *
 * A request is one frame sent in full; the reply is read frame by frame
 * with exact lengths, so that a reply's descriptors always arrive with its
 * first byte and never with a read of the frame before. Whatever goes
 * wrong after the request went out, every descriptor received so far is
 * closed before returning.
 */
#include "internal.h"
#include "deadline.h"
#include "client.h"
#include "platform.h"
#include "store_wire.h"

#include <string.h>
#ifndef _WIN32
#include <unistd.h>
#endif

static void close_all(int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    fdpass_close(fds[i]);
}

static int recv_header(int sock, unsigned op, struct fdp_frame *f, int *fds,
                       size_t *nfds, size_t cap, long long deadline);

/* The holder hung up: did it refuse us first (an EACCES frame, sent to a
 * client without a right or over its share, before it closes)? */
static int refusal(int sock)
{
  struct fdp_frame f;
  int none[1];
  size_t nfds = 0;
  int status = recv_header(sock, FDP_OP_HELLO, &f, none, &nfds, 0,
                           fdp_now_ms());
  return status == FDPASS_OK && f.status == FDPASS_EACCES && f.length == 0
             ? FDPASS_EACCES
             : FDPASS_ECLOSED;
}

/* Send `len` bytes with `nfds` descriptors on the first byte, all of it or
 * a failure, by the deadline (a stalled holder cannot block us). */
static int send_frame(int sock, const unsigned char *data, size_t len,
                      const int *fds, size_t nfds, long long deadline)
{
  while (len > 0) {
    /* Try first: a request nearly always fits the socket's buffer, and a
     * wait before each call would cost a system call for nothing. */
    size_t sent = len;
    int status = fdpass_send_fds(sock, data, &sent, fds, nfds,
                                 FDPASS_NONBLOCK);
    if (status == FDPASS_EAGAIN) {
      status = fdpass_wait(sock, FDPASS_WRITABLE,
                           fdp_remaining_ms(deadline));
      if (status != FDPASS_OK)
        return status;
      continue;
    }
    if (status == FDPASS_ECLOSED)
      return refusal(sock);
    if (status != FDPASS_OK)
      return status;
    data += sent;
    len -= sent;
    nfds = 0; /* the descriptors went with the first byte sent */
  }
  return FDPASS_OK;
}

/* What descriptors beyond a read's capacity mean (the library closed
 * them): no slot here for them, or more than the holder may send. */
static int lost_fds(int sock)
{
  return fdp_code_from_os(fdp_os_lost_fds_cause(sock)) == FDPASS_EMFILE
             ? FDPASS_EMFILE
             : FDPASS_EPROTO;
}

/* Read at least one of `len` bytes into `buf` (NULL: discard up to `len`),
 * *got of them. Descriptors are taken into fds[*nfds..cap); beyond `cap`
 * the rest were closed: FDPASS_ETRUNC, with the bytes. Only after a
 * request went out, so the socket is known to pass descriptors. */
static int recv_some(int sock, void *buf, size_t len, size_t *got,
                     int *fds, size_t *nfds, size_t cap, long long deadline)
{
  unsigned char scratch[256];
  for (;;) {
    *got = buf ? len : len < sizeof scratch ? len : sizeof scratch;
    size_t n = cap - *nfds;
    int status = fdp_recv_fds_checked(sock, buf ? buf : scratch, got,
                                      fds + *nfds, &n, FDPASS_NONBLOCK);
    if (status == FDPASS_EAGAIN) {
      status = fdpass_wait(sock, FDPASS_READABLE,
                           fdp_remaining_ms(deadline));
      if (status != FDPASS_OK)
        return status;
      continue;
    }
    if (status == FDPASS_ENOTSUP)
      return FDPASS_EPROTO;
    if (status == FDPASS_OK || status == FDPASS_ETRUNC)
      *nfds += n;
    return status;
  }
}

/* Read exactly `len` bytes into `buf` (NULL: discard them). */
static int recv_exact(int sock, void *buf, size_t len, int *fds,
                      size_t *nfds, size_t cap, long long deadline)
{
  while (len > 0) {
    size_t got;
    int status = recv_some(sock, buf, len, &got, fds, nfds, cap, deadline);
    if (status == FDPASS_ETRUNC)
      return lost_fds(sock);
    if (status != FDPASS_OK)
      return status;
    if (buf)
      buf = (unsigned char *)buf + got;
    len -= got;
  }
  return FDPASS_OK;
}

/* Read one reply header for `op`, with up to `cap` descriptors. A refusal
 * (store_wire.h) answers any op. */
static int recv_header(int sock, unsigned op, struct fdp_frame *f, int *fds,
                       size_t *nfds, size_t cap, long long deadline)
{
  unsigned char header[FDP_WIRE_HEADER];
  size_t have = 0, before = *nfds;
  int skipping = 0;
  /* A reply is not there the moment its request went out: wait first,
   * rather than ask, find nothing and wait (a system call saved). */
  int ready = fdpass_wait(sock, FDPASS_READABLE, fdp_remaining_ms(deadline));
  if (ready != FDPASS_OK)
    return ready;
  while (have < sizeof header) {
    size_t got = 0;
    int status = recv_some(sock, header + have, sizeof header - have, &got,
                           fds, nfds, cap, deadline);
    if (status == FDPASS_ECLOSED && skipping)
      return FDPASS_EPROTO; /* an fdpass 1.1 holder */
    int read = status == FDPASS_OK || status == FDPASS_ETRUNC;
    int legacy = read && have == 0 && header[0] == 0 && !skipping &&
                 (*nfds > before || status == FDPASS_ETRUNC);
    if (status == FDPASS_ETRUNC && !legacy)
      return lost_fds(sock);
    if (status != FDPASS_OK && !legacy)
      return status;
    /* fdpass 1.1's handoff ahead of the reply: a holder took this client,
     * quiet until it asked, for one of that handoff's receivers. Its
     * descriptors are closed, its names skipped up to our frame. */
    if (legacy) {
      close_all(fds + before, *nfds - before);
      *nfds = before;
      skipping = 1;
      header[0] = ' ';
    }
    have += got;
    size_t skip = 0;
    while (skipping && skip < have && header[skip] >= ' ' &&
           header[skip] <= '~')
      skip++;
    memmove(header, header + skip, have - skip);
    have -= skip;
    /* Not a frame of ours, or descriptors before our frame began: say so
     * at once, without waiting for more. */
    if ((have > 0 && header[0] != FDP_WIRE_MAGIC) ||
        (have == 0 && *nfds > before))
      return FDPASS_EPROTO;
  }
  if (fdp_wire_decode(header, f) != FDPASS_OK || f->nfds != *nfds - before)
    return FDPASS_EPROTO;
  int refused = f->op == FDP_OP_HELLO && f->status == FDPASS_EACCES;
  return f->op == op || refused ? FDPASS_OK : FDPASS_EPROTO;
}

/* The codes a holder may answer `op` with (docs/protocol.md); anything
 * else is not the protocol. */
static int reply_status(unsigned op, int status)
{
  static const int store[] = {FDPASS_EMFILE, FDPASS_ENOMEM,
                              FDPASS_EADDRINUSE};
  static const int fetch[] = {FDPASS_ENONAME, FDPASS_ETRUNC, FDPASS_EMFILE,
                              FDPASS_ENOMEM};
  static const int list[] = {FDPASS_ETRUNC, FDPASS_ENOMEM};
  static const int remove[] = {FDPASS_ENONAME};
  const int *codes = op == FDP_OP_STORE  ? store
                     : op == FDP_OP_FETCH ? fetch
                     : op == FDP_OP_LIST  ? list
                                          : remove;
  size_t n = op == FDP_OP_STORE    ? 3
             : op == FDP_OP_FETCH  ? 4
             : op == FDP_OP_LIST   ? 2
             : op == FDP_OP_REMOVE ? 1
                                   : 0;
  if (status == FDPASS_OK || status == FDPASS_EACCES ||
      status == FDPASS_EPROTO)
    return status;
  for (size_t i = 0; i < n; i++)
    if (status == codes[i])
      return status;
  return FDPASS_EPROTO;
}

/* A request with frame flags `flags` (store_wire.h): header, `payload`,
 * and descriptors on its first byte. */
static int send_flagged(int sock, unsigned op, unsigned flags,
                        const void *payload, size_t len, const int *fds,
                        size_t nfds, long long deadline)
{
  unsigned char frame[FDP_WIRE_HEADER + FDP_WIRE_MAX_REQUEST];
  struct fdp_frame f = {op, 0, (unsigned)nfds, flags, (uint32_t)len};
  fdp_wire_encode(&f, frame);
  memcpy(frame + FDP_WIRE_HEADER, payload, len);
  return send_frame(sock, frame, FDP_WIRE_HEADER + len, fds, nfds, deadline);
}

/* A request without descriptors: header and `payload`. */
static int send_request(int sock, unsigned op, const void *payload,
                        size_t len, const int *fds, size_t nfds,
                        long long deadline)
{
  return send_flagged(sock, op, 0, payload, len, fds, nfds, deadline);
}

/* A reply without descriptors or payload (store, remove). */
static int simple_reply(int sock, unsigned op, long long deadline)
{
  struct fdp_frame f;
  int none[1];
  size_t nfds = 0;
  int status = recv_header(sock, op, &f, none, &nfds, 0, deadline);
  if (status != FDPASS_OK)
    return status;
  if (f.length != 0 || f.flags)
    return FDPASS_EPROTO;
  return reply_status(op, f.status);
}

static int check_name(const char *name)
{
  return name && fdp_name_is_valid(name, strnlen(name, FDP_NAME_MAX + 1))
             ? FDPASS_OK
             : FDPASS_EINVAL;
}

int fdpass_connect_holder(const char *path, int *sock)
{
  if (sock == NULL)
    return fdp_fail(FDPASS_EINVAL);
  int s;
  int status = fdpass_connect(path, &s);
  if (status != FDPASS_OK)
    return status;
  int64_t uid;
  status = fdpass_peer_credentials(s, NULL, &uid, NULL);
#ifndef _WIN32 /* there fdpass_connect checked the server's user */
  /* Checked before anything is sent: a squatter on the path or abstract
   * name must not get what we store, nor feed us what we fetch. */
  if (status == FDPASS_OK && uid != (int64_t)geteuid() && uid != 0)
    status = fdp_fail(FDPASS_EACCES);
#endif
  if (status == FDPASS_OK) /* an empty socket buffer: it goes at once */
    status = send_request(s, FDP_OP_HELLO, "", 0, NULL, 0,
                          FDP_NO_DEADLINE);
  if (status != FDPASS_OK) {
    fdpass_close(s);
    return status;
  }
  *sock = s;
  return FDPASS_OK;
}

int fdpass_store(int sock, const char *name, const int *fds, size_t nfds,
                 int timeout_ms)
{
  return fdpass_store_with(sock, name, fds, nfds, 0, 0, timeout_ms);
}

int fdpass_store_with(int sock, const char *name, const int *fds,
                      size_t nfds, int flags, int lifetime_ms, int timeout_ms)
{
  if (check_name(name) != FDPASS_OK || fds == NULL || nfds == 0 ||
      nfds > FDPASS_MAX_FDS || (flags & ~FDPASS_STORE_NEW) ||
      lifetime_ms < 0 || timeout_ms < -1)
    return fdp_fail(FDPASS_EINVAL);
  long long deadline = fdp_deadline_after(timeout_ms);
  unsigned char payload[4 + FDP_NAME_MAX];
  size_t at = lifetime_ms > 0 ? 4 : 0, len = strlen(name);
  fdp_wire_put32(payload, (uint32_t)lifetime_ms);
  memcpy(payload + at, name, len);
  unsigned wire_flags = (flags & FDPASS_STORE_NEW ? FDP_WIRE_NEW : 0) |
                        (lifetime_ms > 0 ? FDP_WIRE_LIFETIME : 0);
  int status = send_flagged(sock, FDP_OP_STORE, wire_flags, payload,
                            at + len, fds, nfds, deadline);
  if (status == FDPASS_OK)
    status = simple_reply(sock, FDP_OP_STORE, deadline);
  if (status == FDPASS_EADDRINUSE && !(flags & FDPASS_STORE_NEW))
    status = FDPASS_EPROTO; /* an answer to a question not asked */
  return status == FDPASS_OK ? FDPASS_OK : fdp_fail(status);
}

int fdpass_remove(int sock, const char *name, int timeout_ms)
{
  if (check_name(name) != FDPASS_OK || timeout_ms < -1)
    return fdp_fail(FDPASS_EINVAL);
  long long deadline = fdp_deadline_after(timeout_ms);
  int status = send_request(sock, FDP_OP_REMOVE, name, strlen(name), NULL,
                            0, deadline);
  if (status == FDPASS_OK)
    status = simple_reply(sock, FDP_OP_REMOVE, deadline);
  return status == FDPASS_OK ? FDPASS_OK : fdp_fail(status);
}

/* A fetch or list request: the capacities, then the name (none: all). */
static int send_query(int sock, unsigned op, const char *name, size_t cap,
                      size_t names_size, long long deadline)
{
  unsigned char payload[8 + FDP_NAME_MAX];
  size_t len = name ? strlen(name) : 0;
  fdp_wire_put32(payload, cap > 0xffffffffu ? 0xffffffffu : (uint32_t)cap);
  fdp_wire_put32(payload + 4, names_size > 0xffffffffu
                                  ? 0xffffffffu
                                  : (uint32_t)names_size);
  if (len > 0) /* no name: the whole store */
    memcpy(payload + 8, name, len);
  return send_request(sock, op, payload, 8 + len, NULL, 0, deadline);
}

/* The payload of an FDPASS_ETRUNC reply: how many descriptors there are and
 * how many bytes their names take, with the terminating NUL. */
static int truncated_reply(int sock, const struct fdp_frame *f,
                           size_t *count, long long deadline)
{
  unsigned char sizes[8];
  int none[1];
  size_t nfds = 0;
  if (f->length != sizeof sizes || f->nfds || f->flags)
    return FDPASS_EPROTO;
  int status = recv_exact(sock, sizes, sizeof sizes, none, &nfds, 0,
                          deadline);
  if (status == FDPASS_OK && count)
    *count = fdp_wire_get32(sizes);
  return status == FDPASS_OK ? FDPASS_ETRUNC : status;
}

/* Read the frames of a fetch reply into fds[0..cap) and `names`. */
static int fetch_reply(int sock, int *fds, size_t cap, size_t *count,
                       char *names, size_t names_size, long long deadline)
{
  size_t nfds = 0, used = 0; /* used: bytes of `names` written so far */
  int status;
  for (;;) {
    struct fdp_frame f;
    size_t first = nfds;
    status = recv_header(sock, FDP_OP_FETCH, &f, fds, &nfds, cap, deadline);
    if (status != FDPASS_OK)
      break;
    status = reply_status(FDP_OP_FETCH, f.status);
    if (status == FDPASS_ETRUNC) {
      status = first == 0 ? truncated_reply(sock, &f, count, deadline)
                          : FDPASS_EPROTO;
      break;
    }
    if (status != FDPASS_OK) {
      if (f.length || f.nfds || f.flags)
        status = FDPASS_EPROTO;
      break;
    }
    if (f.nfds == 0) { /* the whole store, and it is empty */
      if (first > 0 || f.length || f.flags)
        status = FDPASS_EPROTO;
      else if (names)
        names[0] = '\0';
      if (status != FDPASS_OK)
        break;
      *count = 0;
      return FDPASS_OK;
    }
    /* This frame's names go after a ':' that joins them to the last. */
    size_t at = used + (first > 0);
    if (names && at + f.length + 1 > names_size) {
      status = FDPASS_EPROTO;
      break;
    }
    char chunk[FDPASS_MAX_FDS * (FDP_NAME_MAX + 1)];
    if (f.length > sizeof chunk) {
      status = FDPASS_EPROTO;
      break;
    }
    status = recv_exact(sock, chunk, f.length, fds, &nfds, nfds, deadline);
    if (status == FDPASS_OK && !fdp_names_are_valid(chunk, f.length, f.nfds))
      status = FDPASS_EPROTO;
    if (status != FDPASS_OK)
      break;
    if (names) {
      if (first > 0)
        names[used] = ':';
      memcpy(names + at, chunk, f.length);
      names[at + f.length] = '\0';
    }
    used = at + f.length;
    if (!(f.flags & FDP_WIRE_MORE)) {
      *count = nfds;
      return FDPASS_OK;
    }
  }
  close_all(fds, nfds);
  return status;
}

int fdpass_fetch(int sock, const char *name, int *fds, size_t *nfds,
                 char *names, size_t names_size, int timeout_ms)
{
  if ((name && check_name(name) != FDPASS_OK) || nfds == NULL ||
      (fds == NULL && *nfds > 0) || (names && names_size == 0) ||
      timeout_ms < -1)
    return fdp_fail(FDPASS_EINVAL);
  long long deadline = fdp_deadline_after(timeout_ms);
  size_t cap = *nfds, count = 0;
  /* Without `names` any length fits: the names are read and dropped. */
  int status = send_query(sock, FDP_OP_FETCH, name, cap,
                          names ? names_size : (size_t)-1, deadline);
  if (status == FDPASS_OK)
    status = fetch_reply(sock, fds, cap, &count, names, names_size,
                         deadline);
  if (status == FDPASS_OK || status == FDPASS_ETRUNC)
    *nfds = count;
  return status == FDPASS_OK ? FDPASS_OK : fdp_fail(status);
}

int fdpass_list(int sock, char *names, size_t names_size, int timeout_ms)
{
  if (names == NULL || names_size == 0 || timeout_ms < -1)
    return fdp_fail(FDPASS_EINVAL);
  long long deadline = fdp_deadline_after(timeout_ms);
  int status = send_query(sock, FDP_OP_LIST, NULL, 0, names_size, deadline);
  struct fdp_frame f;
  int none[1];
  size_t nfds = 0;
  if (status == FDPASS_OK)
    status = recv_header(sock, FDP_OP_LIST, &f, none, &nfds, 0, deadline);
  if (status == FDPASS_OK) {
    status = reply_status(FDP_OP_LIST, f.status);
    if (status == FDPASS_ETRUNC)
      status = truncated_reply(sock, &f, NULL, deadline);
    else if (status != FDPASS_OK || f.flags || f.length >= names_size)
      status = status == FDPASS_OK || f.length || f.flags ? FDPASS_EPROTO
                                                          : status;
    else {
      status = recv_exact(sock, names, f.length, none, &nfds, 0, deadline);
      /* A list of names, or none: the count is whatever it holds. */
      size_t count = f.length > 0;
      for (size_t i = 0; i < f.length && status == FDPASS_OK; i++)
        count += names[i] == ':';
      if (status == FDPASS_OK && !fdp_names_are_valid(names, f.length, count))
        status = FDPASS_EPROTO;
      if (status == FDPASS_OK)
        names[f.length] = '\0';
    }
  }
  return status == FDPASS_OK ? FDPASS_OK : fdp_fail(status);
}

/* One step of an upgrade in place (client.h): a request without
 * payload, whose reply carries `min` to `max` (at most 2) descriptors,
 * `*n` of them put in `fds`. */
static int hand_over_step(int sock, int *fds, size_t min, size_t max,
                          size_t *n, long long deadline)
{
  int status = send_request(sock, FDP_OP_HAND_OVER, "", 0, NULL, 0,
                            deadline);
  struct fdp_frame f;
  int got[2];
  *n = 0;
  if (status == FDPASS_OK)
    status = recv_header(sock, FDP_OP_HAND_OVER, &f, got, n, max, deadline);
  if (status == FDPASS_OK)
    status = reply_status(FDP_OP_HAND_OVER, f.status);
  if (status == FDPASS_OK && (f.length || f.flags || *n < min))
    status = FDPASS_EPROTO;
  if (status == FDPASS_OK && *n > 0)
    memcpy(fds, got, *n * sizeof *got);
  else if (status != FDPASS_OK)
    close_all(got, *n);
  return status;
}

int fdp_hand_over(int sock, int *listener, int *notify, long long deadline)
{
  int fds[2];
  size_t n;
  int status = hand_over_step(sock, fds, 1, 2, &n, deadline);
  if (status == FDPASS_OK) {
    *listener = fds[0];
    *notify = n == 2 ? fds[1] : -1;
  }
  return status;
}

int fdp_hand_over_done(int sock, long long deadline)
{
  size_t n;
  return hand_over_step(sock, NULL, 0, 0, &n, deadline);
}
