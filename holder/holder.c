/* SPDX-License-Identifier: MIT */
/*
 * holder.c - the holder: a store of named descriptors, and an event
 * loop (poll) that serves it to many clients at once. Every socket call is
 * non-blocking, and every client has a deadline for what it owes (the
 * rest of a request, reading its reply), so no client can hold up another.
 *
 * A request takes effect only once its frame is complete and checked: a
 * client that dies or stalls mid-request leaves nothing half-stored. A
 * reply that cannot go out at once is queued with duplicates of its
 * descriptors, so that a later store or remove cannot close them under it.
 */
#define _GNU_SOURCE

#include "holder.h"

#include <fdpass.h>

#include "deadline.h"
#include "store_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Milliseconds a client has for a request once it started one, and for
 * reading a reply; how long a connection may sit idle between requests. */
#define REQUEST_MS 5000
#define IDLE_MS 60000
/* After accept fails for want of descriptors, pause accepting this long
 * (the pending connection keeps the listener readable). */
#define ACCEPT_PAUSE_MS 100
#define MAX_CLIENTS 1024

/* ---- the store ------------------------------------------------------ */

struct entry {
  struct entry *next, *prev; /* the holder's order */
  struct entry *chain;       /* the next in this hash bucket */
  uint32_t hash;
  size_t nfds, name_len;
  int fds[]; /* then the name, not terminated */
};

static const char *entry_name(const struct entry *e)
{
  return (const char *)(e->fds + e->nfds);
}

struct fdp_store {
  struct entry *first, *last;
  struct entry **buckets;
  size_t nbuckets, nentries;
  size_t nfds;        /* descriptors stored */
  size_t names_bytes; /* their names joined by ':', with a final NUL */
};

static uint32_t hash_name(const char *name, size_t len)
{
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)name[i]) * 16777619u;
  return h;
}

struct fdp_store *fdp_store_new(void)
{
  struct fdp_store *s = calloc(1, sizeof *s);
  if (s == NULL)
    return NULL;
  s->nbuckets = 64;
  s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
  if (s->buckets == NULL) {
    free(s);
    return NULL;
  }
  return s;
}

