/* SPDX-License-Identifier: MIT */
/* test_receive.c - receiving hardened against what the receiving socket's
 * own options add to every message (SO_PASSCRED, SO_PASSPIDFD, SO_PASSSEC,
 * timestamps), also with a full message of descriptors; when a blocked
 * receive ends (a socket closed under it, a peer's end hidden in a cycle of
 * descriptors in flight); message boundaries of seqpacket and datagram
 * sockets, the real cause of a lost descriptor, and when outputs are
 * written. */
#define _GNU_SOURCE

#include "helpers.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76 /* Linux 6.5 */
#endif

#ifndef SCM_SECURITY
#define SCM_SECURITY 0x03 /* <linux/socket.h>: SO_PASSSEC's label */
#endif

/* <linux/net_tstamp.h>: a software timestamp on every received message. */
#define RX_SOFTWARE_STAMPS ((1 << 3) | (1 << 4))

enum { PASSCRED = 1, PASSPIDFD = 2, PASSSEC = 4, TIMESTAMPS = 8 };

/* SO_TIMESTAMPNS and SO_TIMESTAMPING are both on with TIMESTAMPS: Linux
 * then attaches two timestamps to each message. */
static const struct {
  int flag, option, value;
  const char *name;
} options[] = {{PASSCRED, SO_PASSCRED, 1, "SO_PASSCRED"},
               {PASSPIDFD, SO_PASSPIDFD, 1, "SO_PASSPIDFD"},
               {PASSSEC, SO_PASSSEC, 1, "SO_PASSSEC"},
               {TIMESTAMPS, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS"},
               {TIMESTAMPS, SO_TIMESTAMPING, RX_SOFTWARE_STAMPS,
                "SO_TIMESTAMPING"}};

/* A connected pair of `type` whose receiving end `*b` has the socket
 * options `opts`; the test is skipped where the kernel lacks one. */
static void make_pair_with(int type, int opts, int *a, int *b)
{
  int sv[2];
  cr_assert_eq(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
    if ((opts & options[i].flag) &&
        setsockopt(sv[1], SOL_SOCKET, options[i].option, &options[i].value,
                   sizeof options[i].value)) {
      int error = errno;
      close(sv[0]);
      close(sv[1]);
      cr_skip_test("%s: %s", options[i].name, strerror(error));
    }
  }
  *a = sv[0];
  *b = sv[1];
}

/* Every kind of message the library receives, over a pair of `type` whose
 * receiver has `opts`: nothing leaks, nothing good becomes FDPASS_ETRUNC. */
static void receive_everything(int type, int opts)
{
  int before = count_fds();
  int a, b, p[2], got = -1;
  make_pair_with(type, opts, &a, &b);
  make_pipe(p);

  assert_ok(fdpass_send(a, p[1])); /* one descriptor */
  assert_ok(fdpass_recv(b, &got));
  cr_assert(same_file(got, p[1]));
  close(got);

  cr_assert_eq(send(a, "", 1, 0), 1); /* IO::FDPass's byte, no descriptor */
  assert_status(fdpass_recv(b, &got), FDPASS_ENOFD);

  int out[3] = {p[0], p[1], p[0]}, in[4];
  size_t len = 3, nfds = 4;
  assert_ok(fdpass_send_fds(a, "abc", &len, out, 3, 0));
  char buf[8];
  len = type == SOCK_STREAM ? 3 : sizeof buf;
  assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, 0));
  cr_assert_eq(len, 3);
  cr_assert_eq(nfds, 3);
  for (size_t i = 0; i < nfds; i++) {
    cr_assert(same_file(in[i], out[i]));
    close(in[i]);
  }

  cr_assert_eq(send(a, "data", 4, 0), 4); /* data alone */
  len = sizeof buf;
  nfds = 4;
  assert_ok(fdpass_recv_fds(b, buf, &len, in, &nfds, 0));
  cr_assert_eq(len, 4);
  cr_assert_eq(nfds, 0);

  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
  int after = count_fds();
  cr_assert_eq(after, before, "type %d, options %#x: %d before, %d after",
               type, opts, before, after);
}

static void every_option(int type)
{
  const int sets[] = {PASSCRED, PASSPIDFD, PASSCRED | PASSPIDFD,
                      PASSCRED | PASSPIDFD | PASSSEC | TIMESTAMPS};
  for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
    receive_everything(type, sets[i]);
}

FD_TEST(receive, stream_with_the_receivers_options)
{
  every_option(SOCK_STREAM);
}

