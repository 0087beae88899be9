/* SPDX-License-Identifier: MIT */
/*
 * fdpass_bench.c - the cost of passing a descriptor, side by side with the
 * physical limit: a bare sendmsg/recvmsg loop in this same run.
 *
 * Every variant passes /dev/null to itself over a socket pair (send, then
 * receive, then close the received descriptor: the same work for all), N
 * times per repetition. Repetitions interleave the variants so that a
 * noisy moment hits all of them; the result is the median per variant and
 * the median of its ratios to the bare loop with as many descriptors per
 * message, repetition by repetition. "bare + socket check" is the floor for
 * a send that refuses sockets which would drop descriptors.
 *
 *   fdpass_bench [-n N] [-r REPS] [-t FILE.tsv] [-p NAME=COMMAND]...
 *
 * -p adds a peer from another language: `COMMAND N` must do the same loop N
 * times and print nanoseconds per descriptor (bench/peers/ has them).
 */
#define _GNU_SOURCE

#include <fdpass.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { MAX_VARIANTS = 32, MAX_REPS = 101 };

struct variant {
  const char *name;
  int fds;             /* descriptors per message */
  const char *command; /* a peer in another language, or NULL */
  void (*run)(int n, int fds);
  double ns[MAX_REPS]; /* per descriptor, one per repetition */
};

static int sock_a, sock_b, file;
static int batch[FDPASS_MAX_FDS];

static double now_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

_Noreturn static void die(const char *what)
{
  fprintf(stderr, "fdpass_bench: %s\n", what);
  exit(1);
}

/* The limit: what any descriptor-passing code must do at the least; with
 * `check`, also the one system call that tells a local socket from one
 * that would drop descriptors (TCP), which a safe send cannot skip. */
static void bare_loop(int n, int fds, int check)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS)];
  } out, in;
  size_t bytes = (size_t)fds * sizeof(int);
  memset(&out, 0, sizeof out);
  char byte = 0;
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  for (int i = 0; i < n; i++) {
    struct sockaddr address; /* the family is all the library asks for */
    socklen_t size = offsetof(struct sockaddr, sa_family) +
                     sizeof address.sa_family;
    if (check && (getsockname(sock_a, &address, &size) != 0 ||
                  address.sa_family != AF_UNIX))
      die("getsockname failed");
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = out.buf,
                         .msg_controllen = CMSG_SPACE(bytes)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(bytes);
    memcpy(CMSG_DATA(c), batch, bytes);
    if (sendmsg(sock_a, &msg, MSG_NOSIGNAL) != 1)
      die("sendmsg failed");
    msg.msg_control = in.buf;
    msg.msg_controllen = CMSG_SPACE(bytes);
    if (recvmsg(sock_b, &msg, MSG_CMSG_CLOEXEC) != 1)
      die("recvmsg failed");
    c = CMSG_FIRSTHDR(&msg);
    const unsigned char *data = CMSG_DATA(c);
    for (int k = 0; k < fds; k++) {
      int fd;
      memcpy(&fd, data + k * sizeof fd, sizeof fd);
      close(fd);
    }
  }
}

static void bare(int n, int fds)
{
  bare_loop(n, fds, 0);
}

static void bare_checked(int n, int fds)
{
  bare_loop(n, fds, 1);
}

static void single(int n, int fds)
{
  (void)fds;
  for (int i = 0; i < n; i++) {
    int fd;
    if (fdpass_send(sock_a, file) != FDPASS_OK ||
        fdpass_recv(sock_b, &fd) != FDPASS_OK)
      die("fdpass_send/fdpass_recv failed");
    close(fd);
  }
}

static void batched(int n, int fds)
{
  int in[FDPASS_MAX_FDS];
  for (int i = 0; i < n; i++) {
    char byte;
    size_t len = 1, nfds = FDPASS_MAX_FDS;
    if (fdpass_send_fds(sock_a, "", &len, batch, (size_t)fds, 0) != FDPASS_OK)
      die("fdpass_send_fds failed");
    len = 1;
    if (fdpass_recv_fds(sock_b, &byte, &len, in, &nfds, 0) != FDPASS_OK ||
        nfds != (size_t)fds)
      die("fdpass_recv_fds failed");
    for (size_t k = 0; k < nfds; k++)
      close(in[k]);
  }
}

/* Run a peer's `COMMAND N` and read the ns per descriptor it prints. */
static double run_peer(const char *command, int n)
{
  char line[4096];
  snprintf(line, sizeof line, "%s %d", command, n);
  FILE *out = popen(line, "r");
  double ns = 0;
  if (out == NULL || fscanf(out, "%lf", &ns) != 1 || pclose(out) != 0 ||
      ns <= 0) {
    fprintf(stderr, "fdpass_bench: peer failed: %s\n", line);
    exit(1);
  }
  return ns;
}

