/* SPDX-License-Identifier: MIT */
/*
 * holder.c - the holder's event loop (poll): it serves the store
 * (store.c) to many clients at once. Every socket call is non-blocking,
 * every client has a deadline for what it owes (the rest of a request,
 * reading its reply), and nothing that came from a client is closed here
 * (closer.c) unless its close cannot wait (store.c), so no client can
 * hold up another.
 *
 * A request takes effect only once its frame is complete and checked: a
 * client that dies or stalls mid-request leaves nothing half-stored. A
 * reply that cannot go out at once is queued; the descriptors it carries
 * stay open until it is out (queue), so no later request changes it.
 */
#define _GNU_SOURCE

#include "holder.h"
#include "store.h"

#include <fdpass.h>

#include "closer.h"
#include "deadline.h"
#include "notify.h"
#include "store_wire.h"
#include "waiter.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/sockios.h> /* SIOCOUTQ */
#endif
#include <sys/socket.h>
#include <unistd.h>

/* Milliseconds a client has for a request once it started one, and for
 * reading a reply; how long a connection may sit idle between requests. */
#define REQUEST_MS 5000
#define IDLE_MS 60000
/* After accept fails for want of descriptors, pause accepting this long
 * (the pending connection keeps the listener readable). */
#define ACCEPT_PAUSE_MS 100
/* Clients at once, of which the last RESERVED only root and the holder's
 * own uid may take. */
#define MAX_CLIENTS 1024
#define RESERVED 64
/* Log lines per second; the rest are counted. */
#define LOG_LINES 10
/* How often to look whether a client read the one-message handoff. */
#define LEGACY_CHECK_MS 10
/* Notify datagrams read per round of the loop at most (a unix datagram
 * socket queues 512 by default). */
#define NOTIFY_BATCH 512

#define RIGHT_READ (FDP_HOLDER_FETCH | FDP_HOLDER_LIST)
#define RIGHT_WRITE (FDP_HOLDER_STORE | FDP_HOLDER_REMOVE)

/* A frame waiting to go out, with the descriptors its first byte carries
 * (borrowed, see queue). */
struct out_frame {
  struct out_frame *next;
  size_t len, pos, nfds;
  int fds[FDPASS_MAX_FDS];
  unsigned char bytes[];
};

struct client {
  int sock;
  unsigned rights; /* FDP_HOLDER_* on every name; rules may add more */
  int64_t uid, gid;
  int privileged;     /* root or the holder's uid: no limit */
  int started;        /* a byte has come: it speaks the protocol */
  int closing;        /* close once the queued output is out */
  int evicted;        /* another holder takes over: close now */
  long long deadline; /* by when it must do what it owes */
  long long legacy_at; /* when to send the one-message handoff (0: never) */
  size_t legacy_sent;  /* its length once sent */
  unsigned char in[FDP_WIRE_HEADER + FDP_WIRE_MAX_REQUEST];
  size_t in_len;
  struct fdp_frame frame; /* decoded once in_len covers the header */
  int fds[FDPASS_MAX_FDS];
  size_t nfds;
  int fds_bad; /* not every descriptor came: FDPASS_EMFILE (no slot here),
                  or FDPASS_EPROTO (more than a frame carries, or not on
                  its first byte) */
  struct out_frame *out, *out_last;
  struct fetch *fetch; /* a fetch in progress, or NULL */
  /* Its reply waits until what its request replaced or removed is closed
   * (closer.h): a client that gets it knows the holder's copies are gone,
   * as if closed here. 0: nothing to wait for. */
  unsigned long long close_ticket;
};

/* A fetch whose frames have not all been queued: the entries it sends,
 * kept (store_keep), and how far it got. */
struct fetch {
  size_t n, at, fd, sent;
  struct entry *entries[];
};

/* Everything the loop changes while it serves. */
struct loop {
  const struct fdp_holder *h;
  struct fdp_store *store;
  struct closer *closer;
  struct waiter *waiter;
  struct client *clients[MAX_CLIENTS];
  size_t n;
  size_t max_connections, max_stored;
  long long accept_paused_until;
  long long lame_duck_until; /* stopping: when at the latest (0: not) */
  struct client *successor; /* a new holder taking over, or NULL */
  int leaving;              /* the successor has everything */
  char names[FDPASS_MAX_FDS * (FDP_NAME_MAX + 1)]; /* a fetch frame's */
  long long log_window; /* when the current second of logging began */
  unsigned log_lines;   /* lines logged in it */
  unsigned long log_suppressed;
};

/* ---- logging, at most LOG_LINES a second ----------------------------- */

static void log_write(const struct loop *l, const char *text)
{
  if (l->h->log)
    l->h->log(l->h->log_context, text);
}

/* Say how many lines were left out once their second is over. */
static void log_catch_up(struct loop *l, long long now)
{
  if (now - l->log_window < 1000)
    return;
  if (l->log_suppressed > 0) {
    char text[96];
    snprintf(text, sizeof text, "%lu more lines like these left out",
             l->log_suppressed);
    log_write(l, text);
  }
  l->log_window = now;
  l->log_lines = 0;
  l->log_suppressed = 0;
}

