/* SPDX-License-Identifier: MIT */
/*
 * notify.h - systemd's notification protocol (sd_notify(3)) on a datagram
 * socket of the holder, so that a daemon written for systemd's file
 * descriptor store keeps its descriptors in `fdpass hold` unchanged:
 * FDSTORE=1 with FDNAME= stores, FDSTOREREMOVE=1 forgets. This file
 * receives and reads datagrams; the holder (holder.c) applies them with
 * the rights and limits of any store. Linux only (SCM_CREDENTIALS); POSIX
 * elsewhere gets FDPASS_ENOTSUP.
 */
#ifndef FDPASS_HOLDER_NOTIFY_H
#define FDPASS_HOLDER_NOTIFY_H

#include <fdpass.h>

#include <stddef.h>
#include <stdint.h>

/* The longest datagram read, as systemd's NOTIFY_BUFFER_MAX: longer ones
 * are dropped whole. */
#define FDP_NOTIFY_MAX 4096

/* The name FDSTORE=1 stores under without FDNAME=, as systemd's. */
#define FDP_NOTIFY_DEFAULT_NAME "stored"

/* What a datagram's assignments ask of the store. */
struct fdp_notify_request {
  int store;  /* FDSTORE=1: add the descriptors under the name */
  int remove; /* FDSTOREREMOVE=1: forget the name first */
  const char *name; /* FDNAME= (the first), or FDP_NOTIFY_DEFAULT_NAME */
  size_t name_len;
};

/* Read `len` bytes of newline-separated assignments, as systemd does:
 * READY=1, STATUS=, FDPOLL=0 and any other are accepted and ignored.
 * FDPASS_OK, or FDPASS_EPROTO with `*why` set: a NUL byte, an FDNAME=
 * that is no valid name (store_wire.h) while FDSTORE=1 or FDSTOREREMOVE=1
 * needs it, or FDSTOREREMOVE=1 without FDNAME=. `r->name` points into
 * `text` (or is the default name). */
int fdp_notify_parse(const char *text, size_t len,
                     struct fdp_notify_request *r, const char **why);

/* One datagram, received. */
struct fdp_notify {
  int64_t pid, uid, gid; /* the sender's, as the kernel vouches for them */
  struct fdp_notify_request request;
  int fds[FDPASS_MAX_FDS]; /* what came, close-on-exec: the caller stores
                              or closes every one, whatever the status */
  size_t nfds;
  char text[FDP_NOTIFY_MAX + 1];
};

/* Receive one datagram from `sock` without blocking and read it.
 * FDPASS_OK: well-formed, from a known sender. FDPASS_EAGAIN: none is
 * waiting. FDPASS_EPROTO, with `*why`: dropped (longer than
 * FDP_NOTIFY_MAX, descriptors lost in transit, no credentials,
 * malformed, or descriptors without FDSTORE=1). Another status: the
 * socket failed. */
int fdp_notify_receive(int sock, struct fdp_notify *n, const char **why);

/* A datagram socket for the protocol at `path` (or `@name`), its file
 * with `mode` and group `gid` (-1: ours) from its first instant: it is
 * made in a private directory beside `path` and linked into place, never
 * changed through the path, so no link swapped in is followed. A stale
 * socket file of ours at `path` is replaced; anything else there is
 * EADDRINUSE. 0, or an errno value (ENOTSUP off Linux). */
int fdp_notify_bind(const char *path, int mode, long long gid, int *sock);

#endif
