/* SPDX-License-Identifier: MIT */
/*
 * handoff.h - descriptors in flight for the fdpass command: the
 * one-message handoff of `send` and `recv`, connecting to a peer we
 * trust, listening, and every wait (deadlines and stop signals).
 */
#ifndef FDPASS_CLI_HANDOFF_H
#define FDPASS_CLI_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "deadline.h" /* the project's one clock */

/* Descriptors and their names ("web:unknown:log"), in order. */
struct handoff {
  int *fds;
  size_t nfds, cap;
  char *names;
  size_t names_len; /* strlen(names) */
  unsigned char *truncate; /* per descriptor up to ntruncate: a :trunc
                              file not truncated yet (spec.h) */
  size_t ntruncate;
};

/* Append `fd` (taken) named `name` (`len` bytes); EXIT_FAILURE (fd
 * closed) when out of memory. */
int handoff_add(struct handoff *h, int fd, const char *name, size_t len);

/* Close every descriptor and free the arrays. */
void handoff_close(struct handoff *h);

/* Who the verb trusts at the other end (--peer-uid, --allow-uid), and how
 * long it waits: -1 forever. */
#define MAX_UIDS 32
struct peers {
  int64_t uids[MAX_UIDS];
  int nuids;
};

/* Ignore SIGPIPE, and SIGHUP with `ignore_hangup` (a holder outlives its
 * terminal). With `catch_stop`, SIGTERM and SIGINT (unless ignored
 * already) make stop_fd() readable instead of killing the process. */
int setup_signals(int catch_stop, int ignore_hangup);
int stop_fd(void);

/* Give the signals back the actions they had (before an exec). */
void restore_signals(void);

/* Connect to `path`, retrying while nobody listens until the deadline;
 * then refuse a peer that is neither our uid nor root nor in `trusted`,
 * before anything is sent or received. */
int connect_trusted(const char *path, const struct peers *trusted,
                    long long deadline, int *sock);

/* Listen on `path` with file mode `mode` and group `gid` (-1: ours). */
int listen_on(const char *path, int mode, long long gid, int *listener);

/* Serve systemd's notification protocol on the datagram socket `path`
 * (notify.h), its file with `mode` and group `gid` as listen_on's. */
int listen_notify(const char *path, int mode, long long gid, int *sock);

/* Put NOTIFY_SOCKET=`path` (made absolute) in the environment: a command
 * sends its descriptors there. It must belong to our uid, root or one of
 * `trusted`: a path as a socket file, an abstract name as the process
 * holding its socket (/proc, which shows other users' processes to root
 * alone). */
int set_notify_socket(const char *path, const struct peers *trusted);

/* Remove the socket file we listened on; an abstract name has none. */
void stop_listening(int listener, const char *path);

struct closer;

/* Accept connections until one comes from our uid or one of `allowed`,
 * logging the others, whose connections go to `closer` (holder/closer.h:
 * what they sent may make a close wait). */
int accept_allowed(int listener, const char *path,
                   const struct peers *allowed, long long deadline,
                   struct closer *closer, int *sock);

/* Send `h` as one message: a 0 byte with every descriptor, then the names
 * unless all are unnamed (so one unnamed descriptor is exactly IO::FDPass's
 * format). */
int send_handoff(int sock, const char *peer, const struct handoff *h);

/* Then wait until the receiver took it: it confirms (fdpass recv), or
 * reads everything and hangs up or keeps quiet (an IO::FDPass receiver).
 * A receiver that hangs up without reading refused it. */
int await_delivery(int sock, const char *peer, long long deadline);

/* Receive a handoff sent by send_handoff (or IO::FDPass::send) until the
 * peer closes its end, then confirm it with one byte. */
int receive_handoff(int sock, const char *peer, long long deadline,
                    struct handoff *h);

#endif