static void close_fds(const int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

void fdp_store_free(struct fdp_store *s)
{
  if (s == NULL)
    return;
  for (struct entry *e = s->first, *next; e; e = next) {
    next = e->next;
    close_fds(e->fds, e->nfds);
    free(e);
  }
  free(s->buckets);
  free(s);
}

size_t fdp_store_count(const struct fdp_store *s)
{
  return s->nfds;
}

static struct entry **find(struct fdp_store *s, const char *name, size_t len,
                           uint32_t hash)
{
  struct entry **at = &s->buckets[hash & (s->nbuckets - 1)];
  for (; *at; at = &(*at)->chain)
    if ((*at)->hash == hash && (*at)->name_len == len &&
        memcmp(entry_name(*at), name, len) == 0)
      break;
  return at;
}

/* Double the buckets when the entries outnumber them, so that a lookup
 * costs the same among 10,000 names as among 1. */
static void grow(struct fdp_store *s)
{
  size_t n = s->nbuckets * 2;
  struct entry **buckets = calloc(n, sizeof *buckets);
  if (buckets == NULL)
    return; /* longer chains, still correct */
  for (struct entry *e = s->first; e; e = e->next) {
    e->chain = buckets[e->hash & (n - 1)];
    buckets[e->hash & (n - 1)] = e;
  }
  free(s->buckets);
  s->buckets = buckets;
  s->nbuckets = n;
}

static size_t entry_names_bytes(const struct entry *e)
{
  return e->nfds * (e->name_len + 1);
}

int fdp_store_put(struct fdp_store *s, const char *name, size_t len,
                  const int *fds, size_t nfds)
{
  if (!fdp_name_is_valid(name, len) || nfds == 0 || nfds > FDPASS_MAX_FDS)
    return FDPASS_EINVAL;
  struct entry *e = malloc(sizeof *e + nfds * sizeof(int) + len);
  if (e == NULL)
    return FDPASS_ENOMEM;
  e->hash = hash_name(name, len);
  e->nfds = nfds;
  e->name_len = len;
  memcpy(e->fds, fds, nfds * sizeof(int));
  memcpy((char *)(e->fds + nfds), name, len);
  struct entry **at = find(s, name, len, e->hash);
  struct entry *old = *at;
  e->chain = old ? old->chain : NULL;
  *at = e;
  if (old) { /* the new descriptors take the old ones' place */
    e->prev = old->prev;
    e->next = old->next;
    s->nfds -= old->nfds;
    s->names_bytes -= entry_names_bytes(old);
    close_fds(old->fds, old->nfds);
    free(old);
  } else {
    e->prev = s->last;
    e->next = NULL;
    s->nentries++;
  }
  *(e->prev ? &e->prev->next : &s->first) = e;
  *(e->next ? &e->next->prev : &s->last) = e;
  s->nfds += nfds;
  s->names_bytes += entry_names_bytes(e);
  if (s->nentries > s->nbuckets)
    grow(s);
  return FDPASS_OK;
}

static int store_remove(struct fdp_store *s, const char *name, size_t len)
{
  struct entry **at = find(s, name, len, hash_name(name, len));
  struct entry *e = *at;
  if (e == NULL)
    return FDPASS_ENONAME;
  *at = e->chain;
  *(e->prev ? &e->prev->next : &s->first) = e->next;
  *(e->next ? &e->next->prev : &s->last) = e->prev;
  s->nentries--;
  s->nfds -= e->nfds;
  s->names_bytes -= entry_names_bytes(e);
  close_fds(e->fds, e->nfds);
  free(e);
  return FDPASS_OK;
}

/* ---- clients -------------------------------------------------------- */

#define RIGHT_READ 1
#define RIGHT_WRITE 2

/* A frame waiting to go out, with duplicates of its descriptors. */
struct out_frame {
  struct out_frame *next;
  size_t len, pos, nfds;
  int *fds;
  unsigned char bytes[];
};

struct client {
  int sock, rights;
  int started;        /* a byte of a request has come */
  int closing;        /* close once the queued output is out */
  long long deadline; /* by when it must do what it owes */
  unsigned char in[FDP_WIRE_HEADER + FDP_WIRE_MAX_REQUEST];
  size_t in_len;
  struct fdp_frame frame; /* decoded once in_len covers the header */
  int fds[FDPASS_MAX_FDS];
  size_t nfds;
  int fds_lost; /* not every descriptor came: FDPASS_EMFILE (no slot
                   here) or FDPASS_EPROTO (more than a frame carries) */
  struct out_frame *out, *out_last;
};

static void log_text(const struct fdp_holder *h, const char *text)
{
  if (h->log)
    h->log(h->log_context, text);
}

static void drop_client(struct client *c)
{
  close_fds(c->fds, c->nfds);
  for (struct out_frame *f = c->out, *next; f; f = next) {
    next = f->next;
    close_fds(f->fds, f->nfds);
    free(f->fds);
    free(f);
  }
  close(c->sock);
  free(c);
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
    if (f->pos == 0) { /* the descriptors went with the first byte */
      close_fds(f->fds, f->nfds);
      f->nfds = 0;
    }
    f->pos += len;
    c->deadline = fdp_now_ms() + REQUEST_MS; /* it reads: more time */
    if (f->pos < f->len)
      return FDPASS_OK;
    c->out = f->next;
    free(f->fds);
    free(f);
  }
  c->out_last = NULL;
  return FDPASS_OK;
}

/* Queue one frame: `header`, then `payload`, with `fds` (borrowed:
 * duplicated). FDPASS_ENOMEM or FDPASS_EMFILE when it cannot be. */
