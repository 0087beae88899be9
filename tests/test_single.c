/* SPDX-License-Identifier: MIT */
/* test_single.c - fdpass_send/fdpass_recv: one descriptor in IO::FDPass's
 * wire format, and every way it can go wrong. */
#define _GNU_SOURCE

#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <unistd.h>

FD_TEST(single, round_trip_gives_the_same_open_file)
{
  int a, b, p[2], got = -1;
  make_pair(&a, &b);
  make_pipe(p);
  assert_ok(fdpass_send(a, p[1]));
  assert_ok(fdpass_recv(b, &got));
  cr_assert(got >= 0 && got != p[1]);
  cr_assert(same_file(got, p[1]));
  write_all(got, "via", 3);
  char buf[3];
  read_exact(p[0], buf, 3);
  cr_assert_arr_eq(buf, "via", 3);
  close(got);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(single, wire_format_is_one_zero_byte_and_one_descriptor)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  assert_ok(fdpass_send(a, p[0]));
  struct raw_message m;
  raw_recv(b, 64, &m); /* room for more: exactly one byte was sent */
  cr_assert_eq(m.len, 1);
  cr_assert_eq(m.data[0], 0);
  cr_assert_eq(m.cmsg_count, 1);
  cr_assert_eq(m.nfds, 1);
  cr_assert_eq(m.msg_flags & (MSG_CTRUNC | MSG_TRUNC), 0);
  cr_assert(same_file(m.fds[0], p[0]));
  raw_close(&m);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(single, accepts_a_hand_built_message_and_any_byte_value)
{
  int a, b, p[2], got;
  make_pair(&a, &b);
  make_pipe(p);
  raw_send(a, "\0", 1, &p[1], 1); /* IO::FDPass */
  raw_send(a, "x", 1, &p[1], 1);  /* Python's send_fds with other data */
  assert_ok(fdpass_recv(b, &got));
  cr_assert(same_file(got, p[1]));
  close(got);
  assert_ok(fdpass_recv(b, &got));
  cr_assert(same_file(got, p[1]));
  close(got);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(single, received_descriptor_is_close_on_exec)
{
  int a, b, got;
  make_pair(&a, &b);
  int plain = open("/dev/null", O_RDONLY); /* not close-on-exec itself */
  cr_assert(plain >= 0 && !is_cloexec(plain));
  assert_ok(fdpass_send(a, plain));
  assert_ok(fdpass_recv(b, &got));
  cr_assert(is_cloexec(got));
  close(got);
  close(plain);
  close(a);
  close(b);
}

FD_TEST(single, data_without_descriptor_is_enofd_and_keeps_the_stream)
{
  int a, b, got = 1234;
  make_pair(&a, &b);
  write_all(a, "AB", 2);
  assert_status(fdpass_recv(b, &got), FDPASS_ENOFD);
  cr_assert_eq(got, 1234, "nothing written on failure");
  char rest;
  read_exact(b, &rest, 1);
  cr_assert_eq(rest, 'B', "only the one byte was consumed");
  close(a);
  close(b);
}

FD_TEST(single, two_descriptors_are_etrunc_and_both_closed)
{
  int a, b, p[2], got = 1234;
  make_pair(&a, &b);
  make_pipe(p);
  int before = count_fds();
  raw_send(a, "\0", 1, p, 2);
  assert_status(fdpass_recv(b, &got), FDPASS_ETRUNC);
  cr_assert_eq(got, 1234);
  cr_assert_eq(count_fds(), before, "every surplus descriptor was closed");
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(single, many_descriptors_are_etrunc_and_all_closed)
{
  int a, b, fds[FDPASS_MAX_FDS], got;
  make_pair(&a, &b);
  for (int i = 0; i < FDPASS_MAX_FDS; i++)
    fds[i] = a;
  int before = count_fds();
  raw_send(a, "\0", 1, fds, FDPASS_MAX_FDS);
  assert_status(fdpass_recv(b, &got), FDPASS_ETRUNC);
  cr_assert_eq(count_fds(), before);
  close(a);
  close(b);
}

FD_TEST(single, end_of_stream_is_eclosed)
{
  int a, b, got;
  make_pair(&a, &b);
  close(a);
  assert_status(fdpass_recv(b, &got), FDPASS_ECLOSED);
  close(b);
}

FD_TEST(single, send_to_a_closed_peer_is_eclosed_without_sigpipe)
{
  int a, b;
  make_pair(&a, &b);
  close(b);
  signal(SIGPIPE, SIG_DFL); /* SIGPIPE would kill this test */
  assert_status(fdpass_send(a, a), FDPASS_ECLOSED);
  close(a);
}

FD_TEST(single, bad_descriptors_are_ebadf)
{
  int a, b, got;
  make_pair(&a, &b);
  int gone = closed_fd();
  assert_status(fdpass_send(-1, a), FDPASS_EBADF);
  assert_status(fdpass_send(a, -1), FDPASS_EBADF);
  assert_status(fdpass_send(gone, a), FDPASS_EBADF);
  assert_status(fdpass_send(a, gone), FDPASS_EBADF);
  assert_status(fdpass_recv(-1, &got), FDPASS_EBADF);
  assert_status(fdpass_recv(gone, &got), FDPASS_EBADF);
  assert_status(fdpass_recv(a, NULL), FDPASS_EINVAL);
  close(a);
  close(b);
}

FD_TEST(single, a_regular_file_is_enotsock)
{
  int file = open("/dev/null", O_RDWR | O_CLOEXEC), got;
  cr_assert(file >= 0);
  assert_status(fdpass_send(file, file), FDPASS_ENOTSOCK);
  assert_status(fdpass_recv(file, &got), FDPASS_ENOTSOCK);
  close(file);
}

FD_TEST(single, tcp_is_enotsup_and_sends_nothing)
{
  int a, b, got;
  make_tcp_pair(&a, &b);
  assert_status(fdpass_send(a, a), FDPASS_ENOTSUP);
  assert_status(fdpass_wait(b, FDPASS_READABLE, 0), FDPASS_ETIMEDOUT);
  write_all(a, "\0", 1); /* e.g. a TCP peer imitating the protocol */
  assert_status(fdpass_recv(b, &got), FDPASS_ENOTSUP);
  close(a);
  close(b);
}

FD_TEST(single, listening_socket_as_sock_is_enotconn)
{
  int listener, got;
  scratch_make();
  assert_ok(fdpass_listen(in_dir("s"), &listener));
  assert_status(fdpass_send(listener, listener), FDPASS_ENOTCONN);
  assert_status(fdpass_recv(listener, &got), FDPASS_ENOTCONN);
  int unconnected = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert_status(fdpass_send(unconnected, listener), FDPASS_ENOTCONN);
  assert_status(fdpass_recv(unconnected, &got), FDPASS_ENOTCONN);
  close(unconnected);
  close(listener);
  scratch_remove();
}

FD_TEST(single, passes_sockets_and_listeners_too)
{
  int a, b, c, d, got;
  make_pair(&a, &b);
  make_pair(&c, &d);
  assert_ok(fdpass_send(a, c)); /* a socket that itself carries descriptors */
  assert_ok(fdpass_recv(b, &got));
  int p[2], inner;
  make_pipe(p);
  assert_ok(fdpass_send(got, p[1]));
  assert_ok(fdpass_recv(d, &inner));
  cr_assert(same_file(inner, p[1]));
  close(inner);
  close(got);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
  close(c);
  close(d);
}

struct drain {
  int sock;
  size_t filler; /* bytes queued before the message */
};

static void *drain_later(void *arg)
{
  struct drain *d = arg;
  usleep(100 * 1000);
  static char buf[1 << 20];
  cr_assert_leq(d->filler, sizeof buf);
  read_exact(d->sock, buf, d->filler);
  int got;
  int status = fdpass_recv(d->sock, &got);
  return (void *)(intptr_t)(status == FDPASS_OK ? got : -1);
}

FD_TEST(single, send_on_a_full_non_blocking_socket_waits)
{
  int a, b;
  make_pair(&a, &b);
  struct drain d = {.sock = b, .filler = fill_socket(a)};
  cr_assert_gt(d.filler, 0); /* a is now non-blocking and full */
  pthread_t reader;
  cr_assert_eq(pthread_create(&reader, NULL, drain_later, &d), 0);
  assert_ok(fdpass_send(a, a)); /* blocks until the reader makes room */
  void *got;
  pthread_join(reader, &got);
  int fd = (int)(intptr_t)got;
  cr_assert(fd >= 0, "the reader got the descriptor");
  cr_assert(same_file(fd, a));
  close(fd);
  close(a);
  close(b);
}

static void *send_later(void *arg)
{
  int sock = *(int *)arg;
  usleep(50 * 1000);
  return (void *)(intptr_t)fdpass_send(sock, sock);
}

FD_TEST(single, recv_on_a_non_blocking_socket_waits)
{
  int a, b, got;
  make_pair(&a, &b);
  set_nonblocking(b);
  pthread_t sender;
  cr_assert_eq(pthread_create(&sender, NULL, send_later, &a), 0);
  assert_ok(fdpass_recv(b, &got));
  void *status;
  pthread_join(sender, &status);
  cr_assert_eq((intptr_t)status, FDPASS_OK);
  cr_assert(same_file(got, a));
  close(got);
  close(a);
  close(b);
}

FD_TEST(single, no_free_slot_is_emfile_and_then_recovers)
{
  if (under_valgrind())
    cr_skip_test("valgrind does not pass RLIMIT_NOFILE on to the kernel");
  int a, b, got, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  assert_ok(fdpass_send(a, p[0]));
  assert_ok(fdpass_send(a, p[0]));

  struct full_table table;
  fill_table(&table, 0); /* no slot free */
  assert_status(fdpass_recv(b, &got), FDPASS_EMFILE);
  cr_assert_eq(fdpass_os_error(), EMFILE, "the real cause, not a guess");
  close(table.fillers[--table.n]);
  assert_ok(fdpass_recv(b, &got)); /* the next message arrives intact */
  cr_assert(same_file(got, p[0]));
  close(got);
  empty_table(&table);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(single, credentials_messages_do_not_disturb_the_descriptor)
{
  int a, b, got, in[1], one = 1;
  make_pair(&a, &b);
  /* SO_PASSCRED makes the kernel add SCM_CREDENTIALS to every message. */
  cr_assert_eq(setsockopt(b, SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
  assert_ok(fdpass_send(a, a));
  assert_ok(fdpass_recv(b, &got));
  cr_assert(same_file(got, a));
  close(got);
  assert_ok(fdpass_send(a, a));
  char byte;
  size_t len = 1, nfds = 1;
  assert_ok(fdpass_recv_fds(b, &byte, &len, in, &nfds, 0));
  cr_assert_eq(nfds, 1);
  close(in[0]);
  close(a);
  close(b);
}

static void on_alarm(int sig)
{
  (void)sig;
}

struct peer_action {
  int sock;
  size_t drain; /* bytes to read before receiving; 0: send instead */
  const char *path; /* connect to this path instead */
  int status;
};

/* After 100 ms: connect, or drain and receive, or send a descriptor. */
static void *act_later(void *arg)
{
  struct peer_action *p = arg;
  usleep(100 * 1000);
  if (p->path != NULL) {
    p->status = fdpass_connect(p->path, &p->sock);
  } else if (p->drain > 0) {
    static char sink[1 << 20];
    read_exact(p->sock, sink, p->drain);
    int fd;
    p->status = fdpass_recv(p->sock, &fd);
    if (p->status == FDPASS_OK)
      close(fd);
  } else {
    p->status = fdpass_send(p->sock, p->sock);
  }
  return NULL;
}

static void run_in_a_signal_storm(struct peer_action *p, void (*call)(void *),
                                  void *arg)
{
  /* Only this thread takes the signals: the peer thread blocks them. */
  sigset_t alarm_only, old;
  sigemptyset(&alarm_only);
  sigaddset(&alarm_only, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &alarm_only, &old);
  pthread_t peer;
  cr_assert_eq(pthread_create(&peer, NULL, act_later, p), 0);
  pthread_sigmask(SIG_SETMASK, &old, NULL);

  struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
  cr_assert_eq(sigaction(SIGALRM, &sa, NULL), 0);
  struct itimerval storm = {{0, 500}, {0, 500}}, off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &storm, NULL);
  call(arg);
  setitimer(ITIMER_REAL, &off, NULL);
  pthread_join(peer, NULL);
  assert_ok(p->status);
}

static int storm_sock, storm_got;

static void storm_recv(void *arg)
{
  (void)arg;
  assert_ok(fdpass_recv(storm_sock, &storm_got));
}

static void storm_send(void *arg)
{
  (void)arg;
  assert_ok(fdpass_send(storm_sock, storm_sock));
}

static void storm_accept(void *arg)
{
  (void)arg;
  assert_ok(fdpass_accept(storm_sock, &storm_got));
}

FD_TEST(single, blocking_calls_survive_a_storm_of_signals)
{
  int a, b;
  make_pair(&a, &b);

  struct peer_action sender = {.sock = a};
  storm_sock = b;
  run_in_a_signal_storm(&sender, storm_recv, NULL);
  cr_assert(same_file(storm_got, a));
  close(storm_got);

  struct peer_action receiver = {.sock = b};
  receiver.drain = fill_socket(a);
  storm_sock = a;
  run_in_a_signal_storm(&receiver, storm_send, NULL);

  scratch_make();
  const char *path = in_dir("s");
  assert_ok(fdpass_listen(path, &storm_sock));
  struct peer_action connector = {.path = path};
  run_in_a_signal_storm(&connector, storm_accept, NULL);
  close(storm_got);
  close(connector.sock);
  close(storm_sock);
  scratch_remove();
  close(a);
  close(b);
}

/* fdpass_send_flags / fdpass_recv_flags (1.2). */

FD_TEST(single, recv_flags_nonblock_returns_eagain_and_consumes_nothing)
{
  int a, b, p[2], got = -1;
  make_pair(&a, &b);
  make_pipe(p);
  assert_status(fdpass_recv_flags(b, &got, FDPASS_NONBLOCK), FDPASS_EAGAIN);
  cr_assert_eq(got, -1);
  assert_ok(fdpass_send_flags(a, p[1], FDPASS_NONBLOCK));
  assert_ok(fdpass_recv_flags(b, &got, FDPASS_NONBLOCK));
  cr_assert(same_file(got, p[1]));
  cr_assert(is_cloexec(got));
  close(got);
  assert_ok(fdpass_send_flags(a, p[1], 0));
  assert_ok(fdpass_recv_flags(b, &got, FDPASS_NOCLOEXEC));
  cr_assert(!is_cloexec(got));
  close(got);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(single, send_flags_nonblock_on_a_full_socket_sends_nothing)
{
  int a, b, p[2];
  make_pair(&a, &b);
  make_pipe(p);
  size_t filled = fill_socket(a);
  assert_status(fdpass_send_flags(a, p[1], FDPASS_NONBLOCK), FDPASS_EAGAIN);
  /* Only the filler is queued: no descriptor went out. */
  unsigned char *sink = malloc(filled);
  cr_assert_not_null(sink);
  read_exact(b, sink, filled);
  free(sink);
  int got = -1;
  assert_status(fdpass_recv_flags(b, &got, FDPASS_NONBLOCK), FDPASS_EAGAIN);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(single, flag_calls_refuse_unknown_flags)
{
  int a, b, got;
  make_pair(&a, &b);
  assert_status(fdpass_send_flags(a, a, 0x100), FDPASS_EINVAL);
  assert_status(fdpass_recv_flags(b, &got, 0x100), FDPASS_EINVAL);
  assert_status(fdpass_recv_flags(b, NULL, 0), FDPASS_EINVAL);
  close(a);
  close(b);
}
