/* SPDX-License-Identifier: MIT */
/* test_listen.c - fdpass_listen on a path as a hostile local user or a
 * second instance would meet it: never hang, never disturb a live server,
 * never unlink or chmod what is not its own, and report the real cause.
 * The attacks run as uid 65534 (as root; skipped otherwise) in directories
 * under /tmp that it can reach; overlayfs, btrfs and a second network
 * namespace in forked children, skipped visibly where the sandbox refuses
 * them. Hooks interposed on bind, socket, linkat, chmod and unshare put
 * an attack in the instant that matters. */
#define _GNU_SOURCE

#include "helpers.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


TestSuite(listen, .init = scratch_make, .fini = scratch_remove);

static struct sockaddr_un address_of(const char *path)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  cr_assert_lt(strlen(path), sizeof addr.sun_path);
  strcpy(addr.sun_path, path);
  return addr;
}

/* A socket bound at `path` by plain bind(2); listening with `backlog`
 * unless it is negative. */
static int raw_bound(const char *path, int backlog)
{
  struct sockaddr_un addr = address_of(path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert(s >= 0);
  cr_assert_eq(bind(s, (struct sockaddr *)&addr, sizeof addr), 0);
  if (backlog >= 0)
    cr_assert_eq(listen(s, backlog), 0);
  return s;
}

/* A socket file at `path` that nothing is bound to any more. */
static void make_stale(const char *path)
{
  close(raw_bound(path, 1));
  struct stat st;
  cr_assert(lstat(path, &st) == 0 && S_ISSOCK(st.st_mode));
}

static long long now_ms(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Where the kernel cannot list bound sockets (another OS, no netlink), the
 * library falls back to a non-blocking probe: socket(AF_NETLINK) fails on
 * demand here to test that path on Linux too. */
static int no_sock_diag;

/* Run once at fdpass_listen's first socket that is not its listener: when
 * it starts to find out whether a file in the way is stale. */
static void (*on_check)(void);

int socket(int domain, int type, int protocol)
{
  static int (*real)(int, int, int);
  if (no_sock_diag && domain == AF_NETLINK) {
    errno = EPERM;
    return -1;
  }
  void (*hook)(void) = on_check;
  if (hook && !(domain == AF_UNIX && (type & 0xf) == SOCK_STREAM)) {
    on_check = NULL;
    hook();
  }
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "socket");
  return real(domain, type, protocol);
}

/* Run once after fdpass_listen's linkat (its claim), with its result. */
static void (*after_claim)(int rc);

int linkat(int from_dir, const char *from, int to_dir, const char *to,
           int flags)
{
  static int (*real)(int, const char *, int, const char *, int);
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "linkat");
  int rc = real(from_dir, from, to_dir, to, flags), error = errno;
  void (*hook)(int) = after_claim;
  if (hook) {
    after_claim = NULL;
    hook(rc);
  }
  errno = error;
  return rc;
}

/* Where seccomp refuses unshare (e.g. containers), the library cannot give
 * its bind a private umask: unshare(CLONE_FS) fails on demand here. */
static int no_private_umask;

int unshare(int flags)
{
  if (no_private_umask && flags == CLONE_FS) {
    errno = EPERM;
    return -1;
  }
  return (int)syscall(SYS_unshare, flags);
}

static void full_backlog_is_answered_promptly(const char *path)
{
  int live = raw_bound(path, 0), clients[16], n = 0, full = 0;
  while (n < 16 && !full) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un addr = address_of(path);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) {
      cr_assert_eq(errno, EAGAIN, "%s", strerror(errno));
      full = 1;
      close(c);
    } else {
      clients[n++] = c;
    }
  }
  cr_assert(full, "the backlog never filled");
  int listener;
  long long start = now_ms();
  assert_status(fdpass_listen(path, &listener), FDPASS_EADDRINUSE);
  cr_assert_lt(now_ms() - start, 1000, "it must not wait for the server");
  while (n > 0)
    close(clients[--n]);
  close(live);
}

FD_TEST(listen, a_live_server_with_a_full_backlog_is_answered_promptly)
{
  full_backlog_is_answered_promptly(in_dir("full"));
}

FD_TEST(listen, without_sock_diag_a_full_backlog_is_answered_promptly)
{
  no_sock_diag = 1;
  full_backlog_is_answered_promptly(in_dir("full"));
  no_sock_diag = 0;
}

FD_TEST(listen, without_sock_diag_a_stale_file_is_replaced)
{
  const char *path = in_dir("stale");
  make_stale(path);
  int listener, client;
  no_sock_diag = 1;
  int status = fdpass_listen(path, &listener);
  no_sock_diag = 0;
  assert_ok(status);
  assert_ok(fdpass_connect(path, &client));
  close(client);
  close(listener);
}

