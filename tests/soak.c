/* SPDX-License-Identifier: MIT */
/*
 * soak.c - many passes across processes and threads, with the descriptor
 * table checked before and after in every process. The size knob is the
 * environment variable FDPASS_SOAK_PASSES (passes per phase; CI runs a
 * bounded number, maintainers run millions):
 *   FDPASS_SOAK_PASSES=5000000 ./build/tests/fdpass_soak
 * The last line reports messages, descriptors passed and descriptors
 * leaked; the exit status is 0 only when nothing leaked or failed.
 */
#define _GNU_SOURCE

#include <fdpass.h>

#include "open_fds.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { THREADS = 4, BATCH = FDPASS_MAX_FDS };

static long passes = 100000;
static int failed;

static void fail(const char *what, int status)
{
  fprintf(stderr, "soak: %s: %s\n", what, fdpass_strerror(status));
  failed = 1;
}

/* Counters; each phase adds what it did. */
static long messages, descriptors;

/* Echo what arrives back to the sender until the end; exit 0 if the
 * child's own table ends as it began and nothing failed. */
static void echo_child(int sock)
{
  int before = open_fds();
  int fds[BATCH];
  char data[8];
  for (;;) {
    size_t len = sizeof data, nfds = BATCH;
    int status = fdpass_recv_fds(sock, data, &len, fds, &nfds, 0);
    if (status == FDPASS_ECLOSED)
      break;
    if (status != FDPASS_OK)
      _exit(2);
    status = fdpass_send_fds(sock, data, &len, fds, nfds, 0);
    for (size_t i = 0; i < nfds; i++)
      close(fds[i]);
    if (status != FDPASS_OK)
      _exit(3);
  }
  close(sock);
  _exit(open_fds() == before - 1 ? 0 : 4);
}

/* Phase 1: one descriptor (and every 1000th time a full batch) to a child
 * process and back. */
static void across_processes(int file)
{
  int a, b;
  int status = fdpass_socketpair(&a, &b);
  if (status != FDPASS_OK)
    return fail("socketpair", status);
  pid_t pid = fork();
  if (pid == 0) {
    close(a);
    echo_child(b);
  }
  close(b);
  int out[BATCH], in[BATCH];
  for (int i = 0; i < BATCH; i++)
    out[i] = file;
  struct stat want, got;
  fstat(file, &want);
  for (long n = 0; n < passes && !failed; n++) {
    size_t nfds = n % 1000 == 999 ? BATCH : 1, len = 1, cap = BATCH;
    if ((status = fdpass_send_fds(a, "p", &len, out, nfds, 0)) != FDPASS_OK)
      return fail("send to child", status);
    len = 1;
    if ((status = fdpass_recv_fds(a, (char[1]){0}, &len, in, &cap, 0)) !=
        FDPASS_OK)
      return fail("receive from child", status);
    if (cap != nfds)
      return fail("descriptors lost on the way", FDPASS_ETRUNC);
    if (fstat(in[0], &got) != 0 || got.st_ino != want.st_ino)
      return fail("a wrong descriptor came back", FDPASS_EBADF);
    for (size_t i = 0; i < cap; i++)
      close(in[i]);
    messages += 2;
    descriptors += 2 * (long)nfds;
  }
  close(a);
  int wstatus;
  if (waitpid(pid, &wstatus, 0) != pid || !WIFEXITED(wstatus) ||
      WEXITSTATUS(wstatus) != 0) {
    fprintf(stderr, "soak: child failed or leaked (status %#x)\n", wstatus);
    failed = 1;
  }
}

struct pair {
  int sock, file, status;
};

static void *send_many(void *arg)
{
  struct pair *p = arg;
  for (long n = 0; n < passes / THREADS && p->status == FDPASS_OK; n++)
    p->status = fdpass_send(p->sock, p->file);
  return NULL;
}

static void *receive_many(void *arg)
{
  struct pair *p = arg;
  struct stat want, got;
  fstat(p->file, &want);
  for (long n = 0; n < passes / THREADS && p->status == FDPASS_OK; n++) {
    int fd;
    p->status = fdpass_recv(p->sock, &fd);
    if (p->status != FDPASS_OK)
      break;
    if (fstat(fd, &got) != 0 || got.st_ino != want.st_ino)
      p->status = FDPASS_EBADF; /* a wrong descriptor arrived */
    close(fd);
  }
  return NULL;
}

/* Phase 2: THREADS sender/receiver pairs at once, each on its socket. */
static void across_threads(int file)
{
  struct pair senders[THREADS], receivers[THREADS];
  pthread_t threads[2 * THREADS];
  for (int i = 0; i < THREADS; i++) {
    int a, b;
    int status = fdpass_socketpair(&a, &b);
    if (status != FDPASS_OK)
      return fail("socketpair", status);
    senders[i] = (struct pair){a, file, FDPASS_OK};
    receivers[i] = (struct pair){b, file, FDPASS_OK};
    pthread_create(&threads[2 * i], NULL, send_many, &senders[i]);
    pthread_create(&threads[2 * i + 1], NULL, receive_many, &receivers[i]);
  }
  for (int i = 0; i < 2 * THREADS; i++)
    pthread_join(threads[i], NULL);
  for (int i = 0; i < THREADS; i++) {
    if (senders[i].status != FDPASS_OK)
      fail("thread send", senders[i].status);
    if (receivers[i].status != FDPASS_OK)
      fail("thread receive", receivers[i].status);
    close(senders[i].sock);
    close(receivers[i].sock);
  }
  messages += passes / THREADS * THREADS;
  descriptors += passes / THREADS * THREADS;
}

int main(void)
{
  const char *knob = getenv("FDPASS_SOAK_PASSES");
  if (knob != NULL && (passes = strtol(knob, NULL, 10)) <= 0) {
    fprintf(stderr, "soak: FDPASS_SOAK_PASSES must be a positive number\n");
    return 2;
  }
  int before = open_fds();
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  across_processes(file);
  across_threads(file);
  close(file);
  int leaked = open_fds() - before;
  printf("soak: %ld messages, %ld descriptors passed, %d leaked, %s\n",
         messages, descriptors, leaked, failed ? "FAILED" : "all intact");
  return failed || leaked != 0;
}
