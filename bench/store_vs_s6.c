/* SPDX-License-Identifier: MIT */
/*
 * store_vs_s6.c - the project's holder (`fdpass hold`, through
 * fdpass_connect_holder, fdpass_store and fdpass_fetch) side by side with
 * s6's s6-fdholderd (through libs6), both started here in a private
 * temporary directory, in the same run (never a timed test):
 *  1. requests (a fetch of one held descriptor, the copy closed) per
 *     second with 1, 100 and 1000 client connections open, driven by up
 *     to 4 threads taking the connections in turn (s6-fdholderd serves
 *     at most 256);
 *  2. store + fetch round trips on one connection, the only one open
 *     (s6: store, then retrieve-and-delete, as s6 refuses to replace a
 *     held name): storing the same socket each time, as a daemon stores
 *     again the socket it fetched, and two sockets in turn, so that each
 *     store replaces another open file;
 *  3. each holder's resident memory (/proc/PID/status) before and after
 *     storing N more descriptors.
 * What is stored is a socket, as daemons store. Results are medians of
 * interleaved repetitions; the ratios fdpass/s6 (time, or memory: below 1
 * is better for fdpass) are the result. Run it under `taskset -c 0` too:
 * on one CPU, no wake-up waits for another CPU, and what remains is the
 * work each holder does per request.
 *
 *   store_vs_s6 FDPASS [-n ROUNDTRIPS] [-r REPS] [-m N]
 *
 * Without libs6 at build time (HAVE_S6) or s6-fdholder-daemon on PATH,
 * it measures fdpass alone and says that s6 was skipped.
 */
#define _GNU_SOURCE

#include <fdpass.h>

#include "measure.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_S6
#include <s6/fdholder.h>
#include <skalibs/tai.h>
#endif

enum { MAX_REPS = 101, MAX_THREADS = 4, TIMEOUT_S = 10 };
enum { FDPASS_HOLDER, S6_HOLDER, NHOLDERS };
static const char *const holder_names[NHOLDERS] = {"fdpass", "s6"};
/* s6-fdholderd serves at most this many connections (its -c): with -c
 * 1000, the 1000-client run hung. */
enum { S6_MAX_CONNECTIONS = 256 };

static char dir[64];
static int have_s6;

static pid_t spawn(char *const *argv)
{
  pid_t pid = fork();
  if (pid < 0)
    die("fork");
  if (pid == 0) {
    /* No holder outlives a benchmark that died. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    execvp(argv[0], argv);
    _exit(127);
  }
  return pid;
}

/* A connection to either holder. */
struct client {
  int sock;
#ifdef HAVE_S6
  s6_fdholder_t s6;
#endif
};

#ifdef HAVE_S6
static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
    die("cannot write the s6 access rules");
}

static const char *s6_id(char *buf, size_t size, int i)
{
  snprintf(buf, size, "unix:/n%d", i);
  return buf;
}

static void s6_deadline(tain *deadline, tain *stamp)
{
  tain_now(stamp);
  tain_addsec(deadline, stamp, TIMEOUT_S);
}
#endif

static int connect_client(int holder, struct client *c)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s.sock", dir, holder_names[holder]);
  if (holder == FDPASS_HOLDER)
    return fdpass_connect_holder(path, &c->sock) == FDPASS_OK;
#ifdef HAVE_S6
  tain deadline, stamp;
  s6_deadline(&deadline, &stamp);
  c->s6 = (s6_fdholder_t)S6_FDHOLDER_ZERO;
  return s6_fdholder_start(&c->s6, path, &deadline, &stamp) == 1;
#else
  return 0;
#endif
}

static void disconnect_client(int holder, struct client *c)
{
  if (holder == FDPASS_HOLDER)
    close(c->sock);
#ifdef HAVE_S6
  else
    s6_fdholder_end(&c->s6);
#endif
}

