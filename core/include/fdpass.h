/* SPDX-License-Identifier: MIT */
/*
 * fdpass.h - pass open file descriptors between processes.
 *
 * libfdpass sends open descriptors (files, pipes, sockets, listening
 * sockets) over a connected local (AF_UNIX) socket with SCM_RIGHTS.
 * fdpass_send/fdpass_recv speak the wire format of Perl's IO::FDPass:
 * one data byte of value 0 carrying exactly one descriptor.
 *
 * Conventions shared by every function:
 *  - The return value is a status: FDPASS_OK (0) or a negative FDPASS_E*
 *    code. errno is never the interface; fdpass_os_error() tells the OS
 *    error behind the calling thread's last failure, for diagnostics.
 *  - Results come back through out-parameters, written only on success
 *    unless the function says otherwise.
 *  - Every descriptor the library creates or receives is close-on-exec,
 *    unless FDPASS_NOCLOEXEC asks otherwise.
 *  - EINTR is retried inside the library; SIGPIPE is never raised.
 *  - Thread-safe: there is no global mutable state.
 *  - A call blocked on `sock` returns when `sock` is ready or its peer is
 *    gone. Closing `sock` in another thread does not wake it (the kernel
 *    keeps the socket while the call uses it), and meanwhile the number
 *    may be given to a new descriptor: shut the socket down (shutdown(2))
 *    to wake the call, and close it after the call returned.
 *  - A peer is gone when no process holds its end any more. A peer can
 *    hide its end in a cycle of descriptors in flight: sent over a socket
 *    pair together with the pair's receiving end, which then holds itself.
 *    Linux frees such a cycle, and the end is seen, only when its garbage
 *    collector runs: after milliseconds or, observed, up to 27 seconds.
 *    Wait with a timeout (fdpass_wait, the store's `timeout_ms`) where a
 *    hostile peer must not hold you up.
 *
 * ABI: the numeric values of codes, flags and limits never change once
 * released. New functions are added in a new symbol version node.
 *
 * Native Windows (docs/windows.md) keeps these signatures; there:
 *  - `sock` is the end of a named pipe (fdpass_socketpair, fdpass_listen,
 *    fdpass_accept, fdpass_connect) or the SOCKET of a connected stream
 *    socket (e.g. loopback TCP), cast to int; the library tells them
 *    apart. Microsoft documents that kernel handles have 32 significant
 *    bits (so that 32- and 64-bit processes can share them): the library
 *    relies on this and sign-extends `sock` back to a handle, so
 *    INVALID_SOCKET is -1 and any handle fits.
 *  - Trust (docs/windows.md names the test of each point): a receiver
 *    takes handles only from the process at the other end, as the kernel
 *    names it over a named pipe (GetNamedPipeClientProcessId /
 *    GetNamedPipeServerProcessId) and the TCP table over TCP; a message
 *    naming any other process is FDPASS_EACCES, nothing taken or closed.
 *    Every libfdpass frame (every message over a pipe; over TCP all but
 *    IO::FDPass's one-descriptor form) also carries the sender's proof
 *    that it wrote it, a section in its own handle table holding the
 *    message's nonce and values, so that a process that merely names the
 *    peer (one that inherited its pipe end, a TCP peer that closed its
 *    socket first) is FDPASS_EACCES too: a peer can hand over only its
 *    own handles. IO::FDPass's form has no proof: it is taken only where
 *    the TCP table names its sender (under Wine: from the side that
 *    called connect, never from an accepted socket), else FDPASS_EACCES;
 *    where a check cannot be made, use a pipe or a frame. NULL, pseudo
 *    handles and values beyond 32 bits are FDPASS_EPROTO. A receiver
 *    holds PROCESS_DUP_HANDLE on its sender, which is power over all the
 *    sender's handles: pipes admit only their creator's user unless
 *    fdpass_listen_mode says otherwise.
 *  - `fd` is a C runtime descriptor of msvcrt.dll (_open, _pipe,
 *    _open_osfhandle...), as IO::FDPass uses; received descriptors come
 *    from _open_osfhandle. An application whose C runtime is another DLL
 *    (e.g. the UCRT) has its own descriptor table: it passes raw handles
 *    with fdpass_send_handle/fdpass_recv_handle instead, and sockets with
 *    fdpass_send_socket/fdpass_recv_socket.
 *  - close-on-exec means not inherited: a received handle is not
 *    inheritable and its descriptor has _O_NOINHERIT, unless
 *    FDPASS_NOCLOEXEC.
 *  - Over TCP, fdpass_send/fdpass_recv speak IO::FDPass's Win32 protocol
 *    (the sender's process id, then a HANDLE value for the receiver to
 *    duplicate); every other message, and every message over a pipe,
 *    travels as one frame and is received whole, as on a SOCK_SEQPACKET
 *    socket: data beyond the buffer is dropped and reported as
 *    FDPASS_ETRUNC. The sender must still run when the receiver receives
 *    (FDPASS_ECLOSED otherwise).
 *  - FDPASS_NONBLOCK on a receive consumes nothing until the whole
 *    message has arrived (over TCP: up to 64 KiB of it), so a peer that
 *    stalls mid-message never blocks it: FDPASS_EAGAIN meanwhile. On a
 *    send it never waits for the reader: data goes in frames of at most
 *    2 KiB (pipe) or 4 KiB (TCP) while the channel takes them at once,
 *    then FDPASS_OK with a short *len, or FDPASS_EAGAIN if none went.
 *  - The receives (fdpass_recv, fdpass_recv_flags, fdpass_recv_fds and
 *    the Windows-only ones below) also return FDPASS_EACCES (the message
 *    names a process other than the peer, lacks its sender's proof, or
 *    names one this process may not open), FDPASS_EPROTO (the peer
 *    does not speak the protocol, or names NULL, a pseudo handle or a
 *    value beyond 32 bits; close the connection) and FDPASS_ETIMEDOUT
 *    (the sender did not let its handles go within 5 s, as under Wine a
 *    sender that is stopped; the message is consumed, its handles are
 *    lost, and FDPASS_NONBLOCK does not shorten this). fdpass_recv,
 *    fdpass_recv_flags and fdpass_recv_fds return FDPASS_EBADF for a
 *    handle that no C runtime descriptor can hold (an event, a process;
 *    the message's handles are closed): take those with
 *    fdpass_recv_handle.
 *  - An invalid or closed socket is FDPASS_ENOTSOCK (Winsock cannot tell
 *    the two apart); a byte-mode pipe (e.g. from _pipe) is FDPASS_ENOTSUP;
 *    fdpass_os_error() is a GetLastError() or WSAGetLastError() code.
 *  - fdpass_listen, fdpass_listen_mode and fdpass_connect take a pipe
 *    name, `\\.\pipe\NAME` or a bare NAME that maps to it (another
 *    machine's pipe is FDPASS_EINVAL; remote clients are refused). A name
 *    in use, served or not, is FDPASS_EADDRINUSE, at once and without
 *    connecting to its server. The creating user may always connect;
 *    the mode's write bits widen that: 0020 the user's primary group,
 *    0002 everyone; other bits mean nothing. fdpass_connect waits
 *    while the listener is not in fdpass_accept; FDPASS_ENOENT when no
 *    pipe has the name; FDPASS_EACCES, before anything is sent, when the
 *    server does not run as this user, SYSTEM or an administrator, or
 *    this process may not read its token (so fdpass_connect_holder too).
 *  - fdpass_socketpair gives a connected named pipe pair;
 *    fdpass_socketpair_tcp a loopback TCP pair, for where a SOCKET is
 *    needed (e.g. to talk to IO::FDPass). fdpass_close closes a C runtime
 *    descriptor (close pipe ends with CloseHandle, sockets with
 *    closesocket).
 *  - fdpass_peer_credentials gives the peer's pid (pipes: the kernel's;
 *    TCP: the TCP table's, -1 where it reports 0); uid and gid
 *    are -1: Windows identifies users by SID.
 *  - Winsock is started once, on first use (the only global state).
 *  - Link libfdpass.a with FDPASS_STATIC defined (CMake's
 *    fdpass::fdpass_static does it, and so does
 *    `pkg-config --static --cflags`) and with ws2_32, iphlpapi, ntdll and
 *    advapi32 (`pkg-config --static --libs fdpass`).
 */
