/* SPDX-License-Identifier: MIT */
/* test_batch.c - fdpass_send_fds/fdpass_recv_fds: data with up to
 * FDPASS_MAX_FDS descriptors per message, truncation, flags, non-blocking
 * paths and the guarantee that stream data is never lost. */
#define _GNU_SOURCE

#include "helpers.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static void close_all(const int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++)
    close(fds[i]);
}

FD_TEST(batch, max_descriptors_round_trip_in_order)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  int out[FDPASS_MAX_FDS], in[FDPASS_MAX_FDS];
  for (int i = 0; i < FDPASS_MAX_FDS; i++)
    out[i] = p[i % 2];
  size_t len = 3;
  assert_ok(fdpass_send_fds(a, "abc", &len, out, FDPASS_MAX_FDS, 0));
  cr_assert_eq(len, 3);

  char buf[16];
  size_t nfds = FDPASS_MAX_FDS;
  len = sizeof buf;
  assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, 0));
  cr_assert_eq(len, 3);
  cr_assert_arr_eq(buf, "abc", 3);
  cr_assert_eq(nfds, FDPASS_MAX_FDS);
  for (int i = 0; i < FDPASS_MAX_FDS; i++) {
    cr_assert(same_file(in[i], p[i % 2]), "descriptor %d in order", i);
    cr_assert(is_cloexec(in[i]));
  }
  close_all(in, nfds);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(batch, wire_format_is_data_plus_one_scm_rights)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  size_t len = 5;
  assert_ok(fdpass_send_fds(a, "hello", &len, p, 2, 0));
  struct raw_message m;
  raw_recv(b, 64, &m);
  cr_assert_eq(m.len, 5);
  cr_assert_arr_eq(m.data, "hello", 5);
  cr_assert_eq(m.cmsg_count, 1);
  cr_assert_eq(m.nfds, 2);
  cr_assert(same_file(m.fds[0], p[0]) && same_file(m.fds[1], p[1]));
  raw_close(&m);
  close_all(p, 2);
  close(a);
  close(b);
}

FD_TEST(batch, data_only_messages_are_fine)
{
  int a, b, fds[4];
  make_pair(&a, &b);
  size_t len = 4, nfds = 4;
  assert_ok(fdpass_send_fds(a, "data", &len, NULL, 0, 0));
  char buf[8];
  len = sizeof buf;
  assert_ok(fdpass_recv_fds(b, buf, &len, fds, &nfds, 0));
  cr_assert_eq(len, 4);
  cr_assert_eq(nfds, 0);
  cr_assert_arr_eq(buf, "data", 4);
  close(a);
  close(b);
}

FD_TEST(batch, too_many_arrivals_are_etrunc_with_what_fits_delivered)
{
  int a, b, p[2], in[3];
  make_pair(&a, &b);
  make_pipe(p);
  int out[10];
  for (int i = 0; i < 10; i++)
    out[i] = p[i % 2];
  size_t len = 2;
  assert_ok(fdpass_send_fds(a, "xy", &len, out, 10, 0));
  int before = count_fds();
  char buf[8];
  size_t nfds = 3;
  len = sizeof buf;
  assert_status(fdpass_recv_fds(b, buf, &len, in, &nfds, 0), FDPASS_ETRUNC);
  cr_assert_eq(len, 2, "the data is delivered");
  cr_assert_arr_eq(buf, "xy", 2);
  cr_assert_eq(nfds, 3, "the descriptors that fit are delivered");
  for (int i = 0; i < 3; i++)
    cr_assert(same_file(in[i], p[i % 2]));
  cr_assert_eq(count_fds(), before + 3, "the other 7 were closed");
  close_all(in, nfds);
  close_all(p, 2);
  close(a);
  close(b);
}

FD_TEST(batch, no_room_for_descriptors_is_etrunc_and_nothing_leaks)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  size_t len = 1;
  assert_ok(fdpass_send_fds(a, "z", &len, p, 2, 0));
  int before = count_fds();
  char buf[4];
  size_t nfds = 0;
  len = sizeof buf;
  assert_status(fdpass_recv_fds(b, buf, &len, NULL, &nfds, 0), FDPASS_ETRUNC);
  cr_assert_eq(len, 1);
  cr_assert_eq(buf[0], 'z');
  cr_assert_eq(nfds, 0);
  cr_assert_eq(count_fds(), before);
  close_all(p, 2);
  close(a);
  close(b);
}

