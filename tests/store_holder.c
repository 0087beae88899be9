/* SPDX-License-Identifier: MIT */
/*
 * store_holder.c - the holder (holder/) as a process of its own, for
 * test_store, which forks and calls run_store_holder in the child: no
 * exec, so that a holder of another uid runs wherever the build tree is.
 * It listens on WHERE, writes "ready" on `ready_fd` once the holder serves
 * (its closer and its descriptors in place), and serves until
 * SIGTERM (then returns 0). Options, in `args`:
 *   -l MS    legacy handoff after MS (default -1: never)
 *   -r UID / -w UID / -R GID / -W GID   read or write rights
 *   -c N / -s N   per-uid limits: connections, stored descriptors
 *   -x UID:OPS:PREFIX   a rule: OPS (of "sfrl") on names with PREFIX
 *   -n N     RLIMIT_NOFILE N (to run out of descriptors)
 *   -e FILE  the log goes to FILE instead of stderr
 *   -d MS    a lame duck of MS once stopped
 *   -N NOTIFY  serve systemd's notification protocol on NOTIFY too
 */
#define _GNU_SOURCE

#include "store_holder.h"

#include "holder.h"
#include "notify.h"

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
  fprintf(context, "store_holder: %s\n", text);
  fflush(context);
}

/* Once the holder serves, with every descriptor of its own open. */
static void say_ready(void *context)
{
  int *ready_fd = context;
  (void)!write(*ready_fd, "ready\n", 6);
  close(*ready_fd);
}

int run_store_holder(const char *where, const char **args, int ready_fd)
{
  static int64_t ids[4][16];
  static struct fdp_holder_rule rules[8];
  size_t counts[4] = {0}, nrules = 0;
  const char *notify = NULL;
  struct fdp_holder h = {.notify = -1, .legacy_ms = -1, .log = print_log,
                         .log_context = stderr};
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) { /* as fdpass hold does */
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  for (int i = 0; args && args[i]; i += 2) {
    const char *opt = args[i], *value = args[i + 1] ? args[i + 1] : "0";
    const char *kinds = "rwRW";
    if (!strcmp(opt, "-l")) {
      h.legacy_ms = atoi(value);
    } else if (!strcmp(opt, "-d")) {
      h.lame_duck_ms = atoi(value);
    } else if (!strcmp(opt, "-c")) {
      h.max_connections = (size_t)atoi(value);
    } else if (!strcmp(opt, "-s")) {
      h.max_stored = (size_t)atoi(value);
    } else if (!strcmp(opt, "-x") && nrules < 8) {
      struct fdp_holder_rule *r = &rules[nrules++];
      char *ops = strchr(value, ':');
      r->id = atoll(value);
      r->prefix = strchr(ops + 1, ':') + 1;
      for (const char *o = ops + 1; *o != ':'; o++)
        r->ops |= *o == 's' ? FDP_HOLDER_STORE : *o == 'f' ? FDP_HOLDER_FETCH
                : *o == 'r' ? FDP_HOLDER_REMOVE : FDP_HOLDER_LIST;
    } else if (!strcmp(opt, "-e")) {
      h.log_context = fopen(value, "w");
      if (h.log_context == NULL)
        return 1;
    } else if (!strcmp(opt, "-N")) {
      notify = value;
    } else if (!strcmp(opt, "-n")) {
      limit.rlim_cur = limit.rlim_max = (rlim_t)atoi(value);
      setrlimit(RLIMIT_NOFILE, &limit);
    } else if (opt[0] == '-' && opt[1] && strchr(kinds, opt[1])) {
      int k = (int)(strchr(kinds, opt[1]) - kinds);
      ids[k][counts[k]++] = atoll(value);
    }
  }
  h.access = (struct fdp_holder_access){ids[0], ids[1], ids[2], ids[3],
                                        counts[0], counts[1], counts[2],
                                        counts[3], rules, nrules};
  if (pipe(stop_pipe) != 0 || fdpass_listen(where, &h.listener) != 0 ||
      (notify && fdp_notify_bind(notify, 0600, -1, &h.notify) != 0))
    return 1;
  signal(SIGTERM, on_term);
  signal(SIGPIPE, SIG_IGN);
  h.stop_fd = stop_pipe[0];
  h.store = fdp_store_new();
  h.serving = say_ready;
  h.serving_context = &ready_fd;
  int status = fdp_holder_serve(&h);
  fdp_store_free(h.store);
  close(h.listener);
  if (h.notify >= 0)
    close(h.notify);
  close(stop_pipe[0]);
  close(stop_pipe[1]);
  if (h.log_context != stderr)
    fclose(h.log_context);
  if (where[0] != '@')
    unlink(where);
  return status == FDPASS_OK ? 0 : 1;
}
