/* SPDX-License-Identifier: MIT */
/*
 * store_wire.h - the descriptor store's wire format (docs/protocol.md),
 * encoded and decoded in one place for the client functions (store.c)
 * and the holder (store_holder.c).
 *
 * Every request and reply is a frame: a 12-byte header, then `length`
 * bytes of payload. The frame's descriptors travel with its first byte.
 */
#ifndef FDPASS_STORE_WIRE_H
#define FDPASS_STORE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define FDP_WIRE_MAGIC 0xFD
#define FDP_WIRE_VERSION 1
#define FDP_WIRE_HEADER 12

/* Operations; a reply carries its request's. */
#define FDP_OP_STORE 'S'
#define FDP_OP_FETCH 'F'
#define FDP_OP_LIST 'L'
#define FDP_OP_REMOVE 'R'
/* Sent once by fdpass_connect_holder, never answered: "I speak this
 * protocol", so that the holder never takes the client for one that waits
 * for fdpass 1.1's one-message handoff, however long it stays quiet. */
#define FDP_OP_HELLO 'H'

/* Flags: more reply frames follow (fetch of more than 253 descriptors). */
#define FDP_WIRE_MORE 0x1

/* Longest name, and the longest request payload a holder reads: a fetch's
 * two capacities and a name. */
#define FDP_NAME_MAX 255
#define FDP_WIRE_MAX_REQUEST (8 + FDP_NAME_MAX)

struct fdp_frame {
  unsigned op;     /* FDP_OP_* */
  int status;      /* replies: FDPASS_OK or a negative code; requests: 0 */
  unsigned nfds;   /* descriptors that came with the frame's first byte */
  unsigned flags;  /* FDP_WIRE_MORE */
  uint32_t length; /* payload bytes after the header */
};

void fdp_wire_put32(unsigned char *p, uint32_t value);
uint32_t fdp_wire_get32(const unsigned char *p);

/* Encode `f` into `out` (FDP_WIRE_HEADER bytes). */
void fdp_wire_encode(const struct fdp_frame *f, unsigned char *out);

/* Decode a header; FDPASS_EPROTO when it is not one of this version (bad
 * magic or version, unknown op or flags, nfds over FDPASS_MAX_FDS). */
int fdp_wire_decode(const unsigned char *in, struct fdp_frame *f);

/* Is `name` (`len` bytes) a stored name: 1 to 255 printable ASCII
 * characters (space to '~'), no ':'? */
int fdp_name_is_valid(const char *name, size_t len);

/* Does `names` (`len` bytes, colon-separated) hold exactly `count` valid
 * names? */
int fdp_names_are_valid(const char *names, size_t len, size_t count);

#endif
