/* SPDX-License-Identifier: MIT */
/*
 * store_wire.h - the descriptor store's wire format (docs/protocol.md),
 * encoded and decoded in one place for the client functions
 * (core/src/store.c), the holder (holder/) and the fdpass command (cli/):
 * frames, names and fdpass 1.1's one-message handoff. Every function
 * returns a status or a truth value and prints nothing. Internal: in the
 * static library, not exported.
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
/* An upgrade in place (client.h), asked by a new holder of the old one's
 * uid or root: the first gets the listening socket, and the old holder
 * then serves no one else; the second, after fetching everything, makes
 * it stop. */
#define FDP_OP_HAND_OVER 'T'

/* Flags. Replies: more frames follow (fetch of more than 253
 * descriptors). Store requests: refuse to replace what is stored under the
 * name (EADDRINUSE); a lifetime in milliseconds (4 bytes) comes before
 * the name, after which the holder closes and forgets the descriptors. */
#define FDP_WIRE_MORE 0x1
#define FDP_WIRE_NEW 0x2
#define FDP_WIRE_LIFETIME 0x4

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
 * magic or version, unknown op or flags, nfds over FDPASS_MAX_FDS). Which
 * flags an op may carry is the reader's to check. */
int fdp_wire_decode(const unsigned char *in, struct fdp_frame *f);

/* A descriptor stored or passed without a name is called this, as in
 * systemd. */
#define FDP_UNNAMED "unknown"

/* Is `name` (`len` bytes) a stored name: 1 to 255 printable ASCII
 * characters (space to '~'), no ':'? */
int fdp_name_is_valid(const char *name, size_t len);

/* Does `names` (`len` bytes, colon-separated) hold exactly `count` valid
 * names? */
int fdp_names_are_valid(const char *names, size_t len, size_t count);

/* fdpass 1.1's one-message handoff, kept by the holder for clients that
 * ask nothing and spoken by `fdpass send` and `recv`: a 0 byte carrying
 * every descriptor, then their names joined by ':' unless every one is
 * FDP_UNNAMED, then the end of the stream; one unnamed descriptor is thus
 * exactly IO::FDPass's format. `message` holds the joined names (`len`
 * bytes) from its second byte on: this writes the 0 byte and returns the
 * length of the message to send. */
size_t fdp_handoff_encode(char *message, size_t len);

#endif