FD_TEST(listen, without_sock_diag_the_mode_is_exact_from_the_start)
{
  const char *path = in_dir("born");
  mode_t saved = umask(077);
  int listener;
  no_sock_diag = 1;
  int status = fdpass_listen_mode(path, 0660, &listener);
  no_sock_diag = 0;
  umask(saved);
  assert_status(status, FDPASS_OK);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0660, "%03o", st.st_mode & 07777);
  close(listener);
}

FD_TEST(listen, without_sock_diag_or_private_umask_narrowed_is_enotsup)
{
  const char *path = in_dir("narrowed");
  mode_t saved = umask(077);
  int listener;
  no_sock_diag = no_private_umask = 1;
  int narrowed = fdpass_listen_mode(path, 0660, &listener);
  int exact = fdpass_listen_mode(in_dir("exact"), 0600, &listener);
  no_sock_diag = no_private_umask = 0;
  umask(saved);
  assert_status(narrowed, FDPASS_ENOTSUP);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0600, "no wider than asked: %03o",
               st.st_mode & 07777);
  assert_status(exact, FDPASS_OK);
  close(listener);
}

FD_TEST(listen, a_refused_second_listener_leaves_no_connection_behind)
{
  const char *path = in_dir("once");
  int live, second;
  assert_ok(fdpass_listen(path, &live));
  assert_status(fdpass_listen(path, &second), FDPASS_EADDRINUSE);
  set_nonblocking(live);
  int queued = accept4(live, NULL, NULL, SOCK_CLOEXEC);
  cr_assert_eq(queued, -1, "a probe connection was left in the queue");
  cr_assert_eq(errno, EAGAIN);
  close(live);
}

FD_TEST(listen, a_socket_bound_but_not_listening_is_never_unlinked)
{
  const char *path = in_dir("bound");
  int bound = raw_bound(path, -1);
  struct stat before, after;
  cr_assert_eq(lstat(path, &before), 0);
  int listener;
  assert_status(fdpass_listen(path, &listener), FDPASS_EADDRINUSE);
  cr_assert_eq(lstat(path, &after), 0, "the file was unlinked");
  cr_assert_eq(after.st_ino, before.st_ino);
  cr_assert_eq(listen(bound, 1), 0); /* and its owner can still use it */
  int client;
  assert_ok(fdpass_connect(path, &client));
  close(client);
  close(bound);
}

/* In a forked child: drop to uid and gid 65534, or exit 2. */
static void become_nobody(void)
{
  if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
      setresuid(65534, 65534, 65534) != 0)
    _exit(2);
}

/* A directory `name` in the scratch directory with `mode`, that uid 65534
 * can reach (the scratch directory is only searchable for it). */
static const char *shared_dir(const char *name, mode_t mode)
{
  static char dir[128];
  snprintf(dir, sizeof dir, "%s", in_dir(name));
  cr_assert_eq(chmod(scratch_dir, 0711), 0);
  cr_assert_eq(mkdir(dir, 0700), 0);
  cr_assert_eq(chmod(dir, mode), 0);
  return dir;
}

static void need_root(void)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to play another user");
}

/* A stale socket file at `path` made by `uid` (0 or 65534), mode 0600. */
static void make_stale_as(const char *path, uid_t uid)
{
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    if (uid != 0)
      become_nobody();
    umask(077);
    struct sockaddr_un addr = address_of(path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    _exit(s >= 0 && bind(s, (struct sockaddr *)&addr, sizeof addr) == 0 ? 0
                                                                        : 3);
  }
  wait_child_ok(pid);
}

/* Names the library left next to `path` (its claims, what it moved). */
static int leftovers_next_to(const char *path)
{
  char dir[200];
  snprintf(dir, sizeof dir, "%s", path);
  *strrchr(dir, '/') = '\0';
  DIR *d = opendir(dir);
  cr_assert_not_null(d);
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    n += strncmp(e->d_name, ".fdpass-", 8) == 0;
  closedir(d);
  return n;
}

/* `rounds` rounds of two starters, as uids `uids`, racing to replace a
 * stale file of `owner` at `path`: exactly one must win, and listen on
 * the file that is there. */
