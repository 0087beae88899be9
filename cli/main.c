/* SPDX-License-Identifier: MIT */
/*
 * main.c - the fdpass command: reads the command line (getopt_long), sets
 * up the process and runs one verb of commands.c.
 */
#define _GNU_SOURCE

#include "commands.h"
#include "report.h"

#include <fdpass.h>

#include "store_wire.h" /* names */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
  "Usage: fdpass send [--timeout SECONDS] [--peer-uid UID]... SOCKET SPEC...\n"
  "       fdpass recv [--timeout SECONDS] [--allow-uid UID]... [--mode MODE]\n"
  "                   [--group GROUP] SOCKET [-- COMMAND [ARG...]]\n"
  "       fdpass hold [--allow-uid UID]... [--read-uid UID]... [--write-uid UID]...\n"
  "                   [--read-gid GID]... [--write-gid GID]... [--mode MODE]\n"
  "                   [--group GROUP] [--max-connections N] [--max-stored N]\n"
  "                   [--rule uid|gid=ID:OPS:PREFIX]... [--lame-duck SECONDS]\n"
  "                   [--from OLD] [--notify NOTIFY] SOCKET [SPEC...]\n"
  "       fdpass exec [--timeout SECONDS] [--peer-uid UID]... [--name NAME]...\n"
  "                   [--notify NOTIFY] SOCKET [-- COMMAND [ARG...]]\n"
  "       fdpass store [--timeout SECONDS] [--peer-uid UID]... [--new]\n"
  "                    [--lifetime SECONDS] SOCKET NAME=SPEC...\n"
  "       fdpass list [--timeout SECONDS] [--peer-uid UID]... SOCKET\n"
  "       fdpass remove [--timeout SECONDS] [--peer-uid UID]... SOCKET NAME...\n"
  "       fdpass --help | --version\n"
  "\n"
  "Pass open file descriptors between processes over a local socket.\n"
  "\n"
  "  send    connect to SOCKET and pass the SPECs' descriptors in one message\n"
  "  recv    listen on SOCKET, receive one sender's descriptors and exec\n"
  "          COMMAND with them as descriptors 3, 4, ... and LISTEN_FDS,\n"
  "          LISTEN_PID and LISTEN_FDNAMES set (systemd socket activation);\n"
  "          without a COMMAND, print them\n"
  "  hold    keep descriptors under names (the SPECs, those of the holder\n"
  "          at OLD, and what clients store) and serve store, fetch, list and\n"
  "          remove on SOCKET until SIGTERM or SIGINT; the socket file is then\n"
  "          removed\n"
  "  exec    fetch the descriptors of the holder at SOCKET (all, or those of\n"
  "          each --name) and exec COMMAND with them as recv does; without a\n"
  "          COMMAND, print them\n"
  "  store   store the SPECs' descriptors in the holder under their names\n"
  "  list    print the name of every descriptor the holder keeps, in order\n"
  "  remove  make the holder close and forget the NAMEs' descriptors\n"
  "\n"
  "SOCKET  a path, or @NAME in Linux's abstract namespace\n"
  "SPEC    [NAME=]PATH[:w|:rw|:a|:trunc]  a file, read-only without a suffix;\n"
  "                                only :trunc truncates\n"
  "        [NAME=]fd:N             this process's descriptor N\n"
  "        [NAME=]tcp:HOST:PORT    a listening TCP socket (tcp6:[HOST]:PORT)\n"
  "        [NAME=]unix:PATH        a listening local socket\n"
  "\n"
  "  --timeout SECONDS  wait at most this long for a listener (send, exec,\n"
  "                     store, list, remove) or a connection (recv), and for\n"
  "                     the transfer\n"
  "  --peer-uid UID     trust a peer of this uid besides ours and root\n"
  "  --allow-uid UID    also serve this user (recv; hold: reading)\n"
  "  --read-uid UID, --write-uid UID, --read-gid GID, --write-gid GID\n"
  "                     (hold) who may fetch and list, who may store and remove\n"
  "  --mode MODE        (recv, hold) the socket file's mode, e.g. 0660\n"
  "                     (default 0600)\n"
  "  --group GROUP      (recv, hold) the socket file's group\n"
  "  --rule uid=ID:OPS:PREFIX, --rule gid=ID:OPS:PREFIX\n"
  "                     (hold) let that uid or gid store (s), fetch (f), remove\n"
  "                     (r) the names that start with PREFIX, or list (l)\n"
  "  --lame-duck SECONDS (hold) once stopped, serve the clients connected for\n"
  "                     that long at most, accepting no more\n"
  "  --max-connections N, --max-stored N\n"
  "                     (hold) what one uid other than root and ours may use:\n"
  "                     clients at once (default 64), descriptors stored\n"
  "                     (default 1000)\n"
  "  --from OLD         (hold) start with everything the holder at OLD keeps;\n"
  "                     OLD the same as SOCKET: upgrade it in place\n"
  "  --name NAME        (exec) only the descriptors stored under NAME\n"
  "  --new              (store) refuse to replace what a NAME holds\n"
  "  --lifetime SECONDS (store) the holder closes and forgets them after that\n"