static void log_line(struct loop *l, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void log_line(struct loop *l, const char *format, ...)
{
  log_catch_up(l, fdp_now_ms());
  if (l->log_lines >= LOG_LINES) {
    l->log_suppressed++;
    return;
  }
  l->log_lines++;
  char text[256];
  va_list args;
  va_start(args, format);
  vsnprintf(text, sizeof text, format, args);
  va_end(args);
  log_write(l, text);
}

/* ---- output ---------------------------------------------------------- */

/* A frame's descriptors are borrowed, never duplicated: a fetch's frames
 * send what its entries hold, and a fetch keeps its entries (store_keep)
 * until its last frame is out or its client is dropped; a hand-over's are
 * the holder's own listener and notify socket. So nothing can close them
 * under a queued frame, and a reply costs no dup and no close. */
static void free_frame(struct out_frame *f)
{
  free(f);
}

static void fetch_end(struct loop *l, struct client *c)
{
  for (size_t i = 0; c->fetch && i < c->fetch->n; i++)
    store_release(l->store, c->fetch->entries[i]);
  free(c->fetch);
  c->fetch = NULL;
}

static void drop_client(struct loop *l, struct client *c)
{
  closer_close(l->closer, c->fds, c->nfds);
  for (struct out_frame *f = c->out, *next; f; f = next) {
    next = f->next;
    free_frame(f);
  }
  fetch_end(l, c); /* after its frames are gone */
  waiter_forget(l->waiter, c->sock);
  closer_close(l->closer, &c->sock, 1);
  free(c);
}

/* The deadline of a client with nothing queued: the rest of a request it
 * started, or a whole idle period. */
static long long next_deadline(const struct client *c, long long now)
{
  return now + (c->out || c->fetch || c->in_len ? REQUEST_MS : IDLE_MS);
}

/* Send what is queued, without blocking. FDPASS_OK also when some is left
 * (the client reads slowly); another status when the client is gone. */
static int flush(struct client *c)
{
  while (c->out) {
    struct out_frame *f = c->out;
    size_t len = f->len - f->pos;
    int status = fdpass_send_fds(c->sock, f->bytes + f->pos, &len, f->fds,
                                 f->nfds, FDPASS_NONBLOCK);
    if (status == FDPASS_EAGAIN)
      return FDPASS_OK;
    if (status != FDPASS_OK)
      return status;
    f->nfds = 0; /* the descriptors went with the first byte */
    f->pos += len;
    c->deadline = fdp_now_ms() + REQUEST_MS; /* it reads: more time */
    if (f->pos < f->len)
      return FDPASS_OK;
    c->out = f->next;
    free_frame(f);
  }
  c->out_last = NULL;
  c->deadline = next_deadline(c, fdp_now_ms());
  return FDPASS_OK;
}

/* Queue one frame: `header`, then `payload`, with `fds` (borrowed: see
 * above). FDPASS_ENOMEM when it cannot be. */
static int queue(struct client *c, const struct fdp_frame *header,
                 const void *payload, const int *fds, size_t nfds)
{
  size_t len = FDP_WIRE_HEADER + header->length;
  struct out_frame *f = malloc(sizeof *f + len);
  if (f == NULL)
    return FDPASS_ENOMEM;
  fdp_wire_encode(header, f->bytes);
  memcpy(f->bytes + FDP_WIRE_HEADER, payload, header->length);
  f->next = NULL;
  f->len = len;
  f->pos = 0;
  f->nfds = nfds;
  if (nfds > 0) /* fds may be NULL then */
    memcpy(f->fds, fds, nfds * sizeof *fds);
  *(c->out_last ? &c->out_last->next : &c->out) = f;
  c->out_last = f;
  c->deadline = fdp_now_ms() + REQUEST_MS;
  return FDPASS_OK;
}

/* A reply without descriptors or payload, or an FDPASS_ETRUNC reply with
 * the count and the size the names need. */
static int reply(struct client *c, unsigned op, int status,
                 size_t count, size_t names_size)
{
  struct fdp_frame f = {op, status, 0, 0, 0};
  unsigned char sizes[8];
  if (status == FDPASS_ETRUNC) {
    fdp_wire_put32(sizes, (uint32_t)count);
    fdp_wire_put32(sizes + 4, (uint32_t)names_size);
    f.length = sizeof sizes;
  }
  return queue(c, &f, sizes, NULL, 0);
}

/* ---- requests -------------------------------------------------------- */

/* Append `e`'s name `times` times to `out` at *len, joined by ':'. */
static void append_names(char *out, size_t *len, const struct entry *e,
                         size_t times)
{
  for (size_t i = 0; i < times; i++) {
    if (*len > 0)
      out[(*len)++] = ':';
    memcpy(out + *len, entry_name(e), e->name_len);
    *len += e->name_len;
  }
}

/* Queue the next frame of the client's fetch: up to FDPASS_MAX_FDS of its
 * descriptors with their names. The frames go out one after the other, so
 * that a fetch of the whole store holds one frame in memory at a time; the
 * fetch keeps its entries (store.h), so that a store or remove meanwhile
 * changes none of what it sends. */
static int fetch_next(struct loop *l, struct client *c)
{
  struct fetch *fe = c->fetch;
  if (fe->at == fe->n) { /* its last frame is out */
    fetch_end(l, c);
    c->deadline = next_deadline(c, fdp_now_ms());
    return FDPASS_OK;
  }
  char *names = l->names;
  int fds[FDPASS_MAX_FDS];
  size_t nfds = 0, len = 0;
  while (fe->at < fe->n && nfds < FDPASS_MAX_FDS) {
    const struct entry *e = fe->entries[fe->at];
    append_names(names, &len, e, 1);
    fds[nfds++] = e->fds[fe->fd];
    if (++fe->fd == e->nfds) {
      fe->fd = 0;
      fe->at++;
    }
  }
  fe->sent += nfds;
  int more = fe->at < fe->n;
  struct fdp_frame f = {FDP_OP_FETCH, FDPASS_OK, (unsigned)nfds,
                        more ? FDP_WIRE_MORE : 0, (uint32_t)len};
  int status = queue(c, &f, names, fds, nfds);
  if (status != FDPASS_OK)
    fetch_end(l, c);
  /* Frames gone out already: the client closes all it got (protocol.md). */
  return status == FDPASS_OK ? FDPASS_OK
                             : reply(c, FDP_OP_FETCH, status, 0, 0);
}

/* Fetch: the descriptors of one name, or the whole store when `len` is
 * 0, in frames of FDPASS_MAX_FDS (fetch_next). */
static int fetch(struct loop *l, struct client *c, const char *name,
                 size_t len, size_t cap, size_t names_size)
{
  struct fdp_store *s = l->store;
  struct entry *only = NULL;
  if (len > 0) {
    only = store_find(s, name, len);
    if (only == NULL)
      return reply(c, FDP_OP_FETCH, FDPASS_ENONAME, 0, 0);
  }
  size_t count = only ? only->nfds : s->nfds;
  size_t needed = only ? entry_names_bytes(only) : s->names_bytes;
  if (needed == 0)
    needed = 1;
  if (count > cap || needed > names_size)
    return reply(c, FDP_OP_FETCH, FDPASS_ETRUNC, count, needed);
  if (count == 0)
    return reply(c, FDP_OP_FETCH, FDPASS_OK, 0, 0);
  size_t n = only ? 1 : s->nentries;
  struct fetch *fe = calloc(1, sizeof *fe + n * sizeof fe->entries[0]);
  if (fe == NULL)
    return reply(c, FDP_OP_FETCH, FDPASS_ENOMEM, 0, 0);
  for (struct entry *e = only ? only : s->first; fe->n < n; e = e->next) {
    store_keep(e);
    fe->entries[fe->n++] = e;
  }
  c->fetch = fe; /* its frames are queued by serve_clients, one by one */
  return FDPASS_OK;
}

static int list(struct loop *l, struct client *c, size_t names_size)
{
  struct fdp_store *s = l->store;
  size_t needed = s->names_bytes ? s->names_bytes : 1;
  if (needed > names_size)
    return reply(c, FDP_OP_LIST, FDPASS_ETRUNC, s->nfds, needed);
  char *names = malloc(needed);
  if (names == NULL)
    return reply(c, FDP_OP_LIST, FDPASS_ENOMEM, 0, 0);
  size_t len = 0;
  for (struct entry *e = s->first; e; e = e->next)
    append_names(names, &len, e, e->nfds);
  struct fdp_frame f = {FDP_OP_LIST, FDPASS_OK, 0, 0, (uint32_t)len};
  int status = queue(c, &f, names, NULL, 0);
  free(names);
  return status;
}

/* May `uid` have `nfds` descriptors under `name`, replacing what is
 * there, within its share? Logs why not. */
static int within_share(struct loop *l, int64_t uid, const char *name,
                        size_t len, size_t nfds)
{
  if (uid == 0 || uid == (int64_t)geteuid())
    return 1;
  const struct entry *old = store_find(l->store, name, len);
  size_t mine = store_stored_by(l->store, uid);
  if (old && old->owner == uid)
    mine -= old->nfds; /* replaced */
  if (mine + nfds <= l->max_stored)
    return 1;
  log_line(l, "uid %lld may store no more than %zu descriptors",
           (long long)uid, l->max_stored);
  return 0;
}

/* Store what the client sent under `name`, within its uid's share. */
static int store(struct loop *l, struct client *c, const char *name,
                 size_t len, uint32_t lifetime_ms)
{
  if (!within_share(l, c->uid, name, len, c->nfds))
    return FDPASS_EMFILE;
  long long expires = lifetime_ms ? fdp_now_ms() + lifetime_ms : 0;
  int status = store_put(l->store, c->uid, name, len, c->fds, c->nfds,
                         expires);
  if (status == FDPASS_OK)
    c->nfds = 0; /* the store owns them now */
  return status;
}

static unsigned rules_of(const struct fdp_holder_access *a, int64_t uid,
                         int64_t gid, const char *name, size_t len);

/* May `uid` and `gid`, with `rights` on every name, do `op` on `name`
 * (`len` bytes; 0: the whole store)? */
static int may_as(const struct loop *l, unsigned rights, int64_t uid,
                  int64_t gid, unsigned op, const char *name, size_t len)
{
  return (rights & op) ||
         (rules_of(&l->h->access, uid, gid, name,
                   op == FDP_HOLDER_LIST ? (size_t)-1 : len) & op);
}

static int may(const struct loop *l, const struct client *c, unsigned op,
               const char *name, size_t len)
{
  return may_as(l, c->rights, c->uid, c->gid, op, name, len);
}

/* An upgrade in place (client.h). The first request of a client of the
 * holder's uid or root makes it the successor: it gets the listening
 * socket, every other client is disconnected (an answer it did not get
 * may be asked again of the new holder), and no other is accepted, so
 * that nothing is stored here that the successor would not fetch. The
 * successor's second request, once it fetched everything, ends the loop;
 * its hanging up before that resumes it. */
static int hand_over(struct loop *l, struct client *c)
{
  if (!c->privileged)
    return reply(c, FDP_OP_HAND_OVER, FDPASS_EACCES, 0, 0);
  if (l->successor == c) {
    l->leaving = 1;
    return reply(c, FDP_OP_HAND_OVER, FDPASS_OK, 0, 0);
  }
  for (size_t i = 0; i < l->n; i++)
    l->clients[i]->evicted = l->clients[i] != c;
  l->successor = c;
  log_line(l, "uid %lld takes over: handing it the listener and %zu "
           "descriptors", (long long)c->uid, l->store->nfds);
  /* The notify socket too: datagrams wait in it for the successor. */
  int sockets[2] = {l->h->listener, l->h->notify};
  size_t n = l->h->notify >= 0 ? 2 : 1;
  struct fdp_frame f = {FDP_OP_HAND_OVER, FDPASS_OK, (unsigned)n, 0, 0};
  return queue(c, &f, "", sockets, n);
}

static int carry_out(struct loop *l, struct client *c, const char *name,
                     size_t len, int lifetime, const unsigned char *payload);

/* Carry out the complete, well-formed request in c->in. */
static int serve_request(struct loop *l, struct client *c)
{
  const struct fdp_frame *f = &c->frame;
  const unsigned char *payload = c->in + FDP_WIRE_HEADER;
  int query = f->op == FDP_OP_FETCH || f->op == FDP_OP_LIST;
  int lifetime = f->op == FDP_OP_STORE && (f->flags & FDP_WIRE_LIFETIME);
  /* A query's capacities come first, a store's lifetime if it has one. */
  size_t skip = query ? 8 : lifetime ? 4 : 0;
  const char *name = (const char *)payload + skip;
  size_t len = f->length >= skip ? f->length - skip : 0;
  unsigned need = f->op == FDP_OP_STORE    ? FDP_HOLDER_STORE
                : f->op == FDP_OP_REMOVE ? FDP_HOLDER_REMOVE
                : f->op == FDP_OP_FETCH  ? FDP_HOLDER_FETCH
                : f->op == FDP_OP_LIST   ? FDP_HOLDER_LIST
                                         : RIGHT_WRITE; /* hand over */
  /* Store carries descriptors and a name; remove a name; fetch maybe a
   * name; list, hello and hand over none. */
  int named = len > 0 && fdp_name_is_valid(name, len);
  int nameless = f->op == FDP_OP_HELLO || f->op == FDP_OP_LIST ||
                 f->op == FDP_OP_HAND_OVER;
  unsigned allowed = f->op == FDP_OP_STORE ? FDP_WIRE_NEW | FDP_WIRE_LIFETIME
                                           : 0;
  int well_formed =
      f->length >= skip && f->status == 0 && !(f->flags & ~allowed) &&
      (f->op == FDP_OP_STORE ? f->nfds > 0 : f->nfds == 0) &&
      (nameless                ? len == 0
       : f->op == FDP_OP_FETCH ? len == 0 || named
                               : named);
  int status = FDPASS_OK;
  if (!well_formed || c->fds_bad == FDPASS_EPROTO)
    status = FDPASS_EPROTO;
  else if (f->op == FDP_OP_HELLO) /* well-formed: it brought nothing */
    return FDPASS_OK; /* never answered: it only says "no 1.1 handoff" */
  else if (!may(l, c, need, named ? name : "", named ? len : 0))
    status = FDPASS_EACCES;
  else if (c->fds_bad)
    status = c->fds_bad; /* no slot here for all of them */
  if (status == FDPASS_EPROTO)
    c->closing = 1;
  /* The reply waits until what the request drops is closed: what it
   * replaced or removed, and what it brought but did not store (after
   * EMFILE, a store that fits finds the slots free). */
  unsigned long long ticket = closer_ticket(l->closer);
  status = status != FDPASS_OK ? reply(c, f->op, status, 0, 0)
                               : carry_out(l, c, name, len, lifetime,
                                           payload);
  closer_close(l->closer, c->fds, c->nfds);
  c->nfds = 0;
  if (closer_ticket(l->closer) != ticket)
    c->close_ticket = closer_ticket(l->closer);
  return status;
}

/* The request in c->in, allowed and well-formed: store, remove, fetch or
 * list `name` (`len` bytes). */
static int carry_out(struct loop *l, struct client *c, const char *name,
                     size_t len, int lifetime, const unsigned char *payload)
{
  const struct fdp_frame *f = &c->frame;
  switch (f->op) {
  case FDP_OP_STORE:
    if ((f->flags & FDP_WIRE_NEW) && store_find(l->store, name, len))
      return reply(c, f->op, FDPASS_EADDRINUSE, 0, 0);
    return reply(c, f->op,
                 store(l, c, name, len,
                       lifetime ? fdp_wire_get32(payload) : 0),
                 0, 0);
  case FDP_OP_REMOVE:
    return reply(c, f->op, store_remove(l->store, name, len), 0, 0);
  case FDP_OP_HAND_OVER:
    return hand_over(l, c);
  case FDP_OP_FETCH:
    return fetch(l, c, name, len, fdp_wire_get32(payload),
                 fdp_wire_get32(payload + 4));
  default:
    return list(l, c, fdp_wire_get32(payload + 4));
  }
}

/* Read what the client sent, without blocking; serve each request as its
 * frame completes. Not FDPASS_OK: drop the client. */
static int receive(struct loop *l, struct client *c)
{
  while (!c->out && !c->fetch && !c->closing) {
    int have_header = c->in_len >= FDP_WIRE_HEADER;
    size_t want = have_header ? FDP_WIRE_HEADER + c->frame.length - c->in_len
                              : FDP_WIRE_HEADER - c->in_len;
    size_t len = want, nfds = FDPASS_MAX_FDS - c->nfds;
    int status = FDPASS_OK;
    if (want > 0) {
      status = fdpass_recv_fds(c->sock, c->in + c->in_len, &len,
                               c->fds + c->nfds, &nfds, FDPASS_NONBLOCK);
      if (status == FDPASS_EAGAIN)
        return FDPASS_OK;
      if (status == FDPASS_ETRUNC) { /* EMFILE here, or a surplus */
        c->fds_bad =
            fdpass_os_error() == EMFILE ? FDPASS_EMFILE : FDPASS_EPROTO;
        status = FDPASS_OK;
      }
      if (status != FDPASS_OK)
        return status;
      /* A frame's descriptors come with its first byte, nowhere else. */
      if (nfds > 0 && c->in_len > 0)
        c->fds_bad = FDPASS_EPROTO;
      c->nfds += nfds;
      c->in_len += len;
      if (!c->started || c->in_len == len)
        c->deadline = fdp_now_ms() + REQUEST_MS;
      c->started = 1;
    }
    if (!have_header && c->in_len == FDP_WIRE_HEADER) {
      if (fdp_wire_decode(c->in, &c->frame) != FDPASS_OK ||
          c->frame.length > FDP_WIRE_MAX_REQUEST) {
        log_line(l, "a client does not speak the protocol (dropped)");
        c->closing = 1;
        return reply(c, FDP_OP_STORE, FDPASS_EPROTO, 0, 0);
      }
      continue;
    }
    if (c->in_len < FDP_WIRE_HEADER ||
        c->in_len < FDP_WIRE_HEADER + c->frame.length)
      continue;
    /* A complete frame; its descriptors came with it or never will. */
    if (c->nfds != c->frame.nfds && !c->fds_bad)
      c->fds_bad = FDPASS_EPROTO;
    status = serve_request(l, c); /* it hands c->fds to the closer */
    c->fds_bad = 0;
    c->in_len = 0;
    c->deadline = next_deadline(c, fdp_now_ms());
    /* One request a pass: the next one (behind a hello, never answered)
     * may have come after this pass read the notify socket, and a
     * datagram sent before a request is applied before it (serve). */
    return status;
  }
  return FDPASS_OK;
}

/* ---- fdpass 1.1's one-message handoff -------------------------------- */

/* Send it to a client that asked nothing (store_wire.h), if it may read
 * and the store fits one message. */
static void legacy_handoff(struct loop *l, struct client *c)
{
  struct fdp_store *s = l->store;
  c->legacy_at = 0;
  if (!may(l, c, FDP_HOLDER_FETCH, "", 0) || s->nfds == 0 ||
      s->nfds > FDPASS_MAX_FDS)
    return;
  char *message = malloc(1 + FDPASS_MAX_FDS * (FDP_NAME_MAX + 1));
  if (message == NULL)
    return;
  int fds[FDPASS_MAX_FDS];
  size_t nfds = 0, len = 0;
  for (struct entry *e = s->first; e; e = e->next) {
    append_names(message + 1, &len, e, e->nfds);
    memcpy(fds + nfds, e->fds, e->nfds * sizeof(int));
    nfds += e->nfds;
  }
  len = fdp_handoff_encode(message, len);
  /* Small enough for an idle socket's buffer: sent at once or not at all. */
  if (fdpass_send_fds(c->sock, message, &len, fds, nfds, FDPASS_NONBLOCK) ==
      FDPASS_OK)
    c->legacy_sent = len;
  free(message);
}

/* A client that got the handoff and read all of it, having sent nothing,
 * is a receiver of it: it waits for the end of the stream. One that sends
 * a request instead speaks this protocol: it is served on. */
static int read_the_handoff(const struct client *c)
{
#ifdef SIOCOUTQ
  int unread = 1, pending = 0;
  /* Unread first: a request sent before the handoff was read is here by
   * the time the handoff is gone. */
  if (ioctl(c->sock, SIOCOUTQ, &unread) != 0 || unread != 0)
    return 0;
  return ioctl(c->sock, FIONREAD, &pending) == 0 && pending == 0;
#else
  (void)c;
  return 1; /* no way to tell: hang up at once, as fdpass 1.1 did */
#endif
}

/* ---- clients --------------------------------------------------------- */

/* The rules that concern `uid` or `gid`: OR of their ops, those whose
 * prefix starts `name` when `len` is not (size_t)-1. */
static unsigned rules_of(const struct fdp_holder_access *a, int64_t uid,
                         int64_t gid, const char *name, size_t len)
{
  unsigned ops = 0;
  for (size_t i = 0; i < a->nrules; i++) {
    const struct fdp_holder_rule *r = &a->rules[i];
    size_t n = strlen(r->prefix);
    if (r->id == (r->is_gid ? gid : uid) &&
        (len == (size_t)-1 || (n <= len && memcmp(name, r->prefix, n) == 0)))
      ops |= r->ops;
  }
  return ops;
}

static unsigned rights_of(const struct fdp_holder_access *a, int64_t uid,
                          int64_t gid)
{
  if (uid == 0 || uid == (int64_t)geteuid())
    return RIGHT_READ | RIGHT_WRITE;
  unsigned rights = 0;
  for (size_t i = 0; i < a->nread_uids; i++)
    rights |= a->read_uids[i] == uid ? RIGHT_READ : 0;
  for (size_t i = 0; i < a->nwrite_uids; i++)
    rights |= a->write_uids[i] == uid ? RIGHT_WRITE : 0;
  for (size_t i = 0; i < a->nread_gids; i++)
    rights |= a->read_gids[i] == gid ? RIGHT_READ : 0;
  for (size_t i = 0; i < a->nwrite_gids; i++)
    rights |= a->write_gids[i] == gid ? RIGHT_WRITE : 0;
  return rights;
}

static size_t connections_of(const struct loop *l, int64_t uid)
{
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++)
    n += l->clients[i]->uid == uid;
  return n;
}