static void race_starters(const char *path, int rounds, uid_t owner,
                          const uid_t uids[2])
{
  for (int round = 0; round < rounds; round++) {
    make_stale_as(path, owner);
    int go[2], results[2], done[2];
    cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(results, O_CLOEXEC), 0);
    cr_assert_eq(pipe2(done, O_CLOEXEC), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
      kids[k] = fork();
      cr_assert(kids[k] >= 0);
      if (kids[k] == 0) {
        if (uids[k] != 0)
          become_nobody();
        close(go[1]);
        close(done[1]);
        char c;
        (void)!read(go[0], &c, 1); /* both start together */
        int listener, status = fdpass_listen_mode(path, 0666, &listener);
        (void)!write(results[1], &status, sizeof status);
        (void)!read(done[0], &c, 1); /* keep listening until told */
        _exit(0);
      }
    }
    close(go[0]);
    close(go[1]); /* go */
    int status[2];
    for (int k = 0; k < 2; k++)
      cr_assert_eq(read(results[0], &status[k], sizeof status[k]),
                   (ssize_t)sizeof status[k]);
    int winners = (status[0] == FDPASS_OK) + (status[1] == FDPASS_OK);
    int client = -1, reached = winners == 1 &&
                               fdpass_connect(path, &client) == FDPASS_OK;
    if (client >= 0)
      close(client);
    close(done[1]);
    for (int k = 0; k < 2; k++)
      wait_child_ok(kids[k]);
    close(done[0]);
    close(results[0]);
    close(results[1]);
    cr_assert_eq(winners, 1, "round %d: %s and %s", round,
                 fdpass_errname(status[0]), fdpass_errname(status[1]));
    /* The loser finds the winner's socket: EADDRINUSE, or EACCES when it
     * may not connect to it (while its mode is narrower than asked). */
    int lost = status[0] == FDPASS_OK ? status[1] : status[0];
    cr_assert(lost == FDPASS_EADDRINUSE ||
                  (lost == FDPASS_EACCES && uids[0] != uids[1]),
              "round %d: %s and %s", round, fdpass_errname(status[0]),
              fdpass_errname(status[1]));
    cr_assert(reached, "round %d: the winner does not listen at the path",
              round);
    cr_assert_eq(leftovers_next_to(path), 0, "round %d: a claim was left",
                 round);
    unlink(path);
  }
}

static int race_rounds(void)
{
  return under_valgrind() ? 4 : 150; /* each forks three times */
}

FD_TEST(listen, racing_replacers_of_a_stale_file_one_wins)
{
  const uid_t root[2] = {0, 0};
  race_starters(in_dir("race"), race_rounds(), 0, root);
}

FD_TEST(listen, racing_replacers_as_two_users_one_wins)
{
  need_root();
  const uid_t mixed[2] = {0, 65534};
  char path[160];
  snprintf(path, sizeof path, "%s/race", shared_dir("shared", 0777));
  race_starters(path, race_rounds(), 65534, mixed);
  snprintf(path, sizeof path, "%s/race", shared_dir("sticky", 01777));
  race_starters(path, race_rounds(), 65534, mixed);
}

FD_TEST(listen, racing_replacers_in_a_directory_nobody_may_read_one_wins)
{
  need_root();
  const uid_t nobody[2] = {65534, 65534}, mixed[2] = {0, 65534};
  const char *dir = shared_dir("unreadable", 0733);
  char path[160];
  snprintf(path, sizeof path, "%s/race", dir);
  race_starters(path, race_rounds(), 65534, nobody);
  race_starters(path, race_rounds(), 65534, mixed);
}

FD_TEST(listen, another_users_stale_file_is_not_replaced)
{
  need_root();
  const char *dir = shared_dir("theirs", 0777); /* not sticky */
  char path[160];
  snprintf(path, sizeof path, "%s/stale", dir);
  make_stale(path);
  cr_assert_eq(chmod(path, 0666), 0); /* others may connect: it is stale */
  struct stat before, after;
  cr_assert_eq(lstat(path, &before), 0);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    become_nobody();
    int listener;
    _exit(fdpass_listen(path, &listener) == FDPASS_EACCES ? 0 : 3);
  }
  wait_child_ok(pid);
  cr_assert_eq(lstat(path, &after), 0, "root's stale file was replaced");
  cr_assert_eq(after.st_ino, before.st_ino);
}

/* The name of the claim on the file at `path` (see fdpass.h). */
static void claim_name(const char *path, char claim[200])
{
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  char dir[160];
  snprintf(dir, sizeof dir, "%s", path);
  *strrchr(dir, '/') = '\0';
  snprintf(claim, 200, "%s/.fdpass-replacing-%llx-%llx", dir,
           (unsigned long long)st.st_dev, (unsigned long long)st.st_ino);
}

/* As another user: try to claim root's stale file, then plant a file of
 * its own at the claim's name. 'y' when the claim was refused and the
 * plant made. */
