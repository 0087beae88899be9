/* SPDX-License-Identifier: MIT */
/*
 * access.h - how a descriptor is open, written once for every part of the
 * project that needs it: the fdpass command prints it, and the modules'
 * fdopen takes it as the default mode. Internal (the command and the
 * modules link the static library); POSIX only.
 */
#ifndef FDPASS_ACCESS_H
#define FDPASS_ACCESS_H

#define FDP_ACCESS_READ 1
#define FDP_ACCESS_WRITE 2
#define FDP_ACCESS_APPEND 4

/* FDP_ACCESS_READ and/or FDP_ACCESS_WRITE, plus FDP_ACCESS_APPEND; -1 when
 * `fd` is not open. */
int fdp_access_mode(int fd);

#endif
