/* SPDX-License-Identifier: MIT */
/* access.c - see access.h. */
#include "internal.h"
#include "access.h"

#include <fcntl.h>

int fdp_access_mode(int fd)
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
