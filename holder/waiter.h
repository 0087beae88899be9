/* SPDX-License-Identifier: MIT */
/*
 * waiter.h - the holder's wait for its sockets, with poll(2)'s interface
 * and without its cost: poll looks at every descriptor on every call, so
 * with 1000 clients connected each wait costs the kernel 1000 looks. On
 * Linux, epoll keeps the set between calls and is told only what changed
 * since the last one; elsewhere it is poll itself. Internal to holder/.
 */
#ifndef FDPASS_HOLDER_WAITER_H
#define FDPASS_HOLDER_WAITER_H

#include <poll.h>
#include <stddef.h>

struct waiter;

/* NULL when out of memory or descriptors. */
struct waiter *waiter_new(void);
void waiter_free(struct waiter *w);

/* As poll(fds, n, timeout_ms): POLLIN and POLLOUT asked, POLLIN, POLLOUT,
 * POLLHUP and POLLERR told, a negative fd left out. A descriptor watched
 * in the last call and not in this one is no longer watched. */
int waiter_wait(struct waiter *w, struct pollfd *fds, size_t n,
                int timeout_ms);

/* Before `fd` is closed: its number may come back as another file, which
 * the waiter could not tell from it. */
void waiter_forget(struct waiter *w, int fd);

#endif
