/* SPDX-License-Identifier: MIT */
/*
 * fuzz_store.c - libFuzzer harness for the descriptor store's protocol,
 * both sides (docs/protocol.md).
 *
 * The first byte picks the side:
 *  - even: a hostile client against the holder (holder/) (running in a
 *    thread): the rest is messages, each [length][descriptor count][data],
 *    sent with plain sendmsg while the replies are read. Every reply must
 *    be a well-formed frame with a status documented for its operation,
 *    carrying as many descriptors as it says. Afterwards a well-behaved
 *    client must find the store consistent (what list names, fetch gives),
 *    and once the holder stops and frees its store, the descriptor table
 *    is as before: nothing half-stored, nothing leaked.
 *  - odd: a hostile holder against the client functions: calls, each
 *    [operation][name][descriptor capacity][names capacity], then the
 *    holder's messages, all queued before the calls run. Every status must
 *    be one fdpass.h lists for the function; what a call returns must be
 *    open, close-on-exec, within the capacities, with valid names; and the
 *    descriptor table must end as it began.
 * A broken invariant aborts, which libFuzzer reports with the input.
 */
#define _GNU_SOURCE

#include <fdpass.h>

#include "holder.h"
#include "store_wire.h"
#define FUZZ_NAME "fuzz_store"
#include "fuzz.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int marker = -1; /* every descriptor the hostile side sends */
static char holder_path[64];

static void setup_once(void)
{
  if (marker >= 0)
    return;
  marker = open("/dev/null", O_RDONLY | O_CLOEXEC);
  check(marker >= 0, "no /dev/null");
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  snprintf(holder_path, sizeof holder_path, "@fdpass-fuzz-store-%d",
           (int)getpid());
}

/* sendmsg with `nfds` copies of the marker, without blocking. */
static ssize_t hostile_send(int sock, const uint8_t *data, size_t len,
                            size_t nfds)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * 8)];
  } control;
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    for (size_t i = 0; i < nfds; i++)
      memcpy(CMSG_DATA(c) + i * sizeof(int), &marker, sizeof(int));
  }
  return sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* ---- a hostile client against the holder --------------------------- */

/* The replies read so far, checked frame by frame as they complete. */
struct replies {
  uint8_t buf[FDP_WIRE_HEADER + (1 << 20)];
  size_t len;     /* bytes of the current frame */
  size_t fds;     /* descriptors that came with it */
};

static int documented_reply(unsigned op, int status)
{
  switch (status) {
  case FDPASS_OK:
  case FDPASS_EACCES:
  case FDPASS_EPROTO:
    return 1;
  case FDPASS_EMFILE:
  case FDPASS_ENOMEM:
    return op == FDP_OP_STORE || op == FDP_OP_FETCH ||
           (op == FDP_OP_LIST && status == FDPASS_ENOMEM);
  case FDPASS_ENONAME:
    return op == FDP_OP_FETCH || op == FDP_OP_REMOVE;
  case FDPASS_ETRUNC:
    return op == FDP_OP_FETCH || op == FDP_OP_LIST;
  case FDPASS_EADDRINUSE:
    return op == FDP_OP_STORE;
  default:
    return 0;
  }
}

/* Read what the holder sent; every complete frame must be well formed. */
static int read_replies(int sock, struct replies *r)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
  } control;
  size_t want = FDP_WIRE_HEADER;
  struct fdp_frame f = {0};
  if (r->len >= FDP_WIRE_HEADER) {
    check(fdp_wire_decode(r->buf, &f) == FDPASS_OK, "a bad reply header");
    want = FDP_WIRE_HEADER + f.length;
  }
  struct iovec iov = {r->buf + r->len, want - r->len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  ssize_t n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (n <= 0)
    return (int)n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      check(r->len == 0, "descriptors after a frame's first byte");
      for (size_t i = 0; i < count; i++) {
        int fd;
        memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
        close(fd);
      }
      r->fds += count;
    }
  r->len += (size_t)n;
  if (r->len == FDP_WIRE_HEADER) {
    check(fdp_wire_decode(r->buf, &f) == FDPASS_OK, "a bad reply header");
    check(f.length <= sizeof r->buf - FDP_WIRE_HEADER, "a huge reply");
    check(documented_reply(f.op, f.status), "status %d for op %c",
          f.status, f.op);
  }
  if (r->len >= FDP_WIRE_HEADER && r->len == FDP_WIRE_HEADER + f.length) {
    fdp_wire_decode(r->buf, &f);
    check(r->fds == f.nfds, "a frame said %u descriptors, %zu came", f.nfds,
          r->fds);
    if (f.op == FDP_OP_FETCH && f.status == FDPASS_OK)
      check(fdp_names_are_valid((char *)r->buf + FDP_WIRE_HEADER, f.length,
                                f.nfds),
            "bad names in a fetch reply");
    r->len = r->fds = 0;
  }
  return 1;
}

