/* SPDX-License-Identifier: MIT */
/*
 * fileno.i - for the languages whose native objects have no portable way
 * to adopt or show a descriptor (Lua files, Tcl channels): fileno(object)
 * and the access mode that their fdopen/channel take by default.
 * %included by lua.i and tcl.i after fdpass.i.
 */
%{
#include "access.h" /* core/common/: the access mode, written once */

/* The mode string ("r", "w", "r+") matching the descriptor's access mode,
 * or NULL when `fd` is not open. */
static const char *fdpass_access_mode(int fd)
{
  int mode = fdp_access_mode(fd);
  if (mode < 0)
    return NULL;
  mode &= FDP_ACCESS_READ | FDP_ACCESS_WRITE;
  return mode == FDP_ACCESS_READ ? "r" : mode == FDP_ACCESS_WRITE ? "w" : "r+";
}
%}

%apply int DESCRIPTOR { int descriptor };
%apply int INTEGER { int fdpass_fileno };
%inline %{
/* fileno(object): the descriptor behind a native object (an integer is
 * its own descriptor). */
static int fdpass_fileno(int descriptor)
{
  return descriptor;
}
%}