FD_TEST(batch, stream_data_beyond_the_buffer_stays_for_the_next_call)
{
  int a, b, p[2], in[2];
  make_pair(&a, &b);
  make_pipe(p);
  size_t len = 6;
  assert_ok(fdpass_send_fds(a, "abcdef", &len, p, 2, 0));
  char buf[8];
  size_t nfds = 2;
  len = 2;
  assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, 0));
  cr_assert_eq(len, 2);
  cr_assert_arr_eq(buf, "ab", 2);
  cr_assert_eq(nfds, 2, "descriptors come with the first byte");
  close_all(in, 2);
  nfds = 2;
  len = sizeof buf;
  assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, 0));
  cr_assert_eq(len, 4);
  cr_assert_arr_eq(buf, "cdef", 4);
  cr_assert_eq(nfds, 0);
  close_all(p, 2);
  close(a);
  close(b);
}

FD_TEST(batch, consecutive_messages_keep_their_own_descriptors)
{
  int a, b, p[2], in[4];
  make_pair(&a, &b);
  make_pipe(p);
  size_t len = 1;
  assert_ok(fdpass_send_fds(a, "1", &len, &p[0], 1, 0));
  assert_ok(fdpass_send_fds(a, "2", &len, &p[1], 1, 0));
  char buf[8];
  for (int i = 0; i < 2; i++) {
    size_t nfds = 4;
    len = sizeof buf;
    assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, 0));
    cr_assert_eq(len, 1, "a message with descriptors ends the read");
    cr_assert_eq(buf[0], '1' + i);
    cr_assert_eq(nfds, 1);
    cr_assert(same_file(in[0], p[i]));
    close(in[0]);
  }
  close_all(p, 2);
  close(a);
  close(b);
}

FD_TEST(batch, nocloexec_makes_received_descriptors_inheritable)
{
  int a, b, in[1];
  make_pair(&a, &b);
  size_t len = 1, nfds = 1;
  char buf[1];
  assert_ok(fdpass_send_fds(a, "n", &len, &a, 1, 0));
  assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, FDPASS_NOCLOEXEC));
  cr_assert_eq(nfds, 1);
  cr_assert(!is_cloexec(in[0]));
  close(in[0]);
  close(a);
  close(b);
}

FD_TEST(batch, close_on_exec_holds_across_a_real_exec)
{
  int a, b, in[2];
  make_pair(&a, &b);
  size_t len = 1;
  int out[2] = {a, a};
  assert_ok(fdpass_send_fds(a, "e", &len, out, 1, 0));
  assert_ok(fdpass_send_fds(a, "e", &len, out, 1, 0));
  char buf[1];
  size_t n1 = 1, n2 = 1;
  len = 1;
  assert_ok(fdpass_recv_fds(b, buf, &len, &in[0], &n1, 0));
  len = 1;
  assert_ok(fdpass_recv_fds(b, buf, &len, &in[1], &n2, FDPASS_NOCLOEXEC));
  char script[128];
  /* The shell sees the inheritable one and not the close-on-exec one. */
  snprintf(script, sizeof script,
           "test ! -e /proc/self/fd/%d && test -e /proc/self/fd/%d", in[0],
           in[1]);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", script, (char *)NULL);
    _exit(127);
  }
  wait_child_ok(pid);
  close_all(in, 2);
  close(a);
  close(b);
}

FD_TEST(batch, invalid_arguments_are_einval)
{
  int a, b, fds[FDPASS_MAX_FDS + 1];
  make_pair(&a, &b);
  for (int i = 0; i <= FDPASS_MAX_FDS; i++)
    fds[i] = a;
  char buf[4];
  size_t len = 1, nfds = 1;

  assert_status(fdpass_send_fds(a, "x", NULL, fds, 1, 0), FDPASS_EINVAL);
  len = 1;
  assert_status(fdpass_send_fds(a, NULL, &len, fds, 1, 0), FDPASS_EINVAL);
  cr_assert_eq(len, 0, "*len is the bytes sent, also on failure");
  len = 1;
  assert_status(fdpass_send_fds(a, "x", &len, NULL, 1, 0), FDPASS_EINVAL);
  len = 1;
  assert_status(fdpass_send_fds(a, "x", &len, fds, FDPASS_MAX_FDS + 1, 0),
                FDPASS_EINVAL);
  len = 0;
  assert_status(fdpass_send_fds(a, "x", &len, fds, 1, 0), FDPASS_EINVAL);
  len = 1;
  assert_status(fdpass_send_fds(a, "x", &len, fds, 1, 0x100), FDPASS_EINVAL);

  len = sizeof buf;
  assert_status(fdpass_recv_fds(b, NULL, &len, fds, &nfds, 0), FDPASS_EINVAL);
  assert_status(fdpass_recv_fds(b, buf, NULL, fds, &nfds, 0), FDPASS_EINVAL);
  assert_status(fdpass_recv_fds(b, buf, &len, fds, NULL, 0), FDPASS_EINVAL);
  assert_status(fdpass_recv_fds(b, buf, &len, NULL, &nfds, 0), FDPASS_EINVAL);
  assert_status(fdpass_recv_fds(b, buf, &len, fds, &nfds, 0x100),
                FDPASS_EINVAL);
  len = 0;
  assert_status(fdpass_recv_fds(b, buf, &len, fds, &nfds, 0), FDPASS_EINVAL);

  /* Nothing was sent by any of the failed calls. */
  assert_status(fdpass_wait(b, FDPASS_READABLE, 0), FDPASS_ETIMEDOUT);
  close(a);
  close(b);
}

