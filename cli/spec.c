/* SPDX-License-Identifier: MIT */
/*
 * spec.c - SPECs, the descriptors a user names on the command line:
 *   PATH, PATH:w, PATH:rw, PATH:a, PATH:trunc
 *                                   a file (read-only without a suffix;
 *                                   only :trunc truncates, as in systemd)
 *   fd:N                            the caller's descriptor N
 *   tcp:HOST:PORT, tcp6:[HOST]:PORT a listening TCP socket
 *   unix:PATH                       a listening local socket
 * each optionally preceded by NAME= for LISTEN_FDNAMES.
 */
#define _POSIX_C_SOURCE 200809L

#include "spec.h"
#include "handoff.h"
#include "report.h"

#include <fdpass.h>

#include "store_wire.h" /* names */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

enum kind { FILE_SPEC, FD_SPEC, TCP_SPEC, TCP6_SPEC, UNIX_SPEC };

struct spec {
  const char *text; /* as given, for messages */
  enum kind kind;
  char name[256];
  char target[PATH_MAX]; /* path, host or socket path */
  char port[6];
  int open_flags; /* FILE_SPEC */
  int truncate;   /* :trunc, truncated once the verb knows where it goes */
  int fd;         /* FD_SPEC */
};

static const struct {
  const char *suffix;
  int flags;
  int truncate;
} file_modes[] = {
  {":w", O_WRONLY | O_CREAT, 0},
  {":rw", O_RDWR | O_CREAT, 0},
  {":a", O_WRONLY | O_CREAT | O_APPEND, 0},
  {":trunc", O_WRONLY | O_CREAT, 1},
};

static int copy_target(struct spec *s, const char *from, size_t len)
{
  if (len == 0)
    return usage_error("bad spec '%s': empty path or host", s->text);
  if (len >= sizeof s->target)
    return usage_error("bad spec '%s': too long", s->text);
  memcpy(s->target, from, len);
  s->target[len] = '\0';
  return 0;
}

/* Decimal digits only, at most `max`; -1 if not. */
static long parse_number(const char *text, long max)
{
  long value = 0;
  if (*text == '\0')
    return -1;
  for (; *text; text++) {
    if (*text < '0' || *text > '9')
      return -1;
    value = value * 10 + (*text - '0');
    if (value > max)
      return -1;
  }
  return value;
}

/* "HOST:PORT" (IPv4) or "[HOST]:PORT" (IPv6); HOST may be empty (any). */
static int parse_host_port(struct spec *s, const char *text)
{
  const char *colon;
  const char *host = text;
  size_t host_len;
  if (s->kind == TCP6_SPEC) {
    const char *close = strchr(text, ']');
    if (text[0] != '[' || close == NULL || close[1] != ':')
      return usage_error("bad spec '%s': expected tcp6:[HOST]:PORT", s->text);
    host = text + 1;
    host_len = (size_t)(close - host);
    colon = close + 1;
  } else {
    colon = strrchr(text, ':');
    if (colon == NULL || memchr(text, ':', (size_t)(colon - text)))
      return usage_error("bad spec '%s': expected tcp:HOST:PORT "
                         "(tcp6:[HOST]:PORT for IPv6)", s->text);
    host_len = (size_t)(colon - text);
  }
  if (parse_number(colon + 1, 65535) < 0)
    return usage_error("bad spec '%s': the port must be 0 to 65535",
                       s->text);
  memcpy(s->port, colon + 1, strlen(colon + 1) + 1);
  if (host_len >= sizeof s->target)
    return usage_error("bad spec '%s': too long", s->text);
  memcpy(s->target, host, host_len);
  s->target[host_len] = '\0';
  return 0;
}

static int parse_spec(const char *text, struct spec *s)
{
  s->text = text;
  s->fd = -1;
  /* NAME= is a prefix without '/' or ':' before the first '='. */
  size_t prefix = strcspn(text, "=/:");
  if (text[prefix] == '=') {
    if (!fdp_name_is_valid(text, prefix))
      return usage_error("bad spec '%s': a name is 1 to 255 characters "
                         "from space to '~', without ':'", text);
    memcpy(s->name, text, prefix);
    s->name[prefix] = '\0';
    text += prefix + 1;
  } else {
    strcpy(s->name, FDP_UNNAMED);
  }

  if (strncmp(text, "fd:", 3) == 0) {
    s->kind = FD_SPEC;
    long fd = parse_number(text + 3, INT_MAX);
    if (fd < 0)
      return usage_error("bad spec '%s': expected fd:N", s->text);
    s->fd = (int)fd;
    return 0;
  }
  if (strncmp(text, "tcp:", 4) == 0) {
    s->kind = TCP_SPEC;
    return parse_host_port(s, text + 4);
  }
  if (strncmp(text, "tcp6:", 5) == 0) {
    s->kind = TCP6_SPEC;
    return parse_host_port(s, text + 5);
  }
  if (strncmp(text, "unix:", 5) == 0) {
    s->kind = UNIX_SPEC;
    return copy_target(s, text + 5, strlen(text + 5));
  }
  s->kind = FILE_SPEC;
  s->open_flags = O_RDONLY;
  size_t len = strlen(text);
  for (size_t i = 0; i < sizeof file_modes / sizeof file_modes[0]; i++) {
    size_t n = strlen(file_modes[i].suffix);
    if (len > n && strcmp(text + len - n, file_modes[i].suffix) == 0) {
      s->open_flags = file_modes[i].flags;
      s->truncate = file_modes[i].truncate;
      len -= n;
      break;
    }
  }
  return copy_target(s, text, len);
}