/* Tell a client it is refused (one frame, EACCES: the answer to whatever
 * it asks) and hand its connection to the closer. */
static void refuse(struct loop *l, int sock)
{
  unsigned char frame[FDP_WIRE_HEADER];
  struct fdp_frame f = {FDP_OP_HELLO, FDPASS_EACCES, 0, 0, 0};
  fdp_wire_encode(&f, frame);
  size_t len = sizeof frame; /* an empty socket buffer: it goes at once */
  (void)fdpass_send_fds(sock, frame, &len, NULL, 0, FDPASS_NONBLOCK);
  closer_close(l->closer, &sock, 1);
}

/* Accept one client; refuse (and log) one with no right at all, or over
 * its uid's share of the table. */
static int accept_client(struct loop *l)
{
  int sock;
  int status = fdpass_accept(l->h->listener, &sock);
  if (status != FDPASS_OK)
    return status;
  int64_t pid, uid, gid;
  status = fdpass_peer_credentials(sock, &pid, &uid, &gid);
  unsigned rights =
      status == FDPASS_OK ? rights_of(&l->h->access, uid, gid) : 0;
  int privileged = rights && (uid == 0 || uid == (int64_t)geteuid());
  int ruled = status == FDPASS_OK &&
              rules_of(&l->h->access, uid, gid, "", (size_t)-1) != 0;
  if (status != FDPASS_OK) {
    log_line(l, "refused a client of unknown identity: %s",
             fdpass_strerror(status));
  } else if (rights == 0 && !ruled) {
    log_line(l, "refused process %lld of uid %lld (no right to read or "
             "write)", (long long)pid, (long long)uid);
  } else if (l->n == MAX_CLIENTS ||
             (!privileged && (l->n >= MAX_CLIENTS - RESERVED ||
                              connections_of(l, uid) >=
                                  l->max_connections))) {
    log_line(l, "refused process %lld of uid %lld (%s)", (long long)pid,
             (long long)uid,
             l->n >= MAX_CLIENTS - RESERVED ? "too many clients"
                                            : "too many clients of its uid");
    rights = 0;
    ruled = 0;
  }
  if (rights == 0 && !ruled) {
    refuse(l, sock);
    return FDPASS_OK;
  }
  struct client *c = calloc(1, sizeof *c);
  if (c == NULL) {
    closer_close(l->closer, &sock, 1);
    return FDPASS_ENOMEM;
  }
  long long now = fdp_now_ms();
  c->sock = sock;
  c->rights = rights;
  c->uid = uid;
  c->gid = gid;
  c->privileged = privileged;
  c->deadline = now + IDLE_MS;
  c->legacy_at = l->h->legacy_ms >= 0 ? now + l->h->legacy_ms : 0;
  l->clients[l->n++] = c;
  return FDPASS_OK;
}

