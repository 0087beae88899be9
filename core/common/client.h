/* SPDX-License-Identifier: MIT */
/*
 * client.h - the store's client functions beyond the public ones, for the
 * fdpass command and the tests: written with them (core/src/store.c);
 * internal: in the static library, not exported.
 *
 * An upgrade in place (`fdpass hold --from SOCK SOCK`, docs/protocol.md):
 * a new holder takes the old one's listening socket, so that no
 * connection is refused, then everything it stores:
 *
 *   fdp_hand_over(sock, &listener, deadline)   the old holder's listener;
 *                                              it now serves only `sock`
 *   fdpass_fetch(sock, NULL, ...)              everything it stores
 *   fdp_hand_over_done(sock, deadline)         it stops, leaving its socket
 *                                              file to the new holder
 * If the new holder hangs up before the last step, the old one serves on.
 */
#ifndef FDPASS_CLIENT_H
#define FDPASS_CLIENT_H

#include <stddef.h>

/* FDPASS_OK with the old holder's listening socket in *listener (owned by
 * the caller, close-on-exec), or a status of the store's functions
 * (FDPASS_EACCES: `sock`'s uid is neither the holder's nor root). */
int fdp_hand_over(int sock, int *listener, long long deadline);

/* FDPASS_OK once the old holder has agreed to stop. */
int fdp_hand_over_done(int sock, long long deadline);

/* fdpass_store with what a store request may ask besides: FDP_STORE_NEW
 * in `flags`, refuse to replace what is stored under `name`
 * (FDPASS_EADDRINUSE); `lifetime_ms` above 0, the holder closes and
 * forgets the descriptors after that long. */
#define FDP_STORE_NEW 1
int fdp_store_with(int sock, const char *name, const int *fds, size_t nfds,
                   int flags, long lifetime_ms, long long deadline);

#endif
