/* SPDX-License-Identifier: MIT */
/* open_fds.h - how many descriptors this process has open, from
 * /proc/self/fd; -1 if it cannot be read. Shared by the Criterion helpers,
 * the soak program and the fuzz harness, which link nothing in common. */
#ifndef FDPASS_OPEN_FDS_H
#define FDPASS_OPEN_FDS_H

#include <dirent.h>
#include <stddef.h> /* NULL */

static inline int open_fds(void)
{
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL)
    return -1;
  int count = 0;
  for (struct dirent *e; (e = readdir(dir)) != NULL;)
    count += e->d_name[0] != '.';
  closedir(dir);
  return count - 1; /* the directory's own descriptor */
}

#endif
