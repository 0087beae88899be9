/* SPDX-License-Identifier: MIT */
/* test_faults.c - fault injection: descriptor exhaustion, signal storms
 * during large transfers, peers killed mid-message, the biggest messages. */
#define _GNU_SOURCE

#include "helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BIG = 4 << 20 };

FD_TEST(faults, recv_fds_at_the_descriptor_limit_is_etrunc_and_recovers)
{
  if (under_valgrind())
    cr_skip_test("valgrind does not pass RLIMIT_NOFILE on to the kernel");
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  int out[5] = {p[0], p[1], p[0], p[1], p[0]};
  size_t len = 2;
  assert_ok(fdpass_send_fds(a, "m1", &len, out, 5, 0));
  assert_ok(fdpass_send_fds(a, "m2", &len, out, 5, 0));

  int in[5];
  struct full_table table;
  fill_table(&table, 2); /* two free slots for five descriptors */
  char buf[4];
  size_t nfds = 5;
  len = sizeof buf;
  assert_status(fdpass_recv_fds(b, buf, &len, in, &nfds, 0), FDPASS_ETRUNC);
  cr_assert_eq(len, 2, "the data still arrives");
  cr_assert_arr_eq(buf, "m1", 2);
  cr_assert_eq(nfds, 2, "as many descriptors as there were slots");
  cr_assert(same_file(in[0], p[0]) && same_file(in[1], p[1]));
  close(in[0]);
  close(in[1]);
  empty_table(&table);

  nfds = 5; /* room again: the next message arrives whole */
  len = sizeof buf;
  assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, 0));
  cr_assert_eq(nfds, 5);
  cr_assert_arr_eq(buf, "m2", 2);
  for (int i = 0; i < 5; i++)
    close(in[i]);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

static void on_alarm(int sig)
{
  (void)sig;
}

/* A receiving thread: `len` bytes, up to FDPASS_MAX_FDS descriptors. */
struct transfer {
  int sock;
  unsigned char *data;
  size_t len;
  int fds[FDPASS_MAX_FDS];
  size_t nfds;
  int status;
};

static void *receive_all(void *arg)
{
  struct transfer *t = arg;
  size_t got = 0;
  while (got < t->len && t->status == FDPASS_OK) {
    size_t len = t->len - got, nfds = FDPASS_MAX_FDS - t->nfds;
    t->status = fdpass_recv_fds(t->sock, t->data + got, &len,
                                t->fds + t->nfds, &nfds, 0);
    got += t->status == FDPASS_OK ? len : 0;
    t->nfds += t->status == FDPASS_OK ? nfds : 0;
  }
  return NULL;
}

FD_TEST(faults, large_transfers_survive_a_signal_storm)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  /* Valgrind runs code many times slower: a smaller transfer, fewer
   * signals, the same number of interrupted calls or so. */
  size_t size = under_valgrind() ? BIG / 16 : BIG;
  long period_us = under_valgrind() ? 2000 : 200;
  unsigned char *out = malloc(size);
  static struct transfer t;
  t = (struct transfer){.sock = b, .data = malloc(size), .len = size};
  cr_assert(out && t.data);
  fill_pattern(out, size);

  /* Both threads take signals: the storm hits sender and receiver. */
  struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
  cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
  struct itimerval storm = {{0, period_us}, {0, period_us}};
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &storm, NULL);
  pthread_t receiver;
  cr_assert_eq(pthread_create(&receiver, NULL, receive_all, &t), 0);
  size_t len = size;
  int status = fdpass_send_fds(a, out, &len, p, 2, 0);
  pthread_join(receiver, NULL);
  setitimer(ITIMER_REAL, &off, NULL);

  assert_status(status, FDPASS_OK);
  cr_assert_eq(len, size);
  assert_status(t.status, FDPASS_OK);
  cr_assert_eq(memcmp(out, t.data, size), 0, "every byte, in order");
  cr_assert_eq(t.nfds, 2);
  cr_assert(same_file(t.fds[0], p[0]) && same_file(t.fds[1], p[1]));
  close(t.fds[0]);
  close(t.fds[1]);
  free(out);
  free(t.data);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(faults, a_sender_killed_mid_message_leaves_a_clean_end)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(b);
    unsigned char *out = malloc(BIG);
    fill_pattern(out, BIG);
    size_t len = BIG;
    fdpass_send_fds(a, out, &len, p, 2, 0); /* blocks: nobody reads yet */
    _exit(0);
  }
  close(a);
  /* Let the child queue what fits, then kill it mid-message. */
  assert_ok(fdpass_wait(b, FDPASS_READABLE, 10000));
  usleep(50 * 1000);
  kill(pid, SIGKILL);
  int wstatus;
  cr_assert_eq(waitpid(pid, &wstatus, 0), pid);

  unsigned char *want = malloc(BIG), *buf = malloc(BIG);
  fill_pattern(want, BIG);
  size_t got = 0, fds_got = 0;
  int in[4], status;
  for (;;) {
    size_t len = BIG - got, nfds = 4;
    status = fdpass_recv_fds(b, buf + got, &len, in, &nfds, 0);
    if (status != FDPASS_OK)
      break;
    for (size_t i = 0; i < nfds; i++)
      close(in[i]);
    fds_got += nfds;
    got += len;
  }
  assert_status(status, FDPASS_ECLOSED);
  cr_assert(got > 0 && got < BIG, "part of the message: %zu bytes", got);
  cr_assert_eq(memcmp(buf, want, got), 0, "what arrived is intact");
  cr_assert_eq(fds_got, 2, "the descriptors came with the first byte");
  free(want);
  free(buf);
  close(p[0]);
  close(p[1]);
  close(b);
}

FD_TEST(faults, the_biggest_message_arrives_whole)
{
  int a, b, out[FDPASS_MAX_FDS];
  make_pair(&a, &b);
  int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int i = 0; i < FDPASS_MAX_FDS; i++)
    out[i] = file;
  unsigned char *data = malloc(BIG);
  static struct transfer t;
  t = (struct transfer){.sock = b, .data = malloc(BIG), .len = BIG};
  cr_assert(data && t.data);
  fill_pattern(data, BIG);
  pthread_t receiver;
  cr_assert_eq(pthread_create(&receiver, NULL, receive_all, &t), 0);
  size_t len = BIG;
  assert_ok(fdpass_send_fds(a, data, &len, out, FDPASS_MAX_FDS, 0));
  pthread_join(receiver, NULL);
  assert_status(t.status, FDPASS_OK);
  cr_assert_eq(len, BIG);
  cr_assert_eq(memcmp(data, t.data, BIG), 0);
  cr_assert_eq(t.nfds, FDPASS_MAX_FDS);
  for (int i = 0; i < FDPASS_MAX_FDS; i++) {
    cr_assert(same_file(t.fds[i], file));
    close(t.fds[i]);
  }
  free(data);
  free(t.data);
  close(file);
  close(a);
  close(b);
}