#ifndef FDPASS_H
#define FDPASS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* FDPASS_API marks the exported functions; everything else is hidden. */
#if defined(_WIN32) && !defined(FDPASS_STATIC)
#  ifdef FDPASS_BUILDING
#    define FDPASS_API __declspec(dllexport)
#  else
#    define FDPASS_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && defined(FDPASS_BUILDING)
#  define FDPASS_API __attribute__((visibility("default")))
#else
#  define FDPASS_API
#endif

/* ------------------------------------------------------------------ */
/* Version                                                             */
/* ------------------------------------------------------------------ */

#define FDPASS_VERSION_MAJOR 1
#define FDPASS_VERSION_MINOR 3
#define FDPASS_VERSION_PATCH 1

/* Version of the library actually loaded: major*10000 + minor*100 + patch. */
FDPASS_API int fdpass_version(void);

/* The same as "MAJOR.MINOR.PATCH"; a static string, never NULL. */
FDPASS_API const char *fdpass_version_string(void);

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

/*
 * FDPASS_ERRNO_MAP is the single table of status codes:
 * XX(name, value, message). fdpass_errname and fdpass_strerror are
 * generated from it, and the language bindings map it to their own
 * error conventions.
 */
#define FDPASS_ERRNO_MAP(XX)                                                  \
  XX(EINVAL, -1, "invalid argument")                                          \
  XX(EBADF, -2, "bad file descriptor")                                        \
  XX(ENOTSOCK, -3, "descriptor is not a socket")                              \
  XX(ENOTSUP, -4, "socket cannot carry descriptors (not a local socket)")     \
  XX(EAGAIN, -5, "operation would block")                                     \
  XX(ETIMEDOUT, -6, "timed out")                                              \
  XX(ECLOSED, -7, "connection closed by peer")                                \
  XX(ENOFD, -8, "message carried no descriptor")                              \
  XX(ETRUNC, -9, "more descriptors arrived than fit; the surplus was closed") \
  XX(EMFILE, -10, "too many open files")                                      \
  XX(ENOMEM, -11, "out of memory or buffer space")                            \
  XX(EACCES, -12, "permission denied")                                        \
  XX(ENOENT, -13, "no such file or directory")                                \
  XX(EADDRINUSE, -14, "address already in use")                               \
  XX(ESYS, -15, "system error (see fdpass_os_error)")                         \
  XX(ECONNREFUSED, -16, "connection refused (nobody listens)")                \
  XX(ENAMETOOLONG, -17, "socket path too long")                              \
  XX(EPROTO, -18, "peer does not speak the protocol")                         \
  XX(ENONAME, -19, "nothing is stored under that name")                       \
  XX(ENOTCONN, -20, "socket is not connected")                                \
  XX(EREFUSED, -21, "the receiver refuses descriptors")

