/* SPDX-License-Identifier: MIT */
/*
 * fuzz_notify.c - libFuzzer harness for the holder's side of systemd's
 * notification protocol (holder/notify.c): a hostile daemon sends one
 * datagram. The first byte gives how many descriptors go with it (0-3),
 * the rest is the datagram. fdp_notify_receive must return a documented
 * status; a well-formed datagram must give the parser's reading of the
 * same text (fdp_notify_parse, called directly too) and a name that
 * store_wire.h accepts; every descriptor that came must be given back,
 * open and close-on-exec, also when the datagram is dropped; and the
 * descriptor table must end as it began.
 */
#define _GNU_SOURCE

#include <fdpass.h>

#include "notify.h"
#include "store_wire.h"
#define FUZZ_NAME "fuzz_notify"
#include "fuzz.h"

#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The parser's reading of `text` must be consistent. */
static void check_parse(const char *text, size_t len)
{
  struct fdp_notify_request r;
  const char *why = NULL;
  int status = fdp_notify_parse(text, len, &r, &why);
  check(status == FDPASS_OK || status == FDPASS_EPROTO, "parse: %d",
        status);
  check((status != FDPASS_OK) == (why != NULL), "a reason iff dropped");
  if (status != FDPASS_OK || !(r.store || r.remove))
    return; /* the name matters only to a store or a remove */
  check((r.name >= text && r.name + r.name_len <= text + len) ||
            !strcmp(r.name, FDP_NOTIFY_DEFAULT_NAME),
        "the name points outside the text");
  check(fdp_name_is_valid(r.name, r.name_len),
        "an invalid name (%zu bytes) to store or remove under", r.name_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct input in = {data, size, 0};
  size_t nfds = next_byte(&in) % 4;
  const char *text = (const char *)data + in.pos;
  size_t len = size - in.pos;
  check_parse(text, len);

  int before = count_fds();
  int pair[2];
  check(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) == 0,
        "socketpair");
  int on = 1;
  check(setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0,
        "SO_PASSCRED");
  int sent[3];
  for (size_t i = 0; i < nfds; i++)
    check((sent[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0, "open");
  size_t sent_len = len; /* empty, or too big for the socket: not sent */
  int went = fdpass_send_fds(pair[1], text, &sent_len, sent, nfds,
                             FDPASS_NONBLOCK) == FDPASS_OK &&
             sent_len > 0;
  for (size_t i = 0; i < nfds; i++)
    close(sent[i]);

  static struct fdp_notify n;
  const char *why = NULL;
  int status = fdp_notify_receive(pair[0], &n, &why);
  if (!went) {
    check(status == FDPASS_EAGAIN, "nothing sent, got %d", status);
  } else {
    check(status == FDPASS_OK || status == FDPASS_EPROTO, "receive: %d",
          status);
    check(n.nfds == nfds, "%zu of %zu descriptors given back", n.nfds, nfds);
    check((status != FDPASS_OK) == (why != NULL), "a reason iff dropped");
    check(len <= FDP_NOTIFY_MAX || status == FDPASS_EPROTO,
          "a datagram of %zu bytes taken", len);
    check(status != FDPASS_OK || n.uid == (int64_t)getuid(),
          "credentials of uid %lld", (long long)n.uid);
    check(status != FDPASS_OK || nfds == 0 || n.request.store,
          "descriptors taken without FDSTORE=1");
  }
  for (size_t i = 0; i < n.nfds; i++) {
    int flags = fcntl(n.fds[i], F_GETFD);
    check(flags >= 0 && (flags & FD_CLOEXEC), "descriptor %d", n.fds[i]);
    close(n.fds[i]);
  }
  close(pair[0]);
  close(pair[1]);
  check(count_fds() == before, "the descriptor table changed");
  return 0;
}
