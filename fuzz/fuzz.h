/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer harnesses share: the invariant check (an
 * abort, which libFuzzer reports with the input), reading the input, and
 * counting descriptors. FUZZ_NAME names the harness in messages.
 */
#ifndef FDPASS_FUZZ_H
#define FDPASS_FUZZ_H

#include "../tests/open_fds.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define check(cond, ...)                                                     \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, FUZZ_NAME ": invariant broken: " __VA_ARGS__);         \
      fputc('\n', stderr);                                                   \
      abort();                                                               \
    }                                                                        \
  } while (0)

/* Reads the input; past its end every byte is 0. */
struct input {
  const uint8_t *data;
  size_t size, pos;
};

static inline unsigned next_byte(struct input *in)
{
  return in->pos < in->size ? in->data[in->pos++] : 0;
}

static inline int count_fds(void)
{
  int count = open_fds();
  check(count >= 0, "cannot read /proc/self/fd");
  return count;
}

#endif
