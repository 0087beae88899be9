/*
 * handoff.c - the wire protocol of the fdpass command and all its waiting.
 *
 * A handoff is one message: a 0 byte carrying every descriptor, followed
 * by their names ("web:unknown") unless none is named, then the end of the
 * sender's stream. One unnamed descriptor is thus exactly IO::FDPass's
 * format. A receiver that accepted (recv) confirms with one byte.
 *
 * Waits end at a deadline, and, after setup_signals(1), at SIGTERM or
 * SIGINT, which a handler turns into a byte on a pipe that every wait
 * watches (the library retries EINTR, so it cannot be interrupted).
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The signals this file takes over, and what they did before. */
static const int handled_signals[] = {SIGPIPE, SIGTERM, SIGINT};
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

int setup_signals(int catch_stop)
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
  if (!catch_stop)
    return 0;
  if (pipe(signal_pipe) != 0 || set_cloexec(signal_pipe[0]) != 0 ||
      set_cloexec(signal_pipe[1]) != 0 ||
      fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK) != 0)
    return report_errno("signal pipe", errno);
  /* A signal the caller ignores (SIGINT in a background job) stays so. */
  for (size_t i = 1; i < NSIGNALS; i++)
    if (original_actions[i].sa_handler != SIG_IGN)
      sigaction(handled_signals[i], &stop, NULL);
  return 0;
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

static long long now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

long long deadline_after(long timeout_ms)
{
  return timeout_ms < 0 ? NO_DEADLINE : now_ms() + timeout_ms;
}