static void *serve(void *holder)
{
  int status = fdp_holder_serve(holder);
  check(status == FDPASS_OK, "the holder failed: %s", fdpass_errname(status));
  return NULL;
}

/* How many descriptors list names. */
static size_t listed(int sock)
{
  static char names[1 << 20];
  int status = fdpass_list(sock, names, sizeof names, 5000);
  check(status == FDPASS_OK, "list: %s", fdpass_errname(status));
  size_t n = names[0] ? 1 : 0;
  for (char *p = names; *p; p++)
    n += *p == ':';
  return n;
}

/* What list names, fetch gives, for a well-behaved client; a stored
 * lifetime may end between the requests, so the store only shrinks
 * meanwhile: fetch gives no more than the list before it and no fewer
 * than the list after it. */
static void check_consistent(void)
{
  int sock;
  check(fdpass_connect_holder(holder_path, &sock) == FDPASS_OK, "connect");
  static int got[4096];
  size_t n = sizeof got / sizeof got[0];
  size_t before = listed(sock);
  int status = fdpass_fetch(sock, NULL, got, &n, NULL, 0, 5000);
  check(status == FDPASS_OK, "fetch: %s", fdpass_errname(status));
  size_t after = listed(sock);
  check(after <= n && n <= before, "fetch gave %zu, listed %zu then %zu",
        n, before, after);
  for (size_t i = 0; i < n; i++)
    close(got[i]);
  close(sock);
}

static void hostile_client(struct input *in)
{
  int fds_before = count_fds();
  int stop[2], listener;
  check(pipe2(stop, O_CLOEXEC) == 0, "pipe");
  check(fdpass_listen(holder_path, &listener) == FDPASS_OK, "listen");
  int moved = 0; /* the client took over (an upgrade in place) */
  struct fdp_holder h = {.listener = listener, .stop_fd = stop[0],
                         .notify = -1, .store = fdp_store_new(),
                         .legacy_ms = -1,
                         .handed_over = &moved};
  check(h.store != NULL, "no memory");
  pthread_t thread;
  check(pthread_create(&thread, NULL, serve, &h) == 0, "thread");

  int sock;
  check(fdpass_connect(holder_path, &sock) == FDPASS_OK, "connect");
  static struct replies r;
  r.len = r.fds = 0;
  int eof = 0, shut = 0;
  while (!eof) {
    if (in->pos >= in->size && !shut) {
      shutdown(sock, SHUT_WR); /* the holder answers, then hangs up */
      shut = 1;
    }
    int more = in->pos < in->size;
    struct pollfd p = {sock, (short)(POLLIN | (more ? POLLOUT : 0)), 0};
    check(poll(&p, 1, 10000) == 1, "the holder stalls");
    if (p.revents & (POLLIN | POLLHUP))
      eof = read_replies(sock, &r) == 0;
    if (more && (p.revents & POLLOUT)) {
      size_t len = next_byte(in) + 1, nfds = next_byte(in) % 4;
      if (len > in->size - in->pos)
        len = in->size - in->pos;
      if (len == 0 || hostile_send(sock, in->data + in->pos, len, nfds) < 0)
        in->pos = in->size; /* the holder hung up on us */
      else
        in->pos += len;
    }
  }
  close(sock);

  /* Nothing half done: what list names, fetch gives. (A holder that
   * handed over has stopped: it hung up only after setting `moved`.) */
  if (!moved)
    check_consistent();
  check(write(stop[1], "", 1) == 1, "stop");
  pthread_join(thread, NULL);
  fdp_store_free(h.store);
  close(listener);
  close(stop[0]);
  close(stop[1]);
  check(count_fds() == fds_before, "%d descriptors before, %d after",
        fds_before, count_fds());
}

