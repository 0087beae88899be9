/* SPDX-License-Identifier: MIT */
/*
 * closer.h - closing descriptors off the holder's loop. A close can block:
 * the last close of a TCP socket with SO_LINGER waits for its unsent data,
 * and so does the close of a local socket whose unread messages carry such
 * a socket. A client decides both, so the loop never closes what came
 * from one: it hands the descriptor to a thread that does. A close that
 * lingers longer than a moment is cut short by a signal (the socket then
 * goes on closing in the kernel, as without SO_LINGER), so that a client
 * cannot hold the closer either. A close that no signal ends (one that
 * waits in a file system) is left to its thread, and a new one goes on.
 */
#ifndef FDPASS_HOLDER_CLOSER_H
#define FDPASS_HOLDER_CLOSER_H

#include <stddef.h>

struct closer;

/* Start the closing thread; NULL when it cannot be (then descriptors are
 * closed where they are handed over). Installs a handler that does nothing
 * for CLOSER_SIGNAL, the signal that cuts a lingering close short. */
struct closer *closer_start(void);

/* Close `fds` soon, without blocking the caller. With `c` NULL, or out of
 * memory, close them here. */
void closer_close(struct closer *c, const int *fds, size_t n);

/* They are closed in the order they came: a ticket taken after handing
 * some over is done once they are closed. */
unsigned long long closer_ticket(struct closer *c);
int closer_done(struct closer *c, unsigned long long ticket);

/* Readable once a descriptor handed over was closed since the last
 * closer_drain (-1 with `c` NULL): the loop polls it, instead of looking
 * again and again, to learn that a ticket is done. */
int closer_fd(struct closer *c);
void closer_drain(struct closer *c);

/* Cut short a close that has taken longer than the closer's patience; the
 * milliseconds until it should be looked at again (-1: nothing to watch). */
int closer_watch(struct closer *c, long long now_ms);

/* Close everything handed over, then end the thread and free `c`. */
void closer_stop(struct closer *c);

#endif
