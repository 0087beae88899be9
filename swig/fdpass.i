/* SPDX-License-Identifier: MIT */
/*
 * fdpass.i - the part of the SWIG interface of libfdpass that the Lua,
 * Ruby and Tcl modules share. Each language's file is the entry point
 * (swig -lua swig/lua.i, -ruby swig/ruby.i, -tcl swig/tcl.i): it names the
 * module, defines the typemaps of the roles below for its language and
 * %includes this file, which never looks at the language.
 *
 * It wraps core/include/fdpass.h unchanged. The C functions return a status
 * and give their results through out-parameters; the modules turn that
 * into each language's conventions with typemaps for a few roles, which
 * this file gives to the header's parameters:
 *
 *   int DESCRIPTOR                       in: an integer or a native object
 *                                        (Lua file, Ruby IO, Tcl channel)
 *   int INTEGER                          in: a plain integer (events,
 *                                        timeouts, flags, modes, codes,
 *                                        the descriptor `close` takes);
 *                                        return: an integer
 *   const char *PATH                     in: a socket path
 *   int *NEW_DESCRIPTOR                  out: an integer descriptor, the
 *                                        call's only result
 *   int *PAIR_END                        out: the same, one of two results
 *   int64_t *ID                          out: an integer (pid, uid, gid)
 *   (const void *DATA, size_t *LENGTH)   in: a byte string; out: bytes sent
 *   (const int *FDS, size_t NFDS)        in: a list of descriptors (optional)
 *   (void *BUFFER, size_t *CAPACITY)     in: most bytes to receive
 *                                        (optional); out: the bytes
 *   (int *RECEIVED, size_t *COUNT)       in: most descriptors to receive
 *                                        (optional); out: a list of
 *                                        integers and a "truncated" flag
 *   int STATUS                           return: the outputs on success,
 *                                        the language's error otherwise
 *   int PARTIAL_STATUS                   the same, except that FDPASS_ETRUNC
 *                                        delivers the outputs (recv_fds)
 *
 * The argout typemaps read the status from SWIG's `result` variable: the
 * out-parameters hold results only when the call delivered them.
 *
 * Waiting. The C calls that block wait inside the library, where no
 * interpreter can run its threads, signal handlers or event loop. So the
 * modules call them non-blocking and, only when that returns FDPASS_EAGAIN
 * and the caller did not ask for FDPASS_NONBLOCK, wait the language's way
 * and try again: the fast path costs nothing. Each language file defines
 *
 *   FDPASS_BINDING_WAIT(sock, events, timeout_ms)   fdpass_wait's contract;
 *                                                   may raise the
 *                                                   language's exception
 *   FDPASS_BINDING_BLOCK(sock, events)              the wait of a blocking
 *                                                   call: FDPASS_OK when
 *                                                   ready, FDPASS_EAGAIN
 *                                                   when it must not block
 *   FDPASS_BINDING_ACCEPT(listener, sock)           fdpass_binding_accept,
 *                                                   FDPASS_EAGAIN when the
 *                                                   connection is gone
 *
 *   FDPASS_BINDING_SENDING()                        before a send on the
 *   FDPASS_BINDING_RECEIVING()                      socket as given (a
 *                                                   native object may
 *                                                   buffer): FDPASS_OK to
 *                                                   go on, or a status
 *
 * A language whose signal handlers run between system calls (Lua's hooks,
 * Perl's deferred signals) waits with fdpass_binding_wait, the one poll
 * loop of the modules, and gives it the hook that runs what a signal left
 * pending; it may raise, as nothing is left to clean up there.
 *
 * The descriptor store (fdpass_connect_holder, fdpass_store, fdpass_fetch,
 * fdpass_list, fdpass_remove) is each language's own code in its native.i,
 * over the helpers below: a holder is a path or a socket, and fetch and
 * list return lists whose length only the holder knows.
 */