"  --notify NOTIFY    (hold) also serve systemd's notification protocol on\n"
"                     the datagram socket NOTIFY: FDSTORE=1 stores,\n"
"                     FDSTOREREMOVE=1 removes; (exec) set NOTIFY_SOCKET\n"
"                     for COMMAND\n"
  "\n"
  "Exit status: 0 done, 1 failure, 2 usage error, 126 COMMAND cannot run,\n"
  "127 COMMAND not found. See fdpass(1).\n";

enum {
  SEND = 1 << 0, RECV = 1 << 1, HOLD = 1 << 2, EXEC = 1 << 3,
  STORE = 1 << 4, LIST = 1 << 5, REMOVE = 1 << 6,
  CONNECTS = SEND | EXEC | STORE | LIST | REMOVE
};

static const struct verb {
  const char *name;
  int bit;
  int (*run)(const struct options *o);
  int min_args; /* after SOCKET; -1: [-- COMMAND...] instead */
  int max_args;
} verbs[] = {
  {"send", SEND, command_send, 1, 1 << 30},
  {"recv", RECV, command_recv, -1, 0},
  {"hold", HOLD, command_hold, 0, 1 << 30},
  {"exec", EXEC, command_exec, -1, 0},
  {"store", STORE, command_store, 1, 1 << 30},
  {"list", LIST, command_list, 0, 0},
  {"remove", REMOVE, command_remove, 1, 1 << 30},
};

enum { OPT_TIMEOUT = 256, OPT_PEER_UID, OPT_ALLOW_UID, OPT_READ_UID,
       OPT_WRITE_UID, OPT_READ_GID, OPT_WRITE_GID, OPT_MODE, OPT_GROUP,
       OPT_FROM, OPT_NAME, OPT_MAX_CONNECTIONS, OPT_MAX_STORED, OPT_NEW,
       OPT_LIFETIME, OPT_RULE, OPT_LAME_DUCK, OPT_NOTIFY };

