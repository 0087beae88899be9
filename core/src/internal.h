/*
 * internal.h - what the library's source files share; never installed.
 *
 * The public functions (message.c, sockets.c) validate arguments and hold
 * the protocol logic; platform.h is the small interface to the OS below
 * them. Failures are reported through fdp_fail/fdp_fail_os so that the
 * thread-local OS error for fdpass_os_error() is set in one place.
 */
#ifndef FDPASS_INTERNAL_H
#define FDPASS_INTERNAL_H

#include "fdpass.h"

/* Record a failure found by the library's own checks; returns `code`. */
int fdp_fail(int code);

/* Record the OS error `os_error` and return the status code it maps to. */
int fdp_fail_os(int os_error);

#endif
