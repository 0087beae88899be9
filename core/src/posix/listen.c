/* SPDX-License-Identifier: MIT */
/*
 * listen.c - local sockets at filesystem paths (or Linux abstract names)
 * for fdpass_listen and fdpass_connect. Paths are checked for NULL and
 * emptiness by the callers.
 *
 * Listening on a path never hangs, never disturbs a live server and never
 * unlinks or chmods what is not its own (docs/security.md):
 *  - bind creates the file atomically: a fresh path takes no lock, and of
 *    two starters only one binds;
 *  - a file in the way is replaced only if it is a socket that no socket
 *    is bound to (a datagram connect asks the kernel without connecting),
 *    under a claim that only the file's owner or root can take, and only
 *    that very file is deleted;
 *  - the file is born with its exact mode (bind runs in a thread with a
 *    umask of its own), or gets it before the socket listens, through a
 *    descriptor of the file proven to be the bound one (Linux's sock_diag).
 */
#include "posix.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <linux/inet_diag.h>
#include <sys/syscall.h>
#endif

/* How long fdpass_listen waits for another process replacing the same stale
 * socket file (it holds its claim for a few system calls). */
#define CLAIM_WAIT_MS 2000

struct address {
  struct sockaddr_un un;
  socklen_t size;
  int abstract;
  const char *path; /* NUL-terminated, unlike a full sun_path */
  int mode;         /* of the socket file, when listening on a path */
};

/* Fill `a` from `path`; '@name' is the Linux abstract namespace. */
static int make_address(const char *path, struct address *a)
{
  memset(a, 0, sizeof *a);
  a->un.sun_family = AF_UNIX;
  a->path = path;
  size_t room = sizeof a->un.sun_path;
  size_t n = strnlen(path, room + 1);
  a->abstract = path[0] == '@';
  if (a->abstract) {
#ifdef __linux__
    if (n == 1)
      return fdp_fail(FDPASS_EINVAL);
    if (n > room) /* sun_path holds a NUL, then the name */
      return fdp_fail(FDPASS_ENAMETOOLONG);
    memcpy(a->un.sun_path + 1, path + 1, n - 1);
    a->size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
#else
    return fdp_fail(FDPASS_ENOTSUP);
#endif
  } else {
#ifdef __linux__
    if (n > room) /* Linux takes a full sun_path without its NUL */
#else
    if (n >= room)
#endif
      return fdp_fail(FDPASS_ENAMETOOLONG);
    memcpy(a->un.sun_path, path, n);
    a->size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                          (n < room));
  }
  return FDPASS_OK;
}

