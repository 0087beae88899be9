/* SPDX-License-Identifier: MIT */
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

/* Every source includes this file first, so this reaches the system
 * headers everywhere: MSG_CMSG_CLOEXEC, SOCK_CLOEXEC, accept4 and struct
 * ucred on Linux, even in the gem and the rock, which build without CMake. */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE
#endif

#include "fdpass.h"

#include <stddef.h>

/* FDP_FLATTEN marks the public functions on the hot path (message.c):
 * every call they make is inlined into them, across source files too when
 * the library is built with link-time optimisation (core/CMakeLists.txt).
 * A deep kernel path leaves the CPU's return predictor empty, so every
 * frame still open across a system call costs a mispredicted return
 * afterwards: measurable next to a bare sendmsg/recvmsg loop (bench/). */
#if defined(__GNUC__) && !defined(__clang__)
#define FDP_FLATTEN __attribute__((flatten))
#else
#define FDP_FLATTEN
#endif

/* Record a failure found by the library's own checks; returns `code`. */
int fdp_fail(int code);

/* Record the OS error `os_error` and return the status code it maps to. */
int fdp_fail_os(int os_error);

/* Record the OS error `os_error` and return `code`, for a failure whose
 * status is decided by the library but whose cause the OS told. */
int fdp_fail_with(int code, int os_error);

/* fdpass_recv_fds on a socket checked earlier in the same call (store.c:
 * its request went out, so it passes descriptors): without the check, a
 * system call, that a message without descriptors otherwise costs. */
int fdp_recv_fds_checked(int sock, void *buf, size_t *len, int *fds,
                         size_t *nfds, int flags);

#endif
