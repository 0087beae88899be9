/* SPDX-License-Identifier: MIT */
/*
 * swap-symlink.c - an attacker in a shared directory, for holder.sh:
 * `swap-symlink SOCKET VICTIM STOP` renames a symlink to VICTIM over
 * SOCKET whenever a socket file appears there, until the file STOP
 * exists (30 s at most). In C: a script reacts too late for the moment
 * between a bind and a chmod.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
  if (argc != 4)
    return 2;
  char link[4096];
  snprintf(link, sizeof link, "%s.link", argv[1]);
  symlink(argv[2], link); /* ready before the socket appears */
  time_t end = time(NULL) + 30;
  for (unsigned long i = 0;; i++) {
    struct stat st;
    if (lstat(argv[1], &st) == 0 && S_ISSOCK(st.st_mode) &&
        rename(link, argv[1]) == 0)
      symlink(argv[2], link);
    if (i % 4096 == 0 && (access(argv[3], F_OK) == 0 || time(NULL) > end))
      return 0;
  }
}
