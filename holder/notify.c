/* SPDX-License-Identifier: MIT */
/*
 * notify.c - systemd's notification protocol, received: see notify.h and
 * docs/protocol.md. A sender is known only by the credentials the kernel
 * attaches (SO_PASSCRED); nothing it writes identifies it.
 */
#define _GNU_SOURCE

#include "notify.h"

#include "store_wire.h" /* fdp_name_is_valid */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int is_line(const char *line, size_t len, const char *text)
{
  return len == strlen(text) && memcmp(line, text, len) == 0;
}

int fdp_notify_parse(const char *text, size_t len,
                     struct fdp_notify_request *r, const char **why)
{
  static const char fdname[] = "FDNAME=";
  const size_t prefix = sizeof fdname - 1;
  *r = (struct fdp_notify_request){0};
  const char *name = NULL;
  size_t name_len = 0;
  if (memchr(text, '\0', len)) {
    *why = "a NUL byte in the datagram";
    return FDPASS_EPROTO;
  }
  for (size_t at = 0; at < len;) {
    const char *line = text + at;
    const char *end = memchr(line, '\n', len - at);
    size_t n = end ? (size_t)(end - line) : len - at;
    at += n + 1;
    if (is_line(line, n, "FDSTORE=1"))
      r->store = 1;
    else if (is_line(line, n, "FDSTOREREMOVE=1"))
      r->remove = 1;
    else if (!name && n >= prefix && !memcmp(line, fdname, prefix)) {
      name = line + prefix; /* the first counts, as in systemd */
      name_len = n - prefix;
    }
  }
  if (r->remove && !name) {
    *why = "FDSTOREREMOVE=1 without FDNAME=";
    return FDPASS_EPROTO;
  }
  if ((r->store || r->remove) && name && !fdp_name_is_valid(name, name_len)) {
    *why = "FDNAME= is not a valid name";
    return FDPASS_EPROTO;
  }
  r->name = name ? name : FDP_NOTIFY_DEFAULT_NAME;
  r->name_len = name ? name_len : strlen(FDP_NOTIFY_DEFAULT_NAME);
  return FDPASS_OK;
}

#ifdef SCM_CREDENTIALS

/* Keep what a control message brought: descriptors, credentials. */
static void take_control(struct msghdr *m, struct fdp_notify *n, int *known)
{
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level != SOL_SOCKET)
      continue;
    if (c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
        if (n->nfds < FDPASS_MAX_FDS)
          n->fds[n->nfds++] = fd;
        else
          close(fd); /* never: the kernel sends at most SCM_MAX_FD */
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS &&
               c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      struct ucred u;
      memcpy(&u, CMSG_DATA(c), sizeof u);
      n->pid = u.pid;
      n->uid = u.uid;
      n->gid = u.gid;
      *known = 1;
    }
  }
}

int fdp_notify_receive(int sock, struct fdp_notify *n, const char **why)
{
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct ucred)) +
               CMSG_SPACE(FDPASS_MAX_FDS * sizeof(int))];
  } control;
  struct iovec iov = {n->text, FDP_NOTIFY_MAX};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = control.bytes,
                     .msg_controllen = sizeof control.bytes};
  n->nfds = 0;
  n->pid = n->uid = n->gid = -1;
  *why = NULL;
  ssize_t got;
  do
    got = recvmsg(sock, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  while (got < 0 && errno == EINTR);
  if (got < 0)
    return errno == EAGAIN || errno == EWOULDBLOCK ? FDPASS_EAGAIN
           : errno == ENOMEM || errno == ENOBUFS   ? FDPASS_ENOMEM
                                                   : FDPASS_ESYS;
  int known = 0;
  take_control(&m, n, &known);
  n->text[got] = '\0';
  if (m.msg_flags & MSG_TRUNC)
    *why = "longer than 4096 bytes";
  else if (m.msg_flags & MSG_CTRUNC)
    *why = "descriptors lost in transit";
  else if (!known)
    *why = "no credentials came with it";
  if (*why)
    return FDPASS_EPROTO;
  int status = fdp_notify_parse(n->text, (size_t)got, &n->request, why);
  if (status == FDPASS_OK && n->nfds > 0 && !n->request.store) {
    *why = "descriptors without FDSTORE=1";
    status = FDPASS_EPROTO;
  }
  return status;
}

/* Is the file at `path` a socket of ours that no socket is bound to? A
 * datagram connect is refused there exactly then. */
