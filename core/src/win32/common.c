/* SPDX-License-Identifier: MIT */
/*
 * common.c - what win32.c, pipe.c and socket.c all use: the words of the
 * wire, handles as ints, and starting Winsock (win32.h declares them).
 */
#include "internal.h"
#include "win32.h"

#include <limits.h>
#include <string.h>

void fdp_win_put_word(unsigned char *at, DWORD value)
{
  memcpy(at, &value, sizeof value);
}

DWORD fdp_win_get_word(const unsigned char *at)
{
  DWORD value;
  memcpy(&value, at, sizeof value);
  return value;
}

int fdp_win_handle_to_int(HANDLE h, int *out, void (*close_it)(HANDLE))
{
  if ((intptr_t)h < 0 || (intptr_t)h > INT_MAX) {
    close_it(h);
    return fdp_fail(FDPASS_ESYS);
  }
  *out = (int)(intptr_t)h;
  return FDPASS_OK;
}

static BOOL CALLBACK start_winsock(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
  WSADATA data;
  (void)once;
  (void)param;
  (void)ctx;
  return WSAStartup(MAKEWORD(2, 2), &data) == 0;
}

/* Winsock starts once per process, on first use, and stays: the caller's
 * own sockets need it anyway. This is the library's only global state. */
int fdp_win_winsock(void)
{
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  if (!InitOnceExecuteOnce(&once, start_winsock, NULL, NULL))
    return fdp_fail(FDPASS_ESYS);
  return FDPASS_OK;
}