static int queue(struct client *c, const struct fdp_frame *header,
                 const void *payload, const int *fds, size_t nfds)
{
  size_t len = FDP_WIRE_HEADER + header->length;
  struct out_frame *f = malloc(sizeof *f + len);
  int *dups = nfds ? malloc(nfds * sizeof *dups) : NULL;
  if (f == NULL || (nfds && dups == NULL)) {
    free(f);
    free(dups);
    return FDPASS_ENOMEM;
  }
  for (size_t i = 0; i < nfds; i++)
    if ((dups[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0)) < 0) {
      int code = errno == EMFILE || errno == ENFILE ? FDPASS_EMFILE
                                                    : FDPASS_ENOMEM;
      close_fds(dups, i);
      free(dups);
      free(f);
      return code;
    }
  fdp_wire_encode(header, f->bytes);
  memcpy(f->bytes + FDP_WIRE_HEADER, payload, header->length);
  f->next = NULL;
  f->len = len;
  f->pos = 0;
  f->nfds = nfds;
  f->fds = dups;
  *(c->out_last ? &c->out_last->next : &c->out) = f;
  c->out_last = f;
  c->deadline = fdp_now_ms() + REQUEST_MS;
  return FDPASS_OK;
}

/* A reply without descriptors or payload, or an FDPASS_ETRUNC reply with
 * the count and the size the names need. */
static int reply(struct client *c, unsigned op, int status, size_t count,
                 size_t names_size)
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

/* Fetch: one frame per FDPASS_MAX_FDS descriptors, each with their names;
 * the whole store when `len` is 0. */
