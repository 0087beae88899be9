/*
 * platform.h - the small interface between the library's logic and the OS.
 *
 * posix.c, posix_io.h and posix_paths.c implement it for Linux, the BSDs
 * and macOS, win32.c for native Windows; every #ifdef for an OS difference
 * lives there, not in the callers. Each function makes at most a few system
 * calls, retries EINTR, records failures through fdp_fail/fdp_fail_os and
 * returns a status code.
 *
 * On Windows `sock` is a Winsock SOCKET and `fd` a C runtime descriptor
 * (see fdpass.h), and a message travels as a frame of handle values that
 * the receiver duplicates out of the sender (docs/windows.md).
 */
#ifndef FDPASS_PLATFORM_H
#define FDPASS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* The status code an OS error maps to (errno; on Windows a Win32 or
 * Winsock error code), without recording it. */
int fdp_code_from_os(int os_error);

/* What one fdp_os_recv delivered. */
struct fdp_received {
  size_t len;    /* data bytes stored in the buffer */
  size_t nfds;   /* descriptors stored in the array */
  int fds_lost;  /* descriptors arrived that are not in the array: the
                    kernel dropped them or fdp_os_recv closed them */
  int data_lost; /* a datagram was longer than the buffer */
};

/* The hot path: on POSIX systems posix_io.h defines these three inline
 * (see there why); win32.c defines them for Windows. */
#ifdef _WIN32
/* FDPASS_OK when `sock` is a socket that can carry descriptors (a local
 * socket); FDPASS_ENOTSUP for any other socket (TCP silently drops them),
 * FDPASS_ENOTSOCK, FDPASS_EBADF. */
int fdp_os_check_passable(int sock);

/* One send: up to `len` bytes of `data` with `nfds` descriptors attached to
 * the first byte. `*sent` is what went out. Never raises SIGPIPE. With
 * `nonblock`, or on a non-blocking socket, FDPASS_EAGAIN when nothing could
 * be sent. */
int fdp_os_send(int sock, const void *data, size_t len, const int *fds,
                size_t nfds, int nonblock, size_t *sent);

/* One receive: up to `len` bytes into `buf` and up to `cap` descriptors
 * into `fds`; surplus descriptors are closed, never leaked. `flags` are
 * FDPASS_NONBLOCK and FDPASS_NOCLOEXEC. FDPASS_ECLOSED at end of stream;
 * FDPASS_EAGAIN as for fdp_os_send. `cap` is at most FDPASS_MAX_FDS. */
int fdp_os_recv(int sock, void *buf, size_t len, int *fds, size_t cap,
                int flags, struct fdp_received *got);
#else
#include "posix_io.h"
#endif

/* Wait for FDPASS_READABLE/FDPASS_WRITABLE `events` on `fd`, at most
 * `timeout_ms` (-1: forever); EINTR restarts with the time remaining. */
int fdp_os_wait(int fd, int events, int timeout_ms);

/* close(2) that never retries (the descriptor is gone either way). */
int fdp_os_close(int fd);

/* A new close-on-exec socket of `type` (SOCK_STREAM...) in `*fd`; POSIX
 * only, for posix_paths.c. */
int fdp_os_socket(int type, int *fd);

/* A close-on-exec local stream socket listening on / connected to `path`
 * (non-empty; '@name' is Linux's abstract namespace). A socket file gets
 * `mode` (0..0777) whatever the umask. */
int fdp_os_listen(const char *path, int mode, int *listener);
int fdp_os_connect(const char *path, int *sock);

/* A connected pair of close-on-exec local stream sockets. */
int fdp_os_socketpair(int *a, int *b);

/* accept(2) giving a close-on-exec socket; FDPASS_EAGAIN when none is
 * pending on a non-blocking listener. */
int fdp_os_accept(int listener, int *sock);

/* Credentials of the peer of a connected local socket; pid -1 if unknown. */
int fdp_os_peer_credentials(int sock, int64_t *pid, int64_t *uid,
                            int64_t *gid);

#endif