enum {
  FDPASS_OK = 0,
#define FDPASS_XX_(name, value, message) FDPASS_##name = (value),
  FDPASS_ERRNO_MAP(FDPASS_XX_)
#undef FDPASS_XX_
};

/* Human-readable message for a status code. Never NULL, also for codes
 * this version does not know ("unknown error"). */
FDPASS_API const char *fdpass_strerror(int code);

/* The code's name without prefix: "EBADF" for FDPASS_EBADF, "OK" for
 * FDPASS_OK, "UNKNOWN" for an unknown code. Never NULL. */
FDPASS_API const char *fdpass_errname(int code);

/* The OS error number (errno, or GetLastError() on Windows) behind the
 * calling thread's most recent failed fdpass_* call; 0 when that failure
 * came from the library's own checks. For diagnostics only. */
FDPASS_API int fdpass_os_error(void);

/* ------------------------------------------------------------------ */
/* Passing descriptors                                                 */
/* ------------------------------------------------------------------ */

/* Most descriptors one message carries (Linux's SCM_MAX_FD). */
#define FDPASS_MAX_FDS 253

/* Flags for fdpass_send_flags, fdpass_recv_flags, fdpass_send_fds and
 * fdpass_recv_fds. */
#define FDPASS_NONBLOCK 0x1  /* never block: FDPASS_EAGAIN instead */
#define FDPASS_NOCLOEXEC 0x2 /* received descriptors are inherited by exec */

/*
 * Messages and sockets. `sock` is a connected local socket of any type:
 *  - Stream sockets (fdpass_socketpair, fdpass_listen) have no message
 *    boundaries. Descriptors stay attached to the byte they were sent with,
 *    but the kernel may hand a data-only chunk out together with the
 *    descriptor-carrying chunk after it. A send of at most 2048 bytes
 *    (fdpass_send and fdpass_send_flags send one) goes into the socket in
 *    one piece on Linux, whatever its send buffer (elsewhere only a single
 *    byte is promised): no concurrent send's bytes come inside it, and with
 *    FDPASS_NONBLOCK it goes whole or not at all. Linux cuts a longer send
 *    into pieces (of about 36 KiB, or half the send buffer, SO_SNDBUF, if
 *    less), and the bytes of concurrent sends on the same socket may come
 *    between them, blocking or not, also when FDPASS_NONBLOCK reports the
 *    whole message sent. Keep one sender per socket, or frame the data,
 *    when more is sent.
 *  - Seqpacket and datagram sockets keep each message whole; what does not
 *    fit the buffer is dropped by the kernel and reported as FDPASS_ETRUNC.
 *    An empty seqpacket message is a message; only the peer's shutdown is
 *    the end (FDPASS_ECLOSED). An empty message that arrives just before
 *    the peer shuts down may be reported as the end.
 *  - A datagram socket has no end of stream: a gone peer is not seen by
 *    fdpass_wait or a receive, which wait for the next message from anyone
 *    who may send one; use a timeout (fdpass_wait) or FDPASS_NONBLOCK.
 *    Sending to a gone peer is FDPASS_ECLOSED.
 *
 * Descriptors are received close-on-exec. Any descriptor the receiver did
 * not ask for (a surplus, or one that the receiving socket's own options
 * add, such as Linux's SO_PASSPIDFD) is closed, never leaked; ancillary
 * data that such options add (credentials, a pidfd, a security label of up
 * to 256 bytes, the timestamps of SO_TIMESTAMP or SO_TIMESTAMPNS and of
 * SO_TIMESTAMPING together) never turns a message into FDPASS_ETRUNC,
 * even one of FDPASS_MAX_FDS descriptors.
 * FDPASS_ETRUNC with fdpass_os_error() == EMFILE means that descriptors
 * were lost because the descriptor table was full (RLIMIT_NOFILE).
 */

/*
 * Send one descriptor `fd` over the connected local socket `sock`, as
 * IO::FDPass does: one byte of value 0 carrying `fd`. Blocks until sent,
 * even when `sock` is in non-blocking mode. The caller keeps `fd` open
 * and owns it; the receiver gets a duplicate.
 * Returns FDPASS_OK, FDPASS_EBADF (bad `sock` or `fd`), FDPASS_ENOTSOCK,
 * FDPASS_ENOTSUP (`sock` is not a local socket, e.g. TCP),
 * FDPASS_ENOTCONN (`sock` is not connected, or listens), FDPASS_ECLOSED
 * (the peer is gone), FDPASS_EREFUSED (the receiving socket takes no
 * descriptors: Linux's SO_PASSRIGHTS off, or a security policy),
 * FDPASS_EINVAL (the OS refuses to pass `fd`, e.g. an io_uring instance),
 * FDPASS_ENOMEM, FDPASS_EMFILE (too many descriptors in flight),
 * FDPASS_ESYS.
 */
