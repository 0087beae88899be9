/* SPDX-License-Identifier: MIT */
/*
 * runner.c - runs the tests that criterion.h registers (see there for what
 * is Criterion's behaviour and what differs), one process per test, and
 * prints Criterion's lines: [FAIL], [SKIP], [----] messages and the
 * closing "[====] Synthesis: ..." line. Options: --filter SUITE/TEST (a
 * glob), --verbose (print passing tests too), --jobs N and
 * --short-filename (accepted: file names are always short here), and one
 * Criterion lacks: --skip SUITE/TEST=REASON skips the tests the glob matches
 * and says why, for a test that an emulator cannot run faithfully.
 */
#define _GNU_SOURCE

#include "criterion/criterion.h"

#include <fnmatch.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_TESTS = 1024 };
static const struct crt_test *registered[MAX_TESTS];
static size_t nregistered;

void crt_register(const struct crt_test *test)
{
  if (nregistered == MAX_TESTS) {
    fprintf(stderr, "criterion runner: more than %d tests\n", MAX_TESTS);
    exit(2);
  }
  registered[nregistered++] = test;
}

/* What the test's process tells the runner. Shared memory, not a pipe: a
 * pipe would be a descriptor the test sees, and counts. Processes the test
 * forks share it too, so their failed assertions count. */
static struct outcome {
  volatile sig_atomic_t failed, skipped, finished;
} *outcome;

static pid_t test_pid;
static pthread_t test_thread;
static jmp_buf test_end;

static void report(const char *file, int line, const char *expression,
                   const char *format, va_list ap)
{
  char message[1024];
  vsnprintf(message, sizeof message, format, ap);
  const char *base = strrchr(file, '/');
  fprintf(stderr, "[----] %s:%d: Assertion Failed\n[----]   ",
          base ? base + 1 : file, line);
  if (message[1])
    fprintf(stderr, "%s\n", message + 1);
  else
    fprintf(stderr, "The expression %s is false.\n", expression);
  outcome->failed = 1;
}

/* Leave the test: back to run_in_child() if this is the test's own thread,
 * else (a process the test forked, another thread) end this process. */
static _Noreturn void leave_test(void)
{
  if (getpid() == test_pid && pthread_equal(pthread_self(), test_thread))
    longjmp(test_end, 1);
  fflush(NULL);
  _exit(1);
}

void crt_abort(const char *file, int line, const char *expression,
               const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  report(file, line, expression, format, ap);
  va_end(ap);
  leave_test();
}

void crt_fail(const char *file, int line, const char *expression,
              const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  report(file, line, expression, format, ap);
  va_end(ap);
}

static const struct crt_test *current;

void crt_skip(const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  fprintf(stderr, "[SKIP] %s::%s:", current->suite, current->name);
  vfprintf(stderr, format, ap);
  fputc('\n', stderr);
  va_end(ap);
  outcome->skipped = 1;
  leave_test();
}

void crt_log(const char *level, const char *format, ...)
{
  va_list ap;
  va_start(ap, format);
  fprintf(stderr, "[%s] ", level);
  vfprintf(stderr, format, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* In the test's process: the suite's .init, the test's, the test, then the
 * .fini functions in reverse, as Criterion does. */
static _Noreturn void run_in_child(const struct crt_test *test,
                                   const struct crt_test *suite)
{
  test_pid = getpid();
  test_thread = pthread_self();
  int initialised = 0;
  if (setjmp(test_end) == 0) {
    if (suite->init)
      suite->init();
    if (test->init)
      test->init();
    initialised = 1;
    test->fn();
  }
  if (initialised && setjmp(test_end) == 0) {
    if (test->fini)
      test->fini();
    if (suite->fini)
      suite->fini();
  }
  outcome->finished = 1;
  exit(0);
}

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Wait for the test's process for at most `timeout` seconds (0: forever);
 * 1 if it ended, 0 if it was killed for taking too long. SIGCHLD is blocked
 * (since before the fork), so sigtimedwait sees the child end at once. */
static int wait_test(pid_t pid, double timeout, int *status)
{
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  double deadline = now() + timeout;
  while (waitpid(pid, status, WNOHANG) != pid) {
    double left = timeout > 0 ? deadline - now() : 1.0;
    if (left <= 0) {
      kill(-pid, SIGKILL); /* its process group: whatever it forked */
      waitpid(pid, status, 0);
      return 0;
    }
    struct timespec wait = {(time_t)left,
                            (long)((left - (double)(time_t)left) * 1e9)};
    sigtimedwait(&chld, NULL, &wait);
  }
  return 1;
}

enum verdict { PASSED, SKIPPED, FAILED, CRASHED };

static enum verdict run_test(const struct crt_test *test,
                             const struct crt_test *suite, int verbose)
{
  double timeout = test->timeout > 0 ? test->timeout : suite->timeout;
  memset(outcome, 0, sizeof *outcome);
  current = test;
  fflush(NULL);
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &old);
  double start = now();
  pid_t pid = fork();
  if (pid < 0) {
    perror("criterion runner: fork");
    exit(2);
  }
  if (pid == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    setpgid(0, 0);
    run_in_child(test, suite);
  }
  int status;
  int ended = wait_test(pid, timeout, &status);
  sigprocmask(SIG_SETMASK, &old, NULL);
  double took = now() - start;

  const char *name = test->name, *s = test->suite;
  if (!ended) {
    fprintf(stderr, "[FAIL] %s::%s: Timed out. (%.2fs)\n", s, name, took);
    return FAILED;
  }
  if (WIFSIGNALED(status) && WTERMSIG(status) != test->signal) {
    fprintf(stderr, "[FAIL] %s::%s: CRASH! (signal %d, %s)\n", s, name,
            WTERMSIG(status), strsignal(WTERMSIG(status)));
    return CRASHED;
  }
  if (outcome->failed) {
    fprintf(stderr, "[FAIL] %s::%s: (%.2fs)\n", s, name, took);
    return FAILED;
  }
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (test->signal != 0 || code != test->exit_code ||
        (!outcome->finished && test->exit_code == 0)) {
      fprintf(stderr, "[FAIL] %s::%s: exited with %d%s (%.2fs)\n", s, name,
              code, outcome->finished ? "" : " before the test ended", took);
      return FAILED;
    }
  }
  if (outcome->skipped)
    return SKIPPED;
  if (verbose)
    fprintf(stderr, "[PASS] %s::%s: (%.2fs)\n", s, name, took);
  return PASSED;
}

