/* SPDX-License-Identifier: MIT */
/*
 * handoff.c - see handoff.h.
 *
 * A handoff is one message: a 0 byte carrying every descriptor, followed
 * by their names ("web:unknown") unless none is named, then the end of the
 * sender's stream. One unnamed descriptor is thus exactly IO::FDPass's
 * format. A receiver that accepted (recv) confirms with one byte.
 *
 * Waits end at a deadline, and, after setup_signals(1, ...), at SIGTERM or
 * SIGINT, which a handler turns into a byte on a pipe that every wait
 * watches (the library retries EINTR, so it cannot be interrupted).
 */
#define _GNU_SOURCE

#include "handoff.h"
#include "report.h"

#include <fdpass.h>

#include "closer.h"     /* refused connections, closed off the way */
#include "notify.h"     /* systemd's notification protocol (holder/) */
#include "store_wire.h" /* names and the one-message handoff */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#ifdef __linux__
#include <linux/sockios.h> /* SIOCOUTQ */
#endif
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int handoff_add(struct handoff *h, int fd, const char *name, size_t len)
{
  if (h->nfds == h->cap) {
    size_t cap = h->cap ? h->cap * 2 : 16;
    int *fds = realloc(h->fds, cap * sizeof *fds);
    if (fds == NULL) {
      close(fd);
      return report_errno("descriptors", ENOMEM);
    }
    h->fds = fds;
    h->cap = cap;
  }
  char *names = realloc(h->names, h->names_len + len + 2);
  if (names == NULL) {
    close(fd);
    return report_errno("descriptors", ENOMEM);
  }
  h->names = names;
  if (h->nfds > 0)
    names[h->names_len++] = ':';
  memcpy(names + h->names_len, name, len);
  h->names_len += len;
  names[h->names_len] = '\0';
  h->fds[h->nfds++] = fd;
  return 0;
}

void handoff_close(struct handoff *h)
{
  for (size_t i = 0; i < h->nfds; i++)
    if (h->fds[i] >= 0)
      close(h->fds[i]);
  free(h->fds);
  free(h->names);
  free(h->truncate);
  *h = (struct handoff){0};
}

/* ---- signals and waiting -------------------------------------------- */

static const int handled_signals[] = {SIGPIPE, SIGHUP, SIGTERM, SIGINT};
#define NSIGNALS (sizeof handled_signals / sizeof handled_signals[0])
static struct sigaction original_actions[NSIGNALS];
static int signal_pipe[2] = {-1, -1};

static void on_stop_signal(int signal_number)
{
  (void)signal_number;
  int saved = errno;
  ssize_t ignored = write(signal_pipe[1], "", 1); /* full: already told */
  (void)ignored;
  errno = saved;
}

int setup_signals(int catch_stop, int ignore_hangup)
{
  struct sigaction ignore = {0}, stop = {0};
  ignore.sa_handler = SIG_IGN;
  stop.sa_handler = on_stop_signal;
  sigemptyset(&ignore.sa_mask);
  sigemptyset(&stop.sa_mask);
  for (size_t i = 0; i < NSIGNALS; i++)
    sigaction(handled_signals[i], NULL, &original_actions[i]);
  /* A peer that goes away is a status code, never a killed process. */
  sigaction(SIGPIPE, &ignore, NULL);
  if (ignore_hangup)
    sigaction(SIGHUP, &ignore, NULL);
  if (!catch_stop)
    return 0;
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
    return report_errno("signal pipe", errno);
  /* A signal the caller ignores (SIGINT in a background job) stays so. */
  for (size_t i = 2; i < NSIGNALS; i++)
    if (original_actions[i].sa_handler != SIG_IGN)
      sigaction(handled_signals[i], &stop, NULL);
  return 0;
}

int stop_fd(void)
{
  return signal_pipe[0];
}

void restore_signals(void)
{
  for (size_t i = 0; i < NSIGNALS; i++)
    sigaction(handled_signals[i], &original_actions[i], NULL);
  for (int i = 0; i < 2; i++)
    if (signal_pipe[i] >= 0) {
      close(signal_pipe[i]);
      signal_pipe[i] = -1;
    }
}