static void store(int holder, struct client *c, int i, int fd)
{
  char name[32];
  int ok;
  if (holder == FDPASS_HOLDER) {
    snprintf(name, sizeof name, "n%d", i);
    ok = fdpass_store(c->sock, name, &fd, 1, TIMEOUT_S * 1000) == FDPASS_OK;
  } else {
#ifdef HAVE_S6
    tain deadline, stamp;
    s6_deadline(&deadline, &stamp);
    ok = s6_fdholder_store(&c->s6, fd, s6_id(name, sizeof name, i),
                           &tain_infinite, &deadline, &stamp) == 1;
#else
    ok = 0;
#endif
  }
  if (!ok)
    die(holder == FDPASS_HOLDER ? "fdpass store failed" : "s6 store failed");
}

/* Fetch name i and close the copy; with `take`, s6 also deletes it. */
static void fetch(int holder, struct client *c, int i, int take)
{
  char name[32];
  int got = -1;
  if (holder == FDPASS_HOLDER) {
    size_t n = 1;
    snprintf(name, sizeof name, "n%d", i);
    if (fdpass_fetch(c->sock, name, &got, &n, NULL, 0, TIMEOUT_S * 1000) !=
            FDPASS_OK ||
        n != 1)
      got = -1;
  } else {
#ifdef HAVE_S6
    tain deadline, stamp;
    s6_deadline(&deadline, &stamp);
    got = s6_fdholder_retrieve_maybe_delete(
        &c->s6, s6_id(name, sizeof name, i), take, &deadline, &stamp);
#else
    (void)take;
#endif
  }
  if (got < 0)
    die(holder == FDPASS_HOLDER ? "fdpass fetch failed" : "s6 fetch failed");
  close(got);
}

/* (1): `nclients` connections taken in turn by up to MAX_THREADS threads,
 * each connection fetching name 0 `per_client` times. */
struct load {
  int holder;
  struct client *clients;
  int first, count, per_client;
};

static void *drive(void *arg)
{
  const struct load *l = arg;
  for (int k = 0; k < l->per_client; k++)
    for (int i = 0; i < l->count; i++)
      fetch(l->holder, &l->clients[l->first + i], 0, 0);
  return NULL;
}

static double requests_per_second(int holder, struct client *clients,
                                  int nclients, int requests)
{
  int nthreads = nclients < MAX_THREADS ? nclients : MAX_THREADS;
  int per_client = requests / nclients > 0 ? requests / nclients : 1;
  pthread_t threads[MAX_THREADS];
  struct load loads[MAX_THREADS];
  double start = now_ns();
  for (int t = 0; t < nthreads; t++) {
    int first = nclients * t / nthreads;
    loads[t] = (struct load){holder, clients, first,
                             nclients * (t + 1) / nthreads - first,
                             per_client};
    if (pthread_create(&threads[t], NULL, drive, &loads[t]) != 0)
      die("pthread_create");
  }
  for (int t = 0; t < nthreads; t++)
    pthread_join(threads[t], NULL);
  return (double)per_client * nclients / ((now_ns() - start) / 1e9);
}

static void start_holders(const char *fdpass, pid_t pids[NHOLDERS])
{
  char path[128], rules[128], file[256];
  snprintf(path, sizeof path, "%s/fdpass.sock", dir);
  pids[FDPASS_HOLDER] = spawn((char *[]){(char *)fdpass, "hold", path, NULL});
#ifdef HAVE_S6
  char uid[32], maxconn[32];
  snprintf(rules, sizeof rules, "%s/rules", dir);
  snprintf(uid, sizeof uid, "%d", (int)geteuid());
  /* Rules: this uid may store and retrieve names that start with unix:. */
  snprintf(file, sizeof file, "%s/uid/%s/env", rules, uid);
  for (char *slash = strchr(file + strlen(dir) + 1, '/'); slash;
       slash = strchr(slash + 1, '/')) {
    *slash = '\0';
    if (mkdir(file, 0700) != 0)
      die("mkdir");
    *slash = '/';
  }
  if (mkdir(file, 0700) != 0)
    die("mkdir");
  snprintf(file, sizeof file, "%s/uid/%s/allow", rules, uid);
  write_file(file, "");
  snprintf(file, sizeof file, "%s/uid/%s/env/S6_FDHOLDER_STORE_REGEX", rules,
           uid);
  write_file(file, "^unix:\n");
  snprintf(file, sizeof file, "%s/uid/%s/env/S6_FDHOLDER_RETRIEVE_REGEX",
           rules, uid);
  write_file(file, "^unix:\n");
  snprintf(path, sizeof path, "%s/s6.sock", dir);
  snprintf(maxconn, sizeof maxconn, "%d", S6_MAX_CONNECTIONS);
  if (have_s6)
    pids[S6_HOLDER] = spawn((char *[]){
        "s6-fdholder-daemon", "-c", maxconn, "-n", "100000", "-i", rules, path,
        NULL});
#else
  (void)rules;
  (void)file;
#endif
}

