/* SPDX-License-Identifier: MIT */
/*
 * fuzz_recv.c - libFuzzer harness for the receive path.
 *
 * The input is a script for a hostile peer: a socket kind (stream,
 * seqpacket or datagram, with the receiver's SO_PASSCRED, SO_PASSPIDFD,
 * SO_PASSSEC and both timestamp options adding their own ancillary
 * data), then messages (arbitrary
 * data, any number of descriptors, explicit SCM_CREDENTIALS),
 * then the receiver's calls (fdpass_recv or fdpass_recv_fds with odd
 * capacities and flags). The peer sends everything with plain sendmsg and
 * hangs up; the receiver reads until the end and checks the invariants:
 *  - every status is one the function documents for such a call, and on
 *    seqpacket and datagram sockets FDPASS_ETRUNC comes only for a message
 *    that does not fit the call (never for the options' ancillary data);
 *  - every descriptor handed out is open, is the file that was sent, is
 *    close-on-exec unless asked otherwise, and counts never exceed the
 *    capacities;
 *  - stream data arrives complete and in order (datagram-like sockets: each
 *    message's data is a prefix of what was sent, truncation reported);
 *  - afterwards the descriptor table is exactly as before: every
 *    descriptor the kernel delivered was returned or closed.
 * A broken invariant aborts, which libFuzzer reports with the input.
 */
#define _GNU_SOURCE

#include <fdpass.h>

#define FUZZ_NAME "fuzz_recv"
#include "fuzz.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define SO_PASSPIDFD_ 76 /* Linux 6.5; older kernels refuse it */
/* <linux/net_tstamp.h>: a software timestamp on every received message. */
#define RX_SOFTWARE_STAMPS ((1 << 3) | (1 << 4))

/* The file every sent descriptor refers to, to tell a right one from a
 * stray descriptor number. */
static int marker = -1;
static struct stat marker_stat;

static void setup_once(void)
{
  if (marker >= 0)
    return;
  marker = open("/dev/null", O_RDONLY | O_CLOEXEC);
  check(marker >= 0 && fstat(marker, &marker_stat) == 0, "no /dev/null");
  /* Many descriptors in flight count against RLIMIT_NOFILE. */
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

/* Send one message with plain sendmsg: `len` bytes, `nfds` copies of the
 * marker, credentials if asked. Returns the bytes sent, or -1. */
static ssize_t hostile_send(int sock, const uint8_t *data, size_t len,
                            size_t nfds, int with_creds)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * 255) + CMSG_SPACE(sizeof(struct ucred))];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  size_t used = 0;
  if (nfds > 0)
    used += CMSG_SPACE(nfds * sizeof(int));
  if (with_creds)
    used += CMSG_SPACE(sizeof(struct ucred));
  if (used > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = used;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (nfds > 0) {
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
      for (size_t i = 0; i < nfds; i++)
        memcpy(CMSG_DATA(c) + i * sizeof(int), &marker, sizeof(int));
      c = CMSG_NXTHDR(&msg, c);
    }
    if (with_creds) {
      struct ucred cred = {getpid(), getuid(), getgid()};
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_CREDENTIALS;
      c->cmsg_len = CMSG_LEN(sizeof cred);
      memcpy(CMSG_DATA(c), &cred, sizeof cred);
    }
  }
  return sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

enum { MAX_MESSAGES = 64, MAX_STREAM = 1 << 16 };

struct sent {
  uint8_t stream[MAX_STREAM]; /* all data, in order */
  size_t stream_len;
  size_t msg_start[MAX_MESSAGES], msg_len[MAX_MESSAGES];
  size_t msg_fds[MAX_MESSAGES];
  size_t nmsgs;
  size_t fds; /* descriptors that went out */
};

