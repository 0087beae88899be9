/* SPDX-License-Identifier: MIT */
/* helpers.c - see helpers.h. */
#define _GNU_SOURCE

#include "helpers.h"
#include "open_fds.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int count_fds(void)
{
  int count = open_fds();
  cr_assert_geq(count, 0, "cannot read /proc/self/fd");
  return count;
}

void fill_table(struct full_table *t, int room)
{
  cr_assert_eq(getrlimit(RLIMIT_NOFILE, &t->saved), 0);
  int highest = 0;
  for (int fd = 0; fd < 256; fd++)
    if (fcntl(fd, F_GETFD) >= 0)
      highest = fd;
  struct rlimit tight = t->saved;
  tight.rlim_cur = (rlim_t)highest + 1 + 8;
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &tight), 0);
  t->n = 0;
  for (int fd; (fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) {
    cr_assert_lt(t->n, (int)(sizeof t->fillers / sizeof t->fillers[0]));
    t->fillers[t->n++] = fd;
  }
  for (; room > 0 && t->n > 0; room--)
    close(t->fillers[--t->n]);
}

void empty_table(struct full_table *t)
{
  while (t->n > 0)
    close(t->fillers[--t->n]);
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &t->saved), 0);
}

char scratch_dir[64];
static pid_t scratch_owner; /* the process that made scratch_dir */

static int remove_entry(const char *path, const struct stat *st, int type,
                        struct FTW *ftw)
{
  (void)st;
  (void)type;
  (void)ftw;
  return remove(path);
}

/* Remove scratch_dir and everything in it, once; 0 on success. */
static int remove_scratch(void)
{
  if (scratch_dir[0] == '\0')
    return 0;
  int status = nftw(scratch_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  scratch_dir[0] = '\0';
  return status;
}

static void remove_scratch_at_exit(void)
{
  if (getpid() == scratch_owner) /* never a forked child's exit */
    (void)remove_scratch();
}

void scratch_make(void)
{
  const char *base = getenv("FDPASS_TEST_TMPDIR");
  if (base == NULL || base[0] == '\0')
    base = "/tmp";
  int len = snprintf(scratch_dir, sizeof scratch_dir, "%s/fdpass-test-XXXXXX",
                     base);
  cr_assert(len > 0 && (size_t)len < sizeof scratch_dir,
            "FDPASS_TEST_TMPDIR %s is too long for socket paths", base);
  cr_assert_not_null(mkdtemp(scratch_dir), "mkdtemp in %s: %s", base,
                     strerror(errno));
  if (scratch_owner != getpid())
    cr_assert_eq(atexit(remove_scratch_at_exit), 0, "atexit failed");
  scratch_owner = getpid();
}

void scratch_remove(void)
{
  char removing[sizeof scratch_dir];
  strcpy(removing, scratch_dir);
  cr_assert_eq(remove_scratch(), 0, "removing %s: %s", removing,
               strerror(errno));
}

const char *in_dir(const char *name)
{
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", scratch_dir, name);
  return path;
}

void make_pair(int *a, int *b)
{
  assert_ok(fdpass_socketpair(a, b));
}

void make_tcp_pair(int *a, int *b)
{
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  cr_assert(listener >= 0);
  cr_assert_eq(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
  cr_assert_eq(listen(listener, 1), 0);
  cr_assert_eq(getsockname(listener, (struct sockaddr *)&addr, &size), 0);
  *a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert(*a >= 0);
  cr_assert_eq(connect(*a, (struct sockaddr *)&addr, sizeof addr), 0);
  *b = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
  cr_assert(*b >= 0);
  close(listener);
}

void make_pipe(int p[2])
{
  cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
}

int closed_fd(void)
{
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  cr_assert(fd >= 0);
  close(fd);
  return fd;
}

int same_file(int a, int b)
{
  struct stat sa, sb;
  cr_assert_eq(fstat(a, &sa), 0, "fstat(%d): %s", a, strerror(errno));
  cr_assert_eq(fstat(b, &sb), 0, "fstat(%d): %s", b, strerror(errno));
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int is_cloexec(int fd)
{
  int flags = fcntl(fd, F_GETFD);
  cr_assert(flags >= 0);
  return (flags & FD_CLOEXEC) != 0;
}

void set_nonblocking(int fd)
{
  int flags = fcntl(fd, F_GETFL);
  cr_assert(flags >= 0);
  cr_assert_eq(fcntl(fd, F_SETFL, flags | O_NONBLOCK), 0);
}

void write_all(int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    cr_assert(n > 0, "write: %s", strerror(errno));
    p += n;
    len -= (size_t)n;
  }
}

void read_exact(int fd, void *buf, size_t len)
{
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    cr_assert(n > 0, "read: %s", n < 0 ? strerror(errno) : "end of file");
    p += n;
    len -= (size_t)n;
  }
}

void fill_pattern(unsigned char *data, size_t len)
{
  for (size_t i = 0; i < len; i++)
    data[i] = (unsigned char)(i * 131 + (i >> 12));
}

size_t fill_socket(int fd)
{
  static const char chunk[4096];
  size_t total = 0;
  set_nonblocking(fd);
  for (;;) {
    ssize_t n = send(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n < 0) {
      cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "send: %s",
                strerror(errno));
      return total;
    }
    total += (size_t)n;
  }
}