/* One datagram of systemd's notification protocol (notify.h), carried
 * out as a store or remove request of its sender would be, with its
 * rights and share. What is not stored goes to the closer. FDPASS_EAGAIN
 * when none was waiting. */
static int serve_notify(struct loop *l)
{
  struct fdp_notify n;
  const char *why;
  int status = fdp_notify_receive(l->h->notify, &n, &why);
  if (status == FDPASS_EAGAIN)
    return status;
  const struct fdp_notify_request *r = &n.request;
  size_t stored = 0;
  unsigned rights = rights_of(&l->h->access, n.uid, n.gid);
  if (status == FDPASS_OK &&
      ((r->store && !may_as(l, rights, n.uid, n.gid, FDP_HOLDER_STORE,
                            r->name, r->name_len)) ||
       (r->remove && !may_as(l, rights, n.uid, n.gid, FDP_HOLDER_REMOVE,
                             r->name, r->name_len)))) {
    status = FDPASS_EACCES;
    why = "no right to store or remove that name";
  }
  if (status == FDPASS_OK && r->remove) /* none there: so be it, as systemd */
    (void)store_remove(l->store, r->name, r->name_len);
  if (status == FDPASS_OK && r->store) {
    size_t fresh = store_new_files(l->store, r->name, r->name_len, n.fds,
                                   n.nfds);
    const struct entry *old = store_find(l->store, r->name, r->name_len);
    size_t total = (old ? old->nfds : 0) + fresh;
    if (fresh > 0 && total > FDPASS_MAX_FDS)
      why = "more than 253 descriptors under one name";
    else if (fresh > 0 && !within_share(l, n.uid, r->name, r->name_len, total))
      why = "over its uid's share";
    else if (fresh > 0)
      status = store_add(l->store, n.uid, r->name, r->name_len, n.fds, fresh);
    stored = why || status != FDPASS_OK ? 0 : fresh;
    status = why ? FDPASS_EINVAL : status;
  }
  if (status != FDPASS_OK)
    log_line(l, "notify: dropped a datagram of process %lld of uid %lld: %s",
             (long long)n.pid, (long long)n.uid,
             why ? why : fdpass_strerror(status));
  closer_close(l->closer, n.fds + stored, n.nfds - stored);
  return FDPASS_OK;
}

