/* SPDX-License-Identifier: MIT */
/* test_interop.c - fdpass_send/fdpass_recv against real peers: Perl's
 * IO::FDPass, Ruby's UNIXSocket#send_io/#recv_io and Python's
 * socket.send_fds/recv_fds, run as tests/interop/peer.{pl,rb,py} by the
 * interpreters CMake found (FDPASS_PERL, FDPASS_RUBY, FDPASS_PYTHON). */
#define _GNU_SOURCE

#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

struct peer {
  const char *lang; /* also names the bytes exchanged: "from-perl\n" */
  const char *interpreter;
  const char *script;
};

static const struct peer perl = {"perl", FDPASS_PERL,
                                 FDPASS_INTEROP_DIR "/peer.pl"};
static const struct peer ruby = {"ruby", FDPASS_RUBY,
                                 FDPASS_INTEROP_DIR "/peer.rb"};
static const struct peer python = {"python", FDPASS_PYTHON,
                                   FDPASS_INTEROP_DIR "/peer.py"};

/* Run `peer->script MODE 3` with `sock` as the child's descriptor 3 and,
 * when `out` >= 0, `out` as its stdout. Returns the child's pid. */
static pid_t spawn_peer(const struct peer *peer, const char *mode, int sock,
                        int out)
{
  char *argv[] = {(char *)peer->interpreter, (char *)peer->script,
                  (char *)mode, (char *)"3", NULL};
  pid_t pid = fork();
  cr_assert(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    if (out >= 0 && dup2(out, STDOUT_FILENO) < 0)
      _exit(126);
    /* dup2 clears close-on-exec, except when sock already is 3. */
    if (sock == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(sock, 3) < 0)
      _exit(126);
    execv(argv[0], argv);
    _exit(127);
  }
  return pid;
}

/* Read `fd` until end of file into `buf`; returns the byte count. */
static size_t read_to_eof(int fd, char *buf, size_t size)
{
  size_t total = 0;
  for (;;) {
    cr_assert_lt(total, size, "more output than expected");
    ssize_t n = read(fd, buf + total, size - total);
    if (n < 0 && errno == EINTR)
      continue;
    cr_assert(n >= 0, "read: %s", strerror(errno));
    if (n == 0)
      return total;
    total += (size_t)n;
  }
}

/* Assert that `got` holds exactly "<prefix><lang>\n". */
static void assert_bytes(const char *got, size_t len, const char *prefix,
                         const char *lang)
{
  char expected[32];
  snprintf(expected, sizeof expected, "%s%s\n", prefix, lang);
  cr_assert(len == strlen(expected) && memcmp(got, expected, len) == 0,
            "got %zu bytes \"%.*s\", expected \"%s\"", len, (int)len, got,
            expected);
}

/* C -> peer: send a pipe's write end; the peer writes "from-<lang>\n". */
static void peer_receives(const struct peer *peer)
{
  int mine, theirs, p[2];
  make_pair(&mine, &theirs);
  pid_t pid = spawn_peer(peer, "recv", theirs, -1);
  close(theirs);
  make_pipe(p);
  assert_ok(fdpass_send(mine, p[1]));
  close(p[1]); /* now only the peer can write: end of file when it closes */
  char got[64];
  size_t len = read_to_eof(p[0], got, sizeof got);
  close(p[0]);
  close(mine);
  wait_child_ok(pid); /* first, so that a failing peer is reported as such */
  assert_bytes(got, len, "from-", peer->lang);
}

/* peer -> C: the peer (in `mode`) sends a pipe's write end and prints
 * what arrives on the pipe; C writes "to-<lang>\n" into it. */
static void peer_sends(const struct peer *peer, const char *mode,
                       int check_cloexec)
{
  int mine, theirs, out[2], fd = -1;
  make_pair(&mine, &theirs);
  make_pipe(out);
  pid_t pid = spawn_peer(peer, mode, theirs, out[1]);
  close(theirs);
  close(out[1]);
  assert_ok(fdpass_recv(mine, &fd));
  if (check_cloexec)
    cr_assert(is_cloexec(fd), "descriptor from %s is not close-on-exec",
              peer->lang);
  char line[32];
  snprintf(line, sizeof line, "to-%s\n", peer->lang);
  write_all(fd, line, strlen(line));
  close(fd);
  char got[64];
  size_t len = read_to_eof(out[0], got, sizeof got);
  close(out[0]);
  close(mine);
  wait_child_ok(pid);
  assert_bytes(got, len, "to-", peer->lang);
}

FD_TEST(interop, perl_receives_from_c) { peer_receives(&perl); }
FD_TEST(interop, c_receives_from_perl) { peer_sends(&perl, "send", 0); }
FD_TEST(interop, from_perl_is_close_on_exec) { peer_sends(&perl, "send", 1); }

FD_TEST(interop, ruby_receives_from_c) { peer_receives(&ruby); }
FD_TEST(interop, c_receives_from_ruby) { peer_sends(&ruby, "send", 0); }
FD_TEST(interop, from_ruby_is_close_on_exec) { peer_sends(&ruby, "send", 1); }

FD_TEST(interop, python_receives_from_c) { peer_receives(&python); }
FD_TEST(interop, c_receives_from_python) { peer_sends(&python, "send", 0); }
FD_TEST(interop, from_python_is_close_on_exec)
{
  peer_sends(&python, "send", 1);
}
/* send_fds with data b"x": any byte value carries the descriptor. */
FD_TEST(interop, c_receives_from_python_with_nonzero_byte)
{
  peer_sends(&python, "send-x", 0);
}