int under_valgrind(void)
{
  const char *preload = getenv("LD_PRELOAD");
  return preload != NULL && strstr(preload, "vgpreload") != NULL;
}

/* Where each thread of `pid` waits, from /proc (its kernel wait channel):
 * what a child that does not end is stuck in. */
static void describe_threads(int pid, char *out, size_t size)
{
  char where[64];
  snprintf(where, sizeof where, "/proc/%d/task", pid);
  size_t len = (size_t)snprintf(out, size, "%s", "");
  DIR *d = opendir(where);
  for (struct dirent *e; d != NULL && (e = readdir(d)) && len < size;) {
    if (e->d_name[0] == '.')
      continue;
    char file[96], wchan[64] = "?";
    snprintf(file, sizeof file, "%s/%.16s/wchan", where, e->d_name);
    FILE *f = fopen(file, "r");
    if (f != NULL) {
      if (fgets(wchan, sizeof wchan, f) == NULL)
        strcpy(wchan, "?");
      fclose(f);
    }
    len += (size_t)snprintf(out + len, size - len, " thread %s waits in %s",
                            e->d_name, wchan);
  }
  if (d != NULL)
    closedir(d);
}

void wait_child_ok(int pid)
{
  int status = 0;
  pid_t got = 0;
  /* 20 s at most, short of the tests' 30: a child that hangs is named,
   * with where it waits, rather than timing the whole test out. */
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (useconds_t step = 100; (got = waitpid(pid, &status, WNOHANG)) == 0;
       step = step < 10000 ? step * 2 : step) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= 20)
      break;
    usleep(step);
  }
  if (got == 0) {
    char threads[512];
    describe_threads(pid, threads, sizeof threads);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    cr_assert(0, "child %d still running after 20 s:%s", pid, threads);
  }
  cr_assert_eq(got, pid, "waitpid(%d): %s", pid, strerror(errno));
  cr_assert(WIFEXITED(status), "child %d did not exit (status %#x)", pid,
            status);
  cr_assert_eq(WEXITSTATUS(status), 0, "child %d exited with %d", pid,
               WEXITSTATUS(status));
}

void raw_send(int sock, const void *data, size_t len, const int *fds,
              size_t nfds)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS + sizeof(int) * 8)];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (nfds > 0) {
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(nfds * sizeof(int));
    memcpy(CMSG_DATA(cmsg), fds, nfds * sizeof(int));
  }
#if defined(__linux__) && !defined(__GLIBC__) && SIZE_MAX > UINT_MAX
  /* musl's sendmsg() takes at most 1024 bytes of control data, less than a
   * full message (core/src/posix/io.c); the kernel takes it as it is. */
  ssize_t n = syscall(SYS_sendmsg, sock, &msg, MSG_NOSIGNAL);
#else
  ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
#endif
  cr_assert_eq(n, (ssize_t)len, "sendmsg: %s", strerror(errno));
}

void raw_recv(int sock, size_t len, struct raw_message *m)
{
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(int) * FDPASS_MAX_FDS) + 256];
  } control;
  memset(m, 0, sizeof *m);
  cr_assert_leq(len, sizeof m->data);
  struct iovec iov = {.iov_base = m->data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  cr_assert(n >= 0, "recvmsg: %s", strerror(errno));
  m->len = (size_t)n;
  m->msg_flags = msg.msg_flags;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    m->cmsg_count++;
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      memcpy(m->fds + m->nfds, CMSG_DATA(c), count * sizeof(int));
      m->nfds += count;
    }
  }
}

void raw_close(struct raw_message *m)
{
  for (size_t i = 0; i < m->nfds; i++)
    close(m->fds[i]);
  m->nfds = 0;
}