static char plant_as_nobody(const void *arg)
{
  const char *const *names = arg; /* the stale file, the claim */
  become_nobody();
  if (link(names[0], names[1]) == 0 || errno != EPERM)
    return 'n';
  int fd = open(names[1], O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  return fd >= 0 ? 'y' : 'n';
}

/* A child process that runs `setup` with `arg`, reports the byte it
 * returns, and then lives on, holding what it made, until stop_child. */
struct child {
  pid_t pid;
  int release;
};

static char start_child(struct child *c, char (*setup)(const void *arg),
                        const void *arg)
{
  int ready[2], release[2];
  cr_assert_eq(pipe2(ready, O_CLOEXEC), 0);
  cr_assert_eq(pipe2(release, O_CLOEXEC), 0);
  c->pid = fork();
  cr_assert(c->pid >= 0);
  if (c->pid == 0) {
    close(release[1]);
    char said = setup(arg);
    (void)!write(ready[1], &said, 1);
    (void)!read(release[0], &said, 1);
    _exit(0);
  }
  close(ready[1]);
  close(release[0]);
  char said = 0;
  cr_assert_eq(read(ready[0], &said, 1), 1, "the child died");
  close(ready[0]);
  c->release = release[1];
  return said;
}

static void stop_child(struct child *c)
{
  close(c->release);
  wait_child_ok(c->pid);
}

FD_TEST(listen, another_user_can_neither_take_a_claim_nor_make_one_wait)
{
  need_root();
  const char *dir = shared_dir("claims", 0777);
  char path[160], claim[200];
  snprintf(path, sizeof path, "%s/stale", dir);
  make_stale(path);
  claim_name(path, claim);
  const char *names[2] = {path, claim};
  struct child planter;
  cr_assert_eq(start_child(&planter, plant_as_nobody, names), 'y',
               "another user could claim root's file, or plant nothing");
  stop_child(&planter);
  struct stat before, after;
  cr_assert_eq(lstat(path, &before), 0);
  long long start = now_ms();
  int listener, status = fdpass_listen(path, &listener);
  long long took = now_ms() - start;
  assert_status(status, FDPASS_EADDRINUSE); /* it may block replacing */
  cr_assert_lt(took, 1000, "a planted claim made the call wait");
  cr_assert_eq(lstat(path, &after), 0);
  cr_assert_eq(after.st_ino, before.st_ino);
  cr_assert_eq(lstat(claim, &after), 0, "the planted file was removed");
  cr_assert(S_ISREG(after.st_mode));
}

/* Another replacer's claim, released 100 ms after the call found it: the
 * call waits, then replaces the file. */
static char claim[200];
static pid_t releaser;

static void release_claim_later(int rc)
{
  cr_assert(rc != 0 && errno == EEXIST, "the claim was not in the way");
  releaser = fork();
  if (releaser == 0) {
    struct timespec pause = {.tv_nsec = 100 * 1000 * 1000};
    nanosleep(&pause, NULL);
    _exit(unlink(claim) == 0 ? 0 : 3);
  }
}

FD_TEST(listen, a_claim_released_in_time_is_waited_for)
{
  const char *path = in_dir("claimed");
  make_stale(path);
  claim_name(path, claim);
  cr_assert_eq(link(path, claim), 0);
  after_claim = release_claim_later;
  long long start = now_ms();
  int listener, client, status = fdpass_listen(path, &listener);
  long long took = now_ms() - start;
  after_claim = NULL;
  cr_assert(releaser > 0, "the claim was never found");
  wait_child_ok(releaser);
  assert_status(status, FDPASS_OK);
  cr_assert_geq(took, 100, "it did not wait for the claim");
  assert_ok(fdpass_connect(path, &client));
  close(client);
  close(listener);
}

struct lock_request {
  const char *dir;
  int how; /* LOCK_SH or LOCK_EX */
};

/* As another user, lock a directory: 'y', or 'n'. */
static char lock_as_nobody(const void *arg)
{
  const struct lock_request *r = arg;
  become_nobody();
  int d = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return d >= 0 && flock(d, r->how) == 0 ? 'y' : 'n';
}

FD_TEST(listen, another_users_lock_on_the_directory_delays_nobody)
{
  need_root();
  const char *dir = shared_dir("locked", 0755);
  char fresh[160], stale[160];
  snprintf(fresh, sizeof fresh, "%s/fresh", dir);
  snprintf(stale, sizeof stale, "%s/stale", dir);
  const int hows[2] = {LOCK_EX, LOCK_SH};
  for (int i = 0; i < 2; i++) {
    make_stale_as(stale, 0);
    struct lock_request request = {dir, hows[i]};
    struct child locker;
    cr_assert_eq(start_child(&locker, lock_as_nobody, &request), 'y',
                 "the lock failed");
    long long start = now_ms();
    int a, b, sa = fdpass_listen(fresh, &a), sb = fdpass_listen(stale, &b);
    long long took = now_ms() - start;
    stop_child(&locker);
    assert_status(sa, FDPASS_OK);
    assert_status(sb, FDPASS_OK);
    cr_assert_lt(took, 1000, "another user's lock delayed the listen");
    close(a);
    close(b);
    unlink(fresh);
    unlink(stale);
  }
}

/* Each mode under each umask, made with or without a private umask. */
static void modes_are_exact(int private_umask)
{
  const struct {
    mode_t umask;
    int mode;
  } cases[] = {{077, 0666}, {0, 0600}, {022, 0660}, {0777, 0777}};
  no_private_umask = !private_umask;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[16];
    snprintf(name, sizeof name, "mode%zu", i);
    const char *path = in_dir(name);
    mode_t saved = umask(cases[i].umask);
    int listener, status = fdpass_listen_mode(path, cases[i].mode, &listener);
    umask(saved);
    assert_status(status, FDPASS_OK);
    struct stat st;
    cr_assert_eq(lstat(path, &st), 0);
    cr_assert_eq(st.st_mode & 07777, (mode_t)cases[i].mode,
                 "umask %03o, mode %03o: got %03o", cases[i].umask,
                 cases[i].mode, st.st_mode & 07777);
    close(listener);
  }
  no_private_umask = 0;
}

