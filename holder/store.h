/* SPDX-License-Identifier: MIT */
/*
 * store.h - the holder's store of named descriptors (store.c), for the
 * loop (holder.c): the names in the order they were first stored, found
 * by hash, and what each uid stored. Internal to holder/.
 */
#ifndef FDPASS_HOLDER_STORE_H
#define FDPASS_HOLDER_STORE_H

#include <stddef.h>
#include <stdint.h>

struct closer;

struct entry {
  struct entry *next, *prev; /* the holder's order */
  struct entry *chain;       /* the next in this hash bucket */
  uint32_t hash;
  int64_t owner; /* the uid that stored it */
  long long expires; /* when it is closed and forgotten (0: never) */
  unsigned refs;  /* fetches streaming it, which keep it open */
  int gone;       /* removed or replaced: closed once refs is 0 */
  size_t nfds, name_len;
  int fds[]; /* then the name, not terminated */
};

/* Descriptors stored by one uid. */
struct usage {
  int64_t uid;
  size_t stored;
};

struct fdp_store {
  struct entry *first, *last;
  struct entry **buckets;
  size_t nbuckets, nentries;
  size_t nfds;        /* descriptors stored */
  size_t names_bytes; /* their names joined by ':', with a final NUL */
  struct usage *usage; /* per uid that has something stored */
  size_t nusage;
  struct closer *closer; /* closes what is replaced or removed (NULL: here) */
  long long next_expiry; /* the earliest `expires` there may be (0: none) */
};

const char *entry_name(const struct entry *e);

/* The bytes `e`'s names take in a list: one per descriptor, with ':'. */
size_t entry_names_bytes(const struct entry *e);

/* The entry stored under `name`, or NULL. */
struct entry *store_find(struct fdp_store *s, const char *name, size_t len);

/* fdp_store_put for `owner`, until `expires` (0: for good). */
int store_put(struct fdp_store *s, int64_t owner, const char *name,
              size_t len, const int *fds, size_t nfds, long long expires);

/* Close and forget what expired by `now` (a scan, only once something
 * may have). */
void store_expire(struct fdp_store *s, long long now);

/* Forget `name` and close its descriptors: FDPASS_OK or FDPASS_ENONAME. */
int store_remove(struct fdp_store *s, const char *name, size_t len);

/* Keep `e` (and its descriptors) for a fetch that streams it, even if it
 * is removed or replaced meanwhile; store_release gives it back. */
void store_keep(struct entry *e);
void store_release(struct fdp_store *s, struct entry *e);

/* Move to the front of `fds` those whose open file is neither stored
 * under `name` yet nor earlier in `fds`; how many. */
size_t store_new_files(struct fdp_store *s, const char *name, size_t len,
                       int *fds, size_t nfds);

/* Add `fds` after the descriptors stored under `name`, as systemd's store
 * does (store_put of all of them for `owner`): FDPASS_OK (the store owns
 * `fds`), FDPASS_EINVAL (more than FDPASS_MAX_FDS in all), FDPASS_EMFILE,
 * FDPASS_ENOMEM (the caller still owns `fds`). */
int store_add(struct fdp_store *s, int64_t owner, const char *name,
              size_t len, const int *fds, size_t nfds);

/* How many descriptors `uid` has stored. */
size_t store_stored_by(const struct fdp_store *s, int64_t uid);

#endif
