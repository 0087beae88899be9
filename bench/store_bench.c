/* SPDX-License-Identifier: MIT */
/*
 * store_bench.c - what the descriptor store costs, as ratios within one
 * run (never a timed test):
 *  - store plus fetch round trips through the library, against holders
 *    that keep 1, 100 and 10,000 names: fetching one name among 10,000
 *    should cost about what it costs among 1;
 *  - the holder's memory (resident set) per stored descriptor, beyond the
 *    kernel's own;
 *  - one descriptor stored under a name, replacing it, by a store request
 *    (with its reply) and by a datagram of systemd's notification protocol
 *    ("FDSTOREREMOVE=1 FDSTORE=1 FDNAME=", as a daemon sends it to `fdpass
 *    hold --notify`; the repetition ends with a list request, served only
 *    once every datagram before it was applied), against a bare pass of a
 *    descriptor over a socket pair;
 *  - with -x NAME=COMMAND, whole processes: each COMMAND (e.g. `fdpass
 *    exec SOCKET -- true`, `s6-fdholder-retrieve SOCKET unix:/web true`,
 *    `true`) run and waited for, interleaved, in milliseconds per run.
 *
 *   store_bench [-n ROUNDTRIPS] [-r REPS] [-x NAME=COMMAND]...
 *
 * The holders are the project's own (holder/), each in a
 * child process, so the numbers include the process switch a real client
 * pays. Results are medians of interleaved repetitions.
 */
#define _GNU_SOURCE

#include <fdpass.h>

#include "measure.h"

#include "holder.h"
#include "notify.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_REPS = 101, MAX_COMMANDS = 8 };

/* A holder in a child process on an abstract name, serving the notify
 * socket `notify` too unless NULL; its pid. */
static pid_t start_holder(const char *path, const char *notify)
{
  int ready[2];
  if (pipe(ready) != 0)
    die("pipe");
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    int stop[2];
    struct fdp_holder h = {.notify = -1, .legacy_ms = -1};
    if (pipe(stop) != 0 || fdpass_listen(path, &h.listener) != FDPASS_OK ||
        (notify && fdp_notify_bind(notify, 0600, -1, &h.notify) != 0))
      _exit(1);
    h.stop_fd = stop[0];
    h.store = fdp_store_new();
    signal(SIGTERM, SIG_DFL);
    (void)!write(ready[1], "", 1);
    _exit(fdp_holder_serve(&h) == FDPASS_OK ? 0 : 1);
  }
  char byte;
  close(ready[1]);
  if (read(ready[0], &byte, 1) != 1)
    die("the holder did not start");
  close(ready[0]);
  return pid;
}

/* One round trip: store `name` (replacing it), fetch it, close the copy. */
static void round_trip(int sock, int fd)
{
  int got;
  size_t n = 1;
  if (fdpass_store(sock, "n0", &fd, 1, -1) != FDPASS_OK ||
      fdpass_fetch(sock, "n0", &got, &n, NULL, 0, -1) != FDPASS_OK || n != 1)
    die("round trip failed");
  close(got);
}

/* A datagram socket connected to the abstract name `notify`. */
static int connect_notify(const char *notify)
{
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  size_t n = strlen(notify);
  memcpy(a.sun_path + 1, notify + 1, n - 1);
  int sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0 ||
      connect(sock, (struct sockaddr *)&a,
              (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) != 0)
    die("connect to the notify socket");
  return sock;
}

static void bare_pass(int a, int b, int fd)
{
  int got;
  size_t len = 1, n = 1;
  char byte = 0;
  if (fdpass_send_fds(a, &byte, &len, &fd, 1, 0) != FDPASS_OK ||
      fdpass_recv_fds(b, &byte, &len, &got, &n, 0) != FDPASS_OK || n != 1)
    die("bare pass failed");
  close(got);
}

static void store_request(int sock, int fd)
{
  if (fdpass_store(sock, "n0", &fd, 1, -1) != FDPASS_OK)
    die("store failed");
}

