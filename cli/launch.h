/* SPDX-License-Identifier: MIT */
/*
 * launch.h - what happens to received descriptors: exec a command with
 * them the way systemd's socket activation does, or print them.
 */
#ifndef FDPASS_CLI_LAUNCH_H
#define FDPASS_CLI_LAUNCH_H

struct handoff;

/* Exec `command` with the descriptors of `h` as 3, 4, ... and LISTEN_FDS,
 * LISTEN_PID, LISTEN_FDNAMES set (unset when there are none, as systemd
 * does); every other descriptor above 2 is
 * closed by the exec. Returns only on failure: EXIT_NOT_FOUND (127) when
 * COMMAND is not found, EXIT_CANNOT_RUN (126) when it cannot be run. */
int launch(char **command, struct handoff *h);

/* 0 when `command` can be run as far as can be told before the exec (it
 * is found, and executable); else reported, EXIT_NOT_FOUND or
 * EXIT_CANNOT_RUN: checked before descriptors are taken for it. */
int check_command(char **command);

/* Print one line per descriptor of `h`, then close them. */
int print_handoff(struct handoff *h);

#endif