static int is_our_stale_socket(const char *path, const struct sockaddr_un *a,
                               socklen_t size)
{
  struct stat st;
  if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode) ||
      st.st_uid != geteuid())
    return 0;
  int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (probe < 0)
    return 0;
  int stale = connect(probe, (const struct sockaddr *)a, size) != 0 &&
              errno == ECONNREFUSED;
  close(probe);
  return stale;
}

static int fill_address(struct sockaddr_un *a, socklen_t *size,
                        const char *path)
{
  size_t n = strlen(path);
  *a = (struct sockaddr_un){.sun_family = AF_UNIX};
  if (n >= sizeof a->sun_path)
    return ENAMETOOLONG;
  memcpy(a->sun_path, path, n);
  if (path[0] == '@')
    a->sun_path[0] = '\0'; /* abstract: no final NUL */
  *size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
                      (path[0] != '@'));
  return 0;
}

/* Bind `sock` in a private directory beside `path`, give the file its
 * mode and group there, then link it to `path`: link never replaces a file
 * and never follows one. The directory is reached through its descriptor
 * once it is known to be ours, never through its name again, so nobody
 * who may write beside `path` can swap a link in under a chmod or chown. */
static int bind_in_place(int sock, const char *path, int mode, long long gid)
{
  const char *slash = strrchr(path, '/');
  int prefix = slash ? (int)(slash - path + 1) : 0;
  char dir[PATH_MAX], bound[64];
  if (snprintf(dir, sizeof dir, "%.*s.fdpXXXXXX", prefix, path) >=
      (int)sizeof dir)
    return ENAMETOOLONG;
  if (mkdtemp(dir) == NULL)
    return errno;
  int at = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;
  int rc = at < 0 ? errno : fstat(at, &st) != 0 ? errno : 0;
  if (rc == 0 && (st.st_uid != geteuid() || (st.st_mode & 077)))
    rc = EADDRINUSE; /* not the directory mkdtemp made: someone's swap */
  struct sockaddr_un a, in_place;
  socklen_t size, in_place_size;
  snprintf(bound, sizeof bound, "/proc/self/fd/%d/s", at);
  fill_address(&a, &size, bound);
  if (rc == 0)
    rc = fill_address(&in_place, &in_place_size, path);
  if (rc == 0 &&
      (bind(sock, (const struct sockaddr *)&a, size) != 0 ||
       (gid >= 0 &&
        fchownat(at, "s", (uid_t)-1, (gid_t)gid, AT_SYMLINK_NOFOLLOW) != 0) ||
       fchmodat(at, "s", (mode_t)mode, 0) != 0))
    rc = errno;
  if (rc == 0 && linkat(at, "s", AT_FDCWD, path, 0) != 0) {
    rc = errno;
    if (rc == EEXIST && is_our_stale_socket(path, &in_place, in_place_size) &&
        unlink(path) == 0)
      rc = linkat(at, "s", AT_FDCWD, path, 0) == 0 ? 0 : errno;
    if (rc == EEXIST)
      rc = EADDRINUSE;
  }
  if (at >= 0) {
    unlinkat(at, "s", 0);
    close(at);
  }
  rmdir(dir);
  return rc;
}

int fdp_notify_bind(const char *path, int mode, long long gid, int *out)
{
  struct sockaddr_un a;
  socklen_t size;
  if (path[0] == '\0' || !strcmp(path, "@"))
    return EINVAL;
  int rc = fill_address(&a, &size, path);
  if (rc != 0)
    return rc;
  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (sock < 0)
    return errno;
  int on = 1; /* before bind: no datagram ever comes without credentials */
  if (setsockopt(sock, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0)
    rc = errno;
  else if (path[0] == '@')
    rc = bind(sock, (const struct sockaddr *)&a, size) == 0 ? 0 : errno;
  else
    rc = bind_in_place(sock, path, mode, gid);
  if (rc != 0) {
    close(sock);
    return rc;
  }
  *out = sock;
  return 0;
}

#else /* no SCM_CREDENTIALS: no sender could be identified */

int fdp_notify_receive(int sock, struct fdp_notify *n, const char **why)
{
  (void)sock;
  n->nfds = 0;
  *why = "no credentials on this system";
  return FDPASS_ENOTSUP;
}

int fdp_notify_bind(const char *path, int mode, long long gid, int *sock)
{
  (void)path, (void)mode, (void)gid, (void)sock;
  return ENOTSUP;
}

#endif