/* Criterion's order: by suite, then by test name (a suite's settings, which
 * have no name, first). */
static int by_name(const void *a, const void *b)
{
  const struct crt_test *x = *(const struct crt_test *const *)a;
  const struct crt_test *y = *(const struct crt_test *const *)b;
  int c = strcmp(x->suite, y->suite);
  if (c != 0 || x->name == NULL || y->name == NULL)
    return c ? c : (y->name == NULL) - (x->name == NULL);
  return strcmp(x->name, y->name);
}

static const struct crt_test *suite_of(const struct crt_test *test)
{
  static const struct crt_test none;
  for (size_t i = 0; i < nregistered; i++)
    if (registered[i]->fn == NULL &&
        strcmp(registered[i]->suite, test->suite) == 0)
      return registered[i];
  return &none;
}

/* The reason given with the first --skip whose glob matches `id`, or NULL. */
static const char *skip_reason(char **argv, int argc, const char *id)
{
  for (int i = 1; i + 1 < argc; i++) {
    if (strcmp(argv[i], "--skip") != 0)
      continue;
    const char *glob = argv[++i], *reason = strchr(glob, '=');
    char pattern[256];
    if (reason == NULL || (size_t)(reason - glob) >= sizeof pattern)
      continue;
    memcpy(pattern, glob, (size_t)(reason - glob));
    pattern[reason - glob] = '\0';
    if (fnmatch(pattern, id, 0) == 0)
      return reason + 1;
  }
  return NULL;
}

int main(int argc, char **argv)
{
  const char *filter = "*";
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
      filter = argv[++i];
    else if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc &&
             strchr(argv[i + 1], '=') != NULL)
      i++;
    else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
      i++;
    else if (strcmp(argv[i], "--verbose") == 0)
      verbose = 1;
    else if (strcmp(argv[i], "--short-filename") != 0) {
      fprintf(stderr, "usage: %s [--filter SUITE/TEST] [--verbose] "
              "[--jobs N] [--short-filename] [--skip SUITE/TEST=REASON]...\n",
              argv[0]);
      return 2;
    }
  }
  outcome = mmap(NULL, sizeof *outcome, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (outcome == MAP_FAILED) {
    perror("criterion runner: mmap");
    return 2;
  }

  qsort(registered, nregistered, sizeof registered[0], by_name);
  int counts[CRASHED + 1] = {0};
  for (size_t i = 0; i < nregistered; i++) {
    const struct crt_test *test = registered[i], *suite = suite_of(test);
    char id[256];
    snprintf(id, sizeof id, "%s/%s", test->suite, test->name);
    if (test->fn == NULL || fnmatch(filter, id, 0) != 0)
      continue;
    const char *reason = skip_reason(argv, argc, id);
    if (reason == NULL && (test->disabled || suite->disabled))
      reason = "test is disabled";
    if (reason != NULL) {
      fprintf(stderr, "[SKIP] %s::%s: %s\n", test->suite, test->name, reason);
      continue;
    }
    counts[run_test(test, suite, verbose)]++;
  }
  /* As Criterion counts: a skipped test was not tested. */
  fprintf(stderr, "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d"
          " | Crashing: %d \n",
          counts[PASSED] + counts[FAILED] + counts[CRASHED], counts[PASSED],
          counts[FAILED] + counts[CRASHED], counts[CRASHED]);
  return counts[FAILED] + counts[CRASHED] > 0;
}