FD_TEST(batch, bad_descriptors_and_sockets)
{
  int a, b, t1, t2, in[1];
  make_pair(&a, &b);
  make_tcp_pair(&t1, &t2);
  int gone = closed_fd();
  char buf[4];
  size_t len = 1, nfds = 1;
  int bad_list[2] = {a, -5};
  assert_status(fdpass_send_fds(a, "x", &len, bad_list, 2, 0), FDPASS_EBADF);
  len = 1;
  int gone_list[2] = {a, gone};
  assert_status(fdpass_send_fds(a, "x", &len, gone_list, 2, 0), FDPASS_EBADF);
  cr_assert_eq(len, 0);
  len = 1;
  assert_status(fdpass_send_fds(-1, "x", &len, &a, 1, 0), FDPASS_EBADF);
  len = 1;
  assert_status(fdpass_send_fds(gone, "x", &len, &a, 1, 0), FDPASS_EBADF);
  len = 1;
  assert_status(fdpass_send_fds(t1, "x", &len, &a, 1, 0), FDPASS_ENOTSUP);
  write_all(t1, "yz", 2); /* a TCP peer: found when its data arrives */
  len = sizeof buf;
  assert_status(fdpass_recv_fds(t2, buf, &len, in, &nfds, 0), FDPASS_ENOTSUP);
  cr_assert(len == 2 && nfds == 0 && memcmp(buf, "yz", 2) == 0,
            "the data is delivered, not lost");
  nfds = 1;
  assert_status(fdpass_recv_fds(gone, buf, &len, in, &nfds, 0), FDPASS_EBADF);
  int file = open("/dev/null", O_RDWR | O_CLOEXEC);
  len = 1;
  assert_status(fdpass_send_fds(file, "x", &len, &a, 1, 0), FDPASS_ENOTSOCK);
  len = sizeof buf;
  assert_status(fdpass_recv_fds(file, buf, &len, in, &nfds, 0),
                FDPASS_ENOTSOCK);
  close(file);
  close(t1);
  close(t2);
  close(a);
  close(b);
}

FD_TEST(batch, nonblocking_receive_of_nothing_is_eagain)
{
  int a, b, in[1];
  make_pair(&a, &b);
  char buf[4];
  size_t len = sizeof buf, nfds = 1;
  assert_status(fdpass_recv_fds(b, buf, &len, in, &nfds, FDPASS_NONBLOCK),
                FDPASS_EAGAIN);
  cr_assert_eq(len, sizeof buf, "untouched on failure");
  close(a);
  assert_status(fdpass_recv_fds(b, buf, &len, in, &nfds, FDPASS_NONBLOCK),
                FDPASS_ECLOSED);
  close(b);
}

FD_TEST(batch, nonblocking_send_on_a_full_socket_is_eagain_and_sends_nothing)
{
  int a, b;
  make_pair(&a, &b);
  size_t filled = fill_socket(a);
  size_t len = 1;
  assert_status(fdpass_send_fds(a, "x", &len, &a, 1, FDPASS_NONBLOCK),
                FDPASS_EAGAIN);
  cr_assert_eq(len, 0);
  /* Everything queued is filler: no descriptor went out. */
  static char sink[1 << 20];
  cr_assert_leq(filled, sizeof sink);
  read_exact(b, sink, filled);
  assert_status(fdpass_wait(b, FDPASS_READABLE, 0), FDPASS_ETIMEDOUT);
  close(a);
  close(b);
}

struct reader {
  int sock;
  size_t expect;
  unsigned char *data;
  int fds[4];
  size_t nfds;
};

