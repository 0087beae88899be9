/* SPDX-License-Identifier: MIT */
/* replay.c - run fuzz_recv's checks on saved inputs (the seed corpus, or a
 * crash libFuzzer found) without libFuzzer, e.g. under valgrind:
 *   fuzz_replay FILE...   */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
  static uint8_t data[1 << 20];
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (f == NULL) {
      perror(argv[i]);
      return 1;
    }
    size_t size = fread(data, 1, sizeof data, f);
    fclose(f);
    LLVMFuzzerTestOneInput(data, size);
  }
  printf("fuzz_replay: %d inputs passed every invariant\n", argc - 1);
  return 0;
}