FDPASS_API int fdpass_send(int sock, int fd);

/*
 * Receive one descriptor sent by fdpass_send (or IO::FDPass::send, Ruby's
 * UNIXSocket#send_io, Python's socket.send_fds with one descriptor): reads
 * one message of one data byte and its descriptor, which is close-on-exec.
 * Blocks until a message arrives. On success `*fd` is the new descriptor,
 * owned by the caller.
 * Returns FDPASS_OK, FDPASS_ENOFD (the message carried no descriptor; it
 * is consumed), FDPASS_ETRUNC (more than one descriptor came, a datagram
 * or seqpacket message was longer than one byte, or the kernel dropped
 * descriptors: every one of them is closed, nothing is returned),
 * FDPASS_EMFILE (a descriptor came but this process had no free slot for
 * it; fdpass_os_error() is EMFILE; the message is consumed),
 * FDPASS_ECLOSED (end of stream), FDPASS_ENOTCONN (`sock` is not
 * connected, or listens), FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP
 * (e.g. a TCP socket, found when a byte arrives without a descriptor),
 * FDPASS_EINVAL (`fd` is NULL), FDPASS_ENOMEM, FDPASS_ESYS.
 */
FDPASS_API int fdpass_recv(int sock, int *fd);

/*
 * fdpass_send with `flags`: FDPASS_NONBLOCK never blocks (FDPASS_EAGAIN
 * when the byte cannot go out now; then nothing went out);
 * FDPASS_NOCLOEXEC is accepted and means nothing here. For event loops and
 * for language runtimes that wait in their own way. Since 1.2.
 * Returns what fdpass_send returns: FDPASS_OK, FDPASS_EBADF,
 * FDPASS_ENOTSOCK, FDPASS_ENOTSUP, FDPASS_ENOTCONN, FDPASS_ECLOSED,
 * FDPASS_EREFUSED, FDPASS_ENOMEM, FDPASS_EMFILE, FDPASS_ESYS; and
 * FDPASS_EAGAIN, FDPASS_EINVAL (also an unknown flag).
 */
FDPASS_API int fdpass_send_flags(int sock, int fd, int flags);

/*
 * fdpass_recv with `flags`: FDPASS_NONBLOCK never blocks (FDPASS_EAGAIN
 * when no message is there; nothing is consumed), FDPASS_NOCLOEXEC makes
 * the descriptor inheritable. Since 1.2.
 * Returns what fdpass_recv returns: FDPASS_OK, FDPASS_ENOFD,
 * FDPASS_ETRUNC, FDPASS_EMFILE, FDPASS_ECLOSED, FDPASS_ENOTCONN,
 * FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP, FDPASS_ENOMEM,
 * FDPASS_ESYS; and FDPASS_EAGAIN, FDPASS_EINVAL (also an unknown flag).
 */
FDPASS_API int fdpass_recv_flags(int sock, int *fd, int flags);

/*
 * Send `*len` bytes of `data` with `nfds` descriptors from `fds`
 * (0..FDPASS_MAX_FDS) in one message; the descriptors travel with the
 * first byte, so `*len` must be at least 1 when `nfds` > 0.
 * On return `*len` holds the number of bytes sent, also on failure.
 * Without FDPASS_NONBLOCK the call sends everything or fails. With it the
 * call never blocks: FDPASS_EAGAIN when nothing could be sent (`*len` is
 * 0 and no descriptor went out), FDPASS_OK with a short `*len` when only
 * part of the data went out (the descriptors went with it: send the rest
 * with nfds = 0). The caller keeps ownership of every descriptor in `fds`.
 * Returns FDPASS_OK, FDPASS_EINVAL (NULL pointer with a non-zero count,
 * unknown flag, nfds > FDPASS_MAX_FDS, descriptors without data, a
 * datagram larger than the socket takes, or a descriptor the OS refuses to
 * pass), FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP, FDPASS_ENOTCONN,
 * FDPASS_EAGAIN, FDPASS_ECLOSED, FDPASS_EREFUSED, FDPASS_ENOMEM,
 * FDPASS_EMFILE, FDPASS_ESYS.
 */
FDPASS_API int fdpass_send_fds(int sock, const void *data, size_t *len,
                               const int *fds, size_t nfds, int flags);

/*
 * Receive one message: up to `*len` bytes into `buf` and up to `*nfds`
 * descriptors into `fds`. On return `*len` and `*nfds` hold what was
 * received; the received descriptors are owned by the caller and are
 * close-on-exec unless FDPASS_NOCLOEXEC is given. A message without
 * descriptors is not an error (`*nfds` is 0). `*len` must be at least 1.
 * Stream data is never lost: bytes that do not fit stay in the socket
 * for the next call (on datagram and seqpacket sockets the kernel drops
 * them, and the call returns FDPASS_ETRUNC).
 * FDPASS_ETRUNC means more descriptors arrived than `*nfds` could hold,
 * the kernel could not deliver all of them (fdpass_os_error() is EMFILE
 * when the descriptor table was full), or a message was longer than `*len`:
 * the data and the descriptors that fit are delivered as on success
 * (counts valid) and every other descriptor is closed.
 * FDPASS_ENOTSUP means a message without descriptors arrived on a socket
 * that cannot carry any (e.g. TCP; the check costs a system call, so it
 * is made only then): the message is delivered as on success.
 * Returns FDPASS_OK, FDPASS_ETRUNC, FDPASS_ENOTSUP, FDPASS_EAGAIN (with
 * FDPASS_NONBLOCK, nothing to read), FDPASS_ECLOSED (end of stream),
 * FDPASS_ENOTCONN (`sock` is not connected, or listens), FDPASS_EINVAL,
 * FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOMEM, FDPASS_ESYS. `*len` and
 * `*nfds` are written exactly when the call returns FDPASS_OK,
 * FDPASS_ETRUNC or FDPASS_ENOTSUP: whenever a message was consumed.
 */