/* What is due for a quiet client at `now`: 1 when it is done with. */
static int tend(struct loop *l, struct client *c, long long now)
{
  if (c->started) {
    c->legacy_at = 0;
    c->legacy_sent = 0;
  } else if (c->legacy_at && c->legacy_at <= now) {
    legacy_handoff(l, c);
  } else if (c->legacy_sent && read_the_handoff(c)) {
    return 1;
  }
  return c->deadline <= now;
}

/* When tend() has something to do for `c`. */
static long long next_wake(const struct client *c, long long now)
{
  long long wake = c->deadline;
  if (!c->started && c->legacy_at && c->legacy_at < wake)
    wake = c->legacy_at;
  if (!c->started && c->legacy_sent && now + LEGACY_CHECK_MS < wake)
    wake = now + LEGACY_CHECK_MS;
  return wake;
}

/* ---- the loop -------------------------------------------------------- */

/* The poll slots: the stop pipe, the listener, the closer's pipe, the
 * notify socket, then one per client. A new input of the holder takes a
 * slot before SLOT_CLIENTS and a handler beside accept_client. */
enum { SLOT_STOP, SLOT_LISTENER, SLOT_CLOSER, SLOT_NOTIFY, SLOT_CLIENTS };

/* May c's queued reply go out: is what its request closed closed? */
static int reply_ready(struct loop *l, struct client *c)
{
  if (c->close_ticket && closer_done(l->closer, c->close_ticket))
    c->close_ticket = 0;
  return c->close_ticket == 0;
}