FD_TEST(listen, the_mode_is_exact_whatever_the_umask)
{
  modes_are_exact(1);
}

FD_TEST(listen, without_a_private_umask_the_mode_is_exact_too)
{
  modes_are_exact(0);
}

/* An attacker who swaps a symbolic link in just after bind(2): the hook
 * runs inside fdpass_listen, between its bind and whatever follows. */
static void (*after_bind)(const char *path);

int bind(int fd, const struct sockaddr *address, socklen_t size)
{
  static int (*real)(int, const struct sockaddr *, socklen_t);
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "bind");
  int rc = real(fd, address, size);
  const struct sockaddr_un *un = (const struct sockaddr_un *)address;
  if (rc == 0 && after_bind && un->sun_family == AF_UNIX && un->sun_path[0])
    after_bind(un->sun_path);
  return rc;
}

static void swap_in_a_link(const char *path)
{
  cr_assert_eq(rename(path, in_dir("moved")), 0);
  cr_assert_eq(symlink(in_dir("victim"), path), 0);
}

/* A private file "victim", and in `path` the name "swapped" where a link
 * to it is swapped in. */
static void make_victim(char path[256])
{
  int fd = open(in_dir("victim"), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
  cr_assert(fd >= 0);
  close(fd);
  strcpy(path, in_dir("swapped"));
}

/* After the call: the victim kept its mode, the link its place. */
static void assert_victim_untouched(const char *path)
{
  struct stat st;
  cr_assert_eq(stat(in_dir("victim"), &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0600, "the victim was chmodded to %03o",
               st.st_mode & 07777);
  cr_assert_eq(lstat(path, &st), 0, "someone else's link was unlinked");
  cr_assert(S_ISLNK(st.st_mode));
}

FD_TEST(listen, a_symbolic_link_swapped_in_is_never_followed)
{
  char path[256];
  make_victim(path);
  after_bind = swap_in_a_link;
  int listener, status = fdpass_listen_mode(path, 0666, &listener);
  after_bind = NULL;
  assert_status(status, FDPASS_EADDRINUSE);
  assert_victim_untouched(path);
}

/* The same swap just before the mode changes: whichever call makes the
 * change (chmod through a descriptor's /proc name, or fchmodat). */
static int link_before_chmod;

static void maybe_swap_before_chmod(void)
{
  if (link_before_chmod) {
    link_before_chmod = 0;
    char path[256];
    strcpy(path, in_dir("swapped")); /* in_dir's buffer is reused */
    swap_in_a_link(path);
  }
}

int chmod(const char *path, mode_t mode)
{
  maybe_swap_before_chmod();
  return (int)syscall(SYS_fchmodat, AT_FDCWD, path, mode);
}

int fchmodat(int dir, const char *path, mode_t mode, int flags)
{
  static int (*real)(int, const char *, mode_t, int);
  if (real == NULL)
    *(void **)&real = dlsym(RTLD_NEXT, "fchmodat");
  maybe_swap_before_chmod();
  return real(dir, path, mode, flags);
}

FD_TEST(listen, a_symbolic_link_swapped_in_before_the_mode_changes)
{
  char path[256];
  make_victim(path);
  mode_t saved = umask(077); /* so that the mode must change */
  link_before_chmod = no_private_umask = 1;
  int listener, status = fdpass_listen_mode(path, 0666, &listener);
  no_private_umask = 0;
  umask(saved);
  cr_assert_eq(link_before_chmod, 0, "the mode never changed");
  /* It made its own file exact (OK, the file renamed away) or saw the
   * swap (EADDRINUSE): either is listed; nothing else was touched. */
  cr_assert(status == FDPASS_OK || status == FDPASS_EADDRINUSE, "%s",
            fdpass_errname(status));
  if (status == FDPASS_OK)
    close(listener);
  assert_victim_untouched(path);
}

/* fchmod of the socket refused once: the file must still never be born
 * more open than the umask allows. */
static int refuse_fchmod;
static mode_t born_mode;

int fchmod(int fd, mode_t mode)
{
  if (refuse_fchmod) {
    refuse_fchmod = 0;
    errno = EPERM;
    return -1;
  }
  return (int)syscall(SYS_fchmod, fd, mode);
}

static void note_born_mode(const char *path)
{
  struct stat st;
  born_mode = lstat(path, &st) == 0 ? st.st_mode & 07777 : 07777;
}

FD_TEST(listen, a_socket_whose_mode_was_not_set_is_born_under_the_umask)
{
  const char *path = in_dir("unset");
  mode_t saved = umask(077);
  refuse_fchmod = 1;
  after_bind = note_born_mode;
  /* 0700: what the umask leaves, so no mode change (or sock_diag) needed */
  int listener, status = fdpass_listen_mode(path, 0700, &listener);
  after_bind = NULL;
  umask(saved);
  cr_assert_eq(refuse_fchmod, 0, "fchmod was never called");
  assert_status(status, FDPASS_OK);
  cr_assert_eq(born_mode & 077, 0, "born %03o", born_mode);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0);
  cr_assert_eq(st.st_mode & 07777, 0700, "%03o", st.st_mode & 07777);
  close(listener);
}

/* The attacks below run as uid 65534 in a world-writable directory that
 * is not sticky, where it may rename anyone's files: `attack_dir`. */
static char attack_dir[128], attack_from[160], attack_to[160];

/* The attacker, uid 65534, forked beforehand (the hooks may run in the
 * library's helper thread, which should not fork): fire_attack makes it
 * rename attack_from over attack_to, and waits until it has. */
static pid_t attacker;
static int attack_go, attack_done;

static void fire_attack(void)
{
  char c = 0;
  if (write(attack_go, "x", 1) == 1)
    (void)!read(attack_done, &c, 1);
}

static void fire_attack_after_bind(const char *path)
{
  (void)path;
  fire_attack();
}

static void set_up_attack(const char *from, const char *to)
{
  snprintf(attack_dir, sizeof attack_dir, "%s", shared_dir("open", 0777));
  snprintf(attack_from, sizeof attack_from, "%s/%s", attack_dir, from);
  snprintf(attack_to, sizeof attack_to, "%s/%s", attack_dir, to);
  int go[2], done[2];
  cr_assert_eq(pipe2(go, O_CLOEXEC), 0);
  cr_assert_eq(pipe2(done, O_CLOEXEC), 0);
  attacker = fork();
  cr_assert(attacker >= 0);
  if (attacker == 0) {
    close(go[1]);
    close(done[0]);
    become_nobody();
    char c;
    if (read(go[0], &c, 1) != 1)
      _exit(0); /* never fired */
    _exit(rename(attack_from, attack_to) == 0 && write(done[1], "y", 1) == 1
              ? 0
              : 3);
  }
  close(go[0]);
  close(done[1]);
  attack_go = go[1];
  attack_done = done[0];
}

static void end_attack(void)
{
  close(attack_go);
  close(attack_done);
  wait_child_ok(attacker);
}

/* As another user, rename root's private socket over the path just after
 * bind: it keeps its mode, and the call fails. */
static void renamed_socket_keeps_its_mode(int private_umask)
{
  need_root();
  set_up_attack("private", "new");
  mode_t saved = umask(077);
  int victim, listener;
  assert_ok(fdpass_listen(attack_from, &victim)); /* 0600 */
  struct stat before, after;
  cr_assert_eq(lstat(attack_from, &before), 0);
  after_bind = fire_attack_after_bind;
  no_private_umask = !private_umask;
  int status = fdpass_listen_mode(attack_to, 0666, &listener);
  no_private_umask = 0;
  after_bind = NULL;
  umask(saved);
  end_attack();
  assert_status(status, FDPASS_EADDRINUSE);
  cr_assert_eq(lstat(attack_to, &after), 0);
  cr_assert_eq(after.st_ino, before.st_ino, "the attack did not happen");
  cr_assert_eq(after.st_mode & 07777, 0600,
               "the other socket was chmodded to %03o", after.st_mode & 07777);
  close(victim);
}

FD_TEST(listen, another_socket_renamed_over_the_new_one_keeps_its_mode)
{
  renamed_socket_keeps_its_mode(1);
}

FD_TEST(listen, without_a_private_umask_a_renamed_socket_keeps_its_mode)
{
  renamed_socket_keeps_its_mode(0);
}

/* A regular file `name` in attack_dir with known bytes. */
static void make_precious(const char *name)
{
  char path[200];
  snprintf(path, sizeof path, "%s/%s", attack_dir, name);
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  cr_assert(fd >= 0);
  cr_assert_eq(write(fd, "precious", 8), 8);
  close(fd);
}

static void assert_precious(const char *path)
{
  char bytes[16] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  cr_assert(fd >= 0, "the regular file was deleted");
  cr_assert_eq(read(fd, bytes, sizeof bytes), 8);
  cr_assert_str_eq(bytes, "precious");
  close(fd);
}

FD_TEST(listen, a_regular_file_swapped_for_the_stale_one_is_never_deleted)
{
  need_root();
  set_up_attack("precious", "stale");
  make_precious("precious");
  make_stale(attack_to);
  on_check = fire_attack;
  int listener, status = fdpass_listen(attack_to, &listener);
  on_check = NULL;
  end_attack();
  assert_status(status, FDPASS_EADDRINUSE);
  assert_precious(attack_to);
}

/* The swap comes after the claim on the stale file. */
static void fire_attack_after_claim(int rc)
{
  if (rc == 0)
    fire_attack();
}

FD_TEST(listen, a_regular_file_swapped_in_after_the_claim_is_put_back)
{
  need_root();
  set_up_attack("precious", "stale");
  make_precious("precious");
  make_stale(attack_to);
  after_claim = fire_attack_after_claim;
  int listener, status = fdpass_listen(attack_to, &listener);
  after_claim = NULL;
  end_attack();
  assert_status(status, FDPASS_EADDRINUSE);
  assert_precious(attack_to);
}

/* Run `body` in a child with its own mount or network namespace; skip the
 * test visibly where the kernel or the sandbox refuses one. */
static void in_namespace(int flags, const char *what, void (*body)(void))
{
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    if (unshare(flags) != 0)
      _exit(77);
    body();
    _exit(0);
  }
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status), "the child died");
  if (WEXITSTATUS(status) == 77)
    cr_skip_test("cannot %s here", what);
  cr_assert_eq(WEXITSTATUS(status), 0, "the child exited with %d",
               WEXITSTATUS(status));
}

