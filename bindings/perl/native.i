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
 */
%{
#include <fcntl.h>

/* The errno that IO::FDPass's sendmsg or recvmsg would have set for a
 * libfdpass status, for $!. */
static int fdpass_pl_errno(int status, int sending)
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
  case FDPASS_ESYS: return fdpass_os_error() != 0 ? fdpass_os_error() : EIO;
  default: return EPROTO;
  }
}

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
         (status = fdpass_pl_wait(aTHX_ sock, FDPASS_WRITABLE, -1)) ==
             FDPASS_OK)
    ;
  if (status != FDPASS_OK)
    errno = fdpass_pl_errno(status, 1);
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
         (status = fdpass_pl_wait(aTHX_ sock, FDPASS_READABLE, -1)) ==
             FDPASS_OK)
    ;
  if (status != FDPASS_OK) {
    errno = fdpass_pl_errno(status, 0);
    fd = -1;
  }
  XSprePUSH;
  PUSHi((IV)fd);
  XSRETURN(1);
}
%}
%native(iofdpass_send) void fdpass_pl_iofdpass_send();
%native(iofdpass_recv) void fdpass_pl_iofdpass_recv();