/* Wait until `fd` is readable, for at most `slice_ms` (-1: until the
 * deadline). 0 when readable, -1 when the slice ended first, else an exit
 * status (reported: the deadline, a stop signal, an error). */
static int wait_readable(int fd, long long deadline, int slice_ms,
                         const char *what, const char *waiting_for)
{
  for (;;) {
    struct pollfd watched[2] = {{.fd = fd, .events = POLLIN},
                                {.fd = signal_pipe[0], .events = POLLIN}};
    int left = fdp_remaining_ms(deadline);
    int timeout = slice_ms >= 0 && (left < 0 || slice_ms < left) ? slice_ms
                                                                 : left;
    int ready = poll(watched, signal_pipe[0] >= 0 ? 2 : 1, timeout);
    if (ready < 0 && errno != EINTR)
      return report_errno(what, errno);
    if (ready > 0 && watched[1].revents)
      return report(what, "stopped by a signal before a handoff");
    if (ready > 0)
      return 0;
    if (ready == 0 && timeout == slice_ms && timeout != left)
      return -1;
    if (ready == 0) {
      char text[128];
      snprintf(text, sizeof text, "timed out waiting for %s", waiting_for);
      return report(what, text);
    }
  }
}

/* ---- connecting and listening --------------------------------------- */

static int is_regular_file(const char *path)
{
  struct stat st;
  return path[0] != '@' && stat(path, &st) == 0 && !S_ISSOCK(st.st_mode);
}

static int trusted_uid(const struct peers *p, int64_t uid)
{
  if (uid == (int64_t)geteuid() || uid == 0)
    return 1;
  for (int i = 0; i < p->nuids; i++)
    if (p->uids[i] == uid)
      return 1;
  return 0;
}

int connect_trusted(const char *path, const struct peers *trusted,
                    long long deadline, int *sock)
{
  struct timespec pause = {0, 1000000}; /* 1 ms, doubling up to 64 ms */
  int status;
  while ((status = fdpass_connect(path, sock)) != FDPASS_OK) {
    *sock = -1;
    int nobody_listens =
        status == FDPASS_ENOENT || status == FDPASS_ECONNREFUSED;
    if (nobody_listens && is_regular_file(path))
      return report(path, "not a socket but a file");
    if (!nobody_listens || deadline == FDP_NO_DEADLINE)
      return report_status(path, status);
    if (fdp_remaining_ms(deadline) == 0)
      return report(path, "timed out waiting for a listener");
    nanosleep(&pause, NULL);
    if (pause.tv_nsec < 64000000)
      pause.tv_nsec *= 2;
  }
  /* Whoever listens gets our descriptors or runs our command: anyone can
   * take an abstract name, or a path in a shared directory, first. */
  int64_t pid, uid;
  status = fdpass_peer_credentials(*sock, &pid, &uid, NULL);
  if (status == FDPASS_OK && trusted_uid(trusted, uid))
    return 0;
  close(*sock);
  *sock = -1;
  if (status != FDPASS_OK)
    return report(path, "cannot tell who listens; refused");
  char text[200];
  snprintf(text, sizeof text,
           "refused: process %lld listening here runs as uid %lld, neither "
           "ours nor root (--peer-uid %lld trusts it)",
           (long long)pid, (long long)uid, (long long)uid);
  return report(path, text);
}

/* Is the file open as `file` a socket this process listens on (the only
 * one: the verb's)? Connect to it through the descriptor: the kernel
 * gives the connection the credentials of the process that listens. The
 * connection then waits among the others; the verb skips it. */
static int is_ours(int file)
{
  struct stat st;
  char where[64];
  int probe;
  int64_t pid;
  if (fstat(file, &st) != 0 || !S_ISSOCK(st.st_mode))
    return 0;
  snprintf(where, sizeof where, "/proc/self/fd/%d", file);
  if (fdpass_connect(where, &probe) != FDPASS_OK)
    return 0;
  int ours = fdpass_peer_credentials(probe, &pid, NULL, NULL) == FDPASS_OK &&
             pid == (int64_t)getpid();
  close(probe);
  return ours;
}

