/* SPDX-License-Identifier: MIT */
/*
 * client.h - the client side of an upgrade in place, for the fdpass
 * command: written with the store's client functions (core/src/store.c);
 * internal: in the static library, not exported.
 *
 * An upgrade in place (`fdpass hold --from SOCK SOCK`, docs/protocol.md):
 * a new holder takes the old one's listening socket, so that no
 * connection is refused, then everything it stores:
 *
 *   fdp_hand_over(sock, &listener, &notify, deadline)
 *                                              the old holder's listener
 *                                              (and notify socket); it now
 *                                              serves only `sock`
 *   fdpass_fetch(sock, NULL, ...)              everything it stores
 *   fdp_hand_over_done(sock, deadline)         it stops, leaving its socket
 *                                              file to the new holder
 * If the new holder hangs up before the last step, the old one serves on.
 */
#ifndef FDPASS_CLIENT_H
#define FDPASS_CLIENT_H

/* FDPASS_OK with the old holder's listening socket in *listener and its
 * notify socket (holder/notify.h) in *notify, -1 when it serves none
 * (both owned by the caller, close-on-exec), or a status of the store's
 * functions (FDPASS_EACCES: `sock`'s uid is neither the holder's nor
 * root). */
int fdp_hand_over(int sock, int *listener, int *notify, long long deadline);

/* FDPASS_OK once the old holder has agreed to stop. */
int fdp_hand_over_done(int sock, long long deadline);

#endif
