/* SPDX-License-Identifier: MIT */
/*
 * listen.c - local sockets at filesystem paths (or Linux abstract names)
 * for fdpass_listen and fdpass_connect. Paths are checked for NULL and
 * emptiness by the callers.
 *
 * Listening on a path never hangs, never disturbs a live server and never
 * unlinks or chmods what is not its own (docs/security.md):
 *  - the whole sequence runs under an exclusive lock (flock) on the
 *    directory, so that two libfdpass users never both replace the same
 *    stale file;
 *  - the file gets its exact mode before the socket listens, without
 *    following a symbolic link, and on failure only the file that this
 *    call made is removed;
 *  - a file in the way is replaced only if it is a socket that no socket
 *    is bound to: Linux's sock_diag tells without connecting to it;
 *    elsewhere a non-blocking connect probes it.
 */
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/sysmacros.h>
#endif

/* How long fdpass_listen waits for another libfdpass user setting up a
 * socket in the same directory (it holds the lock for a few system calls). */
#define LOCK_WAIT_MS 2000

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

/* An exclusive lock on the directory `dir` (flock needs no file of its own,
 * so nothing is left behind). It is held for a few system calls; a holder
 * that keeps it longer than LOCK_WAIT_MS makes the call fail. A directory
 * that the caller may enter but not read is not locked. */
