/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the verbs of the fdpass command, each a thin layer over the
 * library: send, recv, hold, exec, store, list, remove.
 */
#ifndef FDPASS_CLI_COMMANDS_H
#define FDPASS_CLI_COMMANDS_H

#include "handoff.h"
#include "holder.h"

#define MAX_NAMES 64
#define MAX_RULES 32

/* One verb's command line, as main.c parsed it. */
struct options {
  const char *socket;
  char **args; /* SPECs (send, hold, store), NAME (remove) */
  int nargs;
  char **command; /* after "--"; NULL when none */
  long timeout_ms; /* -1: no --timeout */
  struct peers trusted; /* --peer-uid (verbs that connect) */
  struct peers allowed; /* --allow-uid (recv, hold) */
  struct peers read_uids, write_uids, read_gids, write_gids; /* hold */
  int mode;            /* --mode (recv, hold); 0600 by default */
  long long gid;       /* --group (recv, hold); -1: none */
  const char *from;    /* --from OLD (hold) */
  size_t max_connections, max_stored; /* hold; 0: the holder's defaults */
  struct fdp_holder_rule rules[MAX_RULES]; /* --rule (hold) */
  int nrules;
  long lame_duck_ms; /* --lame-duck (hold); 0: none */
  int store_new;    /* --new (store) */
  long lifetime_ms; /* --lifetime (store); 0: none */
  const char *notify;  /* --notify NOTIFY (hold, exec) */
  const char *names[MAX_NAMES]; /* --name (exec) */
  int nnames;
};

int command_send(const struct options *o);
int command_recv(const struct options *o);
int command_hold(const struct options *o);
int command_exec(const struct options *o);
int command_store(const struct options *o);
int command_list(const struct options *o);
int command_remove(const struct options *o);

#endif
