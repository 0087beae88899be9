/*
 * main.c - the fdpass command: reads the command line, sets up the
 * process and runs a subcommand. Messages are formatted here.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
  "Usage: fdpass send [--timeout SECONDS] SOCKET SPEC...\n"
  "       fdpass recv [--timeout SECONDS] [--allow-uid UID]... SOCKET\n"
  "                   [-- COMMAND [ARG...]]\n"
  "       fdpass hold [--allow-uid UID]... SOCKET SPEC...\n"
  "       fdpass exec [--timeout SECONDS] SOCKET [-- COMMAND [ARG...]]\n"
  "       fdpass --help | --version\n"
  "\n"
  "Pass open file descriptors between processes over a local socket.\n"
  "\n"
  "  send  connect to SOCKET and pass the SPECs' descriptors in one message\n"
  "  recv  listen on SOCKET, receive one sender's descriptors and exec\n"
  "        COMMAND with them as descriptors 3, 4, ... and LISTEN_FDS,\n"
  "        LISTEN_PID and LISTEN_FDNAMES set (systemd socket activation);\n"
  "        without a COMMAND, print them\n"
  "  hold  open the SPECs once and give every client of SOCKET a copy,\n"
  "        until SIGTERM or SIGINT; the socket file is then removed\n"
  "  exec  receive the descriptors of the holder at SOCKET and exec\n"
  "        COMMAND with them as recv does; without a COMMAND, print them\n"
  "\n"
  "SOCKET  a path, or @NAME in Linux's abstract namespace\n"
  "SPEC    [NAME=]PATH[:w|:rw|:a]  a file, read-only without a suffix\n"
  "        [NAME=]fd:N             this process's descriptor N\n"
  "        [NAME=]tcp:HOST:PORT    a listening TCP socket (tcp6:[HOST]:PORT)\n"
  "        [NAME=]unix:PATH        a listening local socket\n"
  "\n"
  "  --timeout SECONDS  wait at most this long for a listener (send, exec)\n"
  "                     or a connection (recv), and for the transfer\n"
  "  --allow-uid UID    also serve this user (recv, hold; default: only\n"
  "                     the same uid)\n"
  "\n"
  "Exit status: 0 done, 1 failure, 2 usage error. See fdpass(1).\n";

/* The running subcommand, for messages ("fdpass send: ..."). */
static const char *subcommand_name;

static void print_prefix(void)
{
  fprintf(stderr, "fdpass%s%s: ", subcommand_name ? " " : "",
          subcommand_name ? subcommand_name : "");
}

int report(const char *what, const char *text)
{
  print_prefix();
  fprintf(stderr, "%s: %s\n", what, text);
  return EXIT_FAILURE;
}

int report_status(const char *what, int status)
{
  return report(what, fdpass_strerror(status));
}

int report_errno(const char *what, int error)
{
  return report(what, strerror(error));
}

int usage_error(const char *format, ...)
{
  va_list args;
  va_start(args, format);
  print_prefix();
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  return EXIT_USAGE;
}

static const struct subcommand {
  const char *name;
  int (*run)(const struct options *o);
  int takes_specs;     /* SPEC... (send, hold), else [-- COMMAND...] */
  int takes_timeout;   /* --timeout */
  int checks_peers;    /* --allow-uid */
  int catches_signals; /* cleans up its socket file on SIGTERM/SIGINT */
} subcommands[] = {
  {"send", command_send, 1, 1, 0, 0},
  {"recv", command_recv, 0, 1, 1, 1},
  {"hold", command_hold, 1, 0, 1, 1},
  {"exec", command_exec, 0, 1, 0, 0},
};

/* "--name VALUE" or "--name=VALUE" at argv[*i]: the value, or NULL if
 * argv[*i] is not that option. Advances *i past a separate value. */
static const char *option_value(const char *name, int argc, char **argv,
                                int *i, int *missing)
{
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0)
    return NULL;
  if (argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (argv[*i][n] != '\0')
    return NULL;
  if (*i + 1 >= argc) {
    *missing = 1;
    return NULL;
  }
  return argv[++*i];
}

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

static int parse_uid(const char *text, struct options *o)
{
  char *end;
  errno = 0;
  unsigned long long uid = strtoull(text, &end, 10);
  if (end == text || *end || errno || text[0] == '-' || uid >= 0xffffffffULL)
    return usage_error("bad --allow-uid '%s': expected a numeric uid", text);
  if (o->nallowed == MAX_ALLOWED_UIDS)
    return usage_error("at most %d --allow-uid options", MAX_ALLOWED_UIDS);
  o->allowed_uids[o->nallowed++] = (int64_t)uid;
  return 0;
}

/* The options and arguments after the subcommand's name. */
static int parse_arguments(const struct subcommand *sub, int argc,
                           char **argv, struct options *o)
{
  int i = 2;
  for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
    int missing = 0, rc;
    const char *value;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(help, stdout);
      return -1;
    } else if (sub->takes_timeout &&
               (value = option_value("--timeout", argc, argv, &i,
                                     &missing))) {
      if ((rc = parse_timeout(value, &o->timeout_ms)) != 0)
        return rc;
    } else if (sub->checks_peers &&
               (value = option_value("--allow-uid", argc, argv, &i,
                                     &missing))) {
      if ((rc = parse_uid(value, o)) != 0)
        return rc;
    } else if (missing) {
      return usage_error("%s needs a value", argv[i]);
    } else {
      return usage_error("unknown option '%s' for %s (see fdpass --help)",
                         argv[i], sub->name);
    }
  }
  if (i >= argc)
    return usage_error("missing SOCKET (see fdpass --help)");
  o->socket = argv[i++];
  if (sub->takes_specs) {
    o->specs = argv + i;
    o->nspecs = argc - i;
    if (o->nspecs == 0)
      return usage_error("missing SPEC (see fdpass --help)");
    return 0;
  }
  if (i < argc && strcmp(argv[i], "--"))
    return usage_error("unexpected '%s': a command goes after '--'",
                       argv[i]);
  if (i < argc) {
    o->command = argv + i + 1;
    if (i + 1 >= argc)
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
    return usage_error("missing subcommand (see fdpass --help)");
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    fputs(help, stdout);
    return 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("fdpass %s\n", fdpass_version_string());
    return 0;
  }
  const struct subcommand *sub = NULL;
  for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
    if (!strcmp(argv[1], subcommands[i].name))
      sub = &subcommands[i];
  if (sub == NULL)
    return usage_error("unknown subcommand '%s' (see fdpass --help)",
                       argv[1]);
  subcommand_name = sub->name;

  struct options o = {.timeout_ms = -1};
  int rc = parse_arguments(sub, argc, argv, &o);
  if (rc != 0)
    return rc < 0 ? 0 : rc;
  rc = open_standard_descriptors();
  if (rc == 0)
    rc = setup_signals(sub->catches_signals);
  return rc != 0 ? rc : sub->run(&o);
}
