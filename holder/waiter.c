/* SPDX-License-Identifier: MIT */
/* waiter.c - see waiter.h. */
#define _GNU_SOURCE

#include "waiter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__linux__) && !defined(FDP_WAITER_POLL)
#include <sys/epoll.h>

/* What the waiter knows of one descriptor number. */
struct number {
  short watched; /* epoll events registered, plus 1 (0: none) */
  unsigned seen; /* the last call that asked for it */
  size_t slot;   /* where in that call's fds it is */
};

/* The epoll set, and what it holds. */
struct waiter {
  int epoll;
  struct number *numbers; /* by descriptor number, size of them */
  size_t size;
  int *registered; /* the numbers registered, nregistered of them */
  size_t nregistered;
  unsigned call;
  struct epoll_event *events;
  size_t nevents;
};

struct waiter *waiter_new(void)
{
  struct waiter *w = calloc(1, sizeof *w);
  if (w == NULL)
    return NULL;
  w->epoll = epoll_create1(EPOLL_CLOEXEC);
  if (w->epoll < 0) {
    free(w);
    return NULL;
  }
  return w;
}

void waiter_free(struct waiter *w)
{
  if (w == NULL)
    return;
  close(w->epoll);
  free(w->numbers);
  free(w->registered);
  free(w->events);
  free(w);
}

/* Room for descriptor `fd` in the arrays by number, and for `n` events. */
static int make_room(struct waiter *w, int fd, size_t n)
{
  if ((size_t)fd >= w->size) {
    size_t size = ((size_t)fd + 1) * 2;
    struct number *numbers = realloc(w->numbers, size * sizeof *numbers);
    if (numbers == NULL)
      return -1;
    memset(numbers + w->size, 0, (size - w->size) * sizeof *numbers);
    w->numbers = numbers;
    w->size = size;
    int *registered = realloc(w->registered, size * sizeof *registered);
    if (registered == NULL)
      return -1;
    w->registered = registered;
  }
  if (n > w->nevents) {
    struct epoll_event *events = realloc(w->events, n * sizeof *events);
    if (events == NULL)
      return -1;
    w->events = events;
    w->nevents = n;
  }
  return 0;
}

/* Register `fd` for `events`, or change what it is registered for. A
 * number registered before may name another file now (closed and
 * reused): then the other operation is the right one. */
static int watch(struct waiter *w, int fd, uint32_t events)
{
  struct epoll_event e = {.events = events, .data.fd = fd};
  int op = w->numbers[fd].watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  if (epoll_ctl(w->epoll, op, fd, &e) == 0)
    return 0;
  if (errno != ENOENT && errno != EEXIST)
    return -1;
  op = op == EPOLL_CTL_MOD ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  return epoll_ctl(w->epoll, op, fd, &e);
}

void waiter_forget(struct waiter *w, int fd)
{
  if (w == NULL || fd < 0 || (size_t)fd >= w->size ||
      !w->numbers[fd].watched)
    return;
  (void)epoll_ctl(w->epoll, EPOLL_CTL_DEL, fd, NULL);
  w->numbers[fd].watched = 0;
  for (size_t i = 0; i < w->nregistered; i++)
    if (w->registered[i] == fd) {
      w->registered[i] = w->registered[--w->nregistered];
      break;
    }
}

int waiter_wait(struct waiter *w, struct pollfd *fds, size_t n,
                int timeout_ms)
{
  int failed = 0;
  size_t room = n ? n : 1; /* events epoll_wait may return */
  w->call++;
  for (size_t i = 0; i < n; i++) {
    int fd = fds[i].fd;
    fds[i].revents = 0;
    if (fd < 0)
      continue;
    if (make_room(w, fd, room) != 0) {
      errno = ENOMEM;
      return -1;
    }
    uint32_t want = (fds[i].events & POLLIN ? EPOLLIN : 0) |
                    (fds[i].events & POLLOUT ? EPOLLOUT : 0);
    struct number *at = &w->numbers[fd];
    at->slot = i;
    at->seen = w->call;
    if (at->watched == (short)(want + 1))
      continue; /* the common case: no system call */
    if (watch(w, fd, want) != 0) { /* as poll: told, not waited for */
      fds[i].revents = errno == EBADF ? POLLNVAL : POLLERR;
      failed++;
      continue;
    }
    if (at->watched == 0)
      w->registered[w->nregistered++] = fd;
    at->watched = (short)(want + 1);
  }
  /* What is no longer asked for leaves the set. */
  for (size_t i = 0; i < w->nregistered;) {
    int fd = w->registered[i];
    if (w->numbers[fd].seen == w->call)
      i++;
    else
      waiter_forget(w, fd);
  }
  if (failed)
    return failed;
  if (make_room(w, 0, room) != 0) { /* when every fd was negative */
    errno = ENOMEM;
    return -1;
  }
  int got = epoll_wait(w->epoll, w->events, (int)room, timeout_ms);
  int ready = 0;
  for (int k = 0; k < got; k++) {
    int fd = w->events[k].data.fd;
    uint32_t e = w->events[k].events;
    if (w->numbers[fd].seen != w->call)
      continue;
    struct pollfd *p = &fds[w->numbers[fd].slot];
    ready += p->revents == 0;
    p->revents |= (short)((e & EPOLLIN ? POLLIN : 0) |
                          (e & EPOLLOUT ? POLLOUT : 0) |
                          (e & EPOLLHUP ? POLLHUP : 0) |
                          (e & EPOLLERR ? POLLERR : 0));
  }
  return got < 0 ? -1 : ready;
}

#else /* poll itself (FDPASS_HOLDER_POLL tests it on Linux) */

struct waiter {
  char unused;
};

struct waiter *waiter_new(void)
{
  return calloc(1, sizeof(struct waiter));
}

void waiter_free(struct waiter *w)
{
  free(w);
}

int waiter_wait(struct waiter *w, struct pollfd *fds, size_t n,
                int timeout_ms)
{
  (void)w;
  return poll(fds, (nfds_t)n, timeout_ms);
}

void waiter_forget(struct waiter *w, int fd)
{
  (void)w;
  (void)fd;
}

#endif