FDPASS_API int fdpass_recv_fds(int sock, void *buf, size_t *len, int *fds,
                               size_t *nfds, int flags);

#ifdef _WIN32
/*
 * Windows only: fdpass_send and fdpass_recv for raw handles, with the same
 * wire format. `sock` is a pipe end or a SOCKET and `handle` a HANDLE,
 * given as the types they are defined as, so that this header needs no
 * Windows headers. The sender keeps `handle`; the receiver gets a new,
 * non-inheritable handle to the same object, owned by the caller.
 * fdpass_send_handle returns FDPASS_OK, FDPASS_EBADF (INVALID_SOCKET, or
 * `handle` is not an open handle), FDPASS_ENOTSOCK, FDPASS_ENOTSUP (not a
 * stream socket or message-mode pipe), FDPASS_ECLOSED, FDPASS_ENOMEM,
 * FDPASS_ESYS.
 * fdpass_recv_handle returns FDPASS_OK, FDPASS_ENOFD, FDPASS_ETRUNC,
 * FDPASS_ECLOSED (end of stream, or the sender exited before the handle
 * could be taken), FDPASS_EACCES (the message names a process that is not
 * the peer, lacks its sender's proof, or names a process this process may
 * not open), FDPASS_EBADF (INVALID_SOCKET, or the sender named no open
 * handle), FDPASS_ENOTSOCK, FDPASS_ENOTSUP (not a stream socket or
 * message-mode pipe), FDPASS_EPROTO (the peer does not speak the
 * protocol, or names NULL, a pseudo handle or a value beyond 32 bits),
 * FDPASS_ETIMEDOUT (the sender did not let its handle go in time, above),
 * FDPASS_EINVAL (`handle` is NULL), FDPASS_ESYS.
 */
FDPASS_API int fdpass_send_handle(uintptr_t sock, void *handle);
FDPASS_API int fdpass_recv_handle(uintptr_t sock, void **handle);

/*
 * Windows only: pass a SOCKET `s`, imported the Winsock way: the
 * sender sends the socket's own handle, checked as any handle (peer,
 * proof); the receiver makes its own SOCKET from it with
 * WSADuplicateSocketW and WSASocketW(FROM_PROTOCOL_INFO), not inherited,
 * a value it never held before. No WSAPROTOCOL_INFOW comes from the
 * peer, so a peer cannot make the receiver hand back one of its own
 * handles. A socket of a layered provider that Winsock cannot duplicate
 * from its handle is refused. Use these for sockets, fdpass_send_handle
 * for other handles, fdpass_send for C runtime descriptors. The sender
 * keeps `s`; close both with closesocket. Not IO::FDPass's protocol.
 * fdpass_send_socket returns FDPASS_OK, FDPASS_EBADF (`s` or `sock` is
 * INVALID_SOCKET, or `s` is no socket), FDPASS_ENOTSOCK, FDPASS_ENOTSUP
 * (`sock` is not a stream socket or message-mode pipe), FDPASS_ECLOSED,
 * FDPASS_ENOMEM, FDPASS_ESYS.
 * fdpass_recv_socket returns FDPASS_OK, FDPASS_ENOFD (the message carried
 * no socket; it is consumed, its handle closed), FDPASS_ETRUNC (it
 * carried more handles or data: they are closed), FDPASS_ECLOSED,
 * FDPASS_EACCES (the message names a process that is not the peer, or
 * lacks its proof), FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP,
 * FDPASS_EPROTO (also: the handle sent is no socket Winsock can
 * duplicate), FDPASS_ETIMEDOUT (as fdpass_recv_handle), FDPASS_EINVAL
 * (`s` is NULL), FDPASS_EMFILE, FDPASS_ENOMEM, FDPASS_ESYS.
 */
FDPASS_API int fdpass_send_socket(uintptr_t sock, uintptr_t s);
FDPASS_API int fdpass_recv_socket(uintptr_t sock, uintptr_t *s);

/*
 * Windows only: a connected loopback TCP pair (SOCKETs, not inherited),
 * for where a SOCKET is needed; a stranger who connects to its
 * short-lived listener first is turned away. `a` connected and `b` was
 * accepted: where the TCP table names no owner of an accepted socket (as
 * under Wine), IO::FDPass's form from `b` to `a` is FDPASS_EACCES at `a`
 * (frames go both ways). fdpass_socketpair gives a named pipe pair, whose
 * peer the kernel names: prefer it.
 * Returns FDPASS_OK, FDPASS_EINVAL (NULL pointer), FDPASS_EMFILE,
 * FDPASS_ENOMEM, FDPASS_ESYS.
 */
FDPASS_API int fdpass_socketpair_tcp(uintptr_t *a, uintptr_t *b);
#endif