static int fetch(struct client *c, struct fdp_store *s, const char *name,
                 size_t len, size_t cap, size_t names_size)
{
  struct entry *only = NULL;
  if (len > 0) {
    only = *find(s, name, len, hash_name(name, len));
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

  char *names = malloc(FDPASS_MAX_FDS * (FDP_NAME_MAX + 1));
  if (names == NULL)
    return reply(c, FDP_OP_FETCH, FDPASS_ENOMEM, 0, 0);
  int fds[FDPASS_MAX_FDS];
  size_t nfds = 0, names_len = 0, sent = 0;
  /* The frames go out only when all were queued: all or nothing. */
  struct out_frame *mark = c->out_last;
  int status = FDPASS_OK;
  for (struct entry *e = only ? only : s->first; e && status == FDPASS_OK;
       e = only ? NULL : e->next)
    for (size_t i = 0; i < e->nfds && status == FDPASS_OK; i++) {
      append_names(names, &names_len, e, 1);
      fds[nfds++] = e->fds[i];
      if (nfds == FDPASS_MAX_FDS || sent + nfds == count) {
        sent += nfds;
        struct fdp_frame f = {FDP_OP_FETCH, FDPASS_OK, (unsigned)nfds,
                              sent < count ? FDP_WIRE_MORE : 0,
                              (uint32_t)names_len};
        status = queue(c, &f, names, fds, nfds);
        nfds = names_len = 0;
      }
    }
  free(names);
  if (status != FDPASS_OK) { /* take back what was queued, then say why */
    struct out_frame **from = mark ? &mark->next : &c->out;
    for (struct out_frame *f = *from, *next; f; f = next) {
      next = f->next;
      close_fds(f->fds, f->nfds);
      free(f->fds);
      free(f);
    }
    *from = NULL;
    c->out_last = mark;
    return reply(c, FDP_OP_FETCH, status, 0, 0);
  }
  return FDPASS_OK;
}

static int list(struct client *c, struct fdp_store *s, size_t names_size)
{
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

/* Carry out the complete, well-formed request in c->in. */
static int serve_request(const struct fdp_holder *h, struct client *c)
{
  const struct fdp_frame *f = &c->frame;
  const unsigned char *payload = c->in + FDP_WIRE_HEADER;
  int writes = f->op == FDP_OP_STORE || f->op == FDP_OP_REMOVE;
  int query = f->op == FDP_OP_FETCH || f->op == FDP_OP_LIST;
  size_t skip = query ? 8 : 0; /* a query's capacities come first */
  const char *name = (const char *)payload + skip;
  size_t len = f->length >= skip ? f->length - skip : 0;
  int need = writes ? RIGHT_WRITE : RIGHT_READ;
  /* Store carries descriptors and a name; remove a name; fetch maybe a
   * name; list and hello none. */
  int named = len > 0 && fdp_name_is_valid(name, len);
  int well_formed =
      f->length >= skip && f->status == 0 && f->flags == 0 &&
      (f->op == FDP_OP_STORE ? f->nfds > 0 : f->nfds == 0) &&
      (f->op == FDP_OP_HELLO || f->op == FDP_OP_LIST ? len == 0
       : f->op == FDP_OP_FETCH ? len == 0 || named
                               : named);
  int status = FDPASS_OK;
  if (!well_formed)
    status = FDPASS_EPROTO;
  else if (f->op == FDP_OP_HELLO)
    return FDPASS_OK; /* never answered: it only says "no 1.1 handoff" */
  else if (!(c->rights & need))
    status = FDPASS_EACCES;
  else if (c->fds_lost)
    status = c->fds_lost; /* no slot here for all of them, or a surplus */
  if (status == FDPASS_EPROTO)
    c->closing = 1;
  if (status != FDPASS_OK)
    return reply(c, f->op, status, 0, 0);

  switch (f->op) {
  case FDP_OP_STORE:
    status = fdp_store_put(h->store, name, len, c->fds, c->nfds);
    if (status == FDPASS_OK)
      c->nfds = 0; /* the store owns them now */
    return reply(c, f->op, status, 0, 0);
  case FDP_OP_REMOVE:
    return reply(c, f->op, store_remove(h->store, name, len), 0, 0);
  case FDP_OP_FETCH:
    return fetch(c, h->store, name, len, fdp_wire_get32(payload),
                 fdp_wire_get32(payload + 4));
  default:
    return list(c, h->store, fdp_wire_get32(payload + 4));
  }
}

/* Read what the client sent, without blocking; serve each request as its
 * frame completes. Not FDPASS_OK: drop the client. */
static int receive(const struct fdp_holder *h, struct client *c)
{
  while (!c->out && !c->closing) {
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
        c->fds_lost =
            fdpass_os_error() == EMFILE ? FDPASS_EMFILE : FDPASS_EPROTO;
        status = FDPASS_OK;
      }
      if (status != FDPASS_OK)
        return status;
      c->nfds += nfds;
      c->in_len += len;
      if (!c->started || c->in_len == len)
        c->deadline = fdp_now_ms() + REQUEST_MS;
      c->started = 1;
    }
    if (!have_header && c->in_len == FDP_WIRE_HEADER) {
      if (fdp_wire_decode(c->in, &c->frame) != FDPASS_OK ||
          c->frame.length > FDP_WIRE_MAX_REQUEST) {
        log_text(h, "a client does not speak the protocol (dropped)");
        c->closing = 1;
        return reply(c, FDP_OP_STORE, FDPASS_EPROTO, 0, 0);
      }
      continue;
    }
    if (c->in_len < FDP_WIRE_HEADER ||
        c->in_len < FDP_WIRE_HEADER + c->frame.length)
      continue;
    /* A complete frame; its descriptors came with it or never will. */
    if (c->nfds != c->frame.nfds && !c->fds_lost) {
      c->closing = 1;
      status = reply(c, c->frame.op, FDPASS_EPROTO, 0, 0);
    } else {
      status = serve_request(h, c);
    }
    close_fds(c->fds, c->nfds);
    c->nfds = 0;
    c->fds_lost = 0;
    c->in_len = 0;
    c->deadline = fdp_now_ms() + (c->out ? REQUEST_MS : IDLE_MS);
    if (status != FDPASS_OK)
      return status;
  }
  return FDPASS_OK;
}

/* The one-message handoff of fdpass 1.1 for a client that asked nothing
 * (store_wire.h). */
