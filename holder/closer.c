/* SPDX-License-Identifier: MIT */
/* closer.c - see closer.h. */
#define _GNU_SOURCE

#include "closer.h"

#include "deadline.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The signal that interrupts a lingering close, and how long a close may
 * take before it is sent (and between two). */
#define CLOSER_SIGNAL SIGURG
#define PATIENCE_MS 50
/* A close that the signal does not end (one waiting in a file system: a
 * FUSE server that does not answer the flush every close makes) is left
 * to its thread after this long; a new thread goes on with the queue. At
 * most ABANDONED_MAX threads are left so; then the closer waits too. */
#define ABANDON_MS (4 * PATIENCE_MS)
#define ABANDONED_MAX 64
#define WORKER_STACK (64 * 1024)

/* A closing thread and the state of its close in progress. The closer
 * and the thread both change the state, by atomic exchange: whichever
 * comes second learns what the other did. An abandoned thread never
 * touches the closer again, which may be gone by then. */
enum { IDLE, BUSY, DONE, ABANDONED };
struct worker {
  struct closer *c;
  pthread_t thread;
  atomic_int state;
};

struct closer {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  struct worker *worker; /* the one that takes the queue (NULL: none yet) */
  unsigned abandoned;    /* threads left in a close */
  int *fds; /* handed over, not closed yet: fds[head..n) */
  size_t head, n, cap;
  unsigned long long handed, closed; /* ever */
  int stopping;
  int done_pipe[2]; /* a byte after each close: the loop's wake-up */
  long long busy_since; /* when the close in progress began; 0: none */
  long long signalled;  /* when it was last sent CLOSER_SIGNAL */
  struct sigaction old_action;
};

static void on_closer_signal(int signal_number)
{
  (void)signal_number; /* its arrival is all: the close returns */
}

/* A close is done (or given up on): count it, wake the loop. Locked. */
static void count_closed(struct closer *c)
{
  c->busy_since = 0;
  c->closed++;
  (void)!write(c->done_pipe[1], "", 1); /* full: the loop wakes anyway */
}

static void *closing_thread(void *arg)
{
  struct worker *w = arg;
  struct closer *c = w->c;
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
    atomic_store(&w->state, BUSY);
    pthread_mutex_unlock(&c->lock);
    close(fd);
    if (atomic_exchange(&w->state, DONE) == ABANDONED) {
      free(w); /* counted already; the closer went on without us */
      return NULL;
    }
    pthread_mutex_lock(&c->lock);
    count_closed(c);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

/* A new closing thread, with every signal blocked but its own (the
 * process's handlers, SIGTERM's, run on the other threads); NULL when it
 * cannot be. */
static struct worker *start_worker(struct closer *c)
{
  struct worker *w = calloc(1, sizeof *w);
  if (w == NULL)
    return NULL;
  w->c = c;
  atomic_init(&w->state, IDLE);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, WORKER_STACK); /* a close needs little */
  sigset_t all, old;
  sigfillset(&all);
  sigdelset(&all, CLOSER_SIGNAL);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int failed = pthread_create(&w->thread, &attr, closing_thread, w);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
  if (failed) {
    free(w);
    return NULL;
  }
  return w;
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
  c->worker = start_worker(c);
  if (c->worker == NULL) {
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
  int expected = BUSY;
  /* Read before the exchange: once abandoned, the worker frees itself. */
  pthread_t busy = since != 0 ? c->worker->thread : pthread_self();
  if (since != 0 && now_ms - since >= ABANDON_MS &&
      c->abandoned < ABANDONED_MAX &&
      atomic_compare_exchange_strong(&c->worker->state, &expected,
                                     ABANDONED)) {
    /* Stuck, signals or not: leave the close to its thread. */
    pthread_detach(busy);
    c->worker = NULL;
    c->abandoned++;
    count_closed(c);
    since = 0;
  } else if (since != 0 && now_ms - since >= PATIENCE_MS &&
             now_ms - c->signalled >= PATIENCE_MS) {
    pthread_kill(busy, CLOSER_SIGNAL);
    c->signalled = now_ms;
  }
  if (c->worker == NULL) /* none since one was left, or none could start */
    c->worker = start_worker(c);
  int pending = c->n > c->head || since != 0;
  /* Looked at again when the next signal is due. */
  long long next = since == 0 ? now_ms + PATIENCE_MS
                   : now_ms - since < PATIENCE_MS ? since + PATIENCE_MS
                                                  : c->signalled + PATIENCE_MS;
  pthread_mutex_unlock(&c->lock);
  if (!pending)
    return -1;
  return next > now_ms ? (int)(next - now_ms) : 0;
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
  pthread_cond_broadcast(&c->wake);
  pthread_mutex_unlock(&c->lock);
  /* Keep cutting lingering closes short, and leaving stuck ones, until
   * the queue is empty. */
  for (;;) {
    closer_watch(c, fdp_now_ms());
    pthread_mutex_lock(&c->lock);
    int done = c->n == c->head && c->busy_since == 0;
    struct worker *w = c->worker;
    pthread_mutex_unlock(&c->lock);
    if (done || w == NULL) /* no thread at all: what is left closes here */
      break;
    usleep(1000);
  }
  for (size_t i = c->head; i < c->n; i++)
    close(c->fds[i]);
  if (c->worker) {
    pthread_join(c->worker->thread, NULL);
    free(c->worker);
  }
  sigaction(CLOSER_SIGNAL, &c->old_action, NULL);
  pthread_cond_destroy(&c->wake);
  pthread_mutex_destroy(&c->lock);
  close(c->done_pipe[0]);
  close(c->done_pipe[1]);
  free(c->fds);
  free(c);
}