/* ---- a hostile holder against the client functions ------------------ */

/* What fdpass.h lists for each store function, by operation. */
static int documented_call(unsigned op, int status)
{
  switch (status) {
  case FDPASS_OK: case FDPASS_EINVAL: case FDPASS_EBADF:
  case FDPASS_ENOTSOCK: case FDPASS_ENOTSUP: case FDPASS_ENOTCONN:
  case FDPASS_ETIMEDOUT: case FDPASS_ECLOSED: case FDPASS_EPROTO:
  case FDPASS_EACCES: case FDPASS_ESYS:
    return 1;
  case FDPASS_ENOMEM:
    return op != FDP_OP_REMOVE;
  case FDPASS_EMFILE:
    return op == FDP_OP_STORE || op == FDP_OP_FETCH;
  case FDPASS_EREFUSED:
    return op == FDP_OP_STORE;
  case FDPASS_ETRUNC:
    return op == FDP_OP_FETCH || op == FDP_OP_LIST;
  case FDPASS_ENONAME:
    return op == FDP_OP_FETCH || op == FDP_OP_REMOVE;
  default:
    return 0;
  }
}

static void hostile_holder(struct input *in)
{
  int fds_before = count_fds();
  int a, b;
  check(fdpass_socketpair(&a, &b) == FDPASS_OK, "socketpair");
  unsigned ncalls = next_byte(in) % 8 + 1;
  size_t calls_at = in->pos;
  in->pos += 4 * ncalls;
  while (in->pos < in->size) {
    size_t len = next_byte(in) + 1, nfds = next_byte(in) % 8;
    if (len > in->size - in->pos)
      len = in->size - in->pos;
    if (len == 0 || hostile_send(b, in->data + in->pos, len, nfds) < 0)
      break;
    in->pos += len;
  }
  shutdown(b, SHUT_WR); /* every call ends, at the latest, at this end */
  struct input calls = {in->data, in->size < calls_at + 4 * ncalls
                                      ? in->size
                                      : calls_at + 4 * ncalls, calls_at};
  static const char *const name_of[] = {"web", NULL, "", "a:b", "log"};
  for (unsigned i = 0; i < ncalls; i++) {
    unsigned op = next_byte(&calls) % 4;
    const char *name = name_of[next_byte(&calls) % 5];
    size_t cap = next_byte(&calls) % 6, names_size = next_byte(&calls);
    int got[8];
    char names[256];
    size_t n = cap;
    int status;
    if (op == 0) {
      const int three[3] = {marker, marker, marker};
      status = fdpass_store(a, name, three, cap % 3 + 1, 1000);
      check(documented_call(FDP_OP_STORE, status), "store: %s",
            fdpass_errname(status));
    } else if (op == 1) {
      status = fdpass_fetch(a, name, got, &n, names_size ? names : NULL,
                            names_size, 1000);
      check(documented_call(FDP_OP_FETCH, status), "fetch: %s",
            fdpass_errname(status));
      if (status == FDPASS_OK) {
        check(n <= cap, "fetch gave %zu for a capacity of %zu", n, cap);
        if (names_size)
          check(strlen(names) < names_size &&
                    fdp_names_are_valid(names, strlen(names), n),
                "fetch's names: %.40s", names);
        for (size_t k = 0; k < n; k++) {
          int flags = fcntl(got[k], F_GETFD);
          check(flags >= 0 && (flags & FD_CLOEXEC), "fetched %d", got[k]);
          close(got[k]);
        }
      }
    } else if (op == 2) {
      status = fdpass_list(a, names, names_size, 1000);
      check(documented_call(FDP_OP_LIST, status), "list: %s",
            fdpass_errname(status));
      if (status == FDPASS_OK)
        check(strlen(names) < names_size, "list overran");
    } else {
      status = fdpass_remove(a, name, 1000);
      check(documented_call(FDP_OP_REMOVE, status), "remove: %s",
            fdpass_errname(status));
    }
  }
  close(a);
  close(b);
  check(count_fds() == fds_before, "%d descriptors before, %d after",
        fds_before, count_fds());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  setup_once();
  struct input in = {data, size, 0};
  if (next_byte(&in) % 2 == 0)
    hostile_client(&in);
  else
    hostile_holder(&in);
  return 0;
}