/* Serve the clients that poll found ready or that are due; drop the ones
 * that are done. */
static void serve_clients(struct loop *l, struct pollfd *polled,
                          long long now)
{
  for (size_t i = 0; i < l->n;) {
    struct client *c = l->clients[i];
    short ready = polled[SLOT_CLIENTS + i].revents;
    int ok = FDPASS_OK;
    if ((ready & POLLOUT) && reply_ready(l, c))
      ok = flush(c);
    if (ok == FDPASS_OK && (ready & (POLLIN | POLLHUP | POLLERR)) &&
        !c->out)
      ok = receive(l, c);
    if (ok == FDPASS_OK && c->out && reply_ready(l, c))
      ok = flush(c); /* a reply usually goes out at once */
    /* The next frame once the last is out. */
    while (ok == FDPASS_OK && c->fetch && !c->out) {
      ok = fetch_next(l, c);
      if (ok == FDPASS_OK)
        ok = flush(c);
    }
    int done = ok != FDPASS_OK || (c->closing && !c->out) || c->evicted ||
               tend(l, c, now);
    if (done && c == l->successor) { /* it did not take everything */
      l->successor = NULL;
      l->leaving = 0;
    }
    if (done) {
      drop_client(l, c);
      l->clients[i] = l->clients[--l->n];
      polled[SLOT_CLIENTS + i] = polled[SLOT_CLIENTS + l->n];
    } else {
      i++;
    }
  }
}

