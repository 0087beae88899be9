/* SPDX-License-Identifier: MIT */
/* store.c - see store.h. */
#define _GNU_SOURCE

#include "holder.h"
#include "store.h"

#include <fdpass.h>

#include "closer.h"
#include "store_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/kcmp.h> /* KCMP_FILE */
#endif

const char *entry_name(const struct entry *e)
{
  return (const char *)(e->fds + e->nfds);
}

size_t entry_names_bytes(const struct entry *e)
{
  return e->nfds * (e->name_len + 1);
}

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

void fdp_store_free(struct fdp_store *s)
{
  if (s == NULL)
    return;
  for (struct entry *e = s->first, *next; e; e = next) {
    next = e->next;
    closer_close(s->closer, e->fds, e->nfds);
    free(e);
  }
  free(s->usage);
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

struct entry *store_find(struct fdp_store *s, const char *name, size_t len)
{
  return *find(s, name, len, hash_name(name, len));
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

static struct usage *usage_of(const struct fdp_store *s, int64_t uid)
{
  for (size_t i = 0; i < s->nusage; i++)
    if (s->usage[i].uid == uid)
      return &s->usage[i];
  return NULL;
}

size_t store_stored_by(const struct fdp_store *s, int64_t uid)
{
  const struct usage *u = usage_of(s, uid);
  return u ? u->stored : 0;
}

/* Count `e`'s descriptors for its owner (`sign` 1) or no longer (-1); a
 * uid with nothing stored leaves the table. */
static void account(struct fdp_store *s, const struct entry *e, int sign)
{
  struct usage *u = usage_of(s, e->owner);
  if (sign > 0)
    u->stored += e->nfds;
  else if ((u->stored -= e->nfds) == 0)
    *u = s->usage[--s->nusage];
}

/* May `fd` be closed on the loop, because it cannot wait? Only when
 * `keeper` holds the same open file, so that this close is not its last
 * (kcmp tells, without calling into any file system), and that file is a
 * socket: a close other than the last calls a file's flush operation,
 * which for a FUSE or NFS file can wait on a server, and sockets have
 * none. The common case it serves: a daemon storing again the socket it
 * fetched. */
static int close_is_quick(int fd, const struct entry *keeper)
{
#ifdef SYS_kcmp
  int type;
  socklen_t size = sizeof type;
  if (keeper == NULL ||
      getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) != 0)
    return 0;
  long self = (long)getpid();
  for (size_t i = 0; i < keeper->nfds; i++)
    if (syscall(SYS_kcmp, self, self, KCMP_FILE, (long)fd,
                (long)keeper->fds[i]) == 0)
      return 1;
#else
  (void)fd;
  (void)keeper;
#endif
  return 0;
}

/* Take `e` out of the counts; close its descriptors unless a fetch still
 * streams them: here those that `keeper` (what replaces `e`, or NULL)
 * proves quick to close, the others on the closer's thread. */
static void discard(struct fdp_store *s, struct entry *e,
                    const struct entry *keeper)
{
  s->nfds -= e->nfds;
  s->names_bytes -= entry_names_bytes(e);
  account(s, e, -1);
  e->gone = 1;
  if (e->refs > 0)
    return;
  size_t slow = 0;
  for (size_t i = 0; i < e->nfds; i++)
    if (close_is_quick(e->fds[i], keeper))
      close(e->fds[i]);
    else
      e->fds[slow++] = e->fds[i];
  closer_close(s->closer, e->fds, slow);
  free(e);
}

void store_keep(struct entry *e)
{
  e->refs++;
}

void store_release(struct fdp_store *s, struct entry *e)
{
  if (--e->refs == 0 && e->gone) {
    closer_close(s->closer, e->fds, e->nfds);
    free(e);
  }
}

int store_put(struct fdp_store *s, int64_t owner, const char *name,
              size_t len, const int *fds, size_t nfds, long long expires)
{
  if (!fdp_name_is_valid(name, len) || nfds == 0 || nfds > FDPASS_MAX_FDS)
    return FDPASS_EINVAL;
  struct entry *e = malloc(sizeof *e + nfds * sizeof(int) + len);
  if (e == NULL)
    return FDPASS_ENOMEM;
  if (usage_of(s, owner) == NULL) { /* room for the owner's count first */
    struct usage *grown =
        realloc(s->usage, (s->nusage + 1) * sizeof *grown);
    if (grown == NULL) {
      free(e);
      return FDPASS_ENOMEM;
    }
    s->usage = grown;
    s->usage[s->nusage++] = (struct usage){owner, 0};
  }
  e->hash = hash_name(name, len);
  e->owner = owner;
  e->expires = expires;
  if (expires && (!s->next_expiry || expires < s->next_expiry))
    s->next_expiry = expires;
  e->refs = 0;
  e->gone = 0;
  e->nfds = nfds;
  e->name_len = len;
  memcpy(e->fds, fds, nfds * sizeof(int));
  memcpy((char *)(e->fds + nfds), name, len);
  account(s, e, 1);
  struct entry **at = find(s, name, len, e->hash);
  struct entry *old = *at;
  e->chain = old ? old->chain : NULL;
  *at = e;
  if (old) { /* the new descriptors take the old ones' place */
    e->prev = old->prev;
    e->next = old->next;
    discard(s, old, e);
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

int fdp_store_put(struct fdp_store *s, const char *name, size_t len,
                  const int *fds, size_t nfds)
{
  return store_put(s, (int64_t)geteuid(), name, len, fds, nfds, 0);
}

void store_expire(struct fdp_store *s, long long now)
{
  if (!s->next_expiry || now < s->next_expiry)
    return;
  s->next_expiry = 0;
  for (struct entry *e = s->first, *next; e; e = next) {
    next = e->next;
    if (e->expires && e->expires <= now)
      store_remove(s, entry_name(e), e->name_len);
    else if (e->expires && (!s->next_expiry || e->expires < s->next_expiry))
      s->next_expiry = e->expires;
  }
}

int store_remove(struct fdp_store *s, const char *name, size_t len)
{
  struct entry **at = find(s, name, len, hash_name(name, len));
  struct entry *e = *at;
  if (e == NULL)
    return FDPASS_ENONAME;
  *at = e->chain;
  *(e->prev ? &e->prev->next : &s->first) = e->next;
  *(e->next ? &e->next->prev : &s->last) = e->prev;
  s->nentries--;
  discard(s, e, NULL);
  return FDPASS_OK;
}

/* The same open file, as systemd's store tells it: kcmp where it may be
 * asked, else the same device, inode and access mode (a pipe's two ends
 * share an inode, not a mode). */
static int same_file(int a, int b)
{
#ifdef SYS_kcmp
  long same = syscall(SYS_kcmp, (long)getpid(), (long)getpid(), KCMP_FILE,
                      (long)a, (long)b);
  if (same >= 0)
    return same == 0;
#endif
  struct stat x, y;
  return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev &&
         x.st_ino == y.st_ino &&
         (fcntl(a, F_GETFL) & O_ACCMODE) == (fcntl(b, F_GETFL) & O_ACCMODE);
}

size_t store_new_files(struct fdp_store *s, const char *name, size_t len,
                       int *fds, size_t nfds)
{
  const struct entry *e = store_find(s, name, len);
  size_t fresh = 0;
  for (size_t i = 0; i < nfds; i++) {
    int known = 0;
    for (size_t j = 0; e && !known && j < e->nfds; j++)
      known = same_file(fds[i], e->fds[j]);
    for (size_t j = 0; !known && j < fresh; j++)
      known = same_file(fds[i], fds[j]); /* twice in one batch */
    if (!known) { /* to the front */
      int fd = fds[fresh];
      fds[fresh++] = fds[i];
      fds[i] = fd;
    }
  }
  return fresh;
}

int store_add(struct fdp_store *s, int64_t owner, const char *name,
              size_t len, const int *fds, size_t nfds)
{
  const struct entry *old = store_find(s, name, len);
  size_t have = old ? old->nfds : 0;
  if (have + nfds > FDPASS_MAX_FDS)
    return FDPASS_EINVAL;
  int all[FDPASS_MAX_FDS];
  for (size_t i = 0; i < have; i++) /* the entry's go, their copies stay */
    if ((all[i] = fcntl(old->fds[i], F_DUPFD_CLOEXEC, 0)) < 0) {
      int code = errno == EMFILE || errno == ENFILE ? FDPASS_EMFILE
                                                    : FDPASS_ENOMEM;
      closer_close(s->closer, all, i);
      return code;
    }
  memcpy(all + have, fds, nfds * sizeof *fds);
  int status = store_put(s, owner, name, len, all, have + nfds,
                         old ? old->expires : 0); /* a lifetime stays */
  if (status != FDPASS_OK)
    closer_close(s->closer, all, have);
  return status;
}