static const struct option long_options[] = {
  {"help", no_argument, NULL, 'h'},
  {"timeout", required_argument, NULL, OPT_TIMEOUT},
  {"peer-uid", required_argument, NULL, OPT_PEER_UID},
  {"allow-uid", required_argument, NULL, OPT_ALLOW_UID},
  {"read-uid", required_argument, NULL, OPT_READ_UID},
  {"write-uid", required_argument, NULL, OPT_WRITE_UID},
  {"read-gid", required_argument, NULL, OPT_READ_GID},
  {"write-gid", required_argument, NULL, OPT_WRITE_GID},
  {"mode", required_argument, NULL, OPT_MODE},
  {"group", required_argument, NULL, OPT_GROUP},
  {"from", required_argument, NULL, OPT_FROM},
  {"name", required_argument, NULL, OPT_NAME},
  {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
  {"max-stored", required_argument, NULL, OPT_MAX_STORED},
  {"new", no_argument, NULL, OPT_NEW},
  {"lifetime", required_argument, NULL, OPT_LIFETIME},
  {"rule", required_argument, NULL, OPT_RULE},
  {"lame-duck", required_argument, NULL, OPT_LAME_DUCK},
  {"notify", required_argument, NULL, OPT_NOTIFY},
  {NULL, 0, NULL, 0},
};

/* The verbs that take each option (indexed like long_options). */
static const int option_verbs[] = {
  ~0, SEND | RECV | EXEC | STORE | LIST | REMOVE | HOLD, CONNECTS | HOLD,
  RECV | HOLD, HOLD, HOLD, HOLD, HOLD, RECV | HOLD, RECV | HOLD, HOLD, EXEC,
  HOLD, HOLD, STORE, STORE, HOLD, HOLD, HOLD | EXEC,
};

static int parse_timeout(const char *text, long *ms)
{
  char *end;
  errno = 0;
  double seconds = strtod(text, &end);
  /* Up to a year; isfinite rejects "nan" and "inf". */
  if (end == text || *end || errno || !isfinite(seconds) || seconds < 0 ||
      seconds > 31536000)
    return usage_error("bad --timeout '%s': expected seconds, e.g. 5 or 0.5",
                       text);
  *ms = (long)(seconds * 1000); /* rounded up: 0.0001 s still waits */
  if ((double)*ms < seconds * 1000)
    ++*ms;
  return 0;
}

/* A numeric uid or gid for option `option`, added to `p`. */
static int parse_id(const char *option, const char *text, struct peers *p)
{
  char *end;
  errno = 0;
  unsigned long long id = strtoull(text, &end, 10);
  if (end == text || *end || errno || text[0] == '-' || id >= 0xffffffffULL)
    return usage_error("bad --%s '%s': expected a numeric id", option, text);
  if (p->nuids == MAX_UIDS)
    return usage_error("at most %d --%s options", MAX_UIDS, option);
  p->uids[p->nuids++] = (int64_t)id;
  return 0;
}

static int parse_mode(const char *text, int *mode)
{
  char *end;
  errno = 0;
  long value = strtol(text, &end, 8);
  if (end == text || *end || errno || value < 0 || value > 0777)
    return usage_error("bad --mode '%s': expected octal permissions, e.g. "
                       "0660", text);
  *mode = (int)value;
  return 0;
}

/* A limit of --max-connections or --max-stored: 1 or more. */
static int parse_limit(const char *option, const char *text, size_t *limit)
{
  char *end;
  errno = 0;
  unsigned long long value = strtoull(text, &end, 10);
  if (end == text || *end || errno || text[0] == '-' || value == 0 ||
      value > 1000000000)
    return usage_error("bad --%s '%s': expected a number from 1", option,
                       text);
  *limit = (size_t)value;
  return 0;
}

/* --rule uid=ID:OPS:PREFIX or gid=ID:OPS:PREFIX, OPS of "sfrl" (store,
 * fetch, remove, list). */
static int parse_rule(const char *text, struct options *o)
{
  char kind[4] = "", ops[8] = "";
  unsigned long long id;
  int end = 0;
  if (o->nrules == MAX_RULES)
    return usage_error("at most %d --rule options", MAX_RULES);
  struct fdp_holder_rule *r = &o->rules[o->nrules];
  *r = (struct fdp_holder_rule){0};
  if (sscanf(text, "%3[ug]id=%llu:%7[sfrl]:%n", kind, &id, ops, &end) != 3 ||
      kind[1] || end == 0 || id >= 0xffffffffULL || strchr(text + end, ':') ||
      strlen(text + end) > 255)
    return usage_error("bad --rule '%s': expected uid=ID:OPS:PREFIX or "
                       "gid=ID:OPS:PREFIX, OPS of s, f, r, l", text);
  r->id = (int64_t)id;
  r->is_gid = kind[0] == 'g';
  r->prefix = text + end;
  for (const char *op = ops; *op; op++)
    r->ops |= *op == 's'   ? FDP_HOLDER_STORE
              : *op == 'f' ? FDP_HOLDER_FETCH
              : *op == 'r' ? FDP_HOLDER_REMOVE
                           : FDP_HOLDER_LIST;
  o->nrules++;
  return 0;
}

static int parse_group(const char *text, long long *gid)
{
  struct peers one = {.nuids = 0};
  struct group *g = getgrnam(text);
  if (g != NULL) {
    *gid = g->gr_gid;
    return 0;
  }
  if (text[0] < '0' || text[0] > '9')
    return usage_error("bad --group '%s': no such group", text);
  int rc = parse_id("group", text, &one);
  *gid = one.uids[0];
  return rc;
}

static int parse_option(int opt, const char *value, struct options *o)
{
  switch (opt) {
  case OPT_TIMEOUT:
    return parse_timeout(value, &o->timeout_ms);
  case OPT_PEER_UID:
    return parse_id("peer-uid", value, &o->trusted);
  case OPT_ALLOW_UID: /* recv: may send to us; hold: may read */
    if (parse_id("allow-uid", value, &o->allowed) != 0)
      return EXIT_USAGE;
    return parse_id("allow-uid", value, &o->read_uids);
  case OPT_READ_UID:
    return parse_id("read-uid", value, &o->read_uids);
  case OPT_WRITE_UID:
    return parse_id("write-uid", value, &o->write_uids);
  case OPT_READ_GID:
    return parse_id("read-gid", value, &o->read_gids);
  case OPT_WRITE_GID:
    return parse_id("write-gid", value, &o->write_gids);
  case OPT_MODE:
    return parse_mode(value, &o->mode);
  case OPT_GROUP:
    return parse_group(value, &o->gid);
  case OPT_FROM:
    o->from = value;
    return 0;
  case OPT_MAX_CONNECTIONS:
    return parse_limit("max-connections", value, &o->max_connections);
  case OPT_MAX_STORED:
    return parse_limit("max-stored", value, &o->max_stored);
  case OPT_NEW:
    o->store_new = 1;
    return 0;
  case OPT_RULE:
    return parse_rule(value, o);
  case OPT_LAME_DUCK:
    if (parse_timeout(value, &o->lame_duck_ms) != 0)
      return EXIT_USAGE;
    if (o->lame_duck_ms > 0x7fffffff)
      return usage_error("bad --lame-duck '%s': at most 24 days", value);
    return 0;
  case OPT_LIFETIME:
    if (parse_timeout(value, &o->lifetime_ms) != 0)
      return EXIT_USAGE;
    if (o->lifetime_ms == 0 || o->lifetime_ms > 0x7fffffff)
      return usage_error("bad --lifetime '%s': expected seconds, more than "
                         "0 and at most 24 days", value);
    return 0;
  case OPT_NOTIFY:
    if (value[0] == '\0')
      return usage_error("bad --notify '': expected a path or @NAME");
    o->notify = value;
    return 0;
  default: /* OPT_NAME */
    if (!fdp_name_is_valid(value, strlen(value)))
      return usage_error("bad --name '%s': a name is 1 to 255 characters "
                         "from space to '~', without ':'", value);
    if (o->nnames == MAX_NAMES)
      return usage_error("at most %d --name options", MAX_NAMES);
    o->names[o->nnames++] = value;
    return 0;
  }
}

/* Options up to the first argument that is not one, or up to "--" (then
 * consumed; *dashes says so): 0, -1 after --help, or an exit status. */
static int parse_options(const struct verb *v, int argc, char **argv,
                         struct options *o, int *dashes)
{
  int opt, index = -1, start = optind;
  while ((opt = getopt_long(argc, argv, "+:h", long_options, &index)) != -1) {
    const char *text = argv[optind - 1];
    if (opt == 'h') {
      fputs(help, stdout);
      return -1;
    }
    if (opt == ':')
      return usage_error("%s needs a value", text);
    if (opt == '?' && optopt && optopt < 256)
      return usage_error("unknown option '-%c' for %s (see fdpass --help)",
                         optopt, v->name);
    index = opt == '?' ? -1 : opt - OPT_TIMEOUT + 1;
    if (index < 0) /* argv[optind - 1] is the option itself */
      return usage_error("unknown option '%.*s' for %s (see fdpass --help)",
                         (int)strcspn(text, "="), text, v->name);
    if (!(option_verbs[index] & v->bit))
      return usage_error("unknown option '--%s' for %s (see fdpass --help)",
                         long_options[index].name, v->name);
    int rc = parse_option(opt, optarg, o);
    if (rc != 0)
      return rc;
  }
  *dashes = optind > start && !strcmp(argv[optind - 1], "--");
  return 0;
}

/* The options and arguments after the verb, options before or after
 * SOCKET (`fdpass exec SOCKET --name web -- COMMAND`): 0, -1 after --help,
 * or an exit status. */
static int parse_arguments(const struct verb *v, int argc, char **argv,
                           struct options *o)
{
  opterr = 0; /* our own messages, with the verb */
  optind = 1;
  int dashes;
  int rc = parse_options(v, argc, argv, o, &dashes);
  if (rc != 0)
    return rc;
  if (dashes || optind >= argc)
    return usage_error("missing SOCKET (see fdpass --help)");
  o->socket = argv[optind++];
  rc = parse_options(v, argc, argv, o, &dashes);
  if (rc != 0)
    return rc;
  if (v->min_args >= 0) { /* after "--", even "-x" is an argument */
    o->args = argv + optind;
    o->nargs = argc - optind;
    if (o->nargs < v->min_args)
      return usage_error("missing %s (see fdpass --help)",
                         v->bit == REMOVE ? "NAME" : "SPEC");
    if (o->nargs > v->max_args)
      return usage_error("unexpected '%s'", o->args[v->max_args]);
    return 0;
  }
  if (!dashes && optind < argc)
    return usage_error("unexpected '%s': a command goes after '--'",
                       argv[optind]);
  if (dashes) {
    o->command = argv + optind;
    if (optind >= argc)
      return usage_error("missing COMMAND after '--'");
  }
  return 0;
}

/* Descriptors 0, 1 and 2 are open, so that nothing this command opens
 * becomes someone's standard input or output by accident. */
static int open_standard_descriptors(void)
{
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
      return report_errno("/dev/null", errno);
  return 0;
}

int main(int argc, char **argv)
{
  if (argc < 2)
    return usage_error("missing verb (see fdpass --help)");
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(help, stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("fdpass %s\n", fdpass_version_string());
    return 0;
  }
  const struct verb *v = NULL;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
    if (!strcmp(argv[1], verbs[i].name))
      v = &verbs[i];
  if (v == NULL)
    return usage_error("unknown verb '%s' (see fdpass --help)", argv[1]);
  report_set_verb(v->name);

  struct options o = {.timeout_ms = -1, .mode = 0600, .gid = -1};
  int rc = parse_arguments(v, argc - 1, argv + 1, &o);
  if (rc != 0)
    return rc < 0 ? 0 : rc;
  rc = open_standard_descriptors();
  if (rc == 0)
    rc = setup_signals(v->bit & (RECV | HOLD), v->bit == HOLD);
  return rc != 0 ? rc : v->run(&o);
}