static int serve(struct loop *l, struct pollfd *polled)
{
  const struct fdp_holder *h = l->h;
  for (;;) {
    long long now = fdp_now_ms(), wake = now + IDLE_MS;
    if (l->lame_duck_until && (l->n == 0 || now >= l->lame_duck_until))
      return FDPASS_OK;
    int accepting = now >= l->accept_paused_until && !l->successor &&
                    !l->lame_duck_until;
    polled[SLOT_STOP] = (struct pollfd){
        .fd = l->lame_duck_until ? -1 : h->stop_fd, .events = POLLIN};
    polled[SLOT_LISTENER] = (struct pollfd){
        .fd = accepting ? h->listener : -1, .events = POLLIN};
    /* A reply waits for the closer to close what its request dropped. */
    polled[SLOT_CLOSER] = (struct pollfd){.fd = closer_fd(l->closer),
                                          .events = POLLIN};
    /* Once a successor took it, datagrams are its to read. */
    int notifying = h->notify >= 0 && !l->successor;
    polled[SLOT_NOTIFY] = (struct pollfd){.fd = notifying ? h->notify : -1,
                                          .events = POLLIN};
    if (!accepting && l->accept_paused_until < wake)
      wake = l->accept_paused_until;
    for (size_t i = 0; i < l->n; i++) {
      struct client *c = l->clients[i];
      polled[SLOT_CLIENTS + i] = (struct pollfd){
          .fd = c->sock,
          .events = (short)(c->close_ticket ? 0
                            : c->out       ? POLLOUT
                            : c->closing   ? 0
                                           : POLLIN)};
      long long due = next_wake(c, now);
      if (due < wake)
        wake = due;
    }
    int closing = closer_watch(l->closer, now);
    if (closing >= 0 && now + closing < wake)
      wake = now + closing;
    if (l->lame_duck_until && l->lame_duck_until < wake)
      wake = l->lame_duck_until;
    if (l->log_suppressed && l->log_window + 1000 < wake)
      wake = l->log_window + 1000;
    if (l->store->next_expiry && l->store->next_expiry < wake)
      wake = l->store->next_expiry;
    int timeout = wake <= now ? 0 : (int)(wake - now);
    if (waiter_wait(l->waiter, polled, SLOT_CLIENTS + l->n, timeout) < 0 &&
        errno != EINTR)
      return errno == ENOMEM ? FDPASS_ENOMEM : FDPASS_EINVAL;
    now = fdp_now_ms();
    if (polled[SLOT_CLOSER].revents)
      closer_drain(l->closer);
    if (polled[SLOT_STOP].revents) {
      if (h->lame_duck_ms <= 0 || l->n == 0)
        return FDPASS_OK;
      l->lame_duck_until = now + h->lame_duck_ms;
      log_line(l, "stopping: serving the %zu clients connected for %d ms "
               "at most, accepting no more", l->n, h->lame_duck_ms);
    }
    log_catch_up(l, now);
    store_expire(l->store, now);
    /* Every datagram queued before a request is applied before it (a
     * daemon stores, exits, and the next one fetches), even one that came
     * as poll returned; a flood waits its turn. */
    for (int i = 0; notifying && i < NOTIFY_BATCH; i++)
      if (serve_notify(l) == FDPASS_EAGAIN)
        break;
    /* Serve the clients first: the array changes below. */
    serve_clients(l, polled, now);
    if (l->leaving && !l->successor->out) {
      if (h->handed_over)
        *h->handed_over = 1;
      return FDPASS_OK;
    }
    /* Not once a successor is taking over (hand_over): since the poll. */
    if ((polled[SLOT_LISTENER].revents & POLLIN) && !l->successor) {
      int status = accept_client(l);
      /* Only a broken listener ends the holder; anything else (no slot, no
       * memory, a client gone before it was accepted) pauses accepting. */
      if (status == FDPASS_EBADF || status == FDPASS_ENOTSOCK ||
          status == FDPASS_EINVAL)
        return status;
      if (status != FDPASS_OK)
        l->accept_paused_until = now + ACCEPT_PAUSE_MS;
    }
  }
}

