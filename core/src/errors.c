/* SPDX-License-Identifier: MIT */
/* errors.c - status-code names and messages, and the per-thread OS error. */
#include "internal.h"
#include "platform.h"

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

int fdp_fail_with(int code, int os_error)
{
  last_os_error = os_error;
  return code;
}

int fdpass_os_error(void)
{
  return last_os_error;
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