static void fdstore_datagram(int sock, int fd)
{
  static const char text[] = "FDSTOREREMOVE=1\nFDSTORE=1\nFDNAME=n0";
  size_t len = sizeof text - 1;
  if (fdpass_send_fds(sock, text, &len, &fd, 1, 0) != FDPASS_OK)
    die("notify failed");
}

/* Wait until the holder applied every datagram sent before. */
static void settle(int sock)
{
  char names[64];
  if (fdpass_list(sock, names, sizeof names, -1) != FDPASS_OK ||
      strcmp(names, "n0") != 0)
    die("the store does not hold n0 alone");
}

/* A store request against a datagram of systemd's protocol and a bare
 * pass, `n` each per repetition. */
static void notify_costs(int n, int reps)
{
  char path[64], notify[64];
  snprintf(path, sizeof path, "@fdpass-store-bench-%d-n", (int)getpid());
  snprintf(notify, sizeof notify, "@fdpass-store-bench-%d-notify",
           (int)getpid());
  pid_t holder = start_holder(path, notify);
  int sock, datagrams = connect_notify(notify), pair[2];
  if (fdpass_connect_holder(path, &sock) != FDPASS_OK ||
      fdpass_socketpair(pair, pair + 1) != FDPASS_OK)
    die("connect");
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  store_request(sock, fd); /* warm */
  fdstore_datagram(datagrams, fd);
  settle(sock);
  static double ns[3][MAX_REPS], to_bare[3][MAX_REPS], to_store[MAX_REPS];
  for (int r = 0; r < reps; r++) {
    double start = now_ns();
    for (int i = 0; i < n; i++)
      bare_pass(pair[0], pair[1], fd);
    ns[0][r] = (now_ns() - start) / n;
    start = now_ns();
    for (int i = 0; i < n; i++)
      store_request(sock, fd);
    ns[1][r] = (now_ns() - start) / n;
    start = now_ns();
    for (int i = 0; i < n; i++)
      fdstore_datagram(datagrams, fd);
    settle(sock);
    ns[2][r] = (now_ns() - start) / n;
    for (int k = 0; k < 3; k++)
      to_bare[k][r] = ns[k][r] / ns[0][r];
    to_store[r] = ns[2][r] / ns[1][r];
  }
  static const char *const what[3] = {"bare pass (sendmsg + recvmsg)",
                                      "store request (fdpass_store)",
                                      "FDSTORE=1 datagram, applied"};
  printf("one descriptor stored under a name, replacing it (%d per "
         "repetition)\n%-32s %10s %14s\n", n, "", "us each",
         "ratio to bare");
  for (int k = 0; k < 3; k++)
    printf("%-32s %10.2f %13.2fx\n", what[k], median(ns[k], reps) / 1000,
           median(to_bare[k], reps));
  printf("a datagram costs %.2fx a store request\n", median(to_store, reps));
  close(sock);
  close(datagrams);
  close(pair[0]);
  close(pair[1]);
  close(fd);
  kill(holder, SIGTERM);
  waitpid(holder, NULL, 0);
}

/* Run `command` (split at spaces) once, waiting for it. */
static void run_command(char *const *argv)
{
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    int null = open("/dev/null", O_RDWR);
    dup2(null, 1);
    dup2(null, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  int status;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0)
    die("a command failed (run it by hand to see why)");
}