/* Milliseconds left for poll(2): -1 without a deadline, 0 when past it. */
static int remaining_ms(long long deadline)
{
  if (deadline == NO_DEADLINE)
    return -1;
  long long left = deadline - now_ms();
  return left <= 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

int wait_readable(int fd, long long deadline)
{
  for (;;) {
    struct pollfd watched[2] = {{.fd = fd, .events = POLLIN},
                                {.fd = signal_pipe[0], .events = POLLIN}};
    int ready = poll(watched, signal_pipe[0] >= 0 ? 2 : 1,
                     remaining_ms(deadline));
    if (ready < 0 && errno != EINTR)
      return FDPASS_ESYS;
    if (watched[1].revents)
      return WAIT_SIGNALLED;
    if (ready > 0)
      return FDPASS_OK;
    if (ready == 0)
      return FDPASS_ETIMEDOUT;
  }
}

/* wait_readable, reporting a timeout or failure against `what`. */
static int wait_or_report(int fd, long long deadline, const char *what,
                          const char *waiting_for)
{
  int status = wait_readable(fd, deadline);
  if (status == FDPASS_OK || status == WAIT_SIGNALLED)
    return status;
  if (status == FDPASS_ETIMEDOUT) {
    char text[128];
    snprintf(text, sizeof text, "timed out waiting for %s", waiting_for);
    return report(what, text);
  }
  return report_errno(what, errno);
}

int connect_until(const char *path, long long deadline, int *sock)
{
  struct timespec pause = {0, 1000000}; /* 1 ms, doubling up to 64 ms */
  for (;;) {
    int status = fdpass_connect(path, sock);
    if (status == FDPASS_OK)
      return 0;
    int nobody_listens =
        status == FDPASS_ENOENT || status == FDPASS_ECONNREFUSED;
    if (!nobody_listens || deadline == NO_DEADLINE)
      return report_status(path, status);
    if (remaining_ms(deadline) == 0)
      return report(path, "timed out waiting for a listener");
    nanosleep(&pause, NULL);
    if (pause.tv_nsec < 64000000)
      pause.tv_nsec *= 2;
  }
}

int listen_on(const char *path, int *listener)
{
  int status = fdpass_listen(path, listener);
  return status == FDPASS_OK ? 0 : report_status(path, status);
}

static int is_allowed(const struct options *o, int64_t uid)
{
  if (uid == (int64_t)geteuid())
    return 1;
  for (int i = 0; i < o->nallowed; i++)
    if (o->allowed_uids[i] == uid)
      return 1;
  return 0;
}

int accept_allowed(int listener, const struct options *o,
                   long long deadline, int *sock)
{
  for (;;) {
    int rc = wait_or_report(listener, deadline, o->socket, "a connection");
    if (rc != 0)
      return rc;
    int status = fdpass_accept(listener, sock);
    if (status != FDPASS_OK)
      return report_status(o->socket, status);
    int64_t pid, uid;
    status = fdpass_peer_credentials(*sock, &pid, &uid, NULL);
    if (status == FDPASS_OK && is_allowed(o, uid))
      return 0;
    char text[160];
    if (status == FDPASS_OK)
      snprintf(text, sizeof text,
               "refused process %lld of uid %lld (only uid %lld and "
               "--allow-uid are served)",
               (long long)pid, (long long)uid, (long long)geteuid());
    else
      snprintf(text, sizeof text, "refused a client of unknown identity: %s",
               fdpass_strerror(status));
    report(o->socket, text);
    close(*sock);
  }
}

static int all_unnamed(const char *names)
{
  size_t n = strlen(UNNAMED);
  for (const char *p = names; *p; p += n + (p[n] == ':'))
    if (strncmp(p, UNNAMED, n) != 0 || (p[n] != ':' && p[n] != '\0'))
      return 0;
  return 1;
}

int send_handoff(int sock, const char *peer, const struct handoff *h)
{
  char message[1 + sizeof h->names] = {0};
  size_t len = 1;
  if (!all_unnamed(h->names)) {
    len += strlen(h->names);
    memcpy(message + 1, h->names, len - 1);
  }
  int status = fdpass_send_fds(sock, message, &len, h->fds, h->nfds, 0);
  return status == FDPASS_OK ? 0 : report_status(peer, status);
}

/* Check the names a handoff brought (`len` bytes, not terminated) and keep
 * them in `h`; no names means every descriptor is unnamed. */
static int take_names(const char *peer, const char *names, size_t len,
                      struct handoff *h)
{
  h->names[0] = '\0';
  if (len == 0) {
    for (size_t i = 0; i < h->nfds; i++)
      strcat(strcat(h->names, i ? ":" : ""), UNNAMED);
    return 0;
  }
  size_t count = 0;
  for (size_t start = 0, end; start <= len; start = end + 1) {
    const char *colon = memchr(names + start, ':', len - start);
    end = colon ? (size_t)(colon - names) : len;
    if (!name_is_valid(names + start, end - start))
      return report(peer, "the descriptor names are malformed");
    count++;
  }
  if (count != h->nfds)
    return report(peer, "the number of names differs from the number of "
                        "descriptors");
  memcpy(h->names, names, len);
  h->names[len] = '\0';
  return 0;
}

int receive_handoff(int sock, const char *peer, long long deadline,
                    struct handoff *h)
{
  char data[1 + sizeof h->names];
  size_t total = 0;
  int none[1];
  h->nfds = 0;
  int rc = 0;
  for (;;) {
    rc = wait_or_report(sock, deadline, peer, "the descriptors");
    if (rc != 0)
      break;
    size_t len = sizeof data - total;
    size_t nfds = total == 0 ? FDPASS_MAX_FDS : 0;
    if (len == 0) {
      rc = report(peer, "the descriptor names are too long");
      break;
    }
    int status = fdpass_recv_fds(sock, data + total, &len,
                                 total == 0 ? h->fds : none, &nfds, 0);
    if (status == FDPASS_ECLOSED && total > 0)
      break; /* the end of the names */
    if (status == FDPASS_ETRUNC && total > 0) {
      rc = report(peer, "a second message brought descriptors (closed)");
      break;
    }
    if (status == FDPASS_ETRUNC)
      h->nfds = nfds; /* closed below */
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
      h->nfds = nfds;
      if (nfds == 0 || data[0] != 0) {
        rc = report(peer, nfds == 0 ? fdpass_strerror(FDPASS_ENOFD)
                                    : "not a handoff (first byte not 0)");
        break;
      }
    }
    total += len;
  }
  if (rc == 0)
    rc = take_names(peer, data + 1, total - 1, h);
  if (rc != 0)
    handoff_close(h);
  return rc;
}

void confirm_handoff(int sock)
{
  size_t len = 1;
  /* The sender may be gone already; the handoff is complete all the same. */
  (void)fdpass_send_fds(sock, "", &len, NULL, 0, FDPASS_NONBLOCK);
}

int await_confirmation(int sock, const char *peer, long long deadline)
{
  if (shutdown(sock, SHUT_WR) != 0)
    return report_errno(peer, errno);
  int rc = wait_or_report(sock, deadline, peer, "the receiver to confirm");
  if (rc != 0)
    return rc;
  char byte;
  size_t len = 1, nfds = 0;
  int status = fdpass_recv_fds(sock, &byte, &len, NULL, &nfds, 0);
  if (status == FDPASS_ECLOSED)
    return report(peer, "the receiver closed the connection without "
                        "confirming (refused, or failed: see its message)");
  return status == FDPASS_OK ? 0 : report_status(peer, status);
}

void handoff_close(struct handoff *h)
{
  for (size_t i = 0; i < h->nfds; i++)
    if (h->fds[i] >= 0)
      close(h->fds[i]);
  h->nfds = 0;
}
