/* SPDX-License-Identifier: MIT */
/*
 * report.h - the fdpass command's messages and exit statuses, the lowest
 * layer of cli/: every other file reports through it and nothing here
 * calls back into them.
 *
 * Every function of cli/ that can fail returns an exit status (one return
 * domain): 0, EXIT_FAILURE (1), EXIT_USAGE (2), EXIT_CANNOT_RUN (126) or
 * EXIT_NOT_FOUND (127). The failure is reported once, on stderr, where
 * it is found: "fdpass VERB: WHAT: reason", all lower case.
 */
#ifndef FDPASS_CLI_REPORT_H
#define FDPASS_CLI_REPORT_H

#include <stddef.h>
#include <stdlib.h> /* EXIT_FAILURE */

#define EXIT_USAGE 2
#define EXIT_CANNOT_RUN 126 /* COMMAND found but not executable, as env(1) */
#define EXIT_NOT_FOUND 127  /* COMMAND not found */

/* The verb named in every message ("fdpass send: ..."). */
void report_set_verb(const char *verb);

/* "fdpass VERB: WHAT: TEXT" on stderr; returns EXIT_FAILURE. */
int report(const char *what, const char *text);

/* The line report() writes, in `line` (`size` bytes, cut short if need
 * be, still ending in a newline); its length, without a NUL. */
size_t report_format(char *line, size_t size, const char *what,
                     const char *text);

/* report() with the text of library status `status`. */
int report_status(const char *what, int status);

/* report() with the text of errno value `error`, in lower case. */
int report_errno(const char *what, int error);

/* A usage error, printf-style; returns EXIT_USAGE. */
int usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
