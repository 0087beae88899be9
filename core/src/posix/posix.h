/* SPDX-License-Identifier: MIT */
/*
 * posix.h - what the POSIX platform files (core/src/posix/) share; only
 * they include it. The OS differences are decided by feature tests:
 * MSG_CMSG_CLOEXEC and SOCK_CLOEXEC (atomic close-on-exec) with an fcntl
 * fallback, MSG_NOSIGNAL or SO_NOSIGPIPE against SIGPIPE, the peer
 * credential calls of each system, and Linux's sock_diag.
 */
#ifndef FDPASS_POSIX_H
#define FDPASS_POSIX_H

#include "internal.h"
#include "platform.h"

#include <sys/socket.h>

#if defined(__linux__) && !defined(MSG_CMSG_CLOEXEC)
/* Without it, received descriptors would not be close-on-exec atomically. */
#error "include internal.h first, for its _GNU_SOURCE"
#endif

#ifdef SOCK_CLOEXEC
#define CLOEXEC_TYPE SOCK_CLOEXEC
#else
#define CLOEXEC_TYPE 0
#endif

/* Hand out `fd`, just returned by a call asked for CLOEXEC_TYPE (or -1 with
 * errno set): where the OS has no SOCK_CLOEXEC set close-on-exec now, or
 * close it and fail. */
int fdp_posix_new_descriptor(int fd, int *out);

/* A new close-on-exec local socket of `type` (SOCK_STREAM...). */
int fdp_posix_socket(int type, int *fd);

/* The socket type (SOCK_STREAM...) of `sock`, or 0 when it cannot be told. */
int fdp_posix_socket_type(int sock);

#endif
