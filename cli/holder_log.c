/* SPDX-License-Identifier: MIT */
/* holder_log.c - see holder_log.h. */
#define _GNU_SOURCE

#include "holder_log.h"
#include "report.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Lines queued at most (the holder logs 10 a second at most), and their
 * length. */
#define QUEUED 64
#define LINE 256

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  pthread_t thread;
  int running, stopping, writing;
  const char *what;
  char lines[QUEUED][LINE];
  size_t head, n;
  unsigned long dropped;
} q = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .changed = PTHREAD_COND_INITIALIZER};

/* One line on stderr with one write(2), not stdio: a write that waits
 * must not hold stderr's lock, which the main thread may need. */
static void write_line(const char *text)
{
  char line[LINE + 512];
  size_t len = report_format(line, sizeof line, q.what, text);
  (void)!write(STDERR_FILENO, line, len);
}

static void *write_lines(void *arg)
{
  (void)arg;
  pthread_mutex_lock(&q.lock);
  for (;;) {
    while (q.n == 0 && q.dropped == 0 && !q.stopping)
      pthread_cond_wait(&q.changed, &q.lock);
    if (q.n == 0 && q.dropped == 0)
      break; /* stopping, everything written */
    char text[LINE];
    if (q.n > 0) {
      memcpy(text, q.lines[q.head], sizeof text);
      q.head = (q.head + 1) % QUEUED;
      q.n--;
    } else {
      snprintf(text, sizeof text,
               "%lu log lines dropped: stderr was not read in time",
               q.dropped);
      q.dropped = 0;
    }
    q.writing = 1;
    pthread_mutex_unlock(&q.lock);
    write_line(text);
    pthread_mutex_lock(&q.lock);
    q.writing = 0;
    pthread_cond_broadcast(&q.changed);
  }
  pthread_mutex_unlock(&q.lock);
  return NULL;
}

void holder_log_start(const char *what)
{
  q.what = what;
  /* Signals stay with the main thread, which handles SIGTERM. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  q.running = pthread_create(&q.thread, NULL, write_lines, NULL) == 0;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void holder_log_line(void *context, const char *text)
{
  (void)context;
  if (!q.running) {
    write_line(text);
    return;
  }
  pthread_mutex_lock(&q.lock);
  if (q.n == QUEUED) {
    q.dropped++;
  } else {
    snprintf(q.lines[(q.head + q.n) % QUEUED], LINE, "%s", text);
    q.n++;
  }
  pthread_cond_broadcast(&q.changed);
  pthread_mutex_unlock(&q.lock);
}

void holder_log_stop(void)
{
  if (!q.running)
    return;
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 1;
  pthread_mutex_lock(&q.lock);
  q.stopping = 1;
  pthread_cond_broadcast(&q.changed);
  int timed_out = 0;
  while ((q.n > 0 || q.dropped > 0 || q.writing) && !timed_out)
    timed_out = pthread_cond_timedwait(&q.changed, &q.lock, &until) != 0;
  pthread_mutex_unlock(&q.lock);
  if (timed_out)
    pthread_detach(q.thread); /* stuck on stderr: it ends with us */
  else
    pthread_join(q.thread, NULL);
  q.running = 0;
}