/* In the child: exit with `code` unless `ok`. */
#define CHILD_CHECK(ok, code)                                                \
  do {                                                                       \
    if (!(ok))                                                               \
      _exit(code);                                                           \
  } while (0)

/* A live server, then a stale file, at `path`: the second listener must
 * leave the live one alone and replace the stale one. Child exit codes. */
static void live_then_stale(const char *path)
{
  int live, second, client;
  CHILD_CHECK(fdpass_listen(path, &live) == FDPASS_OK, 5);
  int status = fdpass_listen(path, &second);
  CHILD_CHECK(status == FDPASS_EADDRINUSE, 10 - status);
  CHILD_CHECK(fdpass_connect(path, &client) == FDPASS_OK, 7);
  close(client);
  close(live); /* now stale: replaced */
  CHILD_CHECK(fdpass_listen(path, &second) == FDPASS_OK, 8);
  CHILD_CHECK(fdpass_connect(path, &client) == FDPASS_OK, 9);
}

/* Overlayfs with its upper layer on another file system and xino=off:
 * stat names the upper layer's device, sock_diag the overlay's. */
static void on_overlayfs(void)
{
  char upper[160], lower[160], merged[160], path[200], work[200], data[600];
  snprintf(upper, sizeof upper, "%s/upper", scratch_dir);
  snprintf(lower, sizeof lower, "%s/lower", scratch_dir);
  snprintf(merged, sizeof merged, "%s/merged", scratch_dir);
  CHILD_CHECK(mkdir(upper, 0700) == 0 && mkdir(lower, 0700) == 0 &&
                  mkdir(merged, 0700) == 0,
              3);
  if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount("tmpfs", upper, "tmpfs", 0, NULL) != 0)
    _exit(77);
  snprintf(work, sizeof work, "%s/work", upper);
  snprintf(path, sizeof path, "%s/up", upper);
  CHILD_CHECK(mkdir(work, 0700) == 0 && mkdir(path, 0700) == 0, 4);
  snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s,xino=off",
           lower, path, work);
  if (mount("overlay", merged, "overlay", 0, data) != 0)
    _exit(77);
  snprintf(path, sizeof path, "%s/sock", merged);
  live_then_stale(path);
}

