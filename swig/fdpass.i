/*
 * fdpass.i - the SWIG interface of libfdpass, shared by the Lua, Ruby and
 * Tcl modules (swig -lua|-ruby|-tcl swig/fdpass.i).
 *
 * It wraps core/include/fdpass.h unchanged. The C functions return a status
 * and give their results through out-parameters; the modules turn that
 * into each language's conventions with typemaps for a few roles, which
 * this file gives to the header's parameters and which lua.i, ruby.i and
 * tcl.i define for their language:
 *
 *   int DESCRIPTOR                       in: an integer or a native object
 *                                        (Lua file, Ruby IO, Tcl channel)
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
 *   int INTEGER                          return: an integer
 *   int STATUS                           return: the outputs on success,
 *                                        the language's error otherwise
 *   int PARTIAL_STATUS                   the same, except that FDPASS_ETRUNC
 *                                        delivers the outputs (recv_fds)
 *
 * The argout typemaps read the status from SWIG's `result` variable: the
 * out-parameters hold results only when the call delivered them.
 */
#if defined(SWIGRUBY)
%module FDPass
#else
%module fdpass
#endif

%begin %{
/* fileno, fdopen, fcntl under -std=c11. */
#define _POSIX_C_SOURCE 200809L
%}

%{
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
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
%}

#if !defined(SWIGRUBY) /* Ruby has IO.for_fd */
%{
/* The mode string ("r", "w", "r+") matching the descriptor's access mode,
 * or NULL when `fd` is not open: fdopen's default in the Lua and Tcl
 * modules. */
static const char *fdpass_access_mode(int fd)
{
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0)
    return NULL;
  switch (flags & O_ACCMODE) {
  case O_RDONLY: return "r";
  case O_WRONLY: return "w";
  default: return "r+";
  }
}
%}
#endif

%include <stdint.i>

#if defined(SWIGLUA)
%include "lua.i"
#elif defined(SWIGRUBY)
%include "ruby.i"
#elif defined(SWIGTCL)
%include "tcl.i"
#else
#error "fdpass.i: no typemaps for this language (Lua, Ruby and Tcl have them)"
#endif

/* The header's parameters, by role. */
%apply int DESCRIPTOR { int sock, int fd, int listener, int descriptor };
%apply int *NEW_DESCRIPTOR { int *fd, int *sock, int *listener };
%apply int *PAIR_END { int *a, int *b };
%apply int64_t *ID { int64_t *pid, int64_t *uid, int64_t *gid };
%apply (const void *DATA, size_t *LENGTH) { (const void *data, size_t *len) };
%apply (const int *FDS, size_t NFDS) { (const int *fds, size_t nfds) };
%apply (void *BUFFER, size_t *CAPACITY) { (void *buf, size_t *len) };
%apply (int *RECEIVED, size_t *COUNT) { (int *fds, size_t *nfds) };
/* Every function returns a status (the ABI's rule, so a new one follows
 * it too), except these. */
%apply int STATUS { int };
%typemap(ret) int INTEGER ""; /* not STATUS's, which `int` now has */
%apply int INTEGER { int fdpass_version, int fdpass_os_error,
                     int fdpass_fileno };
%apply int PARTIAL_STATUS { int fdpass_recv_fds };
%typemap(default) int flags "$1 = 0;"

/* fdpass.send, fdpass.EBADF: the module or namespace is the prefix. */
%rename("%(strip:[fdpass_])s") "";
%rename("%(strip:[FDPASS_])s", %$isconstant) "";
%rename("%(strip:[FDPASS_])s", %$isenumitem) "";

%include "fdpass.h"

#if !defined(SWIGRUBY) /* Ruby objects have their own #fileno */
%inline %{
/* fileno(file): the descriptor behind a native object (an integer is its
 * own descriptor). */
static int fdpass_fileno(int descriptor)
{
  return descriptor;
}
%}
#endif