/* A listening TCP socket on the spec's host and port, SO_REUSEADDR. */
static int open_tcp(const struct spec *s, int *out)
{
  struct addrinfo hints = {0}, *address;
  hints.ai_family = s->kind == TCP6_SPEC ? AF_INET6 : AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  int rc = getaddrinfo(s->target[0] ? s->target : NULL, s->port, &hints,
                       &address);
  if (rc != 0)
    return rc == EAI_SYSTEM ? report_errno(s->text, errno)
                            : report(s->text, gai_strerror(rc));
  int one = 1;
  int fd = socket(address->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int ok = fd >= 0 &&
           setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
           /* IPv6 only, so that tcp: and tcp6: on one port can coexist. */
           (s->kind == TCP_SPEC ||
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) ==
                0) &&
           bind(fd, address->ai_addr, address->ai_addrlen) == 0 &&
           listen(fd, SOMAXCONN) == 0;
  int error = errno;
  freeaddrinfo(address);
  if (!ok) {
    if (fd >= 0)
      close(fd);
    return report_errno(s->text, error);
  }
  *out = fd;
  return 0;
}

/* A file, opened without blocking (a FIFO would wait for its other end)
 * and then made blocking as usual. */
static int open_file(const struct spec *s, int *out)
{
  int fd = open(s->target, s->open_flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                0666);
  if (fd < 0)
    return report_errno(s->text, errno);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
    int error = errno;
    close(fd);
    return report_errno(s->text, error);
  }
  *out = fd;
  return 0;
}

static int open_spec(const struct spec *s, int *fd)
{
  switch (s->kind) {
  case FD_SPEC:
    /* A copy of our own, so that every descriptor in a handoff is ours to
     * close and close-on-exec. */
    *fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0);
    return *fd < 0 ? report_errno(s->text, errno) : 0;
  case TCP_SPEC:
  case TCP6_SPEC:
    return open_tcp(s, fd);
  case UNIX_SPEC: {
    int status = fdpass_listen(s->target, fd);
    return status == FDPASS_OK ? 0 : report_status(s->text, status);
  }
  case FILE_SPEC:
    return open_file(s, fd);
  }
  return report(s->text, "unknown kind of spec");
}

/* fd:N first, before opening anything takes a number it could name; then
 * the rest. */
static int open_parsed(struct spec *specs, int n, int *fds)
{
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < n; i++)
      if ((specs[i].kind == FD_SPEC) == (pass == 0)) {
        int rc = open_spec(&specs[i], &fds[i]);
        if (rc != 0)
          return rc;
      }
  return 0;
}

int truncate_specs(struct handoff *h)
{
  for (size_t i = 0; i < h->ntruncate; i++) {
    struct stat st;
    if (h->truncate[i] && fstat(h->fds[i], &st) == 0 && S_ISREG(st.st_mode) &&
        ftruncate(h->fds[i], 0) != 0)
      return report_errno("truncating", errno);
    h->truncate[i] = 0;
  }
  return 0;
}

int open_specs(char **texts, int n, struct handoff *h)
{
  struct spec *specs = calloc((size_t)n + 1, sizeof *specs);
  int *fds = calloc((size_t)n + 1, sizeof *fds);
  int rc = specs && fds ? 0 : report_errno("specs", ENOMEM);
  for (int i = 0; i < n && rc == 0; i++)
    rc = parse_spec(texts[i], &specs[i]);
  for (int i = 0; i < n; i++)
    fds[i] = -1;
  if (rc == 0)
    rc = open_parsed(specs, n, fds);
  /* Which of h's descriptors are :trunc files, those before ours not. */
  size_t size = h->nfds + (size_t)n;
  unsigned char *truncate = rc == 0 ? calloc(size + 1, 1) : NULL;
  if (rc == 0 && truncate == NULL)
    rc = report_errno("specs", ENOMEM);
  for (int i = 0; i < n && rc == 0; i++) {
    truncate[h->nfds] = (unsigned char)specs[i].truncate;
    rc = handoff_add(h, fds[i], specs[i].name, strlen(specs[i].name));
    fds[i] = -1;
  }
  if (rc == 0) {
    free(h->truncate);
    h->truncate = truncate;
    h->ntruncate = size;
  } else {
    free(truncate);
  }
  for (int i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      close(fds[i]);
  if (rc != 0)
    handoff_close(h);
  free(specs);
  free(fds);
  return rc;
}
