/* SPDX-License-Identifier: MIT */
/* test_process.c - descriptors between real processes, and many threads
 * passing at once, on their own sockets and on one. */
#define _GNU_SOURCE

#include "helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { ROUNDS = 2000 };

/* The child echoes every descriptor it receives straight back, until EOF. */
static void echo_child(int sock)
{
  for (;;) {
    int fd;
    int status = fdpass_recv(sock, &fd);
    if (status == FDPASS_ECLOSED)
      _exit(0);
    if (status != FDPASS_OK || fdpass_send(sock, fd) != FDPASS_OK)
      _exit(1);
    close(fd);
  }
}

FD_TEST(process, descriptors_go_to_a_child_and_back)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(a);
    echo_child(b);
  }
  close(b);
  for (int i = 0; i < ROUNDS; i++) {
    int back;
    assert_ok(fdpass_send(a, p[i % 2]));
    assert_ok(fdpass_recv(a, &back));
    cr_assert(same_file(back, p[i % 2]), "round %d", i);
    close(back);
  }
  close(a);
  wait_child_ok(pid);
  close(p[0]);
  close(p[1]);
}

FD_TEST(process, a_child_writes_through_a_passed_pipe)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(a);
    close(p[0]);
    close(p[1]); /* the child has no pipe of its own */
    int fd;
    if (fdpass_recv(b, &fd) != FDPASS_OK)
      _exit(1);
    static const char text[] = "written by the child";
    _exit(write(fd, text, sizeof text - 1) == sizeof text - 1 ? 0 : 2);
  }
  close(b);
  assert_ok(fdpass_send(a, p[1]));
  close(p[1]);
  char buf[64];
  ssize_t n = read(p[0], buf, sizeof buf);
  cr_assert_eq(n, 20);
  cr_assert_arr_eq(buf, "written by the child", 20);
  wait_child_ok(pid);
  close(p[0]);
  close(a);
}

FD_TEST(process, a_peer_killed_mid_stream_is_eclosed)
{
  int a, b, got;
  make_pair(&a, &b);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(a);
    pause();
    _exit(0);
  }
  close(b);
  kill(pid, SIGKILL);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  assert_status(fdpass_recv(a, &got), FDPASS_ECLOSED);
  signal(SIGPIPE, SIG_DFL);
  assert_status(fdpass_send(a, a), FDPASS_ECLOSED);
  close(a);
}

FD_TEST(process, a_sender_that_dies_leaves_its_messages_deliverable)
{
  int a, b, p[2], got;
  make_pair(&a, &b);
  make_pipe(p);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    close(b);
    int ok = fdpass_send(a, p[1]) == FDPASS_OK;
    _exit(ok ? 0 : 1); /* gone before anyone received */
  }
  wait_child_ok(pid);
  close(a);
  assert_ok(fdpass_recv(b, &got));
  cr_assert(same_file(got, p[1]));
  close(got);
  assert_status(fdpass_recv(b, &got), FDPASS_ECLOSED);
  close(p[1]);
  close(p[0]);
  close(b);
}

struct worker {
  int sock;
  int fd;
  int failures;
};

static void *sender(void *arg)
{
  struct worker *w = arg;
  for (int i = 0; i < ROUNDS; i++)
    if (fdpass_send(w->sock, w->fd) != FDPASS_OK)
      w->failures++;
  return NULL;
}

static void *receiver(void *arg)
{
  struct worker *w = arg;
  for (int i = 0; i < ROUNDS; i++) {
    int fd;
    if (fdpass_recv(w->sock, &fd) != FDPASS_OK) {
      w->failures++;
      continue;
    }
    struct stat want, got;
    if (fstat(fd, &got) != 0 || fstat(w->fd, &want) != 0 ||
        got.st_ino != want.st_ino)
      w->failures++;
    close(fd);
  }
  return NULL;
}

FD_TEST(process, threads_pass_concurrently_on_their_own_sockets)
{
  enum { PAIRS = 4 };
  struct worker senders[PAIRS], receivers[PAIRS];
  pthread_t threads[2 * PAIRS];
  int pipes[PAIRS][2];
  for (int i = 0; i < PAIRS; i++) {
    int a, b;
    make_pair(&a, &b);
    make_pipe(pipes[i]);
    senders[i] = (struct worker){.sock = a, .fd = pipes[i][i % 2]};
    receivers[i] = (struct worker){.sock = b, .fd = pipes[i][i % 2]};
  }
  for (int i = 0; i < PAIRS; i++) {
    cr_assert_eq(pthread_create(&threads[2 * i], NULL, sender, &senders[i]), 0);
    cr_assert_eq(
        pthread_create(&threads[2 * i + 1], NULL, receiver, &receivers[i]), 0);
  }
  for (int i = 0; i < 2 * PAIRS; i++)
    pthread_join(threads[i], NULL);
  for (int i = 0; i < PAIRS; i++) {
    cr_assert_eq(senders[i].failures, 0, "pair %d", i);
    cr_assert_eq(receivers[i].failures, 0, "pair %d", i);
    close(senders[i].sock);
    close(receivers[i].sock);
    close(pipes[i][0]);
    close(pipes[i][1]);
  }
}

