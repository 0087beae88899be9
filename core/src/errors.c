/* errors.c - status-code names and messages, and the per-thread OS error. */
#include "internal.h"

#include <errno.h>

/* The only mutable state of the library, and it is per thread. */
static _Thread_local int last_os_error;

int fdp_fail(int code)
{
  last_os_error = 0;
  return code;
}

int fdp_fail_os(int os_error)
{
  last_os_error = os_error;
  return fdp_code_from_os(os_error);
}

int fdpass_os_error(void)
{
  return last_os_error;
}

int fdp_code_from_os(int os_error)
{
  switch (os_error) {
  case EINVAL: return FDPASS_EINVAL;
  case EBADF: return FDPASS_EBADF;
  case ENOTSOCK: return FDPASS_ENOTSOCK;
  case EOPNOTSUPP:
#if defined(ENOTSUP) && ENOTSUP != EOPNOTSUPP
  case ENOTSUP:
#endif
  case EAFNOSUPPORT:
  case EPROTONOSUPPORT:
  case EPROTOTYPE:
    return FDPASS_ENOTSUP;
  case EAGAIN:
#if EWOULDBLOCK != EAGAIN
  case EWOULDBLOCK:
#endif
    return FDPASS_EAGAIN;
  case ETIMEDOUT: return FDPASS_ETIMEDOUT;
  case EPIPE:
  case ECONNRESET:
  case ENOTCONN:
    return FDPASS_ECLOSED;
  case EMFILE:
  case ENFILE:
#ifdef ETOOMANYREFS
  case ETOOMANYREFS: /* too many descriptors in flight for this sender */
#endif
    return FDPASS_EMFILE;
  case ENOMEM:
  case ENOBUFS:
    return FDPASS_ENOMEM;
  case EACCES:
  case EPERM:
    return FDPASS_EACCES;
  case ENOENT:
  case ENOTDIR:
    return FDPASS_ENOENT;
  case EADDRINUSE: return FDPASS_EADDRINUSE;
  case ECONNREFUSED: return FDPASS_ECONNREFUSED;
  case ENAMETOOLONG: return FDPASS_ENAMETOOLONG;
  default: return FDPASS_ESYS;
  }
}

const char *fdpass_strerror(int code)
{
  switch (code) {
  case FDPASS_OK: return "success";
#define FDPASS_XX_(name, value, message) \
  case FDPASS_##name: return message;
    FDPASS_ERRNO_MAP(FDPASS_XX_)
#undef FDPASS_XX_
  default: return "unknown error";
  }
}

const char *fdpass_errname(int code)
{
  switch (code) {
  case FDPASS_OK: return "OK";
#define FDPASS_XX_(name, value, message) \
  case FDPASS_##name: return #name;
    FDPASS_ERRNO_MAP(FDPASS_XX_)
#undef FDPASS_XX_
  default: return "UNKNOWN";
  }
}