static int compare(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(const double *values, int count)
{
  double sorted[MAX_REPS];
  memcpy(sorted, values, (size_t)count * sizeof *values);
  qsort(sorted, (size_t)count, sizeof *sorted, compare);
  return count % 2 ? sorted[count / 2]
                   : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
}

int main(int argc, char **argv)
{
  int n = 100000, reps = 11;
  const char *tsv = NULL;
  struct variant v[MAX_VARIANTS] = {
      {"bare sendmsg/recvmsg", 1, NULL, bare, {0}},
      {"bare + socket check", 1, NULL, bare_checked, {0}},
      {"libfdpass send/recv", 1, NULL, single, {0}},
  };
  int count = 3;
  static const int sizes[] = {8, 64, FDPASS_MAX_FDS};
  for (int s = 0; s < 3; s++) {
    v[count++] = (struct variant){"bare batch", sizes[s], NULL, bare, {0}};
    if (sizes[s] == 8)
      v[count++] = (struct variant){"bare + socket check, batch", sizes[s],
                                    NULL, bare_checked, {0}};
    v[count++] = (struct variant){"libfdpass batch", sizes[s], NULL, batched,
                                  {0}};
  }

  for (int opt; (opt = getopt(argc, argv, "n:r:t:p:")) != -1;) {
    if (opt == 'n')
      n = atoi(optarg);
    else if (opt == 'r')
      reps = atoi(optarg);
    else if (opt == 't')
      tsv = optarg;
    else if (opt == 'p' && count < MAX_VARIANTS && strchr(optarg, '=')) {
      char *eq = strchr(optarg, '=');
      *eq = '\0';
      v[count++] = (struct variant){optarg, 1, eq + 1, NULL, {0}};
    } else {
      fprintf(stderr, "usage: fdpass_bench [-n N] [-r REPS] [-t FILE.tsv] "
                      "[-p NAME=COMMAND]...\n");
      return 2;
    }
  }
  if (n < 1 || reps < 1 || reps > MAX_REPS)
    die("-n must be positive and -r between 1 and 101");

  if (fdpass_socketpair(&sock_a, &sock_b) != FDPASS_OK ||
      (file = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
    die("cannot set up");
  for (int k = 0; k < FDPASS_MAX_FDS; k++)
    batch[k] = file;

  for (int r = 0; r < reps; r++) {
    for (int i = 0; i < count; i++) {
      /* Batches pass as many descriptors as the single loops in all. */
      int messages = v[i].fds > 1 ? n / v[i].fds + 1 : n;
      if (v[i].command != NULL) {
        v[i].ns[r] = run_peer(v[i].command, n / 10 + 1);
        continue;
      }
      double start = now_ns();
      v[i].run(messages, v[i].fds);
      v[i].ns[r] = (now_ns() - start) / ((double)messages * v[i].fds);
    }
  }

  FILE *out = tsv ? fopen(tsv, "w") : NULL;
  if (tsv && !out)
    die("cannot write the TSV file");
  if (out)
    fprintf(out, "variant\tfds_per_message\tns_per_fd\tratio_to_bare\n");
  printf("libfdpass %s, %d repetitions, median ns per passed descriptor\n\n",
         fdpass_version_string(), reps);
  printf("| %-32s | fds/msg | ns/fd | ratio to bare | fds/s  |\n",
         "variant");
  printf("|%.34s|--------:|------:|--------------:|-------:|\n",
         "----------------------------------");
  double single_ratio = 0, single_ns = 0, io_fdpass_ns = 0, best_batch = 0;
  for (int i = 0; i < count; i++) {
    int base = i;
    for (int j = 0; j < count; j++) /* the bare loop of the same size */
      if (v[j].run == bare && v[j].fds == v[i].fds)
        base = j;
    /* Each repetition against the bare loop of the same repetition, so
     * that a slow stretch of the machine cancels out. */
    double ratios[MAX_REPS];
    for (int r = 0; r < reps; r++)
      ratios[r] = v[i].ns[r] / v[base].ns[r];
    double ns = median(v[i].ns, reps), ratio = median(ratios, reps);
    char name[64];
    if (v[i].fds > 1)
      snprintf(name, sizeof name, "%s %d", v[i].name, v[i].fds);
    else
      snprintf(name, sizeof name, "%s", v[i].name);
    printf("| %-32s | %7d | %5.0f | %12.3fx | %5.2fM |\n", name, v[i].fds,
           ns, ratio, 1e3 / ns);
    if (out)
      fprintf(out, "%s\t%d\t%.1f\t%.3f\n", name, v[i].fds, ns, ratio);
    if (v[i].run == single) {
      single_ns = ns;
      single_ratio = ratio;
    }
    if (v[i].run == batched && (best_batch == 0 || ns < best_batch))
      best_batch = ns;
    if (v[i].command && strstr(v[i].name, "IO::FDPass"))
      io_fdpass_ns = ns;
  }
  if (out)
    fclose(out);
  printf("\nlibfdpass single vs bare: %.3fx; best batch: %.1fx the "
         "descriptors per second of libfdpass single",
         single_ratio, single_ns / best_batch);
  if (io_fdpass_ns > 0)
    printf(", %.1fx of IO::FDPass", io_fdpass_ns / best_batch);
  printf("\n");
  return 0;
}