/* Give the socket file at `path` group `gid` (-1: keep) and mode `mode`,
 * only once it is proven the socket we listen on, and through that file's
 * descriptor: never a file put there instead, nor one a link there points
 * to. */
static int set_owner_and_mode(const char *path, int mode, long long gid)
{
  int file = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (file < 0)
    return report_errno(path, errno);
  char where[64];
  snprintf(where, sizeof where, "/proc/self/fd/%d", file);
  int rc = 0;
  if (!is_ours(file))
    rc = report(path, "the socket file was replaced before its mode and "
                      "group were set (left alone)");
  else if ((gid >= 0 && chown(where, (uid_t)-1, (gid_t)gid) != 0) ||
           chmod(where, (mode_t)mode) != 0)
    rc = report_errno(path, errno);
  close(file);
  return rc;
}

/* --mode and --group mean a socket file: 0 when `path` has one or they
 * are the defaults, else the usage error. */
static int file_options_fit(const char *path, int mode, long long gid)
{
  if ((mode != 0600 || gid >= 0) && path[0] == '@')
    return usage_error("--mode and --group need a socket file: '%s' is an "
                       "abstract name, which anyone may connect to", path);
  return 0;
}

int listen_on(const char *path, int mode, long long gid, int *listener)
{
  int custom = mode != 0600 || gid >= 0;
  if (file_options_fit(path, mode, gid) != 0)
    return EXIT_USAGE;
  /* 0600 until the group is right, so that no other group's member can
   * connect in between. */
  int status = fdpass_listen(path, listener);
  if (status == FDPASS_EADDRINUSE && is_regular_file(path))
    return report(path, "not a socket but a file (left alone)");
  if (status != FDPASS_OK)
    return report_status(path, status);
  int rc = custom ? set_owner_and_mode(path, mode, gid) : 0;
  if (rc != 0)
    close(*listener); /* the file there may not be ours: left alone */
  return rc;
}

int listen_notify(const char *path, int mode, long long gid, int *sock)
{
  if (file_options_fit(path, mode, gid) != 0)
    return EXIT_USAGE;
  int error = fdp_notify_bind(path, mode, gid, sock);
  if (error == EADDRINUSE && is_regular_file(path))
    return report(path, "not a socket but a file (left alone)");
  return error == 0 ? 0 : report_errno(path, error);
}

/* The uid of a process that holds the datagram socket bound to the
 * abstract name `name`, as /proc shows it: 0 found, -1 not (none bound,
 * or held only by processes we may not look into: those of other users,
 * unless we are root). */
static int abstract_owner(const char *name, int64_t *uid)
{
  FILE *f = fopen("/proc/net/unix", "re");
  if (f == NULL)
    return -1;
  char line[PATH_MAX], want[64] = "";
  while (!want[0] && fgets(line, sizeof line, f)) {
    unsigned type;
    unsigned long inode;
    int at = 0;
    line[strcspn(line, "\n")] = '\0';
    if (sscanf(line, "%*s %*s %*s %*s %x %*s %lu %n", &type, &inode, &at) ==
            2 && at > 0 && type == SOCK_DGRAM && !strcmp(line + at, name))
      snprintf(want, sizeof want, "socket:[%lu]", inode);
  }
  fclose(f);
  DIR *procs = want[0] ? opendir("/proc") : NULL;
  int found = -1;
  for (struct dirent *p; found && procs && (p = readdir(procs)) != NULL;) {
    char dir[64 + sizeof p->d_name], link[sizeof dir + 256], to[64];
    snprintf(dir, sizeof dir, "/proc/%s/fd", p->d_name);
    DIR *fds = p->d_name[0] >= '1' && p->d_name[0] <= '9' ? opendir(dir)
                                                          : NULL;
    for (struct dirent *e; found && fds && (e = readdir(fds)) != NULL;) {
      snprintf(link, sizeof link, "%s/%s", dir, e->d_name);
      ssize_t n = readlink(link, to, sizeof to);
      struct stat st;
      if (n == (ssize_t)strlen(want) && !memcmp(to, want, (size_t)n) &&
          stat(dir, &st) == 0) {
        *uid = st.st_uid; /* the process's */
        found = 0;
      }
    }
    if (fds)
      closedir(fds);
  }
  if (procs)
    closedir(procs);
  return found;
}