int main(int argc, char **argv)
{
  int n = 2000, reps = 11, ncommands = 0;
  const char *command_names[MAX_COMMANDS];
  char *commands[MAX_COMMANDS][16];
  for (int opt; (opt = getopt(argc, argv, "n:r:x:")) != -1;) {
    if (opt == 'n')
      n = atoi(optarg);
    else if (opt == 'r')
      reps = atoi(optarg);
    else if (opt == 'x' && ncommands < MAX_COMMANDS) {
      char *eq = strchr(optarg, '=');
      if (eq == NULL)
        die("-x NAME=COMMAND");
      *eq = '\0';
      command_names[ncommands] = optarg;
      int k = 0;
      for (char *w = strtok(eq + 1, " "); w && k < 15; w = strtok(NULL, " "))
        commands[ncommands][k++] = w;
      commands[ncommands][k] = NULL;
      ncommands++;
    } else
      die("usage: store_bench [-n ROUNDTRIPS] [-r REPS] [-x NAME=COMMAND]");
  }
  if (reps < 1 || reps > MAX_REPS || n < 1)
    die("bad -n or -r");

  static const int sizes[] = {1, 100, 10000};
  enum { NSIZES = 3 };
  pid_t holders[NSIZES];
  int socks[NSIZES];
  long rss_before = 0, rss_after = 0;
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  for (int s = 0; s < NSIZES; s++) {
    char path[64], name[16];
    snprintf(path, sizeof path, "@fdpass-store-bench-%d-%d", (int)getpid(),
             s);
    holders[s] = start_holder(path, NULL);
    if (fdpass_connect_holder(path, &socks[s]) != FDPASS_OK)
      die("connect");
    round_trip(socks[s], fd); /* the first name, and warm */
    if (s == NSIZES - 1)
      rss_before = rss_kib(holders[s]);
    for (int i = 1; i < sizes[s]; i++) {
      snprintf(name, sizeof name, "n%d", i);
      if (fdpass_store(socks[s], name, &fd, 1, -1) != FDPASS_OK)
        die("fill");
    }
    if (s == NSIZES - 1)
      rss_after = rss_kib(holders[s]);
  }

  static double ns[NSIZES][MAX_REPS], ratio[NSIZES][MAX_REPS];
  for (int r = 0; r < reps; r++)
    for (int s = 0; s < NSIZES; s++) {
      double start = now_ns();
      for (int i = 0; i < n; i++)
        round_trip(socks[s], fd);
      ns[s][r] = (now_ns() - start) / n;
    }
  for (int r = 0; r < reps; r++)
    for (int s = 0; s < NSIZES; s++)
      ratio[s][r] = ns[s][r] / ns[0][r];
  printf("store + fetch round trips (%d per repetition, %d repetitions)\n",
         n, reps);
  printf("%-14s %10s %12s %14s\n", "names stored", "us/trip", "trips/s",
         "ratio to 1");
  for (int s = 0; s < NSIZES; s++) {
    double us = median(ns[s], reps) / 1000;
    printf("%-14d %10.2f %12.0f %13.3fx\n", sizes[s], us, 1e6 / us,
           median(ratio[s], reps));
  }
  long per = (rss_after - rss_before) * 1024 / (sizes[NSIZES - 1] - 1);
  printf("holder memory: %ld KiB resident before, %ld KiB after %d more "
         "names: %ld bytes per stored descriptor\n",
         rss_before, rss_after, sizes[NSIZES - 1] - 1, per);
  for (int s = 0; s < NSIZES; s++) {
    close(socks[s]);
    kill(holders[s], SIGTERM);
    waitpid(holders[s], NULL, 0);
  }
  close(fd);
  notify_costs(n, reps);

  if (ncommands > 0) {
    static double ms[MAX_COMMANDS][MAX_REPS];
    for (int r = 0; r < reps; r++)
      for (int c = 0; c < ncommands; c++) {
        int runs = n / 20 > 0 ? n / 20 : 1;
        double start = now_ns();
        for (int i = 0; i < runs; i++)
          run_command(commands[c]);
        ms[c][r] = (now_ns() - start) / runs / 1e6;
      }
    printf("whole processes (%d runs per repetition)\n",
           n / 20 > 0 ? n / 20 : 1);
    for (int c = 0; c < ncommands; c++)
      printf("%-10s %8.3f ms per run\n", command_names[c],
             median(ms[c], reps));
  }
  return 0;
}