/* connect(2), finishing a connection that a signal interrupted. */
static int connect_address(int sock, const struct address *a)
{
  const struct sockaddr *sa = (const struct sockaddr *)&a->un;
  if (connect(sock, sa, a->size) == 0)
    return FDPASS_OK;
  while (errno == EINTR) {
    if (connect(sock, sa, a->size) == 0 || errno == EISCONN)
      return FDPASS_OK;
  }
  if (errno != EALREADY && errno != EINPROGRESS)
    return fdp_fail_os(errno);
  /* The interrupted connection goes on in the background (BSD). */
  int rc = fdp_os_wait(sock, FDPASS_WRITABLE, -1);
  if (rc != FDPASS_OK)
    return rc;
  int error = 0;
  socklen_t size = sizeof error;
  if (getsockopt(sock, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
    return fdp_fail_os(errno);
  return error ? fdp_fail_os(error) : FDPASS_OK;
}

/* Is a socket bound to the file at the path, in any state and any network
 * namespace? A datagram connect asks the kernel without disturbing
 * anyone: it finds the socket by the file's inode, as clients do, and
 * reports a stream socket as the wrong type (EPROTOTYPE) before queueing
 * anything; ECONNREFUSED means no socket is bound. 1 stale, 0 bound (or
 * the kernel cannot say), or a negative status. */
static int probe_stale(const struct address *a)
{
  int probe;
  int rc = fdp_posix_socket(SOCK_DGRAM, &probe);
  if (rc != FDPASS_OK)
    return rc;
  int stale = 0;
  if (connect(probe, (const struct sockaddr *)&a->un, a->size) != 0) {
    if (errno == ECONNREFUSED || errno == ENOENT) /* ENOENT: gone */
      stale = 1;
    else if (errno == EACCES)
      stale = fdp_fail_os(errno);
  }
  close(probe);
  return stale;
}

static int same_inode(const struct stat *x, const struct stat *y)
{
  return x->st_dev == y->st_dev && x->st_ino == y->st_ino;
}

/* A name next to the path for the stale file `st`: `what` is "replacing"
 * (the claim) or "replaced" (where it is moved to). */
static void name_next_to(const struct address *a, const struct stat *st,
                         const char *what, char name[PATH_MAX])
{
  const char *slash = strrchr(a->path, '/');
  int prefix = slash ? (int)(slash - a->path + 1) : 0;
  snprintf(name, PATH_MAX, "%.*s.fdpass-%s-%llx-%llx", prefix, a->path,
           what, (unsigned long long)st->st_dev,
           (unsigned long long)st->st_ino);
}

/* rename(2) that fails with EEXIST instead of replacing `to`. */
static int rename_noreplace(const char *from, const char *to)
{
#ifdef SYS_renameat2
  return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to,
                      1 /* RENAME_NOREPLACE */);
#else
  return rename(from, to);
#endif
}

/* Another replacer holds the claim `claim` on the stale file `st`: wait
 * for it to finish (it takes a few system calls). FDPASS_OK to look
 * again, FDPASS_ETIMEDOUT after CLAIM_WAIT_MS (that replacer died), or
 * FDPASS_EADDRINUSE when something else has the claim's name. */
static int wait_for_claim(const char *claim, const struct stat *st)
{
  long long deadline = fdp_os_now_ms() + CLAIM_WAIT_MS;
  for (;;) {
    struct stat now;
    if (lstat(claim, &now) != 0)
      return errno == ENOENT ? FDPASS_OK : fdp_fail_os(errno);
    if (!same_inode(&now, st))
      return fdp_fail(FDPASS_EADDRINUSE);
    if (fdp_os_now_ms() >= deadline)
      return fdp_fail(FDPASS_ETIMEDOUT);
    struct timespec pause = {.tv_nsec = 2 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
}

/* Remove the stale socket file `st` from the path, and nothing else.
 * Replacers claim it first with a hard link under a name made from its
 * inode: link(2) creates that name atomically, so one replacer at a time
 * holds the claim, and only the file's owner or root can make it (Linux's
 * protected_hardlinks). The holder then moves what is at the path aside
 * and deletes it only if it is that file: something swapped in meanwhile
 * goes back, or stays where it was moved, never deleted. FDPASS_OK to
 * bind again. */
static int replace_stale(const struct address *a, const struct stat *st)
{
  char claim[PATH_MAX], moved[PATH_MAX];
  name_next_to(a, st, "replacing", claim);
  name_next_to(a, st, "replaced", moved);
  if (linkat(AT_FDCWD, a->path, AT_FDCWD, claim, 0) != 0) {
    if (errno == ENOENT)
      return FDPASS_OK; /* gone already */
    return errno == EEXIST ? wait_for_claim(claim, st) : fdp_fail_os(errno);
  }
  struct stat got;
  int rc = FDPASS_OK;
  if (lstat(claim, &got) != 0 || !same_inode(&got, st))
    ; /* the path changed since it was checked: look again */
  else if (rename_noreplace(a->path, moved) != 0)
    rc = errno == ENOENT   ? FDPASS_OK /* gone: look again */
         : errno == EEXIST ? fdp_fail(FDPASS_EADDRINUSE) /* planted */
         : errno == EINVAL ? fdp_fail_with(FDPASS_ESYS, errno) /* no flag */
                           : fdp_fail_os(errno);
  else if (lstat(moved, &got) == 0 && same_inode(&got, st))
    unlink(moved);
  else { /* not the stale file: give it its name back */
    if (linkat(AT_FDCWD, moved, AT_FDCWD, a->path, 0) == 0)
      unlink(moved);
    rc = fdp_fail(FDPASS_EADDRINUSE);
  }
  unlink(claim);
  return rc;
}

/* Make room at the path, where bind found something: a stale socket file
 * is removed (FDPASS_OK: bind again); anything else, a socket that is
 * bound, or one the library cannot tell about, is FDPASS_EADDRINUSE. The
 * file is held open (O_PATH) meanwhile, so that its inode number cannot
 * pass to a new file, such as another starter's socket, and be taken for
 * it. */
static int clear_path(const struct address *a)
{
  struct stat st;
#ifdef O_PATH
  int pin = open(a->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
#else
  int pin = -1; /* sockets cannot be opened otherwise */
#endif
  if ((pin >= 0 ? fstat(pin, &st) : lstat(a->path, &st)) != 0) {
    int error = errno;
    if (pin >= 0)
      close(pin);
    return error == ENOENT ? FDPASS_OK : fdp_fail_os(error);
  }
  int rc;
  if (!S_ISSOCK(st.st_mode))
    rc = fdp_fail(FDPASS_EADDRINUSE);
  else if ((rc = probe_stale(a)) >= 0)
    rc = rc ? replace_stale(a, &st) : fdp_fail(FDPASS_EADDRINUSE);
  if (pin >= 0)
    close(pin);
  return rc;
}

#ifdef __linux__
/* The inode number of the file `sock` is bound to, from sock_diag: 1 and
 * `*ino`, 0 when it is bound to none, -1 when sock_diag cannot tell. */
static int bound_inode(int sock, ino_t *ino)
{
  struct stat me;
  if (fstat(sock, &me) != 0)
    return -1;
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0)
    return -1;
  struct {
    struct nlmsghdr head;
    struct unix_diag_req req;
  } request = {
      .head = {.nlmsg_len = sizeof request,
               .nlmsg_type = SOCK_DIAG_BY_FAMILY,
               .nlmsg_flags = NLM_F_REQUEST},
      .req = {.sdiag_family = AF_UNIX,
              .udiag_ino = (uint32_t)me.st_ino,
              .udiag_show = UDIAG_SHOW_VFS,
              .udiag_cookie = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE}}};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  long buf[1024 / sizeof(long)]; /* aligned for nlmsghdr */
  ssize_t n = -1;
  if (sendto(nl, &request, sizeof request, 0, (struct sockaddr *)&kernel,
             sizeof kernel) == (ssize_t)sizeof request)
    do
      n = recv(nl, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
  close(nl);
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  if (n < 0 || !NLMSG_OK(h, (size_t)n) ||
      h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
    return -1; /* NLMSG_ERROR: cannot tell */
  struct unix_diag_msg *m = NLMSG_DATA(h);
  int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
  for (struct rtattr *at = (struct rtattr *)(m + 1); RTA_OK(at, len);
       at = RTA_NEXT(at, len)) {
    struct unix_diag_vfs vfs;
    if (at->rta_type == UNIX_DIAG_VFS && RTA_PAYLOAD(at) >= sizeof vfs) {
      memcpy(&vfs, RTA_DATA(at), sizeof vfs);
      *ino = vfs.udiag_vfs_ino;
      return 1;
    }
  }
  return 0;
}

/* Make sure the file `sock` is bound to has its exact mode, proving first
 * that the path names it: the file at the path is opened without following
 * a link and its inode number compared, so a file renamed over the path
 * after bind is never touched (FDPASS_EADDRINUSE). The number alone is
 * compared: sock_diag and stat may name different devices (overlayfs
 * without xino, btrfs subvolumes), but every name in one directory is on
 * one file system, where the bound file keeps its number to itself while
 * the socket holds it. A change goes through the descriptor. Where
 * sock_diag cannot tell, a file `born_exact` needs no change (one that is
 * not exact is someone else's), and any other is FDPASS_ENOTSUP. */
static int make_exact(int sock, const struct address *a, int born_exact)
{
  ino_t ino = 0;
  int known = bound_inode(sock, &ino);
  int fd = open(a->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? fdp_fail(FDPASS_EADDRINUSE) : fdp_fail_os(errno);
  struct stat st;
  char self[64];
  snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
  int rc = FDPASS_OK;
  if (fstat(fd, &st) != 0)
    rc = fdp_fail_os(errno);
  else if (known == 0 || !S_ISSOCK(st.st_mode) ||
           (known == 1 && st.st_ino != ino))
    rc = fdp_fail(FDPASS_EADDRINUSE);
  else if ((st.st_mode & 07777) == (mode_t)a->mode)
    ; /* exact already: nothing to change */
  else if (known < 0)
    rc = fdp_fail(born_exact ? FDPASS_EADDRINUSE : FDPASS_ENOTSUP);
  else if (chmod(self, (mode_t)a->mode) != 0)
    rc = fdp_fail_os(errno);
  close(fd);
  return rc;
}
#else
/* Without a way to name the file a socket is bound to: the path, if it is
 * still a socket, without following a link (docs/security.md). */
static int make_exact(int sock, const struct address *a, int born_exact)
{
  (void)sock, (void)born_exact;
  struct stat st;
  if (lstat(a->path, &st) != 0)
    return fdp_fail_os(errno);
  if (!S_ISSOCK(st.st_mode))
    return fdp_fail(FDPASS_EADDRINUSE);
  if ((st.st_mode & 07777) != (mode_t)a->mode &&
      fchmodat(AT_FDCWD, a->path, (mode_t)a->mode, AT_SYMLINK_NOFOLLOW) != 0)
    return fdp_fail_os(errno);
  return FDPASS_OK;
}
#endif

#ifdef CLONE_FS
struct binding {
  int sock;
  const struct address *a;
  int error; /* of bind; -1 when the umask could not be made private */
};

/* A helper thread's body: its own umask, 0, for its bind alone, so that the
 * file is made with the socket's mode exactly. */
static void *bind_without_umask(void *arg)
{
  struct binding *b = arg;
  if (unshare(CLONE_FS) != 0)
    return NULL;
  umask(0);
  b->error = bind(b->sock, (const struct sockaddr *)&b->a->un, b->a->size)
                 ? errno
                 : 0;
  return NULL;
}

/* bind(2) in a thread whose umask is 0: the file is born with `sock`'s
 * mode. 1 done (then 0 or -1 with errno as bind), 0 when threads or
 * unshare are refused (seccomp, e.g. containers). Signals stay blocked in
 * the thread, so none is handled there. */
static int bind_exactly(int sock, const struct address *a, int *result)
{
  struct binding b = {sock, a, -1};
  sigset_t all, old;
  sigfillset(&all);
  pthread_t thread;
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int started = pthread_create(&thread, NULL, bind_without_umask, &b) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (!started)
    return 0;
  pthread_join(thread, NULL);
  if (b.error < 0)
    return 0;
  errno = b.error;
  *result = b.error ? -1 : 0;
  return 1;
}
#else
static int bind_exactly(int sock, const struct address *a, int *result)
{
  (void)sock, (void)a, (void)result;
  return 0;
}
#endif

/* Bind `sock` at the path: bind creates the file atomically, so a fresh
 * path needs no lock, and two starters never both bind. Where something is
 * in the way, clear_path removes a stale socket file and bind tries again
 * (a few times: someone may keep putting stale files there). The socket's
 * own mode makes the file no more open than asked from its creation
 * (Linux); `*exact` tells whether the file was born with it exactly. */
static int bind_path(int sock, const struct address *a, int *exact)
{
  /* With the umask 0, a socket whose mode was not set (0777) would make a
   * file anyone may connect to. */
  int preset = fchmod(sock, (mode_t)a->mode) == 0;
  for (int tries = 0;; tries++) {
    int result;
    *exact = preset && bind_exactly(sock, a, &result);
    if (!*exact)
      result = bind(sock, (const struct sockaddr *)&a->un, a->size);
    if (result == 0)
      return FDPASS_OK;
    if (errno != EADDRINUSE)
      return fdp_fail_os(errno);
    if (tries == 3)
      return fdp_fail(FDPASS_EADDRINUSE);
    int rc = clear_path(a);
    if (rc != FDPASS_OK)
      return rc;
  }
}

/* Bind `sock` at the path, give the file its exact mode, then listen: until
 * listen nobody can connect, so nobody ever does under another mode. On
 * failure the file is left as a stale socket file, which the next call
 * replaces: removing it by name could remove someone else's. */
static int listen_at(int sock, const struct address *a)
{
  if (a->abstract) {
    if (bind(sock, (const struct sockaddr *)&a->un, a->size) != 0 ||
        listen(sock, SOMAXCONN) != 0)
      return fdp_fail_os(errno);
    return FDPASS_OK;
  }
  int exact;
  int rc = bind_path(sock, a, &exact);
  if (rc == FDPASS_OK)
    rc = make_exact(sock, a, exact);
  if (rc == FDPASS_OK && listen(sock, SOMAXCONN) != 0)
    rc = fdp_fail_os(errno);
  return rc;
}

/* A new local stream socket for `a`, set up by `setup` (listen_at or
 * connect_address); on failure nothing is left open and `*out` untouched. */
static int socket_at(const struct address *a, int *out,
                     int (*setup)(int sock, const struct address *a))
{
  int sock;
  int rc = fdp_posix_socket(SOCK_STREAM, &sock);
  if (rc != FDPASS_OK)
    return rc;
  rc = setup(sock, a);
  if (rc != FDPASS_OK) {
    close(sock);
    return rc;
  }
  *out = sock;
  return FDPASS_OK;
}

int fdp_os_listen(const char *path, int mode, int *listener)
{
  struct address a;
  int rc = make_address(path, &a);
  if (rc != FDPASS_OK)
    return rc;
  a.mode = mode;
  return socket_at(&a, listener, listen_at);
}

int fdp_os_connect(const char *path, int *sock)
{
  struct address a;
  int rc = make_address(path, &a);
  return rc != FDPASS_OK ? rc : socket_at(&a, sock, connect_address);
}
