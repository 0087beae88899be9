/* SPDX-License-Identifier: MIT */
/*
 * launch.c - what happens to received descriptors: exec a command with
 * them the way systemd's socket activation does, or print them.
 */
#define _POSIX_C_SOURCE 200809L

#include "launch.h"
#include "handoff.h"
#include "report.h"

#include <fdpass.h>

#include "access.h" /* fdp_access_mode, shared with the modules */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* The first descriptor handed to a command, as in sd_listen_fds(3). */
#define FIRST_FD 3


static void set_cloexec(int fd)
{
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0)
    fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

/* Make every descriptor from `lowest` up close-on-exec: whatever this
 * process inherited or opened must not reach the command. */
static void cloexec_from(int lowest)
{
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) { /* no /proc: try every possible number */
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = lowest; fd < (max > 0 ? max : 1024); fd++)
      set_cloexec(fd);
    return;
  }
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    int fd = atoi(entry->d_name);
    if (fd >= lowest && fd != dirfd(dir))
      set_cloexec(fd);
  }
  closedir(dir);
}

/* Put the descriptors of `h` at FIRST_FD, FIRST_FD + 1, ..., inheritable.
 * Each goes above that range first, so placing one never closes another. */
static int place_descriptors(struct handoff *h)
{
  int end = FIRST_FD + (int)h->nfds;
  for (size_t i = 0; i < h->nfds; i++) {
    int moved = fcntl(h->fds[i], F_DUPFD_CLOEXEC, end);
    if (moved < 0)
      return report_errno("placing descriptors", errno);
    close(h->fds[i]);
    h->fds[i] = moved;
  }
  for (size_t i = 0; i < h->nfds; i++) {
    int target = FIRST_FD + (int)i;
    if (dup2(h->fds[i], target) < 0) /* dup2 clears close-on-exec */
      return report_errno("placing descriptors", errno);
    close(h->fds[i]);
    h->fds[i] = target;
  }
  return 0;
}

/* Where execvp would find `name`, in `out`: 0, or ENOENT (nowhere),
 * EACCES (only files it cannot run). */
static int find_command(const char *name, char *out, size_t size)
{
  const char *path = strchr(name, '/') ? "" : getenv("PATH");
  int found = 0;
  for (const char *dir = path ? path : "/bin:/usr/bin";;) {
    size_t len = strcspn(dir, ":");
    if (strchr(name, '/'))
      snprintf(out, size, "%s", name);
    else
      snprintf(out, size, "%.*s%s%s", (int)len, dir, len ? "/" : "", name);
    struct stat st;
    if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
      if (access(out, X_OK) == 0)
        return 0;
      found = 1;
    }
    if (dir[len] == '\0')
      return found ? EACCES : ENOENT;
    dir += len + 1;
  }
}