FD_TEST(listen, on_overlayfs_a_live_server_is_never_replaced)
{
  need_root();
  in_namespace(CLONE_NEWNS, "mount overlayfs", on_overlayfs);
}

/* A btrfs subvolume: stat names the subvolume's device, sock_diag the
 * file system's. The image is loop-mounted in a private mount namespace. */
static void on_btrfs(void)
{
  char command[512], mounted[160];
  snprintf(mounted, sizeof mounted, "%s/btrfs", scratch_dir);
  CHILD_CHECK(mkdir(mounted, 0700) == 0, 3);
  if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0)
    _exit(77);
  snprintf(command, sizeof command,
           "cd '%s' && truncate -s 120M image && mkfs.btrfs -q image && "
           "mount -o loop image btrfs && btrfs -q subvolume create btrfs/sub",
           scratch_dir);
  if (system(command) != 0) /* no btrfs-progs, no loop device... */
    _exit(77);
  char path[200];
  snprintf(path, sizeof path, "%s/sub/sock", mounted);
  live_then_stale(path);
}

FD_TEST(listen, on_a_btrfs_subvolume_a_live_server_is_never_replaced)
{
  need_root();
  in_namespace(CLONE_NEWNS, "mount a btrfs image", on_btrfs);
}

struct server_request {
  const char *path;
  int listening;
};