static void *read_everything(void *arg)
{
  struct reader *r = arg;
  size_t got = 0;
  while (got < r->expect) {
    int fds[4];
    size_t len = r->expect - got, nfds = 4;
    int status = fdpass_recv_fds(r->sock, r->data + got, &len, fds, &nfds, 0);
    if (status != FDPASS_OK)
      return (void *)(intptr_t)status;
    for (size_t i = 0; i < nfds && r->nfds < 4; i++)
      r->fds[r->nfds++] = fds[i];
    got += len;
  }
  return NULL;
}

FD_TEST(batch, blocking_send_of_a_large_message_sends_everything)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  enum { SIZE = 4 << 20 };
  unsigned char *out = malloc(SIZE), *in = malloc(SIZE);
  cr_assert(out && in);
  fill_pattern(out, SIZE);
  set_nonblocking(a); /* blocking semantics must not depend on the socket */
  struct reader r = {.sock = b, .expect = SIZE, .data = in};
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, read_everything, &r), 0);
  size_t len = SIZE;
  assert_ok(fdpass_send_fds(a, out, &len, p, 2, 0));
  cr_assert_eq(len, SIZE);
  void *status;
  pthread_join(thread, &status);
  cr_assert_null(status, "reader failed: %s",
                 fdpass_errname((int)(intptr_t)status));
  cr_assert_eq(memcmp(in, out, SIZE), 0, "every byte arrived in order");
  cr_assert_eq(r.nfds, 2, "the descriptors arrived once");
  cr_assert(same_file(r.fds[0], p[0]) && same_file(r.fds[1], p[1]));
  close_all(r.fds, r.nfds);
  free(out);
  free(in);
  close_all(p, 2);
  close(a);
  close(b);
}

FD_TEST(batch, nonblocking_send_of_a_large_message_is_partial_not_lost)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  enum { SIZE = 4 << 20 };
  unsigned char *out = malloc(SIZE), *in = malloc(SIZE);
  cr_assert(out && in);
  fill_pattern(out, SIZE);
  size_t len = SIZE;
  assert_ok(fdpass_send_fds(a, out, &len, p, 2, FDPASS_NONBLOCK));
  cr_assert(len > 0 && len < SIZE, "a short send: %zu bytes", len);
  size_t sent = len;

  struct reader r = {.sock = b, .expect = SIZE, .data = in};
  pthread_t thread;
  cr_assert_eq(pthread_create(&thread, NULL, read_everything, &r), 0);
  len = SIZE - sent; /* the caller sends the rest, without descriptors */
  assert_ok(fdpass_send_fds(a, out + sent, &len, NULL, 0, 0));
  cr_assert_eq(len, SIZE - sent);
  void *status;
  pthread_join(thread, &status);
  cr_assert_null(status);
  cr_assert_eq(memcmp(in, out, SIZE), 0);
  cr_assert_eq(r.nfds, 2);
  close_all(r.fds, r.nfds);
  free(out);
  free(in);
  close_all(p, 2);
  close(a);
  close(b);
}

FD_TEST(batch, send_to_a_closed_peer_is_eclosed_without_sigpipe)
{
  int a, b;
  make_pair(&a, &b);
  close(b);
  signal(SIGPIPE, SIG_DFL);
  size_t len = 3;
  assert_status(fdpass_send_fds(a, "abc", &len, &a, 1, 0), FDPASS_ECLOSED);
  cr_assert_eq(len, 0);
  close(a);
}

FD_TEST(batch, seqpacket_and_datagram_sockets_work_and_report_truncation)
{
  int types[] = {SOCK_SEQPACKET, SOCK_DGRAM};
  for (int t = 0; t < 2; t++) {
    int sv[2], in[2];
    cr_assert_eq(socketpair(AF_UNIX, types[t] | SOCK_CLOEXEC, 0, sv), 0);
    size_t len = 6;
    assert_ok(fdpass_send_fds(sv[0], "packet", &len, sv, 2, 0));
    assert_ok(fdpass_send_fds(sv[0], "packet", &len, sv, 1, 0));
    char buf[16];
    size_t nfds = 2;
    len = sizeof buf;
    assert_ok(fdpass_recv_fds(sv[1], buf, &len, in, &nfds, 0));
    cr_assert_eq(len, 6);
    cr_assert_eq(nfds, 2);
    close_all(in, 2);
    nfds = 2;
    len = 3; /* shorter than the packet: the kernel drops the rest */
    assert_status(fdpass_recv_fds(sv[1], buf, &len, in, &nfds, 0),
                  FDPASS_ETRUNC);
    cr_assert_eq(len, 3);
    cr_assert_arr_eq(buf, "pac", 3);
    cr_assert_eq(nfds, 1);
    close(in[0]);
    close_all(sv, 2);
  }
}
