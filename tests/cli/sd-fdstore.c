/* SPDX-License-Identifier: MIT */
/*
 * sd-fdstore.c - a daemon written for systemd's file descriptor store and
 * nothing else: it uses libsystemd alone (sd_pid_notify_with_fds,
 * sd_listen_fds_with_names, sd_notify), as a daemon of any distribution
 * would. tests/cli/notify.sh runs it under `fdpass exec --notify`.
 *
 *   sd-fdstore store NAME TEXT   a memfd holding TEXT, stored as NAME
 *                                (FDSTORE=1, FDNAME=NAME, with READY=1
 *                                and STATUS= beside, as daemons send)
 *   sd-fdstore read NAME         print what the descriptor NAME that came
 *                                in LISTEN_FDS holds; exit 3 if none came
 *   sd-fdstore remove NAME       FDSTOREREMOVE=1, FDNAME=NAME
 */
#define _GNU_SOURCE

#include <systemd/sd-daemon.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what, int error)
{
  fprintf(stderr, "sd-fdstore: %s: %s\n", what, strerror(error));
  return 1;
}

static int store(const char *name, const char *text)
{
  int fd = memfd_create("sd-fdstore", MFD_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
    return fail("memfd", 5);
  char state[300];
  snprintf(state, sizeof state, "READY=1\nSTATUS=storing\nFDSTORE=1\n"
                                "FDNAME=%s", name);
  int r = sd_pid_notify_with_fds(0, 0, state, &fd, 1);
  if (r <= 0) /* 0: NOTIFY_SOCKET is not set */
    return fail("sd_pid_notify_with_fds", r < 0 ? -r : 22);
  close(fd);
  return 0;
}

static int read_back(const char *name)
{
  char **names = NULL;
  int n = sd_listen_fds_with_names(1, &names);
  if (n < 0)
    return fail("sd_listen_fds_with_names", -n);
  int found = -1;
  for (int i = 0; i < n; i++)
    if (found < 0 && !strcmp(names[i], name))
      found = SD_LISTEN_FDS_START + i;
  for (int i = 0; i < n; i++)
    free(names[i]);
  free(names);
  if (found < 0)
    return 3;
  char text[256];
  ssize_t got = pread(found, text, sizeof text - 1, 0);
  if (got < 0)
    return fail("pread", 5);
  printf("%.*s\n", (int)got, text);
  return 0;
}

static int remove_name(const char *name)
{
  int r = sd_notifyf(0, "FDSTOREREMOVE=1\nFDNAME=%s", name);
  return r > 0 ? 0 : fail("sd_notifyf", r < 0 ? -r : 22);
}

int main(int argc, char **argv)
{
  if (argc == 4 && !strcmp(argv[1], "store"))
    return store(argv[2], argv[3]);
  if (argc == 3 && !strcmp(argv[1], "read"))
    return read_back(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "remove"))
    return remove_name(argv[2]);
  fputs("usage: sd-fdstore store NAME TEXT | read NAME | remove NAME\n",
        stderr);
  return 2;
}