static int lock_directory(const char *dir, int *lock)
{
  *lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*lock < 0)
    return errno == EACCES ? FDPASS_OK : fdp_fail_os(errno);
  long long deadline = fdp_os_now_ms() + LOCK_WAIT_MS;
  while (flock(*lock, LOCK_EX | LOCK_NB) != 0) {
    int rc = FDPASS_OK;
    if (errno != EWOULDBLOCK && errno != EINTR)
      rc = fdp_fail_os(errno);
    else if (fdp_os_now_ms() >= deadline)
      rc = fdp_fail(FDPASS_ETIMEDOUT);
    if (rc != FDPASS_OK) {
      close(*lock);
      return rc;
    }
    struct timespec pause = {.tv_nsec = 2 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  return FDPASS_OK;
}

#ifdef __linux__
/* Is any socket bound to the file `st` (even one that does not listen yet)?
 * 1 yes, 0 no, -1 when sock_diag cannot tell (no netlink, no permission).
 * Sockets of other network namespaces are not seen. */
static int bound_by_sock_diag(const struct stat *st)
{
  int nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (nl < 0)
    return -1;
  struct {
    struct nlmsghdr head;
    struct unix_diag_req req;
  } request = {
      .head = {.nlmsg_len = sizeof request,
               .nlmsg_type = SOCK_DIAG_BY_FAMILY,
               .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
      .req = {.sdiag_family = AF_UNIX,
              .udiag_states = ~0u,
              .udiag_show = UDIAG_SHOW_VFS}};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  int result = -1;
  if (sendto(nl, &request, sizeof request, 0, (struct sockaddr *)&kernel,
             sizeof kernel) != (ssize_t)sizeof request)
    goto done;
  /* The kernel's own dev_t encoding (major << 20 | minor). */
  uint32_t dev = (uint32_t)(major(st->st_dev) << 20 | minor(st->st_dev));
  for (;;) {
    long buf[8192 / sizeof(long)]; /* aligned for nlmsghdr */
    ssize_t n = recv(nl, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      goto done;
    size_t left = (size_t)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        result = 0;
        goto done;
      }
      if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
        goto done; /* NLMSG_ERROR: cannot tell */
      struct unix_diag_msg *m = NLMSG_DATA(h);
      int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
      for (struct rtattr *at = (struct rtattr *)(m + 1); RTA_OK(at, len);
           at = RTA_NEXT(at, len)) {
        struct unix_diag_vfs vfs;
        if (at->rta_type != UNIX_DIAG_VFS || RTA_PAYLOAD(at) < sizeof vfs)
          continue;
        memcpy(&vfs, RTA_DATA(at), sizeof vfs);
        if (vfs.udiag_vfs_ino == st->st_ino && vfs.udiag_vfs_dev == dev) {
          result = 1;
          goto done;
        }
      }
    }
  }
done:
  close(nl);
  return result;
}
#endif

/* Where the OS cannot list bound sockets: a non-blocking connect. Refused
 * means nobody listens (a socket bound but not yet listening looks the
 * same: docs/security.md); a full backlog or a connection means alive.
 * 1 stale, 0 alive, or a negative status. */
static int probe_stale(const struct address *a)
{
  int probe;
  int rc = fdp_posix_socket(SOCK_STREAM, &probe);
  if (rc != FDPASS_OK)
    return rc;
  int stale;
  if (fcntl(probe, F_SETFL, O_NONBLOCK) != 0)
    stale = fdp_fail_os(errno);
  else if (connect(probe, (const struct sockaddr *)&a->un, a->size) == 0)
    stale = 0;
  else if (errno == ECONNREFUSED)
    stale = 1;
  else if (errno == EAGAIN || errno == EINPROGRESS || errno == EINTR)
    stale = 0;
  else
    stale = fdp_fail_os(errno);
  close(probe);
  return stale;
}

/* Is the file at the path a socket that nobody has bound? 1 stale, 0 not
 * (another kind of file, or alive), or a negative status. */
static int is_stale(const struct address *a)
{
  struct stat st;
  if (lstat(a->path, &st) != 0)
    return errno == ENOENT ? 1 : fdp_fail_os(errno); /* already gone */
  if (!S_ISSOCK(st.st_mode))
    return 0;
#ifdef __linux__
  int bound = bound_by_sock_diag(&st);
  if (bound >= 0)
    return !bound;
#endif
  return probe_stale(a);
}

/* Make room at the path: nothing there, or a stale socket file removed.
 * FDPASS_EADDRINUSE when something else or a live socket is there. */
static int clear_path(const struct address *a)
{
  int stale = is_stale(a);
  if (stale < 0)
    return stale;
  if (!stale)
    return fdp_fail(FDPASS_EADDRINUSE);
  if (unlink(a->path) != 0 && errno != ENOENT)
    return fdp_fail_os(errno);
  return FDPASS_OK;
}

/* Bind `sock` at the path, give the file its exact mode, then listen: until
 * listen nobody can connect, so nobody ever does under another mode. On
 * failure only the file this call made is removed. */
static int bind_exact(int sock, const struct address *a)
{
  /* Linux makes the file with the socket's mode less the umask: never
   * more open than asked, from the start. */
  (void)fchmod(sock, (mode_t)a->mode);
  if (bind(sock, (const struct sockaddr *)&a->un, a->size) != 0)
    return fdp_fail_os(errno);
  /* What bind made. If it is no socket any more, someone replaced it in
   * the moment since: theirs, not to be touched. */
  struct stat made;
  if (lstat(a->path, &made) != 0)
    return fdp_fail_os(errno);
  if (!S_ISSOCK(made.st_mode))
    return fdp_fail(FDPASS_EADDRINUSE);
  /* Exact whatever the umask, and never through a symbolic link. */
  int rc = FDPASS_OK;
  if ((made.st_mode & 07777) != (mode_t)a->mode &&
      fchmodat(AT_FDCWD, a->path, (mode_t)a->mode, AT_SYMLINK_NOFOLLOW) != 0)
    rc = fdp_fail_os(errno);
  if (rc == FDPASS_OK && listen(sock, SOMAXCONN) != 0)
    rc = fdp_fail_os(errno);
  struct stat now;
  if (rc != FDPASS_OK && lstat(a->path, &now) == 0 &&
      now.st_dev == made.st_dev && now.st_ino == made.st_ino)
    unlink(a->path);
  return rc;
}

static int listen_at(int sock, const struct address *a)
{
  if (a->abstract) {
    if (bind(sock, (const struct sockaddr *)&a->un, a->size) != 0 ||
        listen(sock, SOMAXCONN) != 0)
      return fdp_fail_os(errno);
    return FDPASS_OK;
  }
  char parent[PATH_MAX];
  const char *slash = strrchr(a->path, '/');
  int prefix = slash ? (int)(slash - a->path + 1) : 0;
  snprintf(parent, sizeof parent, "%.*s", prefix, a->path);
  int lock;
  int rc = lock_directory(prefix ? parent : ".", &lock);
  if (rc != FDPASS_OK)
    return rc;
  struct stat st;
  if (lstat(a->path, &st) == 0)
    rc = clear_path(a);
  else if (errno != ENOENT)
    rc = fdp_fail_os(errno);
  if (rc == FDPASS_OK)
    rc = bind_exact(sock, a);
  if (lock >= 0)
    close(lock);
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