%begin %{
/* fileno, fdopen, fcntl, poll, accept4 under -std=c11 (Perl's flags
 * define it already). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
%}

/* In the runtime section, which comes before the header section where the
 * language files' helpers use it. */
%runtime %{
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <time.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fdpass.h"

/* recv_fds's default capacity for data; stream data that does not fit
 * stays queued for the next call. */
#define FDPASS_BINDING_RECV_LEN 4096

/* Whether recv_fds delivered data and descriptors: on success, and with
 * FDPASS_ETRUNC (the descriptors that did not fit were closed). */
static int fdpass_delivered(int status)
{
  return status == FDPASS_OK || status == FDPASS_ETRUNC;
}

/* FDPASS_EAGAIN when `sock` is not ready for `events` now, as the
 * non-blocking calls say it: accept and wait then wait the language's way. */
static int fdpass_binding_poll(int sock, int events)
{
  int status = fdpass_wait(sock, events, 0);
  return status == FDPASS_ETIMEDOUT ? FDPASS_EAGAIN : status;
}

/* Whether fdpass_accept may be called now: FDPASS_OK when a connection
 * is there, FDPASS_EAGAIN when the listener has none, so that the language
 * waits. A socket that does not listen goes straight to fdpass_accept,
 * which reports it without waiting. */
static int fdpass_binding_acceptable(int listener)
{
  int listening = 0;
  socklen_t size = sizeof listening;
  if (getsockopt(listener, SOL_SOCKET, SO_ACCEPTCONN, &listening,
                 &size) == 0 && listening)
    return fdpass_binding_poll(listener, FDPASS_READABLE);
  return FDPASS_OK;
}

/* The errno that sendmsg or recvmsg would have set for a status, for the
 * languages' OS errors (Perl's $! in IO::FDPass's functions, Ruby's
 * SystemCallError#errno); the OS's own after FDPASS_ESYS. Inline: Lua and
 * Tcl have no use for it. */
static inline int fdpass_binding_errno(int status, int sending)
{
  switch (status) {
  case FDPASS_EINVAL: return EINVAL;
  case FDPASS_EBADF: return EBADF;
  case FDPASS_ENOTSOCK: return ENOTSOCK;
  case FDPASS_ENOTSUP: return EOPNOTSUPP;
  case FDPASS_EAGAIN: return EAGAIN;
  case FDPASS_ETIMEDOUT: return ETIMEDOUT;
  case FDPASS_ECLOSED: return sending ? EPIPE : ECONNRESET;
  case FDPASS_ENOFD: return EPROTO;
  case FDPASS_ETRUNC: return EMSGSIZE;
  case FDPASS_EMFILE: return EMFILE;
  case FDPASS_ENOMEM: return ENOMEM;
  case FDPASS_EACCES: return EACCES;
  case FDPASS_ENOTCONN: return ENOTCONN;
  case FDPASS_EREFUSED: return EPERM;
  case FDPASS_ENOENT: return ENOENT;
  case FDPASS_EADDRINUSE: return EADDRINUSE;
  case FDPASS_ECONNREFUSED: return ECONNREFUSED;
  case FDPASS_ENAMETOOLONG: return ENAMETOOLONG;
  case FDPASS_ENONAME: return ENOENT; /* nothing under that name */
  case FDPASS_ESYS: return fdpass_os_error() != 0 ? fdpass_os_error() : EIO;
  default: return EPROTO;
  }
}

/* A language's hook for a signal that interrupted a wait: it runs what
 * the signal left pending (and may raise the language's exception). */
typedef void fdpass_binding_interrupted_fn(void *context);

static long long fdpass_binding_now_ms(void)
{
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* fdpass_wait's contract, but every EINTR runs `interrupted(context)`
 * before the wait goes on until its deadline: the library's own wait
 * retries EINTR where no interpreter can run its handlers. Inline: Ruby
 * and Tcl wait their own way. */
static inline int fdpass_binding_wait(int sock, int events, int timeout_ms,
                               fdpass_binding_interrupted_fn *interrupted,
                               void *context)
{
  struct pollfd p = { .fd = sock, .events = 0 };
  if (events & FDPASS_READABLE)
    p.events |= POLLIN;
  if (events & FDPASS_WRITABLE)
    p.events |= POLLOUT;
  long long deadline = fdpass_binding_now_ms() + timeout_ms;
  int left = timeout_ms;
  for (;;) {
    int n = poll(&p, 1, left);
    if (n > 0)
      return p.revents & POLLNVAL ? FDPASS_EBADF : FDPASS_OK;
    if (n == 0)
      return FDPASS_ETIMEDOUT;
    if (errno != EINTR)
      return errno == ENOMEM ? FDPASS_ENOMEM : FDPASS_ESYS;
    interrupted(context);
    if (timeout_ms >= 0) {
      long long rest = deadline - fdpass_binding_now_ms();
      left = rest > 0 ? (int)rest : 0;
    }
  }
}

/* Accept the connection that the listener said it has. fdpass_accept
 * would block, out of the language's reach, when another process took it
 * in between, and retry a signal's EINTR; here a signal and a connection
 * that is gone give FDPASS_EAGAIN, after `interrupted(context)` (unless
 * NULL), so that the language waits again. The accept may still block (a
 * blocking listener is not this module's to change) until the next
 * connection or a signal. Another failure is fdpass_accept's status: it
 * fails the same way at once (the kernel allots the descriptor before it
 * waits). */
static int fdpass_binding_accept(int listener, int *sock,
                                 fdpass_binding_interrupted_fn *interrupted,
                                 void *context)
{
#ifdef SOCK_CLOEXEC
  int s = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
#else /* not atomic: as fdpass_accept elsewhere */
  int s = accept(listener, NULL, NULL);
  if (s >= 0)
    fcntl(s, F_SETFD, FD_CLOEXEC);
#endif
  if (s >= 0) {
    *sock = s;
    return FDPASS_OK;
  }
  int error = errno;
  if (error == EINTR && interrupted != NULL)
    interrupted(context);
  if (error == EINTR || error == EAGAIN || error == EWOULDBLOCK ||
      error == ECONNABORTED)
    return FDPASS_EAGAIN;
  return fdpass_accept(listener, sock);
}

/* The descriptor store's calls, shared by the languages' own functions
 * (bindings/<language>/native.i): their results are lists of unknown
 * length, which no role above gives. */

/* Room for `n` names of a fetch or a list: fdpass_fetch promises that 256
 * bytes a name always suffice. */
#define FDPASS_BINDING_NAME_ROOM 256

/* What fdpass_binding_fetch delivered: `nfds` descriptors, owned by the
 * caller, and their names, colon-separated; both malloc'd. */
struct fdpass_binding_fetched {
  int *fds;
  char *names;
  size_t nfds;
};

static void fdpass_binding_fetched_free(struct fdpass_binding_fetched *got)
{
  free(got->fds);
  free(got->names);
  got->fds = NULL;
  got->names = NULL;
}

/* fdpass_fetch with buffers that fit, however many descriptors the holder
 * keeps: FDPASS_ETRUNC says how many there are (nothing was delivered),
 * and the call is made again with room for them, as long as the store
 * grows in between. Uses no interpreter, so that Ruby may call it
 * without its VM lock. On failure nothing is left to free or close. */
static int fdpass_binding_fetch(int sock, const char *name, int timeout_ms,
                                struct fdpass_binding_fetched *got)
{
  size_t capacity = 8;
  for (;;) {
    if (capacity > SIZE_MAX / FDPASS_BINDING_NAME_ROOM) /* a hostile count */
      return FDPASS_ENOMEM;
    got->fds = malloc(capacity * sizeof *got->fds);
    got->names = malloc(capacity * FDPASS_BINDING_NAME_ROOM);
    if (got->fds == NULL || got->names == NULL) {
      fdpass_binding_fetched_free(got);
      return FDPASS_ENOMEM;
    }
    got->nfds = capacity;
    int status = fdpass_fetch(sock, name, got->fds, &got->nfds, got->names,
                              capacity * FDPASS_BINDING_NAME_ROOM,
                              timeout_ms);
    if (status == FDPASS_OK)
      return status;
    fdpass_binding_fetched_free(got);
    if (status != FDPASS_ETRUNC)
      return status;
    capacity = got->nfds > capacity ? got->nfds : 2 * capacity;
  }
}

/* fdpass_list into a malloc'd `*names` that fits: FDPASS_ETRUNC does not
 * say how much it needs, so the room doubles until they fit. */
static int fdpass_binding_list(int sock, int timeout_ms, char **names)
{
  for (size_t size = 4096;; size *= 2) {
    *names = malloc(size);
    if (*names == NULL)
      return FDPASS_ENOMEM;
    int status = fdpass_list(sock, *names, size, timeout_ms);
    if (status == FDPASS_OK)
      return status;
    free(*names);
    *names = NULL;
    if (status != FDPASS_ETRUNC)
      return status;
  }
}

/* A store call's connection to its holder: the connected socket it was
 * given (`path` NULL), or a new one to the holder at `path`, which
 * fdpass_binding_holder_done closes after the call. */
static int fdpass_binding_holder(const char *path, int *sock)
{
  return path != NULL ? fdpass_connect_holder(path, sock) : FDPASS_OK;
}

static void fdpass_binding_holder_done(const char *path, int sock)
{
  if (path != NULL)
    fdpass_close(sock);
}

/* The next name of a colon-separated list at `*cursor` (not at its end):
 * its length; `*cursor` moves past it and its colon. */
static size_t fdpass_binding_next_name(const char **cursor)
{
  size_t length = strcspn(*cursor, ":");
  *cursor += length + ((*cursor)[length] == ':');
  return length;
}

/* send_fds without FDPASS_NONBLOCK: everything or a failure, as in C, by
 * non-blocking sends; after a short one the descriptors are gone and the
 * rest follows without them. Returns FDPASS_EAGAIN with `*sent` < `len`
 * when the language must wait before the next call. */
static int fdpass_binding_send_some(int sock, const void *data, size_t len,
                                    size_t *sent, const int *fds,
                                    size_t nfds, int flags)
{
  size_t n = len - *sent;
  int status = fdpass_send_fds(sock, (const char *)data + *sent, &n,
                               *sent > 0 ? NULL : fds, *sent > 0 ? 0 : nfds,
                               flags | FDPASS_NONBLOCK);
  if (status == FDPASS_OK)
    *sent += n;
  if (status == FDPASS_OK && *sent < len)
    return FDPASS_EAGAIN;
  return status;
}
%}

/* fdpass_send and fdpass_recv are send and recv, with optional flags; a
 * language file may name them otherwise (FDPASS_SEND, FDPASS_RECV). */
#ifndef FDPASS_SEND
#define FDPASS_SEND send
#define FDPASS_RECV recv
#endif
%ignore fdpass_send;
%ignore fdpass_recv;
%rename(FDPASS_SEND) fdpass_send_flags;
%rename(FDPASS_RECV) fdpass_recv_flags;

/* %fdpass_blocking(FUNCTION, BEFORE, EVENTS, FLAGS, CALL): FUNCTION runs
 * CALL, its non-blocking form, until it stops saying FDPASS_EAGAIN,
 * waiting for EVENTS in between unless FLAGS asks for FDPASS_NONBLOCK;
 * BEFORE (the language's SENDING or RECEIVING) first. */
%define %fdpass_blocking(FUNCTION, BEFORE, EVENTS, FLAGS, CALL)
%feature("action") FUNCTION %{
  if ((result = BEFORE) == FDPASS_OK)
    while ((result = CALL) == FDPASS_EAGAIN && !(FLAGS & FDPASS_NONBLOCK) &&
           (result = FDPASS_BINDING_BLOCK(arg1, EVENTS)) == FDPASS_OK)
      ;
%}
%enddef
%fdpass_blocking(fdpass_send_flags, FDPASS_BINDING_SENDING(), FDPASS_WRITABLE,
                 arg3, fdpass_send_flags(arg1, arg2, arg3 | FDPASS_NONBLOCK))
%fdpass_blocking(fdpass_recv_flags, FDPASS_BINDING_RECEIVING(),
                 FDPASS_READABLE, arg3,
                 fdpass_recv_flags(arg1, arg2, arg3 | FDPASS_NONBLOCK))
%fdpass_blocking(fdpass_recv_fds, FDPASS_BINDING_RECEIVING(), FDPASS_READABLE,
                 arg6, fdpass_recv_fds(arg1, arg2, arg3, arg4, arg5,
                                       arg6 | FDPASS_NONBLOCK))
/* The listener is polled, then accepted, until a connection is there
 * when the accept comes (another process may take it in between). */
%feature("action") fdpass_accept %{
  for (;;) {
    while ((result = fdpass_binding_acceptable(arg1)) == FDPASS_EAGAIN &&
           (result = FDPASS_BINDING_BLOCK(arg1, FDPASS_READABLE)) ==
               FDPASS_OK)
      ;
    if (result != FDPASS_OK ||
        (result = FDPASS_BINDING_ACCEPT(arg1, arg2)) != FDPASS_EAGAIN)
      break;
  }
%}
%feature("action") fdpass_send_fds %{
  result = FDPASS_BINDING_SENDING();
  if (result == FDPASS_OK && (arg6 & FDPASS_NONBLOCK)) {
    result = fdpass_send_fds(arg1, arg2, arg3, arg4, arg5, arg6);
  } else if (result == FDPASS_OK) {
    size_t sent = 0;
    while ((result = fdpass_binding_send_some(arg1, arg2, *arg3, &sent, arg4,
                                              arg5, arg6)) == FDPASS_EAGAIN &&
           (result = FDPASS_BINDING_BLOCK(arg1, FDPASS_WRITABLE)) == FDPASS_OK)
      ;
    *arg3 = sent;
  }
%}
%feature("action") fdpass_wait %{
  result = arg3 < -1 ? fdpass_wait(arg1, arg2, arg3) /* FDPASS_EINVAL */
                     : fdpass_binding_poll(arg1, arg2);
  if (result == FDPASS_EAGAIN)
    result = arg3 == 0 ? FDPASS_ETIMEDOUT
                       : FDPASS_BINDING_WAIT(arg1, arg2, arg3);
%}

%include <stdint.i>

/* The header's parameters, by role. */
%apply int DESCRIPTOR { int sock, int fd, int listener };
%apply const char *PATH { const char *path };
%apply int *NEW_DESCRIPTOR { int *fd, int *sock, int *listener };
%apply int *PAIR_END { int *a, int *b };
%apply int64_t *ID { int64_t *pid, int64_t *uid, int64_t *gid };
%apply (const void *DATA, size_t *LENGTH) { (const void *data, size_t *len) };
%apply (const int *FDS, size_t NFDS) { (const int *fds, size_t nfds) };
%apply (void *BUFFER, size_t *CAPACITY) { (void *buf, size_t *len) };
%apply (int *RECEIVED, size_t *COUNT) { (int *fds, size_t *nfds) };
%apply int INTEGER { int events, int timeout_ms, int mode, int code };
/* Every function returns a status (the ABI's rule, so a new one follows
 * it too), except these. */
/* Copied, as `%apply int STATUS { int }` leaves SWIG's own `out` for int. */
%typemap(out) int = int STATUS;
%typemap(ret) int = int STATUS;
%typemap(ret) int INTEGER ""; /* not STATUS's, which `int` now has */
%apply int INTEGER { int fdpass_version, int fdpass_os_error };
%apply int PARTIAL_STATUS { int fdpass_recv_fds };
/* Flags are optional (each language's `int flags` typemap reads them). */
%typemap(default) int flags "$1 = 0;"

/* close takes an integer only: a native object closes itself (file:close,
 * IO#close, Tcl's close), or it would later close whatever descriptor
 * got its number. */
%ignore fdpass_close;
%rename(close) fdpass_binding_close;
%apply int INTEGER { int number };
%inline %{
static int fdpass_binding_close(int number)
{
  return fdpass_close(number);
}
%}

/* The descriptor store's calls are each language's own (native.i), over
 * fdpass_binding_fetch and fdpass_binding_list: a holder is a path or a
 * socket, and the results are lists. */
%ignore fdpass_connect_holder;
%ignore fdpass_store;
%ignore fdpass_store_with;
%ignore fdpass_fetch;
%ignore fdpass_list;
%ignore fdpass_remove;

/* fdpass.send, fdpass.EBADF: the module or namespace is the prefix. */
%rename("%(strip:[fdpass_])s") "";
%rename("%(strip:[FDPASS_])s", %$isconstant) "";
%rename("%(strip:[FDPASS_])s", %$isenumitem) "";

%include "fdpass.h"
