/* SPDX-License-Identifier: MIT */
/*
 * helpers.h - shared by the Criterion suites: descriptor accounting and
 * small socket fixtures. Every FD_TEST counts /proc/self/fd before and
 * after its body and fails if a descriptor leaked.
 */
#ifndef FDPASS_TEST_HELPERS_H
#define FDPASS_TEST_HELPERS_H

#include <criterion/criterion.h>
#include <fdpass.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

/* Descriptors open in this process, from /proc/self/fd. */
int count_fds(void);

/* A test whose body must not leak a descriptor. */
#define FD_TEST(suite, name)                                                 \
  static void name##_body(void);                                             \
  Test(suite, name, .timeout = 30)                                           \
  {                                                                          \
    int fds_before = count_fds();                                            \
    name##_body();                                                           \
    int fds_after = count_fds();                                             \
    cr_assert_eq(fds_after, fds_before, "%d descriptors before, %d after",   \
                 fds_before, fds_after);                                     \
  }                                                                          \
  static void name##_body(void)

/* Assert that an fdpass call returned `expected`, naming both codes. */
#define assert_status(call, expected)                                        \
  do {                                                                       \
    int status_ = (call);                                                    \
    cr_assert_eq(status_, (expected), "%s returned %s, expected %s", #call,  \
                 fdpass_errname(status_), fdpass_errname(expected));         \
  } while (0)

#define assert_ok(call) assert_status(call, FDPASS_OK)

/* A test's scratch directory for socket files: scratch_make as its
 * TestSuite's .init or at its start (mkdtemp under FDPASS_TEST_TMPDIR,
 * which tests/run-suite.sh sets, else /tmp), scratch_remove as its .fini
 * or at its end (removes everything in it). What a test that skips or
 * fails left is removed as its process exits: Criterion runs no .fini
 * after cr_skip_test. in_dir names a file in it, in a static buffer that
 * the next call overwrites. */
extern char scratch_dir[64];
void scratch_make(void);
void scratch_remove(void);
const char *in_dir(const char *name);

/* A descriptor table that is full but for `room` slots: fill_table lowers
 * RLIMIT_NOFILE a little above the highest descriptor in use and opens
 * /dev/null until nothing more opens, then closes `room` of those;
 * empty_table closes the rest and restores the limit. (valgrind does not
 * pass RLIMIT_NOFILE on to the kernel: skip such tests under it.) */
struct full_table {
  struct rlimit saved;
  int fillers[300];
  int n;
};
void fill_table(struct full_table *t, int room);
void empty_table(struct full_table *t);

/* A connected pair of local stream sockets (asserts on failure). */
void make_pair(int *a, int *b);

/* A connected loopback TCP pair, a socket that can never carry descriptors. */
void make_tcp_pair(int *a, int *b);

/* A pipe; p[0] reads, p[1] writes. */
void make_pipe(int p[2]);

/* A descriptor that is surely closed (it was open a moment ago). */
int closed_fd(void);

/* Do `a` and `b` refer to the same open file (same device and inode)? */
int same_file(int a, int b);

int is_cloexec(int fd);
void set_nonblocking(int fd);

/* Write all of `len` bytes, then read exactly `len` bytes (asserting). */
void write_all(int fd, const void *buf, size_t len);
void read_exact(int fd, void *buf, size_t len);

/* Fill `data` with a pattern in which a lost or reordered chunk shows. */
void fill_pattern(unsigned char *data, size_t len);

/* Fill `fd`'s send buffer until a write would block; returns bytes written.
 * The socket is left non-blocking. */
size_t fill_socket(int fd);

/* A message sent with plain sendmsg(2): `len` bytes and `nfds` descriptors
 * in one SCM_RIGHTS control message. Asserts that all of it went out. */
void raw_send(int sock, const void *data, size_t len, const int *fds,
              size_t nfds);

/* What plain recvmsg(2) saw of one message. */
struct raw_message {
  unsigned char data[256];
  size_t len;
  int fds[FDPASS_MAX_FDS];
  size_t nfds;
  int cmsg_count; /* control messages of any kind */
  int msg_flags;
};

/* Receive one message with plain recvmsg(2), at most `len` bytes. */
void raw_recv(int sock, size_t len, struct raw_message *m);

/* Close every descriptor of a raw message. */
void raw_close(struct raw_message *m);

/* Is this process running under valgrind (which virtualises some limits)? */
int under_valgrind(void);

/* Wait for child `pid` and assert that it exited with status 0; one still
 * running after 20 s is killed, and the failure says where it waited. */
void wait_child_ok(int pid);

#endif
