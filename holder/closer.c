/* SPDX-License-Identifier: MIT */
/* closer.c - see closer.h. */
#define _GNU_SOURCE

#include "closer.h"

#include "deadline.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The signal that interrupts a lingering close, and how long a close may
 * take before it is sent (and between two). */
#define CLOSER_SIGNAL SIGURG
#define PATIENCE_MS 50

struct closer {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int *fds; /* handed over, not closed yet: fds[head..n) */
  size_t head, n, cap;
  unsigned long long handed, closed; /* ever */
  int stopping;
  int done_pipe[2]; /* a byte after each close: the loop's wake-up */
  long long busy_since; /* when the close in progress began; 0: none */
  struct sigaction old_action;
};

static void on_closer_signal(int signal_number)
{
  (void)signal_number; /* its arrival is all: the close returns */
}

static void *closing_thread(void *arg)
{
  struct closer *c = arg;
  pthread_mutex_lock(&c->lock);
  for (;;) {
    while (c->head == c->n && !c->stopping)
      pthread_cond_wait(&c->wake, &c->lock);
    if (c->head == c->n)
      break;
    int fd = c->fds[c->head++];
    if (c->head == c->n)
      c->head = c->n = 0;
    c->busy_since = fdp_now_ms();
    pthread_mutex_unlock(&c->lock);
    close(fd);
    pthread_mutex_lock(&c->lock);
    c->busy_since = 0;
    c->closed++;
    (void)!write(c->done_pipe[1], "", 1); /* full: the loop wakes anyway */
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

struct closer *closer_start(void)
{
  struct closer *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  if (pipe2(c->done_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->wake, NULL);
  /* No SA_RESTART: the interrupted close must return. */
  struct sigaction action = {0};
  action.sa_handler = on_closer_signal;
  sigemptyset(&action.sa_mask);
  sigaction(CLOSER_SIGNAL, &action, &c->old_action);
  /* The thread takes every signal but its own: the process's handlers
   * (SIGTERM, SIGINT) run on the other threads. */
  sigset_t all, old;
  sigfillset(&all);
  sigdelset(&all, CLOSER_SIGNAL);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int failed = pthread_create(&c->thread, NULL, closing_thread, c);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (failed) {
    sigaction(CLOSER_SIGNAL, &c->old_action, NULL);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    close(c->done_pipe[0]);
    close(c->done_pipe[1]);
    free(c);
    return NULL;
  }
  return c;
}

void closer_close(struct closer *c, const int *fds, size_t n)
{
  if (n == 0)
    return;
  if (c != NULL) {
    pthread_mutex_lock(&c->lock);
    if (c->head > 0) { /* room at the front first */
      memmove(c->fds, c->fds + c->head, (c->n - c->head) * sizeof *c->fds);
      c->n -= c->head;
      c->head = 0;
    }
    if (c->n + n > c->cap) {
      size_t cap = (c->n + n) * 2;
      int *grown = realloc(c->fds, cap * sizeof *grown);
      if (grown != NULL) {
        c->fds = grown;
        c->cap = cap;
      }
    }
    int queued = c->n + n <= c->cap;
    for (size_t i = 0; queued && i < n; i++)
      c->fds[c->n++] = fds[i];
    if (queued)
      c->handed += n;
    pthread_mutex_unlock(&c->lock);
    if (queued) {
      pthread_cond_signal(&c->wake);
      return;
    }
  }
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

int closer_watch(struct closer *c, long long now_ms)
{
  if (c == NULL)
    return -1;
  pthread_mutex_lock(&c->lock);
  long long since = c->busy_since;
  int pending = c->n > c->head || since != 0;
  if (since != 0 && now_ms - since >= PATIENCE_MS) {
    pthread_kill(c->thread, CLOSER_SIGNAL);
    c->busy_since = since = now_ms; /* again after another moment */
  }
  pthread_mutex_unlock(&c->lock);
  if (!pending)
    return -1;
  long long left = since ? since + PATIENCE_MS - now_ms : PATIENCE_MS;
  return left > 0 ? (int)left : 0;
}

unsigned long long closer_ticket(struct closer *c)
{
  if (c == NULL)
    return 0;
  pthread_mutex_lock(&c->lock);
  unsigned long long ticket = c->handed;
  pthread_mutex_unlock(&c->lock);
  return ticket;
}

int closer_fd(struct closer *c)
{
  return c == NULL ? -1 : c->done_pipe[0];
}

void closer_drain(struct closer *c)
{
  /* One read: bytes left over wake the loop once more, which is cheaper
   * than the read that would find none. */
  char bytes[256];
  if (c != NULL)
    (void)!read(c->done_pipe[0], bytes, sizeof bytes);
}

int closer_done(struct closer *c, unsigned long long ticket)
{
  if (c == NULL)
    return 1;
  pthread_mutex_lock(&c->lock);
  int done = c->closed >= ticket;
  pthread_mutex_unlock(&c->lock);
  return done;
}

void closer_stop(struct closer *c)
{
  if (c == NULL)
    return;
  pthread_mutex_lock(&c->lock);
  c->stopping = 1;
  pthread_mutex_unlock(&c->lock);
  pthread_cond_signal(&c->wake);
  /* Keep cutting lingering closes short until the queue is empty. */
  for (;;) {
    pthread_mutex_lock(&c->lock);
    int done = c->n == c->head && c->busy_since == 0;
    pthread_mutex_unlock(&c->lock);
    if (done)
      break;
    closer_watch(c, fdp_now_ms());
    usleep(1000);
  }
  pthread_join(c->thread, NULL);
  sigaction(CLOSER_SIGNAL, &c->old_action, NULL);
  pthread_cond_destroy(&c->wake);
  pthread_mutex_destroy(&c->lock);
  close(c->done_pipe[0]);
  close(c->done_pipe[1]);
  free(c->fds);
  free(c);
}