FD_TEST(receive, seqpacket_with_the_receivers_options)
{
  every_option(SOCK_SEQPACKET);
}

FD_TEST(receive, datagram_with_the_receivers_options)
{
  every_option(SOCK_DGRAM);
}

enum { EVERY_OPTION = PASSCRED | PASSPIDFD | PASSSEC | TIMESTAMPS };

/* The security label (SCM_SECURITY) that a receiver of `type` with
 * SO_PASSSEC gets, as plain recvmsg(2) sees it: its length, 0 for none. */
static size_t label_length(int type)
{
  int a, b;
  make_pair_with(type, PASSSEC, &a, &b);
  cr_assert_eq(send(a, "", 1, 0), 1);
  union {
    struct cmsghdr align;
    unsigned char buf[4096];
  } control;
  char byte;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  cr_assert_eq(recvmsg(b, &msg, 0), 1);
  size_t length = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_SECURITY)
      length = c->cmsg_len - CMSG_LEN(0);
  close(a);
  close(b);
  return length;
}

/* Room for ancillary data that a security label takes from a receive's
 * control buffer on socket `label_sock`: recvmsg below gives the kernel
 * that much less, as a real label of that size would leave it. Criterion
 * itself calls recvmsg: only that socket is touched. */
static size_t label_space;
static int label_sock = -1;

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
  static ssize_t (*real)(int, struct msghdr *, int);
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "recvmsg");
  if (fd == label_sock && msg->msg_controllen >= label_space)
    msg->msg_controllen -= label_space;
  return real(fd, msg, flags);
}

/* The largest message (FDPASS_MAX_FDS descriptors) to a receiver with
 * every option that adds ancillary data: all of it arrives, nothing is
 * FDPASS_ETRUNC, nothing leaks (FD_TEST). */
