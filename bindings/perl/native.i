/* SPDX-License-Identifier: MIT */
/*
 * native.i - the Perl module's own XS functions, %included by swig/perl.i:
 * IO::FDPass's send and recv over libfdpass, which FDPass/IOFDPass.pm
 * installs as IO::FDPass::send and IO::FDPass::recv.
 *
 * IO::FDPass's semantics, exactly: integer descriptors; send returns true
 * or false, recv the new descriptor or -1, and a failure sets $! (errno);
 * a call blocks only when the socket does, and on a non-blocking socket
 * that is not ready fails with EAGAIN, which AnyEvent::Fork relies on.
 * libfdpass's wire format is IO::FDPass's (one byte, one descriptor), and
 * its improvements apply: received descriptors are close-on-exec, TCP is
 * refused, a surplus is closed instead of leaked.
 *
 * And the descriptor store's calls (store, fetch, list, remove): a holder
 * is a path (a string that is not a number: the call connects, and closes
 * that connection after it) or a connected socket (an integer or a
 * filehandle). Every argument is checked before connecting, so that a
 * croak leaves no connection open. They wait in the library, bounded by
 * their timeout.
 */
%{
#include <fcntl.h>

/* Whether `sock` is in blocking mode: asked only after a non-blocking
 * call said EAGAIN, so that the call that succeeds costs no fcntl. */
static int fdpass_pl_blocking(int sock)
{
  int flags = fcntl(sock, F_GETFL);
  return flags >= 0 && !(flags & O_NONBLOCK);
}

/* IO::FDPass::send($socket_fd, $fd): true, or false with $! set. */
XS(fdpass_pl_iofdpass_send)
{
  dXSARGS;
  if (items != 2)
    croak_xs_usage(cv, "socket_fd, fd");
  int sock = (int)SvIV(ST(0)), fd = (int)SvIV(ST(1)), status;
  while ((status = fdpass_send_flags(sock, fd, FDPASS_NONBLOCK)) ==
             FDPASS_EAGAIN && fdpass_pl_blocking(sock) &&
         (status = FDPASS_BINDING_BLOCK(sock, FDPASS_WRITABLE)) ==
             FDPASS_OK)
    ;
  if (status != FDPASS_OK)
    errno = fdpass_binding_errno(status, 1);
  ST(0) = status == FDPASS_OK ? &PL_sv_yes : &PL_sv_no;
  XSRETURN(1);
}

/* IO::FDPass::recv($socket_fd): the new descriptor, or -1 with $! set. */
XS(fdpass_pl_iofdpass_recv)
{
  dXSARGS;
  dXSTARG;
  if (items != 1)
    croak_xs_usage(cv, "socket_fd");
  int sock = (int)SvIV(ST(0)), fd = -1, status;
  while ((status = fdpass_recv_flags(sock, &fd, FDPASS_NONBLOCK)) ==
             FDPASS_EAGAIN && fdpass_pl_blocking(sock) &&
         (status = FDPASS_BINDING_BLOCK(sock, FDPASS_READABLE)) ==
             FDPASS_OK)
    ;
  if (status != FDPASS_OK) {
    errno = fdpass_binding_errno(status, 0);
    fd = -1;
  }
  XSprePUSH;
  PUSHi((IV)fd);
  XSRETURN(1);
}
/* The holder ST(0): its path, or NULL and the socket in `*sock`. */
static const char *fdpass_pl_holder(pTHX_ SV *holder, int *sock)
{
  SvGETMAGIC(holder);
  if (SvPOK(holder) && !SvROK(holder) && !isGV_with_GP(holder) &&
      !looks_like_number(holder))
    return fdpass_pl_path(aTHX_ holder);
  *sock = fdpass_pl_descriptor(aTHX_ holder);
  return NULL;
}

/* A name, or NULL when undef and `optional`; the holder checks the rest
 * (FDPASS_EINVAL). */
static const char *fdpass_pl_name(pTHX_ SV *sv, int optional)
{
  if (optional && !SvOK(sv))
    return NULL;
  STRLEN length;
  const char *name = SvPVbyte(sv, length);
  if (strlen(name) != length)
    croak("name: contains a NUL byte");
  return name;
}

/* Optional timeout argument `i`: -1 (forever) when absent or undef. */
#define FDPASS_PL_TIMEOUT(i) \
  (items > (i) && SvOK(ST(i)) ? fdpass_pl_int(aTHX_ ST(i), "timeout_ms") : -1)

/* A store's options hash `options`: { new => BOOL, lifetime_ms => MS,
 * timeout_ms => MS }; any other key croaks, so that a misspelt option is
 * not a store without it. */
static void fdpass_pl_store_options(pTHX_ HV *options, int *flags,
                                    int *lifetime_ms, int *timeout_ms)
{
  HE *entry;
  hv_iterinit(options);
  while ((entry = hv_iternext(options)) != NULL) {
    const char *key = HePV(entry, PL_na);
    SV *value = HeVAL(entry);
    if (strcmp(key, "new") == 0)
      *flags = SvTRUE(value) ? FDPASS_STORE_NEW : 0;
    else if (strcmp(key, "lifetime_ms") == 0)
      *lifetime_ms = fdpass_pl_int(aTHX_ value, "lifetime_ms");
    else if (strcmp(key, "timeout_ms") == 0)
      *timeout_ms = SvOK(value) ? fdpass_pl_int(aTHX_ value, "timeout_ms")
                                : -1;
    else
      croak("options: unknown key '%s' (new, lifetime_ms, timeout_ms)", key);
  }
}

/* FDPass::store($holder, $name, \@fds, $timeout_ms = -1) -> 1, or with
 * { new => 1, lifetime_ms => ..., timeout_ms => ... } for the timeout. */
XS(fdpass_pl_store)
{
  dXSARGS;
  if (items < 3 || items > 4)
    croak_xs_usage(cv, "holder, name, fds, timeout_ms = -1 | \\%options");
  int sock = -1, fds[FDPASS_MAX_FDS], flags = 0, lifetime_ms = 0;
  const char *path = fdpass_pl_holder(aTHX_ ST(0), &sock);
  const char *name = fdpass_pl_name(aTHX_ ST(1), 0);
  size_t nfds = fdpass_pl_descriptors(aTHX_ ST(2), fds);
  int timeout_ms = -1;
  if (items > 3 && SvROK(ST(3)) && SvTYPE(SvRV(ST(3))) == SVt_PVHV)
    fdpass_pl_store_options(aTHX_ (HV *)SvRV(ST(3)), &flags, &lifetime_ms,
                            &timeout_ms);
  else
    timeout_ms = FDPASS_PL_TIMEOUT(3);
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_store_with(sock, name, fds, nfds, flags, lifetime_ms,
                               timeout_ms);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    fdpass_pl_die(aTHX_ status);
  ST(0) = &PL_sv_yes;
  XSRETURN(1);
}

/* FDPass::remove($holder, $name, $timeout_ms = -1) -> 1 */
XS(fdpass_pl_remove)
{
  dXSARGS;
  if (items < 2 || items > 3)
    croak_xs_usage(cv, "holder, name, timeout_ms = -1");
  int sock = -1;
  const char *path = fdpass_pl_holder(aTHX_ ST(0), &sock);
  const char *name = fdpass_pl_name(aTHX_ ST(1), 0);
  int timeout_ms = FDPASS_PL_TIMEOUT(2);
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_remove(sock, name, timeout_ms);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    fdpass_pl_die(aTHX_ status);
  ST(0) = &PL_sv_yes;
  XSRETURN(1);
}

/* FDPass::list($holder, $timeout_ms = -1) -> the names */
XS(fdpass_pl_list)
{
  dXSARGS;
  if (items < 1 || items > 2)
    croak_xs_usage(cv, "holder, timeout_ms = -1");
  fdpass_pl_want_list(aTHX_ "list", 0);
  int sock = -1;
  const char *path = fdpass_pl_holder(aTHX_ ST(0), &sock);
  int timeout_ms = FDPASS_PL_TIMEOUT(1);
  char *names = NULL;
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_binding_list(sock, timeout_ms, &names);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    fdpass_pl_die(aTHX_ status);
  /* Into a mortal first, so that nothing malloc'd is left if Perl dies. */
  SV *all = sv_2mortal(newSVpv(names, 0));
  free(names);
  const char *cursor = SvPVX(all);
  SSize_t n = 0;
  SP -= items;
  while (*cursor != '\0') {
    const char *name = cursor;
    size_t length = fdpass_binding_next_name(&cursor);
    XPUSHs(sv_2mortal(newSVpvn(name, length)));
    n++;
  }
  PUTBACK;
  XSRETURN(n);
}

/* FDPass::fetch($holder, $name = undef, $timeout_ms = -1) -> a list of
 * [$name, $fd], in the holder's order */
XS(fdpass_pl_fetch)
{
  dXSARGS;
  if (items < 1 || items > 3)
    croak_xs_usage(cv, "holder, name = undef, timeout_ms = -1");
  fdpass_pl_want_list(aTHX_ "fetch", 1);
  int sock = -1;
  const char *path = fdpass_pl_holder(aTHX_ ST(0), &sock);
  const char *name = items > 1 ? fdpass_pl_name(aTHX_ ST(1), 1) : NULL;
  int timeout_ms = FDPASS_PL_TIMEOUT(2);
  struct fdpass_binding_fetched got = { NULL, NULL, 0 };
  int status = fdpass_binding_holder(path, &sock);
  if (status == FDPASS_OK) {
    status = fdpass_binding_fetch(sock, name, timeout_ms, &got);
    fdpass_binding_holder_done(path, sock);
  }
  if (status != FDPASS_OK)
    fdpass_pl_die(aTHX_ status);
  /* Making SVs dies only when Perl is out of memory, which it does not
   * survive: the buffers are freed at the end. */
  SP -= items;
  EXTEND(SP, (SSize_t)got.nfds);
  const char *cursor = got.names;
  for (size_t i = 0; i < got.nfds; i++) {
    const char *one = cursor;
    size_t length = fdpass_binding_next_name(&cursor);
    AV *pair = newAV();
    av_push(pair, newSVpvn(one, length));
    av_push(pair, newSViv(got.fds[i]));
    PUSHs(sv_2mortal(newRV_noinc((SV *)pair)));
  }
  size_t n = got.nfds;
  fdpass_binding_fetched_free(&got); /* the descriptors are the caller's */
  PUTBACK;
  XSRETURN((SSize_t)n);
}
%}
%native(store) void fdpass_pl_store();
%native(remove) void fdpass_pl_remove();
%native(list) void fdpass_pl_list();
%native(fetch) void fdpass_pl_fetch();
%native(iofdpass_send) void fdpass_pl_iofdpass_send();
%native(iofdpass_recv) void fdpass_pl_iofdpass_recv();
