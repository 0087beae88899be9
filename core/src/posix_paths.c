/*
 * posix_paths.c - the platform layer's local sockets at filesystem paths
 * (or Linux abstract names) for fdpass_listen and fdpass_connect: POSIX
 * only. Paths are checked for NULL and emptiness by the callers.
 */
#include "internal.h"
#include "platform.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct address {
  struct sockaddr_un un;
  socklen_t size;
  int abstract;
  mode_t mode; /* of the socket file, when listening on a path */
};

/* Fill `a` from `path`; '@name' is the Linux abstract namespace. */
static int make_address(const char *path, struct address *a)
{
  memset(a, 0, sizeof *a);
  a->un.sun_family = AF_UNIX;
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
    if (n >= room)
      return fdp_fail(FDPASS_ENAMETOOLONG);
    memcpy(a->un.sun_path, path, n + 1);
    a->size = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
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

/* Is `path` a socket file that nobody listens on any more? */
static int is_stale_socket(const struct address *a)
{
  struct stat st;
  if (lstat(a->un.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode))
    return 0;
  int probe;
  if (fdp_os_socket(SOCK_STREAM, &probe) != FDPASS_OK)
    return 0;
  int stale = connect(probe, (const struct sockaddr *)&a->un, a->size) != 0 &&
              errno == ECONNREFUSED;
  fdp_os_close(probe);
  return stale;
}

static int bind_and_listen(int sock, const struct address *a)
{
  /* Linux creates the file with the socket's own mode less the umask, so
   * this keeps it private from the start; chmod below makes the mode exact
   * whatever the umask (and on systems where fchmod of a socket fails). */
  if (!a->abstract)
    (void)fchmod(sock, a->mode);
  if (bind(sock, (const struct sockaddr *)&a->un, a->size) != 0)
    return fdp_fail_os(errno);
  if (!a->abstract && chmod(a->un.sun_path, a->mode) != 0) {
    int rc = fdp_fail_os(errno);
    unlink(a->un.sun_path);
    return rc;
  }
  if (listen(sock, SOMAXCONN) != 0) {
    int rc = fdp_fail_os(errno);
    if (!a->abstract)
      unlink(a->un.sun_path);
    return rc;
  }
  return FDPASS_OK;
}

/* bind_and_listen, replacing a stale socket file once. */
static int listen_at(int sock, const struct address *a)
{
  int rc = bind_and_listen(sock, a);
  if (rc == FDPASS_EADDRINUSE && !a->abstract && is_stale_socket(a)) {
    unlink(a->un.sun_path);
    rc = bind_and_listen(sock, a);
  }
  return rc;
}

/* A new local stream socket for `path`, set up by `setup` (listen_at or
 * connect_address); on failure nothing is left open and `*out` untouched. */
static int socket_at(const char *path, mode_t mode, int *out,
                     int (*setup)(int sock, const struct address *a))
{
  struct address a;
  int rc = make_address(path, &a);
  if (rc != FDPASS_OK)
    return rc;
  a.mode = mode;
  int sock;
  rc = fdp_os_socket(SOCK_STREAM, &sock);
  if (rc != FDPASS_OK)
    return rc;
  rc = setup(sock, &a);
  if (rc != FDPASS_OK) {
    close(sock);
    return rc;
  }
  *out = sock;
  return FDPASS_OK;
}

int fdp_os_listen(const char *path, int mode, int *listener)
{
  return socket_at(path, (mode_t)mode, listener, listen_at);
}

int fdp_os_connect(const char *path, int *sock)
{
  return socket_at(path, 0, sock, connect_address);
}
