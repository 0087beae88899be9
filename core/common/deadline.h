/* SPDX-License-Identifier: MIT */
/*
 * deadline.h - deadlines on the library's monotonic clock, written once for
 * the store's client functions (core/src/store.c), the holder (holder/) and
 * the fdpass command (cli/). Internal: in the static library, not exported.
 */
#ifndef FDPASS_DEADLINE_H
#define FDPASS_DEADLINE_H

/* A deadline that never comes. */
#define FDP_NO_DEADLINE (-1LL)

/* Milliseconds on a monotonic clock. */
long long fdp_now_ms(void);

/* The deadline `timeout_ms` from now; FDP_NO_DEADLINE when it is negative. */
long long fdp_deadline_after(long timeout_ms);

/* Milliseconds left until `deadline` (0 once past), as a timeout for
 * fdpass_wait or poll: -1 for FDP_NO_DEADLINE. */
int fdp_remaining_ms(long long deadline);

#endif