int main(int argc, char **argv)
{
  int n = 2000, reps = 11, nstored = 10000;
  if (argc < 2)
    die("usage: store_vs_s6 FDPASS [-n ROUNDTRIPS] [-r REPS] [-m N]");
  const char *fdpass = argv[1];
  optind = 2;
  for (int opt; (opt = getopt(argc, argv, "n:r:m:")) != -1;) {
    if (opt == 'n')
      n = atoi(optarg);
    else if (opt == 'r')
      reps = atoi(optarg);
    else if (opt == 'm')
      nstored = atoi(optarg);
    else
      die("usage: store_vs_s6 FDPASS [-n ROUNDTRIPS] [-r REPS] [-m N]");
  }
  if (reps < 1 || reps > MAX_REPS || n < 1 || nstored < 1)
    die("bad -n, -r or -m");

  /* 1000 clients of each holder, each a descriptor here. */
  struct rlimit limit;
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  signal(SIGPIPE, SIG_IGN);

#ifdef HAVE_S6
  have_s6 = system("command -v s6-fdholder-daemon > /dev/null") == 0;
  if (!have_s6)
    printf("s6: SKIPPED (no s6-fdholder-daemon: apt-get install s6)\n");
#else
  printf("s6: SKIPPED (built without libs6: apt-get install libs6-dev "
         "skalibs-dev)\n");
#endif
  int nholders = have_s6 ? NHOLDERS : 1;
  snprintf(dir, sizeof dir, "/tmp/store_vs_s6.XXXXXX");
  if (mkdtemp(dir) == NULL)
    die("mkdtemp");
  pid_t pids[NHOLDERS];
  start_holders(fdpass, pids);

  static const int client_counts[] = {1, 100, 1000};
  enum { NCOUNTS = 3 };
  int most = client_counts[NCOUNTS - 1];
  struct client *clients[NHOLDERS];
  int connected[NHOLDERS] = {0};
  /* What daemons store: sockets (two, for stores that replace another). */
  int pair[2], pair2[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0 ||
      socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair2) != 0)
    die("socketpair");
  int fd = pair[0], fd2 = pair2[0];
  for (int h = 0; h < nholders; h++) {
    clients[h] = calloc((size_t)most, sizeof **clients);
    if (clients[h] == NULL)
      die("out of memory");
    /* The first connection waits for the holder to listen. */
    for (int tries = 0; !connect_client(h, &clients[h][0]); tries++) {
      if (tries == 200)
        die("a holder did not start");
      usleep(25000);
    }
    connected[h] = 1;
    store(h, &clients[h][0], 0, fd);
  }

  /* (2) with one connection open, then (1) with ever more: a holder's cost
   * may grow with the connections it watches. Repetitions interleave the
   * holders. */
  enum { SAME, ANOTHER, NTRIPS };
  static const char *const trip_names[NTRIPS] = {
      "round trip, same socket, us", "round trip, another socket, us"};
  static double trip_ns[NTRIPS][NHOLDERS][MAX_REPS],
      rps[NHOLDERS][NCOUNTS][MAX_REPS];
  static double trip_ratio[NTRIPS][MAX_REPS], rps_ratio[NCOUNTS][MAX_REPS];
  for (int r = 0; r < reps; r++)
    for (int t = 0; t < NTRIPS; t++) {
      for (int h = 0; h < nholders; h++) {
        double start = now_ns();
        for (int i = 0; i < n; i++) {
          store(h, &clients[h][0], 1, t == ANOTHER && i % 2 ? fd2 : fd);
          fetch(h, &clients[h][0], 1, 1);
        }
        trip_ns[t][h][r] = (now_ns() - start) / n;
      }
      if (have_s6)
        trip_ratio[t][r] = trip_ns[t][0][r] / trip_ns[t][1][r];
    }
  for (int c = 0; c < NCOUNTS; c++) {
    for (int h = 0; h < nholders; h++) {
      int cap = h == S6_HOLDER ? S6_MAX_CONNECTIONS : most;
      for (; connected[h] < client_counts[c] && connected[h] < cap;
           connected[h]++)
        if (!connect_client(h, &clients[h][connected[h]]))
          die("connect failed");
    }
    for (int r = 0; r < reps; r++) {
      for (int h = 0; h < nholders; h++)
        if (client_counts[c] <= connected[h])
          rps[h][c][r] =
              requests_per_second(h, clients[h], client_counts[c], n);
      if (have_s6)
        rps_ratio[c][r] = rps[0][c][r] / (rps[1][c][r] ? rps[1][c][r] : 1);
    }
  }

  /* (3), after the rest: the holders keep name 0 and their clients. */
  long before[NHOLDERS], after[NHOLDERS];
  for (int h = 0; h < nholders; h++) {
    before[h] = rss_kib(pids[h]);
    for (int i = 2; i < nstored + 2; i++)
      store(h, &clients[h][0], i, fd);
    after[h] = rss_kib(pids[h]);
  }

  printf("fdpass hold against s6-fdholderd (%d requests per measure, %d "
         "repetitions; ratios fdpass/s6)\n",
         n, reps);
  printf("%-32s %12s %12s %10s\n", "measure", "fdpass", "s6", "ratio");
  for (int t = 0; t < NTRIPS; t++) {
    double f = median(trip_ns[t][0], reps) / 1000;
    if (have_s6)
      printf("%-32s %12.2f %12.2f %9.3fx\n", trip_names[t], f,
             median(trip_ns[t][1], reps) / 1000,
             median(trip_ratio[t], reps));
    else
      printf("%-32s %12.2f %12s\n", trip_names[t], f, "-");
  }
  for (int c = 0; c < NCOUNTS; c++) {
    char what[64];
    snprintf(what, sizeof what, "fetches/s, %d clients", client_counts[c]);
    double fr = median(rps[0][c], reps);
    if (have_s6 && client_counts[c] <= connected[1])
      printf("%-32s %12.0f %12.0f %9.3fx\n", what, fr,
             median(rps[1][c], reps), median(rps_ratio[c], reps));
    else
      printf("%-32s %12.0f %12s %10s\n", what, fr,
             "-", "-");
  }
  for (int h = 0; h < nholders; h++)
    printf("%s memory: %ld KiB resident before, %ld KiB after %d more "
           "descriptors: %ld bytes each\n",
           holder_names[h], before[h], after[h], nstored,
           (after[h] - before[h]) * 1024 / nstored);
  if (have_s6)
    printf("memory ratio fdpass/s6: %.3fx\n",
           (double)(after[0] - before[0]) /
               (after[1] - before[1] ? after[1] - before[1] : 1));
  if (have_s6)
    printf("s6-fdholderd takes at most %d connections (-c): %d clients "
           "not measured for s6\n",
           S6_MAX_CONNECTIONS, most);
  fflush(stdout);

  for (int h = 0; h < nholders; h++) {
    for (int i = 0; i < connected[h]; i++)
      disconnect_client(h, &clients[h][i]);
    free(clients[h]);
    kill(pids[h], SIGTERM);
    waitpid(pids[h], NULL, 0);
  }
  for (int i = 0; i < 2; i++) {
    close(pair[i]);
    close(pair2[i]);
  }
  char command[128];
  snprintf(command, sizeof command, "rm -rf '%s'", dir);
  return system(command) == 0 ? 0 : 1;
}
