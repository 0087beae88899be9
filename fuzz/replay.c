/* SPDX-License-Identifier: MIT */
/* replay.c - run fuzz_recv's checks on saved inputs (the seed corpus, or a
 * crash libFuzzer found) without libFuzzer, e.g. under valgrind:
 *   fuzz_replay [--skip SEED=REASON]... FILE...
 * --skip names a seed that is not replayed, and why, on a [SKIP] line as
 * the suites print them (an emulator that cannot run it faithfully). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
  static uint8_t data[1 << 20];
  int skipped = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--skip") == 0 && i + 1 < argc) {
      const char *seed = argv[++i], *reason = strchr(seed, '=');
      int length = reason ? (int)(reason - seed) : (int)strlen(seed);
      printf("[SKIP] seeds::%.*s: %s\n", length, seed,
             reason ? reason + 1 : "");
      skipped++;
      continue;
    }
    FILE *f = fopen(argv[i], "rb");
    if (f == NULL) {
      perror(argv[i]);
      return 1;
    }
    size_t size = fread(data, 1, sizeof data, f);
    fclose(f);
    LLVMFuzzerTestOneInput(data, size);
  }
  printf("fuzz_replay: %d inputs passed every invariant, %d skipped\n",
         argc - 1 - 2 * skipped, skipped);
  return 0;
}
