/* SPDX-License-Identifier: MIT */
/*
 * holder.h - the descriptor holder, a component of its own over the public
 * API and the store's wire codec: a store of named descriptors and the
 * loop that serves it (docs/protocol.md). `fdpass hold` is a thin layer
 * over it; the tests, the fuzzer and the benchmark run it too. Not part
 * of the library. POSIX only.
 */
#ifndef FDPASS_HOLDER_H
#define FDPASS_HOLDER_H

#include <stddef.h>
#include <stdint.h>

struct fdp_store;

/* An empty store; NULL when out of memory. */
struct fdp_store *fdp_store_new(void);

/* Close every stored descriptor and free the store. */
void fdp_store_free(struct fdp_store *s);

/* Store `fds` (1..FDPASS_MAX_FDS) under `name` (`len` bytes), replacing
 * what was there (the name keeps its place in the order). On success the
 * store owns `fds`; on failure (FDPASS_EINVAL for a bad name or count,
 * FDPASS_ENOMEM) the caller still does. */
int fdp_store_put(struct fdp_store *s, const char *name, size_t len,
                  const int *fds, size_t nfds);

/* How many descriptors are stored. */
size_t fdp_store_count(const struct fdp_store *s);

/* Who may do what besides the holder's own uid and root, which may do
 * everything. Read: fetch and list; write: store and remove. A gid
 * matches the client's effective gid. */
struct fdp_holder_access {
  const int64_t *read_uids, *write_uids, *read_gids, *write_gids;
  size_t nread_uids, nwrite_uids, nread_gids, nwrite_gids;
  const struct fdp_holder_rule *rules;
  size_t nrules;
};

/* Operations, as rules name them. */
#define FDP_HOLDER_STORE 1
#define FDP_HOLDER_FETCH 2
#define FDP_HOLDER_REMOVE 4
#define FDP_HOLDER_LIST 8

/* A rule, beside the rights above: the uid `id` (or, with `is_gid`, the
 * effective gid) may do `ops` (FDP_HOLDER_*) on the names that start with
 * `prefix` ("": every name, which fetching the whole store needs).
 * Listing is of every name. */
struct fdp_holder_rule {
  int64_t id;
  int is_gid;
  unsigned ops;
  const char *prefix;
};

struct fdp_holder {
  int listener;   /* a listening local socket */
  int stop_fd;    /* serve until this is readable (-1: forever) */
  /* Then, a lame duck for at most this many milliseconds: accept no one,
   * but serve the clients connected until they hang up (0: stop at once,
   * hanging up on them). */
  int lame_duck_ms;
  /* A socket of fdp_notify_bind (notify.h): systemd's notification
   * protocol, whose FDSTORE=1 and FDSTOREREMOVE=1 store and remove as
   * their sender would with a request (-1: none). */
  int notify;
  struct fdp_store *store;
  struct fdp_holder_access access;
  /* A client that sends nothing at all (not even a hello) within this
   * many milliseconds gets the one-message handoff of every descriptor,
   * as IO::FDPass receivers and fdpass 1.1 expect, and is disconnected
   * once it has read it; -1: never. One that speaks this protocol later
   * is served all the same (its client functions skip the handoff). */
  int legacy_ms;
  /* What one uid other than root and the holder's own may use: clients
   * connected at once, and descriptors stored (0: the defaults,
   * FDP_HOLDER_CONNECTIONS and FDP_HOLDER_STORED). */
  size_t max_connections, max_stored;
  /* Set to 1 (may be NULL) when the holder stopped because a new one took
   * its listening socket and everything it stores (an upgrade in place,
   * client.h): the socket file is the new holder's then. */
  int *handed_over;
  /* What the holder refuses and why, one line each, at most a few per
   * second with a count of the lines left out (may be NULL). Called on
   * the loop, so it must not wait: `fdpass hold` hands each line to a
   * thread that writes stderr (cli/holder_log.c). */
  void (*log)(void *context, const char *text);
  void *log_context;
  /* Called once the holder serves, its closer thread and descriptors in
   * place, before it waits for its first client (may be NULL): a parent
   * that counts its descriptors from then on sees all of them. */
  void (*serving)(void *context);
  void *serving_context;
};

#define FDP_HOLDER_CONNECTIONS 64
#define FDP_HOLDER_STORED 1000

/* Serve store, fetch, list and remove to any number of clients at once,
 * until h->stop_fd becomes readable: FDPASS_OK then. Each client has
 * deadlines, so one that stalls delays no other, and no descriptor that
 * came from a client is closed on the loop (closer.h: a thread does it;
 * this installs a handler for SIGURG meanwhile), but for a socket the
 * holder keeps open through another descriptor (store.c), whose close
 * cannot wait. A failure of one client
 * ends that client only; the listener failing returns its status. Root
 * and the holder's own uid are served even when other uids fill the
 * table. */
int fdp_holder_serve(const struct fdp_holder *h);

#endif
