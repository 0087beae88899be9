/* SPDX-License-Identifier: MIT */
/* store_wire.c - see store_wire.h. */
#include "internal.h"
#include "store_wire.h"

#include <string.h>

void fdp_wire_put32(unsigned char *p, uint32_t value)
{
  p[0] = (unsigned char)(value >> 24);
  p[1] = (unsigned char)(value >> 16);
  p[2] = (unsigned char)(value >> 8);
  p[3] = (unsigned char)value;
}

uint32_t fdp_wire_get32(const unsigned char *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

/* Header: magic, version, op, status (a code's absolute value), nfds (16
 * bits), flags, reserved 0, payload length (32 bits), all big-endian. */
void fdp_wire_encode(const struct fdp_frame *f, unsigned char *out)
{
  out[0] = FDP_WIRE_MAGIC;
  out[1] = FDP_WIRE_VERSION;
  out[2] = (unsigned char)f->op;
  out[3] = (unsigned char)-f->status;
  out[4] = (unsigned char)(f->nfds >> 8);
  out[5] = (unsigned char)f->nfds;
  out[6] = (unsigned char)f->flags;
  out[7] = 0;
  fdp_wire_put32(out + 8, f->length);
}

int fdp_wire_decode(const unsigned char *in, struct fdp_frame *f)
{
  f->op = in[2];
  f->status = -(int)in[3];
  f->nfds = (unsigned)in[4] << 8 | in[5];
  f->flags = in[6];
  f->length = fdp_wire_get32(in + 8);
  int known_op = f->op == FDP_OP_STORE || f->op == FDP_OP_FETCH ||
                 f->op == FDP_OP_LIST || f->op == FDP_OP_REMOVE ||
                 f->op == FDP_OP_HELLO || f->op == FDP_OP_HAND_OVER;
  if (in[0] != FDP_WIRE_MAGIC || in[1] != FDP_WIRE_VERSION || !known_op ||
      (f->flags & ~(FDP_WIRE_MORE | FDP_WIRE_NEW | FDP_WIRE_LIFETIME)) ||
      in[7] != 0 || f->nfds > FDPASS_MAX_FDS)
    return FDPASS_EPROTO;
  return FDPASS_OK;
}

int fdp_name_is_valid(const char *name, size_t len)
{
  if (len == 0 || len > FDP_NAME_MAX)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (name[i] < ' ' || name[i] > '~' || name[i] == ':')
      return 0;
  return 1;
}

int fdp_names_are_valid(const char *names, size_t len, size_t count)
{
  if (count == 0)
    return len == 0;
  size_t found = 0;
  for (size_t start = 0; start <= len && found <= count; found++) {
    const char *colon = memchr(names + start, ':', len - start);
    size_t end = colon ? (size_t)(colon - names) : len;
    if (!fdp_name_is_valid(names + start, end - start))
      return 0;
    start = end + 1;
  }
  return found == count;
}

size_t fdp_handoff_encode(char *message, size_t len)
{
  const char *names = message + 1;
  size_t n = strlen(FDP_UNNAMED);
  message[0] = 0;
  for (size_t at = 0; at < len; at += n + 1)
    if (len - at < n || memcmp(names + at, FDP_UNNAMED, n) != 0 ||
        (at + n < len && names[at + n] != ':'))
      return 1 + len;
  return 1;
}