static void legacy_handoff(const struct fdp_holder *h, struct client *c)
{
  struct fdp_store *s = h->store;
  if (!(c->rights & RIGHT_READ) || s->nfds == 0 ||
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
  (void)fdpass_send_fds(c->sock, message, &len, fds, nfds, FDPASS_NONBLOCK);
  free(message);
}

static int rights_of(const struct fdp_holder_access *a, int64_t uid,
                     int64_t gid)
{
  if (uid == 0 || uid == (int64_t)geteuid())
    return RIGHT_READ | RIGHT_WRITE;
  int rights = 0;
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

/* Accept one client; refuse (and log) one with no right at all. */
static int accept_client(const struct fdp_holder *h, struct client **out)
{
  int sock;
  int status = fdpass_accept(h->listener, &sock);
  if (status != FDPASS_OK)
    return status;
  int64_t pid, uid, gid;
  status = fdpass_peer_credentials(sock, &pid, &uid, &gid);
  int rights = status == FDPASS_OK ? rights_of(&h->access, uid, gid) : 0;
  if (rights == 0) {
    char text[160];
    if (status == FDPASS_OK)
      snprintf(text, sizeof text,
               "refused process %lld of uid %lld (no right to read or "
               "write)", (long long)pid, (long long)uid);
    else
      snprintf(text, sizeof text, "refused a client of unknown identity: %s",
               fdpass_strerror(status));
    log_text(h, text);
    close(sock);
    return FDPASS_OK;
  }
  struct client *c = calloc(1, sizeof *c);
  if (c == NULL) {
    close(sock);
    return FDPASS_ENOMEM;
  }
  c->sock = sock;
  c->rights = rights;
  c->deadline = fdp_now_ms() + (h->legacy_ms >= 0 ? h->legacy_ms : IDLE_MS);
  *out = c;
  return FDPASS_OK;
}

/* What a client whose deadline passed gets. */
static void expire(const struct fdp_holder *h, struct client *c)
{
  if (!c->started && !c->out && h->legacy_ms >= 0)
    legacy_handoff(h, c);
}

int fdp_holder_serve(const struct fdp_holder *h)
{
  struct client *clients[MAX_CLIENTS];
  struct pollfd polled[MAX_CLIENTS + 2];
  size_t n = 0;
  long long accept_paused_until = 0;
  int status = FDPASS_OK;
  for (;;) {
    long long now = fdp_now_ms(), wake = now + IDLE_MS;
    int accepting = n < MAX_CLIENTS && now >= accept_paused_until;
    polled[0] = (struct pollfd){.fd = h->stop_fd, .events = POLLIN};
    polled[1] = (struct pollfd){.fd = accepting ? h->listener : -1,
                                .events = POLLIN};
    if (!accepting && accept_paused_until > now && accept_paused_until < wake)
      wake = accept_paused_until;
    for (size_t i = 0; i < n; i++) {
      struct client *c = clients[i];
      polled[i + 2] = (struct pollfd){
          .fd = c->sock,
          .events = (short)(c->out ? POLLOUT : c->closing ? 0 : POLLIN)};
      if (c->deadline < wake)
        wake = c->deadline;
    }
    int timeout = wake <= now ? 0 : (int)(wake - now);
    if (poll(polled, n + 2, timeout) < 0 && errno != EINTR)
      return errno == ENOMEM ? FDPASS_ENOMEM : FDPASS_EINVAL;
    if (polled[0].revents)
      break;
    now = fdp_now_ms();
    /* Serve the clients first: the array changes below. */
    for (size_t i = 0; i < n;) {
      struct client *c = clients[i];
      short ready = polled[i + 2].revents;
      int ok = FDPASS_OK;
      if (ready & POLLOUT)
        ok = flush(c);
      if (ok == FDPASS_OK && (ready & (POLLIN | POLLHUP | POLLERR)) &&
          !c->out)
        ok = receive(h, c);
      if (ok == FDPASS_OK && c->out)
        ok = flush(c); /* a reply usually goes out at once */
      int done = ok != FDPASS_OK || (c->closing && !c->out);
      if (!done && c->deadline <= now) {
        expire(h, c);
        done = 1;
      }
      if (done) {
        drop_client(c);
        clients[i] = clients[--n];
        polled[i + 2] = polled[n + 2];
      } else {
        i++;
      }
    }
    if (polled[1].revents & POLLIN) {
      struct client *c = NULL;
      status = accept_client(h, &c);
      /* Only a broken listener ends the holder; anything else (no slot, no
       * memory, a client gone before it was accepted) pauses accepting. */
      if (status == FDPASS_EBADF || status == FDPASS_ENOTSOCK ||
          status == FDPASS_EINVAL)
        break;
      if (status != FDPASS_OK)
        accept_paused_until = now + ACCEPT_PAUSE_MS;
      else if (c)
        clients[n++] = c;
      status = FDPASS_OK;
    }
  }
  for (size_t i = 0; i < n; i++)
    drop_client(clients[i]);
  return status;
}
