/* SPDX-License-Identifier: MIT */
/* report.c - see report.h. */
#define _POSIX_C_SOURCE 200809L

#include "report.h"

#include <fdpass.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *verb_name;

void report_set_verb(const char *verb)
{
  verb_name = verb;
}

static void print_prefix(void)
{
  fprintf(stderr, "fdpass%s%s: ", verb_name ? " " : "",
          verb_name ? verb_name : "");
}

size_t report_format(char *line, size_t size, const char *what,
                     const char *text)
{
  int n = snprintf(line, size, "fdpass%s%s: %s: %s\n", verb_name ? " " : "",
                   verb_name ? verb_name : "", what, text);
  if (n < 0)
    n = 0;
  if ((size_t)n >= size && size > 0) { /* cut short, still a line */
    n = (int)size - 1;
    line[n - 1] = '\n';
  }
  return (size_t)n;
}

int report(const char *what, const char *text)
{
  char line[8192];
  fwrite(line, 1, report_format(line, sizeof line, what, text), stderr);
  return EXIT_FAILURE;
}

int report_status(const char *what, int status)
{
  return report(what, fdpass_strerror(status));
}

int report_errno(const char *what, int error)
{
  /* The library's messages are lower case; so are the C library's here
   * ("no such file or directory"), whoever found the error. */
  char text[128];
  snprintf(text, sizeof text, "%s", strerror(error));
  text[0] = (char)tolower((unsigned char)text[0]);
  return report(what, text);
}

int usage_error(const char *format, ...)
{
  va_list args;
  va_start(args, format);
  print_prefix();
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  return EXIT_USAGE;
}