static void check_fd(int fd, int cloexec)
{
  struct stat st;
  check(fstat(fd, &st) == 0, "descriptor %d handed out is not open", fd);
  check(st.st_dev == marker_stat.st_dev && st.st_ino == marker_stat.st_ino,
        "descriptor %d is not the file that was sent", fd);
  int flags = fcntl(fd, F_GETFD);
  check(((flags & FD_CLOEXEC) != 0) == cloexec,
        "descriptor %d close-on-exec is %d", fd, !cloexec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  setup_once();
  struct input in = {data, size, 0};
  unsigned kind = next_byte(&in);
  /* Bit 3: SOCK_DGRAM, which never ends, so every call is non-blocking and
   * FDPASS_EAGAIN is the end. Bit 0: SOCK_SEQPACKET. Both keep messages
   * whole (the kernel drops what does not fit); otherwise a stream. */
  int datagrams = (kind & 8) != 0;
  int packets = datagrams || (kind & 1);
  int type = datagrams ? SOCK_DGRAM : packets ? SOCK_SEQPACKET : SOCK_STREAM;
  int before = count_fds();

  int sv[2];
  check(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
  int one = 1;
  if (kind & 2)
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  if (kind & 4) /* Linux 6.5: a pidfd with every message, to be closed */
    setsockopt(sv[1], SOL_SOCKET, SO_PASSPIDFD_, &one, sizeof one);
  if (kind & 16) { /* a label where a security module gives one, and two
                    * timestamps side by side */
    int stamps = RX_SOFTWARE_STAMPS;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSSEC, &one, sizeof one);
    setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
    setsockopt(sv[1], SOL_SOCKET, SO_TIMESTAMPING, &stamps, sizeof stamps);
  }

  /* The hostile peer: messages until the input says stop. */
  static struct sent sent;
  sent.stream_len = sent.nmsgs = sent.fds = 0;
  unsigned nmsgs = next_byte(&in) % MAX_MESSAGES;
  for (unsigned m = 0; m < nmsgs; m++) {
    size_t len = next_byte(&in) + 1; /* empty packets look like the end */
    size_t nfds = next_byte(&in);
    unsigned how = next_byte(&in);
    uint8_t bytes[256];
    for (size_t i = 0; i < len; i++)
      bytes[i] = (uint8_t)next_byte(&in);
    if (how & 1)
      nfds = 0;
    ssize_t n = hostile_send(sv[0], bytes, len, nfds, (how & 2) != 0);
    if (n <= 0)
      continue; /* refused (e.g. over SCM_MAX_FD) or buffer full */
    memcpy(sent.stream + sent.stream_len, bytes, (size_t)n);
    sent.msg_start[sent.nmsgs] = sent.stream_len;
    sent.msg_fds[sent.nmsgs] = nfds;
    sent.msg_len[sent.nmsgs++] = (size_t)n;
    sent.stream_len += (size_t)n;
    sent.fds += nfds;
  }
  close(sv[0]);

  /* The receiver: calls shaped by the rest of the input, until the end. */
  size_t got_stream = 0, got_fds = 0, packet = 0;
  int truncated = 0;
  for (int calls = 0;; calls++) {
    check(calls < 100000, "the receive loop does not end");
    unsigned op = next_byte(&in);
    size_t cap_len = next_byte(&in) % 64 + 1;
    size_t cap_fds = next_byte(&in);
    int flags = (op & 2 ? FDPASS_NOCLOEXEC : 0) |
                (op & 4 || datagrams ? FDPASS_NONBLOCK : 0);
    uint8_t buf[64];
    int fds[256];
    size_t len = cap_len, nfds = cap_fds;
    int status;
    if (op & 1) {
      status = datagrams ? fdpass_recv_flags(sv[1], &fds[0], FDPASS_NONBLOCK)
                         : fdpass_recv(sv[1], &fds[0]);
      if (status == FDPASS_OK) {
        len = nfds = 1;
      } else if (status == FDPASS_ENOFD || status == FDPASS_ETRUNC) {
        len = 1; /* the byte was consumed */
        nfds = 0;
      }
      flags = 0;
      check(status == FDPASS_OK || status == FDPASS_ENOFD ||
                status == FDPASS_ETRUNC || status == FDPASS_ECLOSED ||
                (datagrams && status == FDPASS_EAGAIN),
            "fdpass_recv returned %s", fdpass_errname(status));
    } else {
      status = fdpass_recv_fds(sv[1], buf, &len, fds, &nfds, flags);
      check(status == FDPASS_OK || status == FDPASS_ETRUNC ||
                status == FDPASS_ECLOSED ||
                (datagrams && status == FDPASS_EAGAIN),
            "fdpass_recv_fds returned %s", fdpass_errname(status));
      if (status == FDPASS_OK || status == FDPASS_ETRUNC) {
        check(len >= 1 && len <= cap_len, "len %zu of %zu", len, cap_len);
        check(nfds <= cap_fds, "nfds %zu of %zu", nfds, cap_fds);
      }
    }
    if (status == FDPASS_ECLOSED || status == FDPASS_EAGAIN)
      break;
    truncated |= status == FDPASS_ETRUNC;
    if (packets && packet < sent.nmsgs) {
      size_t fit_len = op & 1 ? 1 : cap_len, fit_fds = op & 1 ? 1 : cap_fds;
      check(status != FDPASS_ETRUNC || sent.msg_len[packet] > fit_len ||
                sent.msg_fds[packet] > fit_fds,
            "packet %zu: FDPASS_ETRUNC, yet it fits the call", packet);
    }
    if (!(op & 1)) {
      /* Data: in order, nothing lost on a stream. */
      if (packets) {
        check(packet < sent.nmsgs, "more packets than were sent");
        size_t want = sent.msg_len[packet];
        check(len == (want < cap_len ? want : cap_len),
              "packet %zu: %zu bytes of %zu", packet, len, want);
        check(memcmp(buf, sent.stream + sent.msg_start[packet], len) == 0,
              "packet %zu data differs", packet);
        check((want > cap_len) <= (status == FDPASS_ETRUNC),
              "packet %zu truncated without FDPASS_ETRUNC", packet);
      } else {
        check(got_stream + len <= sent.stream_len, "more data than sent");
        check(memcmp(buf, sent.stream + got_stream, len) == 0,
              "stream data differs at byte %zu", got_stream);
      }
    }
    packet++;
    got_stream += len;
    for (size_t i = 0; i < nfds; i++) {
      check_fd(fds[i], !(flags & FDPASS_NOCLOEXEC));
      close(fds[i]);
    }
    got_fds += nfds;
  }

  if (!packets)
    check(got_stream == sent.stream_len, "stream: %zu of %zu bytes arrived",
          got_stream, sent.stream_len);
  check(got_fds <= sent.fds, "%zu descriptors out, %zu sent", got_fds,
        sent.fds);
  check(truncated || got_fds == sent.fds,
        "%zu of %zu descriptors arrived, no truncation reported", got_fds,
        sent.fds);
  close(sv[1]);
  int after = count_fds();
  check(after == before, "%d descriptors before, %d after", before, after);
  return 0;
}