int set_notify_socket(const char *path, const struct peers *trusted)
{
  /* A socket file belongs to whoever bound it; an abstract name to the
   * process that holds its socket. */
  struct stat st;
  int64_t uid = -1;
  if (path[0] == '@' && abstract_owner(path, &uid) != 0)
    return report(path, "no process that this user may see binds it; "
                        "refused");
  if (path[0] != '@' && lstat(path, &st) != 0)
    return report_errno(path, errno);
  if (path[0] != '@' && !S_ISSOCK(st.st_mode))
    return report(path, "not a socket; refused");
  if (path[0] != '@')
    uid = st.st_uid;
  if (!trusted_uid(trusted, uid)) {
    char text[200];
    snprintf(text, sizeof text,
             "refused: the socket here belongs to uid %lld, neither ours nor "
             "root (--peer-uid %lld trusts it)",
             (long long)uid, (long long)uid);
    return report(path, text);
  }
  char absolute[PATH_MAX + 2] = "";
  if (path[0] != '/' && path[0] != '@' &&
      getcwd(absolute, sizeof absolute - 1) == NULL)
    return report_errno("the working directory", errno);
  if (absolute[0])
    strcat(absolute, "/");
  if (strlen(absolute) + strlen(path) >= sizeof absolute)
    return report_errno(path, ENAMETOOLONG);
  strcat(absolute, path);
  if (setenv("NOTIFY_SOCKET", absolute, 1) != 0)
    return report_errno("environment", errno);
  return 0;
}

void stop_listening(int listener, const char *path)
{
  close(listener);
  if (path[0] != '@')
    unlink(path);
}

int accept_allowed(int listener, const char *path,
                   const struct peers *allowed, long long deadline,
                   struct closer *closer, int *sock)
{
  for (;;) {
    int rc = wait_readable(listener, deadline, -1, path, "a connection");
    if (rc != 0)
      return rc;
    int status = fdpass_accept(listener, sock);
    if (status != FDPASS_OK)
      return report_status(path, status);
    int64_t pid, uid;
    status = fdpass_peer_credentials(*sock, &pid, &uid, NULL);
    if (status == FDPASS_OK && pid == (int64_t)getpid()) {
      close(*sock); /* our own, from listen_on */
      continue;
    }
    if (status == FDPASS_OK &&
        (uid == (int64_t)geteuid() || trusted_uid(allowed, uid)))
      return 0;
    char text[160];
    if (status == FDPASS_OK)
      snprintf(text, sizeof text,
               "refused process %lld of uid %lld (only uid %lld, root and "
               "--allow-uid are served)",
               (long long)pid, (long long)uid, (long long)geteuid());
    else
      snprintf(text, sizeof text, "refused a client of unknown identity: %s",
               fdpass_strerror(status));
    report(path, text);
    closer_close(closer, sock, 1);
  }
}

/* ---- the handoff ---------------------------------------------------- */

int send_handoff(int sock, const char *peer, const struct handoff *h)
{
  char *message = malloc(1 + h->names_len);
  if (message == NULL)
    return report_errno(peer, ENOMEM);
  memcpy(message + 1, h->names, h->names_len);
  size_t len = fdp_handoff_encode(message, h->names_len);
  int status = fdpass_send_fds(sock, message, &len, h->fds, h->nfds, 0);
  free(message);
  return status == FDPASS_OK ? 0 : report_status(peer, status);
}

