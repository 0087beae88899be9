/* SPDX-License-Identifier: MIT */
/*
 * access.h - how a descriptor is open, written once for every part of the
 * project that needs it: the fdpass command prints it, and the Lua and
 * Tcl modules' fdopen and channel take it as the default mode
 * (swig/fileno.i). Header only, so that a part
 * outside the library (cli/, swig/) uses it without the library exporting
 * it; POSIX only.
 */
#ifndef FDPASS_ACCESS_H
#define FDPASS_ACCESS_H

#include <fcntl.h>

#define FDP_ACCESS_READ 1
#define FDP_ACCESS_WRITE 2
#define FDP_ACCESS_APPEND 4

/* FDP_ACCESS_READ and/or FDP_ACCESS_WRITE, plus FDP_ACCESS_APPEND; -1 when
 * `fd` is not open. */
static inline int fdp_access_mode(int fd)
{
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0)
    return -1;
  int mode = flags & O_APPEND ? FDP_ACCESS_APPEND : 0;
  switch (flags & O_ACCMODE) {
  case O_RDONLY:
    return mode | FDP_ACCESS_READ;
  case O_WRONLY:
    return mode | FDP_ACCESS_WRITE;
  default:
    return mode | FDP_ACCESS_READ | FDP_ACCESS_WRITE;
  }
}

#endif
