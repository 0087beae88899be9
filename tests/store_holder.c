/* SPDX-License-Identifier: MIT */
/*
 * store_holder.c - the holder (holder/) as a process of its own, for
 * test_store: `store_holder PATH [OPTION...]` listens on PATH, writes
 * "ready" on stdout, and serves until SIGTERM (then exits 0).
 *   -l MS    legacy handoff after MS (default -1: never)
 *   -r UID / -w UID / -R GID / -W GID   read or write rights
 *   -n N     RLIMIT_NOFILE N (to run out of descriptors)
 *   -m       print the resident set size (KiB) on stderr when stopped
 */
#define _GNU_SOURCE

#include "holder.h"

#include <fdpass.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int stop_pipe[2];

static void on_term(int signal_number)
{
  (void)signal_number;
  (void)!write(stop_pipe[1], "", 1);
}

static void print_log(void *context, const char *text)
{
  (void)context;
  fprintf(stderr, "store_holder: %s\n", text);
}

int main(int argc, char **argv)
{
  static int64_t ids[4][16];
  size_t counts[4] = {0};
  struct fdp_holder h = {.legacy_ms = -1, .log = print_log};
  int report_memory = 0;
  for (int i = 2; i < argc; i++) {
    const char *opt = argv[i], *value = i + 1 < argc ? argv[i + 1] : "0";
    const char *kinds = "rwRW";
    if (!strcmp(opt, "-m")) {
      report_memory = 1;
      continue;
    }
    i++;
    if (!strcmp(opt, "-l")) {
      h.legacy_ms = atoi(value);
    } else if (!strcmp(opt, "-n")) {
      struct rlimit limit = {(rlim_t)atoi(value), (rlim_t)atoi(value)};
      setrlimit(RLIMIT_NOFILE, &limit);
    } else if (opt[0] == '-' && strchr(kinds, opt[1])) {
      int k = (int)(strchr(kinds, opt[1]) - kinds);
      ids[k][counts[k]++] = atoll(value);
    }
  }
  h.access = (struct fdp_holder_access){ids[0], ids[1], ids[2], ids[3],
                                        counts[0], counts[1], counts[2],
                                        counts[3]};
  if (pipe(stop_pipe) != 0 || fdpass_listen(argv[1], &h.listener) != 0)
    return 1;
  signal(SIGTERM, on_term);
  signal(SIGPIPE, SIG_IGN);
  h.stop_fd = stop_pipe[0];
  h.store = fdp_store_new();
  printf("ready\n");
  fflush(stdout);
  int status = fdp_holder_serve(&h);
  if (report_memory) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[128];
    while (f && fgets(line, sizeof line, f))
      if (!strncmp(line, "VmRSS:", 6))
        fprintf(stderr, "%s", line);
    if (f)
      fclose(f);
  }
  fdp_store_free(h.store);
  close(h.listener);
  if (argv[1][0] != '@')
    unlink(argv[1]);
  return status == FDPASS_OK ? 0 : 1;
}