int await_delivery(int sock, const char *peer, long long deadline)
{
  if (shutdown(sock, SHUT_WR) != 0)
    return report_errno(peer, errno);
  for (int slice = 1;; slice = slice < 64 ? slice * 2 : 64) {
    int rc = wait_readable(sock, deadline, slice, peer,
                           "the receiver to take the descriptors");
    if (rc > 0)
      return rc;
    if (rc < 0) {
      /* Quiet, but has it read everything? (IO::FDPass never answers.)
       * Elsewhere, wait for its answer or its hanging up. */
#ifdef SIOCOUTQ
      int unread;
      if (ioctl(sock, SIOCOUTQ, &unread) == 0 && unread == 0)
        return 0;
#endif
      continue;
    }
    char byte;
    size_t len = 1, nfds = 0;
    int status = fdpass_recv_fds(sock, &byte, &len, NULL, &nfds, 0);
    if (status == FDPASS_OK)
      return 0; /* confirmed */
    /* A receiver that closes with our message unread resets the
     * connection; one that read it all just ends the stream. */
    if (status == FDPASS_ECLOSED && fdpass_os_error() != ECONNRESET)
      return 0;
    if (status == FDPASS_ECLOSED)
      return report(peer, "the receiver closed the connection without "
                          "taking the descriptors (refused? see its "
                          "message)");
    return report_status(peer, status);
  }
}

/* Check the names a handoff brought (`len` bytes, not terminated) and keep
 * them; no names means every descriptor is unnamed. */
static int take_names(const char *peer, const char *names, size_t len,
                      const int *fds, size_t nfds, struct handoff *h)
{
  if (len > 0 && !fdp_names_are_valid(names, len, nfds))
    return report(peer, "the descriptor names are malformed or not one per "
                        "descriptor");
  for (size_t i = 0, start = 0; i < nfds; i++) {
    size_t n = len ? strcspn(names + start, ":") : strlen(FDP_UNNAMED);
    if (len > 0 && start + n > len)
      n = len - start;
    int rc = handoff_add(h, fds[i], len ? names + start : FDP_UNNAMED, n);
    if (rc != 0) {
      for (size_t j = i + 1; j < nfds; j++)
        close(fds[j]);
      return rc;
    }
    start += n + 1;
  }
  return 0;
}

int receive_handoff(int sock, const char *peer, long long deadline,
                    struct handoff *h)
{
  static char data[2 + FDPASS_MAX_FDS * 256]; /* and a final NUL */
  int fds[FDPASS_MAX_FDS];
  size_t nfds = 0, total = 0;
  int rc = 0;
  for (;;) {
    rc = wait_readable(sock, deadline, -1, peer, "the descriptors");
    if (rc != 0)
      break;
    size_t len = sizeof data - 1 - total;
    size_t got = 0, cap = total == 0 ? FDPASS_MAX_FDS : 0;
    if (len == 0) {
      rc = report(peer, "the descriptor names are too long");
      break;
    }
    got = cap;
    int none[1];
    int status = fdpass_recv_fds(sock, data + total, &len,
                                 total == 0 ? fds : none, &got, 0);
    if (status == FDPASS_ECLOSED && total > 0)
      break; /* the end of the names */
    if (status == FDPASS_ETRUNC && total > 0) {
      rc = report(peer, "a second message brought descriptors (closed)");
      break;
    }
    if (status == FDPASS_ETRUNC)
      nfds = got; /* closed below */
    if (status == FDPASS_ECLOSED) {
      rc = report(peer, "the connection closed before any descriptor came "
                        "(refused? see the other side's message)");
      break;
    }
    if (status != FDPASS_OK) {
      rc = report_status(peer, status);
      break;
    }
    if (total == 0) {
      nfds = got;
      if (nfds == 0 || data[0] != 0) {
        rc = report(peer, nfds == 0 ? fdpass_strerror(FDPASS_ENOFD)
                                    : "not a handoff (first byte not 0)");
        break;
      }
    }
    total += len;
  }
  if (rc == 0) {
    data[total] = '\0';
    rc = take_names(peer, data + 1, total - 1, fds, nfds, h);
    nfds = 0; /* taken or closed */
  }
  for (size_t i = 0; i < nfds; i++)
    close(fds[i]);
  if (rc != 0) {
    handoff_close(h);
    return rc;
  }
  size_t one = 1;
  /* The sender may be gone already; the handoff is complete all the same. */
  (void)fdpass_send_fds(sock, "", &one, NULL, 0, FDPASS_NONBLOCK);
  return 0;
}
