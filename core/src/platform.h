/* SPDX-License-Identifier: MIT */
/*
 * platform.h - the one interface between the library's logic and the OS.
 *
 * core/src/posix/ implements it for Linux, the BSDs and macOS, and
 * core/src/win32/ for native Windows, side by side; every #ifdef for an OS
 * difference lives there, not in the callers. Each function makes at most
 * a few system calls, retries EINTR, records failures through
 * fdp_fail/fdp_fail_os and returns a status code.
 *
 * On Windows `sock` is a Winsock SOCKET and `fd` a C runtime descriptor
 * (see fdpass.h), and a message travels as a frame of handle values that
 * the receiver duplicates out of the sender (docs/windows.md).
 *
 * The hot path (fdp_os_check_passable, fdp_os_send, fdp_os_recv) is
 * inlined into the public functions by link-time optimisation, see
 * FDP_FLATTEN in internal.h.
 */
#ifndef FDPASS_PLATFORM_H
#define FDPASS_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

/* The status code an OS error maps to (errno; on Windows a Win32 or
 * Winsock error code), without recording it. */
int fdp_code_from_os(int os_error);

/* FDPASS_OK when `sock` is a socket that can carry descriptors (a local
 * socket); FDPASS_ENOTSUP for any other socket (TCP silently drops them),
 * FDPASS_ENOTSOCK, FDPASS_EBADF. */
int fdp_os_check_passable(int sock);

/* One send: up to `len` bytes of `data` with `nfds` descriptors attached to
 * the first byte. `*sent` is what went out. Never raises SIGPIPE. With
 * `nonblock`, or on a non-blocking socket, FDPASS_EAGAIN when nothing could
 * be sent. FDPASS_EREFUSED when the receiver does not take descriptors,
 * FDPASS_ECLOSED when the peer is gone (also on datagram sockets). */
int fdp_os_send(int sock, const void *data, size_t len, const int *fds,
                size_t nfds, int nonblock, size_t *sent);

/* What one fdp_os_recv delivered. */
struct fdp_received {
  size_t len;    /* data bytes stored in the buffer */
  size_t nfds;   /* descriptors stored in the array */
  int fds_lost;  /* descriptors arrived that are not in the array: the
                    kernel dropped them or fdp_os_recv closed them */
  int data_lost; /* a datagram was longer than the buffer */
};

/* One receive: up to `len` bytes into `buf` and up to `cap` descriptors
 * into `fds`. Every other descriptor that arrives (a surplus, or one that a
 * socket option of the receiver adds, such as Linux's SCM_PIDFD) is closed,
 * never leaked; ancillary data alone never counts as a loss. `flags` are
 * FDPASS_NONBLOCK and FDPASS_NOCLOEXEC. FDPASS_ECLOSED only at a real end
 * of stream (an empty seqpacket message from a live peer is a message);
 * FDPASS_ENOTCONN on a socket that is not connected or listens;
 * FDPASS_EAGAIN as for fdp_os_send. `cap` is at most FDPASS_MAX_FDS. */
int fdp_os_recv(int sock, void *buf, size_t len, int *fds, size_t cap,
                int flags, struct fdp_received *got);

/* The OS error that explains descriptors lost by fdp_os_recv on `sock`:
 * EMFILE (or its Windows equivalent) when this process has no free
 * descriptor slot now, 0 when nothing known does. */
int fdp_os_lost_fds_cause(int sock);

/* Windows' raw handles (fdpass_send_handle/fdpass_recv_handle): fdp_os_send
 * and fdp_os_recv with HANDLEs instead of C runtime descriptors, always
 * blocking. POSIX has no such distinction and does not define them. */
int fdp_os_send_handles(int sock, const void *data, size_t len,
                        void *const *handles, size_t count, size_t *sent);
int fdp_os_recv_handles(int sock, void *buf, size_t len, void **handles,
                        size_t cap, struct fdp_received *got);
void fdp_os_close_handle(void *handle);

/* Wait for FDPASS_READABLE/FDPASS_WRITABLE `events` on `fd`, at most
 * `timeout_ms` (-1: forever); EINTR restarts with the time remaining. */
int fdp_os_wait(int fd, int events, int timeout_ms);

/* A monotonic clock in milliseconds, for deadlines. */
long long fdp_os_now_ms(void);

/* Make `fd` close-on-exec (not inherited); FDPASS_OK or the failure. */
int fdp_os_set_cloexec(int fd);

/* close(2) that never retries (the descriptor is gone either way). */
int fdp_os_close(int fd);

/* A close-on-exec local stream socket listening on / connected to `path`
 * (non-empty; '@name' is Linux's abstract namespace). A socket file gets
 * `mode` (0..0777) whatever the umask (docs/security.md tells how). */
int fdp_os_listen(const char *path, int mode, int *listener);
int fdp_os_connect(const char *path, int *sock);

/* A connected pair of close-on-exec local stream sockets (on Windows a
 * named pipe pair). */
int fdp_os_socketpair(int *a, int *b);

/* Windows only (fdpass_send_socket/fdpass_recv_socket): a SOCKET as its
 * own handle, which the receiver turns into its own SOCKET the Winsock
 * way (WSADuplicateSocketW, WSASocketW). POSIX does not define them. */
int fdp_os_send_socket(int sock, uintptr_t s);
int fdp_os_recv_socket(int sock, uintptr_t *s);

/* Windows only (fdpass_socketpair_tcp): a connected loopback TCP pair,
 * for where a SOCKET is really needed. POSIX does not define it. */
int fdp_os_socketpair_tcp(int *a, int *b);

/* accept(2) giving a close-on-exec socket; FDPASS_EAGAIN when none is
 * pending on a non-blocking listener. */
int fdp_os_accept(int listener, int *sock);

/* Credentials of the peer of a connected local socket; pid -1 if unknown.
 * FDPASS_ENOTSUP when the OS recorded none (e.g. a connected datagram
 * socket). */
int fdp_os_peer_credentials(int sock, int64_t *pid, int64_t *uid,
                            int64_t *gid);

#endif
