/* SPDX-License-Identifier: MIT */
/*
 * spec.h - SPECs: the descriptors a user names on the command line
 * ([NAME=]PATH[:w|:rw|:a|:trunc], fd:N, tcp:HOST:PORT, tcp6:[HOST]:PORT,
 * unix:PATH).
 */
#ifndef FDPASS_CLI_SPEC_H
#define FDPASS_CLI_SPEC_H

struct handoff;

/* Parse every SPEC (usage errors: EXIT_USAGE, nothing opened), then open
 * them all and append them to `h`, in order. All or nothing: on failure
 * nothing is left open. No file is truncated yet: */
int open_specs(char **specs, int nspecs, struct handoff *h);

/* Truncate the :trunc files of `h`, once the verb knows where they go (a
 * peer it trusts), so that a verb that fails before never empties one. */
int truncate_specs(struct handoff *h);

#endif