FD_TEST(process, threads_share_one_socket_and_lose_nothing)
{
  enum { THREADS = 4 };
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  struct worker senders[THREADS];
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) {
    senders[i] = (struct worker){.sock = a, .fd = p[1]};
    cr_assert_eq(pthread_create(&threads[i], NULL, sender, &senders[i]), 0);
  }
  struct worker r = {.sock = b, .fd = p[1]};
  for (int i = 0; i < THREADS; i++)
    receiver(&r); /* each message is whole: one byte, one descriptor */
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    cr_assert_eq(senders[i].failures, 0);
  }
  cr_assert_eq(r.failures, 0);
  assert_status(fdpass_wait(b, FDPASS_READABLE, 0), FDPASS_ETIMEDOUT);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

/* The most data that fdpass.h promises a stream send keeps in one piece. */
enum { WHOLE = 2048, WHOLE_SENDS = 400 };

struct whole_sender {
  int sock, fd;
  unsigned char id;
  int partial; /* sends that FDPASS_NONBLOCK cut short */
  int failure; /* the status that ended the thread, or FDPASS_OK */
};

/* A thread of its own: it reports, the test's thread asserts. */
static void *send_whole(void *arg)
{
  struct whole_sender *w = arg;
  unsigned char data[WHOLE];
  memset(data, w->id, sizeof data);
  for (int i = 0; i < WHOLE_SENDS && w->failure == FDPASS_OK; i++) {
    size_t len;
    do {
      len = sizeof data;
      w->failure = fdpass_send_fds(w->sock, data, &len, &w->fd, 1,
                                   FDPASS_NONBLOCK);
    } while (w->failure == FDPASS_EAGAIN &&
             (w->failure = fdpass_wait(w->sock, FDPASS_WRITABLE, 10000)) ==
                 FDPASS_OK);
    if (w->failure == FDPASS_OK && len != sizeof data) {
      w->partial++; /* the rest, so that the receiver gets every byte */
      size_t rest = sizeof data - len;
      w->failure = fdpass_send_fds(w->sock, data + len, &rest, NULL, 0, 0);
    }
  }
  return NULL;
}

/* Two threads send non-blocking on one stream socket with the smallest
 * send buffer the kernel allows: each send of WHOLE bytes and a descriptor
 * goes whole, and arrives whole, never mixed with the other's bytes. */
FD_TEST(process, concurrent_sends_of_up_to_2048_bytes_never_interleave)
{
  int a, b, p[2], tiny = 1;
  make_pair(&a, &b);
  make_pipe(p);
  cr_assert_eq(setsockopt(a, SOL_SOCKET, SO_SNDBUF, &tiny, sizeof tiny), 0);
  struct whole_sender senders[2] = {{a, p[0], 'a', 0, FDPASS_OK},
                                    {a, p[1], 'b', 0, FDPASS_OK}};
  pthread_t threads[2];
  for (int i = 0; i < 2; i++)
    cr_assert_eq(pthread_create(&threads[i], NULL, send_whole, &senders[i]),
                 0);
  static unsigned char stream[2 * WHOLE_SENDS * WHOLE];
  size_t got = 0, fds = 0;
  while (got < sizeof stream) {
    int in[4];
    size_t len = sizeof stream - got, nfds = 4;
    cr_assert_eq(fdpass_wait(b, FDPASS_READABLE, 10000), FDPASS_OK,
                 "%zu of %zu bytes came, then nothing for 10 s", got,
                 sizeof stream);
    assert_ok(fdpass_recv_fds(b, stream + got, &len, in, &nfds, 0));
    for (size_t i = 0; i < nfds; i++)
      close(in[i]);
    got += len;
    fds += nfds;
  }
  for (int i = 0; i < 2; i++) {
    pthread_join(threads[i], NULL);
    assert_ok(senders[i].failure);
    cr_assert_eq(senders[i].partial, 0, "thread %d: %d sends cut short", i,
                 senders[i].partial);
  }
  cr_assert_eq(fds, 2 * WHOLE_SENDS);
  for (size_t at = 0; at < sizeof stream; at += WHOLE)
    for (size_t i = 1; i < WHOLE; i++)
      cr_assert_eq(stream[at + i], stream[at],
                   "the send at byte %zu is mixed with another", at);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}