static void full_message_with_every_option(int type)
{
  int a, b, p[2], out[FDPASS_MAX_FDS], in[FDPASS_MAX_FDS];
  make_pair_with(type, EVERY_OPTION, &a, &b);
  make_pipe(p);
  for (size_t i = 0; i < FDPASS_MAX_FDS; i++)
    out[i] = p[i % 2];
  size_t len = 4, nfds = FDPASS_MAX_FDS;
  assert_ok(fdpass_send_fds(a, "full", &len, out, FDPASS_MAX_FDS, 0));
  char buf[8];
  len = type == SOCK_STREAM ? 4 : sizeof buf;
  label_sock = b;
  int status = fdpass_recv_fds(b, buf, &len, in, &nfds, 0);
  label_sock = -1;
  assert_ok(status);
  cr_assert_eq(len, 4);
  cr_assert_arr_eq(buf, "full", 4);
  cr_assert_eq(nfds, FDPASS_MAX_FDS, "%zu of %d descriptors arrived", nfds,
               FDPASS_MAX_FDS);
  for (size_t i = 0; i < nfds; i++) {
    cr_assert(same_file(in[i], out[i]), "descriptor %zu", i);
    close(in[i]);
  }
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(receive, full_stream_message_with_every_option)
{
  full_message_with_every_option(SOCK_STREAM);
}

FD_TEST(receive, full_seqpacket_message_with_every_option)
{
  full_message_with_every_option(SOCK_SEQPACKET);
}

FD_TEST(receive, full_datagram_with_every_option)
{
  full_message_with_every_option(SOCK_DGRAM);
}

/* Where no security module labels local sockets (the test below skips),
 * a label of the largest size the library promises room for, 256 bytes,
 * is played by taking its room. */
FD_TEST(receive, full_message_beside_the_room_of_a_256_byte_label)
{
  if (label_length(SOCK_SEQPACKET) > 0)
    cr_skip_test("a security module labels local sockets here: "
                 "receive::full_message_with_a_security_label tests that");
  label_space = CMSG_SPACE(256);
  full_message_with_every_option(SOCK_SEQPACKET);
  full_message_with_every_option(SOCK_DGRAM);
}

/* The same with the largest label the library makes room for, where a
 * security module labels local sockets. */
FD_TEST(receive, full_message_with_a_security_label)
{
  size_t length = label_length(SOCK_SEQPACKET);
  if (length == 0)
    cr_skip_test("no security module labels local sockets here "
                 "(SO_PASSSEC adds nothing)");
  if (length > 256)
    cr_skip_test("the label here has %zu bytes, more than the 256 the "
                 "library makes room for (docs/security.md)", length);
  full_message_with_every_option(SOCK_SEQPACKET);
  full_message_with_every_option(SOCK_DGRAM);
}

FD_TEST(receive, empty_seqpacket_message_is_a_message_not_the_end)
{
  int a, b, got;
  make_pair_with(SOCK_SEQPACKET, 0, &a, &b);
  cr_assert_eq(send(a, "", 0, 0), 0);
  assert_status(fdpass_recv(b, &got), FDPASS_ENOFD);
  cr_assert_eq(send(a, "", 0, 0), 0);
  char buf[4];
  size_t len = sizeof buf, nfds = 0;
  assert_ok(fdpass_recv_fds(b, buf, &len, NULL, &nfds, 0));
  cr_assert_eq(len, 0);
  close(a); /* now it ends */
  assert_status(fdpass_recv(b, &got), FDPASS_ECLOSED);
  len = sizeof buf;
  assert_status(fdpass_recv_fds(b, buf, &len, NULL, &nfds, 0), FDPASS_ECLOSED);
  close(b);
}

/* fdpass_recv takes one byte: a longer message loses data, and says so. */
static void longer_message_is_etrunc(int type)
{
  int a, b, p[2], got = -1;
  make_pair_with(type, 0, &a, &b);
  make_pipe(p);
  raw_send(a, "xyz", 3, &p[1], 1);
  assert_status(fdpass_recv(b, &got), FDPASS_ETRUNC);
  cr_assert_eq(got, -1, "no descriptor is handed out");
  raw_send(a, "w", 1, NULL, 0);
  assert_status(fdpass_recv(b, &got), FDPASS_ENOFD); /* the next one whole */
  assert_ok(fdpass_send(a, p[1]));
  assert_ok(fdpass_recv(b, &got));
  close(got);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}

FD_TEST(receive, longer_seqpacket_message_is_etrunc)
{
  longer_message_is_etrunc(SOCK_SEQPACKET);
}

FD_TEST(receive, longer_datagram_is_etrunc)
{
  longer_message_is_etrunc(SOCK_DGRAM);
}

FD_TEST(receive, datagram_peer_gone_is_not_seen_as_the_header_says)
{
  int a, b, got, p[2];
  make_pair_with(SOCK_DGRAM, 0, &a, &b);
  make_pipe(p);
  close(a);
  /* A datagram socket has no end: waiting needs a timeout. */
  assert_status(fdpass_wait(b, FDPASS_READABLE, 20), FDPASS_ETIMEDOUT);
  assert_status(fdpass_recv_flags(b, &got, FDPASS_NONBLOCK), FDPASS_EAGAIN);
  /* Sending to it tells: the peer is gone. */
  assert_status(fdpass_send(b, p[0]), FDPASS_ECLOSED);
  close(p[0]);
  close(p[1]);
  close(b);
}

FD_TEST(receive, credentials_of_a_connected_datagram_socket_are_enotsup)
{
  scratch_make();
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", in_dir("d"));
  int server = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int client = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  cr_assert_eq(bind(server, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(connect(client, (struct sockaddr *)&addr, sizeof addr), 0);
  int64_t pid = 7, uid = 7, gid = 7;
  assert_status(fdpass_peer_credentials(client, &pid, &uid, &gid),
                FDPASS_ENOTSUP);
  cr_assert(pid == 7 && uid == 7 && gid == 7, "outputs untouched");
  int a, b; /* a datagram socketpair does record them */
  make_pair_with(SOCK_DGRAM, 0, &a, &b);
  assert_ok(fdpass_peer_credentials(a, &pid, &uid, &gid));
  cr_assert_eq(uid, (int64_t)geteuid());
  cr_assert_eq(pid, (int64_t)getpid());
  close(a);
  close(b);
  close(client);
  close(server);
  scratch_remove();
}

/* getsockname fails on demand, after a message was already received. */
static int getsockname_error;

int getsockname(int fd, struct sockaddr *address, socklen_t *size)
{
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (getsockname_error) {
    errno = getsockname_error;
    return -1;
  }
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "getsockname");
  return real(fd, address, size);
}

FD_TEST(receive, a_failed_check_after_delivery_keeps_the_message)
{
  int a, b, got;
  make_pair(&a, &b);
  write_all(a, "hello", 5);
  getsockname_error = ENOBUFS;
  char buf[8];
  size_t len = sizeof buf, nfds = 0;
  int status = fdpass_recv_fds(b, buf, &len, NULL, &nfds, 0);
  getsockname_error = 0;
  assert_status(status, FDPASS_OK); /* delivered, so reported delivered */
  cr_assert_eq(len, 5);
  cr_assert_arr_eq(buf, "hello", 5);
  write_all(a, "", 1);
  getsockname_error = ENOBUFS;
  status = fdpass_recv(b, &got);
  getsockname_error = 0;
  assert_status(status, FDPASS_ENOFD); /* what the message was */
  close(a);
  close(b);
}

/* A receive blocked in a thread of its own: what it returned, once done. */
struct blocked {
  int sock, status;
  volatile int done, tid;
};

static void *receive_blocked(void *arg)
{
  struct blocked *r = arg;
  int fd;
  r->tid = (int)syscall(SYS_gettid);
  r->status = fdpass_recv(r->sock, &fd);
  if (r->status == FDPASS_OK)
    close(fd);
  r->done = 1;
  return NULL;
}

/* Start a receive on `sock` in a thread, and wait until it sleeps in the
 * kernel's local socket code (its wchan in /proc), not merely on its way
 * there. */
static void start_blocked(struct blocked *r, int sock, pthread_t *thread)
{
  *r = (struct blocked){sock, 0, 0, 0};
  cr_assert_eq(pthread_create(thread, NULL, receive_blocked, r), 0);
  char wchan[128] = "";
  for (int waited = 0; strncmp(wchan, "unix", 4) != 0; waited += 10) {
    if (waited >= 10000 && (wchan[0] == '\0' || strcmp(wchan, "0") == 0))
      cr_skip_test("the kernel does not tell where a thread sleeps (wchan)");
    cr_assert_lt(waited, 10000, "the receive never blocked (%s)", wchan);
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/wchan", r->tid);
    FILE *f = r->tid ? fopen(path, "r") : NULL;
    wchan[0] = '\0';
    if (f) {
      (void)!fgets(wchan, sizeof wchan, f);
      fclose(f);
    }
  }
}

/* Wait up to `ms` for the blocked receive to end; whether it did. */
static int ends_within(struct blocked *r, int ms)
{
  for (int waited = 0; !r->done && waited < ms; waited += 10)
    nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
  return r->done;
}

/* As fdpass.h says: closing the socket does not wake a receive blocked on
 * it (the kernel keeps the socket while the call uses it); the peer going
 * away does, and shutdown(2) does. */
FD_TEST(receive, closing_the_socket_does_not_wake_a_blocked_receive)
{
  int a, b;
  make_pair(&a, &b);
  struct blocked r;
  pthread_t thread;
  start_blocked(&r, b, &thread);
  close(b);
  cr_assert_not(ends_within(&r, 200), "closing it woke the receive: %s",
                fdpass_errname(r.status));
  close(a);
  cr_assert(ends_within(&r, 10000), "the peer went away; it still waits");
  pthread_join(thread, NULL);
  assert_status(r.status, FDPASS_ECLOSED);

  make_pair(&a, &b);
  start_blocked(&r, b, &thread);
  cr_assert_eq(shutdown(b, SHUT_RDWR), 0);
  cr_assert(ends_within(&r, 10000), "shutdown did not wake the receive");
  pthread_join(thread, NULL);
  assert_status(r.status, FDPASS_ECLOSED);
  close(a);
  close(b);
}

/* A peer hides its end in a cycle: it sends its end and the receiving end
 * of another pair over that pair, closes everything and exits. Nothing
 * holds its end but a message that only the kernel's garbage collector can
 * free: the receiver sees the end when the collector runs (fdpass.h), here
 * given 20 s. */
FD_TEST(receive, a_peer_end_hidden_in_a_cycle_ends_when_the_collector_runs)
{
  int ours, theirs;
  make_pair(&ours, &theirs);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int x, y;
    close(ours);
    if (fdpass_socketpair(&x, &y) != FDPASS_OK)
      _exit(1);
    int hidden[2] = {theirs, y};
    size_t len = 1;
    _exit(fdpass_send_fds(x, "c", &len, hidden, 2, 0) == FDPASS_OK ? 0 : 1);
  }
  close(theirs);
  wait_child_ok(pid);
  int status = fdpass_wait(ours, FDPASS_READABLE, 20000);
  if (status == FDPASS_ETIMEDOUT) {
    close(ours);
    cr_skip_test("the kernel's garbage collector did not free the cycle "
                 "within 20 s here; the end stays unseen until it does");
  }
  assert_ok(status);
  int fd;
  assert_status(fdpass_recv(ours, &fd), FDPASS_ECLOSED);
  close(ours);
}