int check_command(char **command)
{
  char path[4096];
  int error = find_command(command[0], path, sizeof path);
  if (error == 0)
    return 0;
  report_errno(command[0], error);
  return error == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

int launch(char **command, struct handoff *h)
{
  /* First, so that no signal handler writes into a placed descriptor. */
  restore_signals();
  int rc = place_descriptors(h);
  if (rc != 0) {
    handoff_close(h);
    return rc;
  }
  cloexec_from(FIRST_FD + (int)h->nfds);
  char count[24], pid[24];
  snprintf(count, sizeof count, "%zu", h->nfds);
  snprintf(pid, sizeof pid, "%ld", (long)getpid()); /* exec keeps the pid */
  /* None: no variable at all, as from systemd; sd_listen_fds(3) takes
   * LISTEN_FDS=0 for an error. */
  if (h->nfds == 0 && (unsetenv("LISTEN_FDS") != 0 ||
                       unsetenv("LISTEN_PID") != 0 ||
                       unsetenv("LISTEN_FDNAMES") != 0))
    rc = report_errno("environment", errno);
  else if (h->nfds > 0 && (setenv("LISTEN_FDS", count, 1) != 0 ||
                           setenv("LISTEN_PID", pid, 1) != 0 ||
                           setenv("LISTEN_FDNAMES", h->names ? h->names : "",
                                  1) != 0))
    rc = report_errno("environment", errno);
  else {
    execvp(command[0], command);
    int error = errno;
    char path[4096];
    /* ENOENT for a file that is there: its #! names a missing program. */
    if (error == ENOENT && find_command(command[0], path, sizeof path) == 0)
      report(command[0], "its interpreter (the #! line) was not found");
    else
      report_errno(command[0], error);
    rc = error == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
  }
  handoff_close(h);
  return rc;
}

static const char *access_mode(int fd)
{
  int mode = fdp_access_mode(fd);
  if (mode < 0)
    return "unknown";
  if (mode & FDP_ACCESS_APPEND)
    return "append";
  if (mode == FDP_ACCESS_READ)
    return "read-only";
  return mode == FDP_ACCESS_WRITE ? "write-only" : "read-write";
}

/* "tcp listening 127.0.0.1:8080", "unix connected @name", ... */
static void describe_socket(int fd, char *out, size_t size)
{
  struct sockaddr_storage storage;
  struct sockaddr *sa = (struct sockaddr *)&storage;
  socklen_t len = sizeof storage;
  int type = 0, listening = 0;
  socklen_t optlen = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen);
  optlen = sizeof listening;
  getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen);
  memset(&storage, 0, sizeof storage);
  if (getsockname(fd, sa, &len) != 0)
    sa->sa_family = AF_UNSPEC;
  struct sockaddr_storage peer;
  socklen_t peer_len = sizeof peer;
  const char *state =
      listening ? "listening"
      : getpeername(fd, (struct sockaddr *)&peer, &peer_len) == 0
          ? "connected"
          : "unconnected";

  char address[INET6_ADDRSTRLEN + sizeof(struct sockaddr_un) + 8] = "";
  const char *kind = "socket";
  if (sa->sa_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *)sa;
    kind = type == SOCK_STREAM ? "tcp" : type == SOCK_DGRAM ? "udp" : "inet";
    inet_ntop(AF_INET, &in->sin_addr, address, sizeof address);
    snprintf(address + strlen(address), sizeof address - strlen(address),
             ":%u", ntohs(in->sin_port));
  } else if (sa->sa_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
    kind = type == SOCK_STREAM ? "tcp6" : type == SOCK_DGRAM ? "udp6"
                                                               : "inet6";
    address[0] = '[';
    inet_ntop(AF_INET6, &in6->sin6_addr, address + 1, sizeof address - 1);
    snprintf(address + strlen(address), sizeof address - strlen(address),
             "]:%u", ntohs(in6->sin6_port));
  } else if (sa->sa_family == AF_UNIX) {
    struct sockaddr_un *un = (struct sockaddr_un *)sa;
    size_t path_len = len > offsetof(struct sockaddr_un, sun_path)
                          ? len - offsetof(struct sockaddr_un, sun_path)
                          : 0;
    kind = type == SOCK_STREAM  ? "unix"
           : type == SOCK_DGRAM ? "unix-dgram"
                                : "unix-seqpacket";
    if (path_len > 0 && un->sun_path[0] == '\0') /* abstract: @name */
      snprintf(address, sizeof address, "@%.*s", (int)(path_len - 1),
               un->sun_path + 1);
    else
      snprintf(address, sizeof address, "%.*s", (int)path_len, un->sun_path);
  }
  snprintf(out, size, "%s %s %s", kind, state, address);
}

/* One line's description of `fd`: kind, state or mode, then where. */
static void describe(int fd, char *out, size_t size)
{
  struct stat st;
  if (fstat(fd, &st) != 0) {
    snprintf(out, size, "unknown %s", strerror(errno));
    return;
  }
  if (S_ISSOCK(st.st_mode)) {
    describe_socket(fd, out, size);
    return;
  }
  const char *kind = S_ISREG(st.st_mode)    ? "file"
                     : S_ISDIR(st.st_mode)  ? "directory"
                     : S_ISFIFO(st.st_mode) ? "pipe"
                     : S_ISCHR(st.st_mode)  ? "device"
                                            : "other";
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  path[n > 0 ? n : 0] = '\0';
  snprintf(out, size, "%s %s %s", kind, access_mode(fd), path);
}

int print_handoff(struct handoff *h)
{
  const char *name = h->names ? h->names : "";
  for (size_t i = 0; i < h->nfds; i++) {
    size_t name_len = strcspn(name, ":");
    char description[4200];
    describe(h->fds[i], description, sizeof description);
    printf("%d %.*s %s\n", FIRST_FD + (int)i, (int)name_len, name,
           description);
    name += name_len + (name[name_len] == ':');
  }
  handoff_close(h);
  if (fflush(stdout) != 0 || ferror(stdout))
    return report_errno("stdout", errno);
  return 0;
}