/* In a new network namespace, a socket bound at the path, listening or
 * not: 'y', 'n' (no namespace) or 'e'. */
static char serve_in_new_netns(const void *arg)
{
  const struct server_request *r = arg;
  if (unshare(CLONE_NEWNET) != 0)
    return 'n';
  struct sockaddr_un addr = address_of(r->path);
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  return bind(s, (struct sockaddr *)&addr, sizeof addr) == 0 &&
                 (!r->listening || listen(s, 1) == 0)
             ? 'y'
             : 'e';
}

/* A server in another network namespace, where sock_diag cannot see it,
 * on a path in the directory that both share. */
FD_TEST(listen, a_server_in_another_network_namespace_is_never_replaced)
{
  need_root();
  for (int listening = 0; listening < 2; listening++) {
    struct server_request request = {
        in_dir(listening ? "netns-live" : "netns-bound"), listening};
    struct child server;
    char said = start_child(&server, serve_in_new_netns, &request);
    int listener, status = FDPASS_OK;
    struct stat before, after;
    if (said == 'y') {
      cr_assert_eq(lstat(request.path, &before), 0);
      status = fdpass_listen(request.path, &listener);
    }
    stop_child(&server);
    if (said == 'n')
      cr_skip_test("cannot make a network namespace here");
    cr_assert_eq(said, 'y', "the server failed");
    assert_status(status, FDPASS_EADDRINUSE);
    cr_assert_eq(lstat(request.path, &after), 0,
                 "the server's file was unlinked");
    cr_assert_eq(after.st_ino, before.st_ino);
  }
}

FD_TEST(listen, with_one_free_slot_the_cause_is_emfile)
{
  if (under_valgrind())
    cr_skip_test("valgrind does not pass RLIMIT_NOFILE on to the kernel");
  const char *path = in_dir("slots");
  make_stale(path);
  struct full_table table;
  fill_table(&table, 1); /* one free slot: the listener takes it */
  int listener, status = fdpass_listen(path, &listener);
  int os_error = fdpass_os_error();
  empty_table(&table);
  assert_status(status, FDPASS_EMFILE);
  cr_assert_eq(os_error, EMFILE);
}

FD_TEST(listen, a_stale_file_in_a_directory_you_cannot_write_is_eacces)
{
  if (geteuid() != 0)
    cr_skip_test("needs root to play another user");
  const char *path = in_dir("locked");
  make_stale(path);
  cr_assert_eq(chmod(scratch_dir, 0755), 0); /* others may enter, not write */
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0)
      _exit(2);
    int listener, status = fdpass_listen(path, &listener);
    _exit(status == FDPASS_EACCES ? 0 : 3);
  }
  wait_child_ok(pid);
  struct stat st;
  cr_assert_eq(lstat(path, &st), 0, "the stale file is still there");
}

FD_TEST(listen, a_path_of_a_full_108_bytes_works)
{
  char path[256];
  size_t room = sizeof ((struct sockaddr_un *)0)->sun_path;
  int len = snprintf(path, sizeof path, "%s/", scratch_dir);
  memset(path + len, 'p', room - (size_t)len);
  path[room] = '\0';
  cr_assert_eq(strlen(path), room);
  int listener, client, server, p[2], got;
  assert_ok(fdpass_listen(path, &listener));
  assert_ok(fdpass_connect(path, &client));
  assert_ok(fdpass_accept(listener, &server));
  make_pipe(p);
  assert_ok(fdpass_send(client, p[1]));
  assert_ok(fdpass_recv(server, &got));
  cr_assert(same_file(got, p[1]));
  close(got);
  close(p[0]);
  close(p[1]);
  close(server);
  close(client);
  close(listener);
  strcat(path, "q"); /* 109 bytes: too long everywhere */
  assert_status(fdpass_listen(path, &listener), FDPASS_ENAMETOOLONG);
  assert_status(fdpass_connect(path, &client), FDPASS_ENAMETOOLONG);
}