int fdp_holder_serve(const struct fdp_holder *h)
{
  struct loop *l = calloc(1, sizeof *l);
  struct pollfd *polled = calloc(SLOT_CLIENTS + MAX_CLIENTS, sizeof *polled);
  if (l == NULL || polled == NULL) {
    free(l);
    free(polled);
    return FDPASS_ENOMEM;
  }
  l->h = h;
  l->store = h->store;
  l->waiter = waiter_new();
  if (l->waiter == NULL) {
    free(l);
    free(polled);
    return FDPASS_ENOMEM;
  }
  l->closer = closer_start();
  l->store->closer = l->closer;
  l->max_connections =
      h->max_connections ? h->max_connections : FDP_HOLDER_CONNECTIONS;
  l->max_stored = h->max_stored ? h->max_stored : FDP_HOLDER_STORED;
  if (h->serving)
    h->serving(h->serving_context);
  int status = serve(l, polled);
  for (size_t i = 0; i < l->n; i++)
    drop_client(l, l->clients[i]);
  if (l->leaving)
    log_line(l, "handed over to the new holder");
  else if (l->store->nfds > 0)
    log_line(l, "stopping: %zu descriptors under %zu names are dropped",
             l->store->nfds, l->store->nentries);
  l->log_window = 0;
  log_catch_up(l, fdp_now_ms());
  l->store->closer = NULL;
  closer_stop(l->closer);
  waiter_free(l->waiter);
  free(polled);
  free(l);
  return status;
}