/* ------------------------------------------------------------------ */
/* Waiting                                                             */
/* ------------------------------------------------------------------ */

#define FDPASS_READABLE 0x1
#define FDPASS_WRITABLE 0x2

/*
 * Wait until `sock` is readable and/or writable (`events`, a non-empty
 * combination of FDPASS_READABLE and FDPASS_WRITABLE), for at most
 * `timeout_ms` milliseconds (0 polls, -1 waits forever). A stream or
 * seqpacket socket whose peer is gone counts as ready: the next call
 * reports FDPASS_ECLOSED. A datagram socket has no such end (see
 * "Messages and sockets" above): only a timeout ends the wait there.
 * Returns FDPASS_OK, FDPASS_ETIMEDOUT, FDPASS_EINVAL (bad events or a
 * timeout below -1), FDPASS_EBADF, FDPASS_ENOMEM, FDPASS_ESYS.
 */
FDPASS_API int fdpass_wait(int sock, int events, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Peer identity                                                       */
/* ------------------------------------------------------------------ */

/*
 * Credentials of the process at the other end of the connected local
 * socket `sock`, as recorded by the kernel when the connection was made.
 * Any out-pointer may be NULL. `*pid` is -1 where the OS does not tell.
 * Returns FDPASS_OK, FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP (not a
 * local socket, or the OS recorded none, as for a connected datagram
 * socket that is not a socketpair), FDPASS_ENOTCONN (not connected; reported
 * as the end of stream before 1.2), FDPASS_ESYS. Unknown ids are never
 * reported as ids.
 */
FDPASS_API int fdpass_peer_credentials(int sock, int64_t *pid, int64_t *uid,
                                       int64_t *gid);

/* ------------------------------------------------------------------ */
/* Local sockets                                                       */
/* ------------------------------------------------------------------ */

/*
 * Socket helpers, for languages and tools that lack local sockets. Every
 * descriptor they create is close-on-exec and owned by the caller (close
 * it with fdpass_close or close()). Paths name a filesystem socket; a path
 * starting with '@' names a socket in Linux's abstract namespace.
 */

/* A connected pair of local stream sockets in `*a` and `*b`.
 * Returns FDPASS_OK, FDPASS_EINVAL (NULL pointer), FDPASS_EMFILE,
 * FDPASS_ENOMEM, FDPASS_ESYS. */
FDPASS_API int fdpass_socketpair(int *a, int *b);

/* Listen for connections on `path`. The socket file gets mode 0600 whatever
 * the umask, before anyone can connect: only its owner may connect. bind(2)
 * makes the file atomically, so a fresh path takes no lock and nothing
 * another user does delays it; of two callers for one path one wins, the
 * other gets FDPASS_EADDRINUSE. A stale socket file, one that no socket is
 * bound to (in any state, in any network namespace, on overlayfs or btrfs
 * too: a datagram connect asks the kernel, which finds sockets by the
 * file's inode, without connecting to a live server), is replaced by its
 * owner or root (others too where Linux's protected_hardlinks is off): the
 * replacer claims it for a few system calls with a hard link named
 * .fdpass-replacing-DEV-INO next to it, and deletes that very file and
 * nothing else. Any other existing file, a socket that some process has
 * bound (listening or not), or one the kernel cannot tell about, is left
 * alone. No symbolic link is followed, and the mode is set only on the file
 * this call bound (on Linux it is born with it, or sock_diag names the
 * file); if another file was renamed over the path meanwhile, it is left as
 * it is. On a failure after bind the file stays, as a stale socket file
 * that the next call replaces. Paths take up to 108 bytes on Linux (sizeof
 * sun_path, no terminating NUL), one less elsewhere. The caller removes the
 * file when done (docs/security.md).
 * Returns FDPASS_OK, FDPASS_EADDRINUSE (a socket is bound there, a file
 * that is not a socket is in the way, the kernel cannot tell whether the
 * socket there is stale, something else has the claim's name, or another
 * file was renamed over the new one), FDPASS_ENAMETOOLONG, FDPASS_EINVAL
 * (NULL or empty path), FDPASS_ENOENT (no such directory), FDPASS_EACCES
 * (the directory may not be written, or a socket file is in the way that
 * the caller may not connect to, or may not replace: another user's),
 * FDPASS_ENOTSUP (abstract name on a system without them; a mode that the
 * umask narrows where a sandbox refuses both unshare and netlink:
 * docs/security.md), FDPASS_ETIMEDOUT (another process has held its claim
 * on the same stale file for 2 seconds: if it died, remove its
 * .fdpass-replacing-* link), FDPASS_EMFILE, FDPASS_ENOMEM, FDPASS_ESYS. */
FDPASS_API int fdpass_listen(const char *path, int *listener);

/* Like fdpass_listen, with `mode` (permission bits, at most 0777) as the
 * socket file's mode instead of 0600, exact whatever the umask; e.g. 0660
 * lets the file's group connect. An abstract name has no file and no mode:
 * anyone in the same network namespace may connect to it, so check
 * fdpass_peer_credentials. Returns what fdpass_listen returns; FDPASS_EINVAL
 * also for a mode outside 0..0777. Since 1.1. */
FDPASS_API int fdpass_listen_mode(const char *path, int mode, int *listener);

/* Accept one connection on `listener`, waiting for it (also when
 * `listener` is non-blocking). `*sock` is the connected socket.
 * Returns FDPASS_OK, FDPASS_EINVAL (NULL pointer, or `listener` does not
 * listen), FDPASS_ENOTSUP (a socket type that cannot listen, e.g.
 * datagram), FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_EMFILE, FDPASS_ENOMEM,
 * FDPASS_ESYS. */
FDPASS_API int fdpass_accept(int listener, int *sock);

/* Connect to the socket listening on `path`; `*sock` is the connection.
 * Blocks while the listener's backlog is full.
 * Returns FDPASS_OK, FDPASS_ENOENT (no such socket), FDPASS_ECONNREFUSED
 * (nobody listens, or the file is not a socket), FDPASS_EACCES,
 * FDPASS_ENAMETOOLONG, FDPASS_EINVAL (NULL or empty path, or '@' alone),
 * FDPASS_ENOTSUP (abstract name on a system without them, or the socket
 * there is not a stream socket), FDPASS_EMFILE, FDPASS_ENOMEM,
 * FDPASS_ESYS. */
FDPASS_API int fdpass_connect(const char *path, int *sock);

/* Close `fd`. The descriptor is released even when an error is reported.
 * Returns FDPASS_OK, FDPASS_EBADF, FDPASS_ESYS (e.g. a delayed write
 * error reported by close). */
FDPASS_API int fdpass_close(int fd);

/* ------------------------------------------------------------------ */
/* Descriptor store                                                    */
/* ------------------------------------------------------------------ */

/*
 * A holder (`fdpass hold`, see fdpass(1)) keeps descriptors under names
 * for processes that come and go, like systemd's file descriptor store and
 * s6-fdholderd. These functions speak its protocol (docs/protocol.md) over
 * any connected local socket; one connection carries any number of
 * requests in sequence. Since 1.2.
 *
 * A name is 1 to 255 printable ASCII characters (space to '~') without
 * ':', as systemd's file descriptor names; a bad name is FDPASS_EINVAL
 * before anything is sent. `timeout_ms` bounds the whole exchange as in
 * fdpass_wait (-1 waits forever): FDPASS_ETIMEDOUT. Every request takes
 * effect entirely or not at all; whatever fails, no descriptor is left
 * open on either side but the ones a successful call returns.
 *
 * What the codes of every request mean: FDPASS_EINVAL, a bad argument;
 * FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP (not a local socket),
 * FDPASS_ENOTCONN, a bad `sock`; FDPASS_ETIMEDOUT; FDPASS_ECLOSED, the
 * holder hung up; FDPASS_EPROTO, the peer does not speak the protocol or
 * broke it (every descriptor it sent was closed); FDPASS_EACCES, the
 * holder refuses the request (no read right for fetch and list, no write
 * right for store and remove) or refused the connection (no right at all,
 * or the uid's share of connections taken); FDPASS_ENOMEM, the holder (or
 * this process) is out of memory; FDPASS_ESYS. After FDPASS_ETIMEDOUT,
 * FDPASS_ECLOSED, FDPASS_EPROTO, FDPASS_ESYS, or FDPASS_EMFILE from
 * fdpass_fetch, the connection is out of step: close it. After any other
 * code it carries the next request.
 *
 * FDPASS_ETIMEDOUT, FDPASS_ECLOSED and FDPASS_ESYS (and a module's call
 * that an interrupt ended) say that the reply did not come, not that the
 * request was not carried out: once sent, it may have taken effect in the
 * holder. After such a failure of fdpass_store or fdpass_remove, ask the
 * holder (fdpass_list on a new connection) to find out; storing again is
 * safe, as a store replaces what its name held (a store with
 * FDPASS_STORE_NEW then says FDPASS_EADDRINUSE if the first one took
 * effect).
 */

/* Connect to the holder listening on `path` and check, before anything is
 * sent, that it runs as this process's effective uid or as root (anyone
 * may listen on an abstract name or a path in a shared directory); then
 * say that this client speaks the protocol, so that it may wait as long as
 * it likes before its first request (a client that connects otherwise and
 * stays quiet gets fdpass 1.1's one-message handoff, docs/protocol.md,
 * which the functions below skip when it comes ahead of a reply).
 * `*sock` is the connection, close-on-exec, owned by the caller.
 * Returns FDPASS_OK, FDPASS_EINVAL (NULL or empty path, NULL `sock`),
 * FDPASS_ENOENT, FDPASS_ECONNREFUSED (nobody listens), FDPASS_EACCES (no
 * permission to connect, or the holder runs as another user: nothing was
 * sent, the connection is closed; or the holder refused the connection
 * at once), FDPASS_ENAMETOOLONG, FDPASS_ENOTSUP
 * (the OS cannot tell who listens), FDPASS_EMFILE, FDPASS_ECLOSED (the
 * holder hung up at once), FDPASS_ENOMEM, FDPASS_ESYS. */
FDPASS_API int fdpass_connect_holder(const char *path, int *sock);

/* Store copies of `nfds` (1..FDPASS_MAX_FDS) descriptors `fds` under
 * `name`, replacing what was stored under that name (whose descriptors
 * the holder closes; the name keeps its place in the holder's order). The
 * caller keeps its descriptors. All or nothing.
 * Returns FDPASS_OK, FDPASS_EINVAL (bad name, NULL `fds`, `nfds` 0 or
 * over FDPASS_MAX_FDS, `timeout_ms` below -1), FDPASS_EBADF (bad `sock` or
 * descriptor in `fds`), FDPASS_ENOTSOCK, FDPASS_ENOTSUP, FDPASS_ENOTCONN,
 * FDPASS_EREFUSED (the holder's socket refuses descriptors),
 * FDPASS_ETIMEDOUT, FDPASS_ECLOSED, FDPASS_EPROTO, FDPASS_EACCES,
 * FDPASS_EMFILE (the holder has no descriptor slot for all of them, or
 * they would take this uid over its share: nothing stored), FDPASS_ENOMEM
 * (the holder is out of memory: nothing stored), FDPASS_ESYS. */
FDPASS_API int fdpass_store(int sock, const char *name, const int *fds,
                            size_t nfds, int timeout_ms);

/* Flags of fdpass_store_with. */
#define FDPASS_STORE_NEW 1 /* refuse to replace what `name` holds */

/* fdpass_store, with what a store may ask besides. With FDPASS_STORE_NEW
 * in `flags`, nothing is replaced: if something is stored under `name`,
 * nothing changes and the call returns FDPASS_EADDRINUSE. With
 * `lifetime_ms` above 0, the holder closes and forgets the descriptors
 * that long after it stored them (0: until replaced or removed). A holder
 * of 1.2 answers either with FDPASS_EPROTO. Since 1.3.
 * Returns what fdpass_store returns: FDPASS_OK, FDPASS_EINVAL (also an
 * unknown flag, a negative `lifetime_ms`), FDPASS_EBADF, FDPASS_ENOTSOCK,
 * FDPASS_ENOTSUP, FDPASS_ENOTCONN, FDPASS_EREFUSED, FDPASS_ETIMEDOUT,
 * FDPASS_ECLOSED, FDPASS_EPROTO, FDPASS_EACCES, FDPASS_EMFILE,
 * FDPASS_ENOMEM, FDPASS_ESYS; and FDPASS_EADDRINUSE (FDPASS_STORE_NEW and
 * something stored under `name`: nothing changed). */
FDPASS_API int fdpass_store_with(int sock, const char *name, const int *fds,
                                 size_t nfds, int flags, int lifetime_ms,
                                 int timeout_ms);

/* Take copies of the descriptors stored under `name` (NULL: all of them),
 * in the holder's order: names in the order they were first stored, each
 * name's descriptors in the order they were stored. `*nfds` in: the
 * capacity of `fds`; out: how many came. `names` (may be NULL) receives
 * each descriptor's name, colon-separated as in LISTEN_FDNAMES, with a
 * terminating NUL, in at most `names_size` bytes. The descriptors are new,
 * close-on-exec and owned by the caller.
 * If the descriptors or the names do not fit, nothing is delivered (the
 * holder sends none), FDPASS_ETRUNC is returned and `*nfds` says how many
 * there are; room for names of 256 bytes each always suffices. An empty
 * store fetched whole gives FDPASS_OK with `*nfds` 0.
 * Returns FDPASS_OK, FDPASS_ETRUNC, FDPASS_ENONAME (nothing is stored under
 * `name`), FDPASS_EINVAL (bad name, NULL `nfds`, NULL `fds` with a
 * capacity, `names` with `names_size` 0, `timeout_ms` below -1),
 * FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP, FDPASS_ENOTCONN,
 * FDPASS_ETIMEDOUT, FDPASS_ECLOSED, FDPASS_EPROTO, FDPASS_EACCES,
 * FDPASS_EMFILE (the holder has no slot for the copies it sends, or this
 * process none for receiving them: all closed), FDPASS_ENOMEM,
 * FDPASS_ESYS. On failure `names` holds nothing meaningful. */
FDPASS_API int fdpass_fetch(int sock, const char *name, int *fds,
                            size_t *nfds, char *names, size_t names_size,
                            int timeout_ms);

/* The name of every stored descriptor, colon-separated, in the holder's
 * order, with a terminating NUL ("" when the store is empty), in at most
 * `names_size` bytes of `names`.
 * Returns FDPASS_OK, FDPASS_ETRUNC (they do not fit: nothing delivered),
 * FDPASS_EINVAL (NULL `names`, `names_size` 0, `timeout_ms` below -1),
 * FDPASS_EBADF, FDPASS_ENOTSOCK, FDPASS_ENOTSUP, FDPASS_ENOTCONN,
 * FDPASS_ETIMEDOUT, FDPASS_ECLOSED, FDPASS_EPROTO, FDPASS_EACCES,
 * FDPASS_ENOMEM, FDPASS_ESYS. On failure `names` holds nothing
 * meaningful. */
FDPASS_API int fdpass_list(int sock, char *names, size_t names_size,
                           int timeout_ms);

/* Forget `name`; the holder closes its copies.
 * Returns FDPASS_OK, FDPASS_ENONAME (nothing is stored under `name`),
 * FDPASS_EINVAL (bad name, `timeout_ms` below -1), FDPASS_EBADF,
 * FDPASS_ENOTSOCK, FDPASS_ENOTSUP, FDPASS_ENOTCONN, FDPASS_ETIMEDOUT,
 * FDPASS_ECLOSED, FDPASS_EPROTO, FDPASS_EACCES, FDPASS_ESYS. */
FDPASS_API int fdpass_remove(int sock, const char *name, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* FDPASS_H */
