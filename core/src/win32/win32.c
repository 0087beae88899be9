/*
 * win32.c - the platform layer (platform.h) for native Windows.
 *
 * Windows has no SCM_RIGHTS. The sender duplicates each handle into itself
 * and writes its process id and the duplicates' values to the stream
 * socket; the receiver opens the sender with PROCESS_DUP_HANDLE and moves
 * each handle into itself with DUPLICATE_CLOSE_SOURCE, which also closes
 * the sender's duplicate. A message of one zero byte with one descriptor
 * (fdpass_send) goes out in IO::FDPass's form, any other in a frame whose
 * first word is 0, a process id no sender has (docs/windows.md):
 *
 *   IO::FDPass:  DWORD pid (non-zero) | HANDLE
 *   frame:       DWORD 0 | DWORD pid | DWORD count | DWORD length |
 *                count x HANDLE | length data bytes
 *
 * Words are in the machine's byte order, HANDLEs pointer-sized, as
 * IO::FDPass writes them.
 */
#define WIN32_LEAN_AND_MEAN
#include "internal.h"
#include "platform.h"

#include <winsock2.h>
#include <windows.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define WORD_SIZE sizeof(DWORD)
#define FRAME_HEAD_SIZE (4 * WORD_SIZE)

/* What one message names in its sender. */
struct frame {
  DWORD pid;
  size_t count;
  HANDLE handles[FDPASS_MAX_FDS];
};

/* `sock` holds a SOCKET's 32 significant bits; sign-extend them back. */
static SOCKET to_socket(int sock)
{
  return (SOCKET)(intptr_t)sock;
}

/* Hand out SOCKET `s` as an int, or close it if it does not fit. */
static int socket_to_int(SOCKET s, int *out)
{
  if ((intptr_t)s < 0 || (intptr_t)s > INT_MAX) {
    closesocket(s);
    return fdp_fail(FDPASS_ESYS);
  }
  *out = (int)s;
  return FDPASS_OK;
}

static BOOL CALLBACK start_winsock(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
  WSADATA data;
  (void)once;
  (void)param;
  (void)ctx;
  return WSAStartup(MAKEWORD(2, 2), &data) == 0;
}

/* Winsock starts once per process, on first use, and stays: the caller's
 * own sockets need it anyway. This is the library's only global state. */
static int winsock(void)
{
  static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
  if (!InitOnceExecuteOnce(&once, start_winsock, NULL, NULL))
    return fdp_fail(FDPASS_ESYS);
  return FDPASS_OK;
}

/* Real kernel handles are positive; NULL, INVALID_HANDLE_VALUE and the
 * pseudo handles (current process, thread...) are not. */
static int is_real_handle(HANDLE h)
{
  return (intptr_t)h > 0;
}

static int check_stream(SOCKET s)
{
  int rc = winsock();
  if (rc != FDPASS_OK)
    return rc;
  int type = 0, size = sizeof type;
  if (getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &size) != 0) {
    /* Every socket has SO_TYPE; Wine refuses it with WSAEOPNOTSUPP for a
     * handle value that named a socket before. */
    int error = WSAGetLastError();
    rc = fdp_fail_os(error);
    return error == WSAEOPNOTSUPP ? FDPASS_ENOTSOCK : rc;
  }
  return type == SOCK_STREAM ? FDPASS_OK : fdp_fail(FDPASS_ENOTSUP);
}

int fdp_os_check_passable(int sock)
{
  return check_stream(to_socket(sock));
}

static int wait_socket(SOCKET s, int events, int timeout_ms)
{
  fd_set readable, writable, failed;
  FD_ZERO(&readable);
  FD_ZERO(&writable);
  FD_ZERO(&failed);
  if (events & FDPASS_READABLE)
    FD_SET(s, &readable);
  if (events & FDPASS_WRITABLE)
    FD_SET(s, &writable);
  FD_SET(s, &failed); /* a failed connection is ready too */
  struct timeval timeout = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  int n = select(0, &readable, &writable, &failed,
                 timeout_ms < 0 ? NULL : &timeout);
  if (n == SOCKET_ERROR)
    return fdp_fail_os(WSAGetLastError());
  return n == 0 ? fdp_fail(FDPASS_ETIMEDOUT) : FDPASS_OK;
}

int fdp_os_wait(int fd, int events, int timeout_ms)
{
  int rc = winsock();
  return rc != FDPASS_OK ? rc : wait_socket(to_socket(fd), events, timeout_ms);
}

/* FDPASS_EAGAIN unless `s` is ready for `events` now: Windows has no
 * per-call non-blocking flag, and a socket's mode cannot be queried. */
static int ready_now(SOCKET s, int events)
{
  int rc = wait_socket(s, events, 0);
  return rc == FDPASS_ETIMEDOUT ? fdp_fail(FDPASS_EAGAIN) : rc;
}

/* Send all `len` bytes, waiting whenever a non-blocking socket is full. */
static int send_all(SOCKET s, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0) {
    int n = send(s, p, len > INT_MAX ? INT_MAX : (int)len, 0);
    if (n == SOCKET_ERROR) {
      int error = WSAGetLastError();
      int rc = error == WSAEWOULDBLOCK ? wait_socket(s, FDPASS_WRITABLE, -1)
                                       : fdp_fail_os(error);
      if (rc != FDPASS_OK)
        return rc;
      continue;
    }
    p += n;
    len -= (size_t)n;
  }
  return FDPASS_OK;
}

/* Receive exactly `len` bytes into `buf` (or drop them when `buf` is
 * NULL), waiting whenever a non-blocking socket is empty. */
static int recv_all(SOCKET s, void *buf, size_t len)
{
  char scratch[4096];
  char *p = buf;
  while (len > 0) {
    size_t want = len;
    if (p == NULL && want > sizeof scratch)
      want = sizeof scratch;
    int n = recv(s, p ? p : scratch, want > INT_MAX ? INT_MAX : (int)want, 0);
    if (n == 0)
      return fdp_fail(FDPASS_ECLOSED);
    if (n == SOCKET_ERROR) {
      int error = WSAGetLastError();
      int rc = error == WSAEWOULDBLOCK ? wait_socket(s, FDPASS_READABLE, -1)
                                       : fdp_fail_os(error);
      if (rc != FDPASS_OK)
        return rc;
      continue;
    }
    if (p != NULL)
      p += n;
    len -= (size_t)n;
  }
  return FDPASS_OK;
}

static void put_word(unsigned char *at, DWORD value)
{
  memcpy(at, &value, WORD_SIZE);
}

static DWORD get_word(const unsigned char *at)
{
  DWORD value;
  memcpy(&value, at, WORD_SIZE);
  return value;
}

/* Send one message naming `copies` (handles of this process that the
 * receiver will take) with `len` bytes of `data`; `*sent` is the number of
 * data bytes it carried. A message goes out whole: with `nonblock` the
 * call fails with FDPASS_EAGAIN only before its first byte. */
static int send_frame(SOCKET s, const HANDLE *copies, size_t count,
                      const void *data, size_t len, int nonblock,
                      size_t *sent)
{
  unsigned char head[FRAME_HEAD_SIZE + FDPASS_MAX_FDS * sizeof(HANDLE)];
  DWORD pid = GetCurrentProcessId();
  int fdpass_form = count == 1 && len == 1 && *(const char *)data == 0;
  size_t size;
  if (fdpass_form) {
    put_word(head, pid);
    memcpy(head + WORD_SIZE, copies, sizeof(HANDLE));
    size = WORD_SIZE + sizeof(HANDLE);
  } else {
    if (len > MAXDWORD)
      len = MAXDWORD; /* the rest goes in the next frame */
    put_word(head, 0);
    put_word(head + WORD_SIZE, pid);
    put_word(head + 2 * WORD_SIZE, (DWORD)count);
    put_word(head + 3 * WORD_SIZE, (DWORD)len);
    memcpy(head + FRAME_HEAD_SIZE, copies, count * sizeof(HANDLE));
    size = FRAME_HEAD_SIZE + count * sizeof(HANDLE);
  }

  int rc = nonblock ? ready_now(s, FDPASS_WRITABLE) : FDPASS_OK;
  if (rc == FDPASS_OK)
    rc = send_all(s, head, size);
  if (rc == FDPASS_OK && !fdpass_form)
    rc = send_all(s, data, len);
  if (rc == FDPASS_OK)
    *sent = len;
  return rc;
}

/* Send `originals` (handles of this process, still owned by the caller)
 * with `data`: each goes as a duplicate that the receiver takes over, or
 * that is closed here again if the message does not go out. */
static int send_handles(SOCKET s, const HANDLE *originals, size_t count,
                        const void *data, size_t len, int nonblock,
                        size_t *sent)
{
  HANDLE self = GetCurrentProcess();
  HANDLE copies[FDPASS_MAX_FDS];
  size_t made = 0;
  int rc = FDPASS_OK;
  for (; made < count; made++) {
    if (!is_real_handle(originals[made])) {
      rc = fdp_fail(FDPASS_EBADF);
      break;
    }
    if (!DuplicateHandle(self, originals[made], self, &copies[made], 0, FALSE,
                         DUPLICATE_SAME_ACCESS)) {
      rc = fdp_fail_os(GetLastError());
      break;
    }
  }
  if (rc == FDPASS_OK)
    rc = send_frame(s, copies, count, data, len, nonblock, sent);
  if (rc != FDPASS_OK)
    while (made > 0)
      CloseHandle(copies[--made]);
  return rc;
}

int fdp_os_send(int sock, const void *data, size_t len, const int *fds,
                size_t nfds, int nonblock, size_t *sent)
{
  HANDLE originals[FDPASS_MAX_FDS];
  for (size_t i = 0; i < nfds; i++) {
    /* msvcrt.dll reports a bad descriptor as -1 (EBADF) and, unlike the
     * UCRT, never calls the invalid-parameter handler for it. */
    intptr_t handle = _get_osfhandle(fds[i]);
    if (handle == -1 || handle == -2)
      return fdp_fail(FDPASS_EBADF);
    originals[i] = (HANDLE)handle;
  }
  return send_handles(to_socket(sock), originals, nfds, data, len, nonblock,
                      sent);
}

/* Read one message: its data (up to `len` bytes into `buf`, the rest
 * dropped; `*total` is its full length) and the handles it names. With
 * `nonblock`, FDPASS_EAGAIN unless its first byte is there; once that
 * arrived the call waits for the rest. */
static int read_frame(SOCKET s, int nonblock, void *buf, size_t len,
                      struct frame *f, size_t *total)
{
  unsigned char head[FRAME_HEAD_SIZE];
  int rc = nonblock ? ready_now(s, FDPASS_READABLE) : FDPASS_OK;
  if (rc == FDPASS_OK)
    rc = recv_all(s, head, WORD_SIZE);
  if (rc != FDPASS_OK)
    return rc;

  f->pid = get_word(head);
  if (f->pid != 0) { /* IO::FDPass: one zero byte with one handle */
    f->count = 1;
    *(char *)buf = 0;
    *total = 1;
    return recv_all(s, f->handles, sizeof(HANDLE));
  }

  rc = recv_all(s, head + WORD_SIZE, FRAME_HEAD_SIZE - WORD_SIZE);
  if (rc != FDPASS_OK)
    return rc;
  f->pid = get_word(head + WORD_SIZE);
  f->count = get_word(head + 2 * WORD_SIZE);
  *total = get_word(head + 3 * WORD_SIZE);
  if (f->pid == 0 || f->count > FDPASS_MAX_FDS ||
      (f->count > 0 && *total == 0))
    return fdp_fail(FDPASS_ENOTSUP); /* the peer speaks another protocol */
  size_t kept = *total < len ? *total : len;
  rc = recv_all(s, f->handles, f->count * sizeof(HANDLE));
  if (rc == FDPASS_OK)
    rc = recv_all(s, buf, kept);
  if (rc == FDPASS_OK)
    rc = recv_all(s, NULL, *total - kept);
  return rc;
}

/* Why a handle could not be taken from `sender`: it exited (its handles
 * went with it), or the value names no open handle there. */
static int take_failed(HANDLE sender, DWORD error)
{
  DWORD exit_code;
  int rc = fdp_fail_os(error);
  if (GetExitCodeProcess(sender, &exit_code) && exit_code != STILL_ACTIVE)
    return FDPASS_ECLOSED;
  return rc;
}

/* Close `h` in `sender`. (Duplicating into this process and closing the
 * copy also works where a NULL target process does not, as in Wine.) */
static void close_in_sender(HANDLE sender, HANDLE h)
{
  HANDLE copy;
  if (DuplicateHandle(sender, h, GetCurrentProcess(), &copy, 0, FALSE,
                      DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE))
    CloseHandle(copy);
}

/* Move the handles `f` names out of its sender into this process: up to
 * `cap` into `handles`, every other one closed in the sender. On failure
 * nothing is kept, and the sender's remaining handles are closed. */
static int take_handles(const struct frame *f, HANDLE *handles, size_t cap,
                        int flags, struct fdp_received *got)
{
  if (f->count == 0)
    return FDPASS_OK;
  HANDLE sender = OpenProcess(PROCESS_DUP_HANDLE |
                                  PROCESS_QUERY_LIMITED_INFORMATION,
                              FALSE, f->pid);
  if (sender == NULL) {
    DWORD error = GetLastError();
    int rc = fdp_fail_os(error);
    /* No such process: the sender exited, and its handles with it. */
    return error == ERROR_INVALID_PARAMETER ? FDPASS_ECLOSED : rc;
  }

  BOOL inherit = (flags & FDPASS_NOCLOEXEC) != 0;
  int rc = FDPASS_OK;
  for (size_t i = 0; i < f->count; i++) {
    if (rc != FDPASS_OK || got->nfds >= cap) {
      close_in_sender(sender, f->handles[i]);
      if (rc == FDPASS_OK)
        got->fds_lost = 1;
    } else if (DuplicateHandle(sender, f->handles[i], GetCurrentProcess(),
                               &handles[got->nfds], 0, inherit,
                               DUPLICATE_SAME_ACCESS |
                                   DUPLICATE_CLOSE_SOURCE)) {
      got->nfds++;
    } else {
      rc = take_failed(sender, GetLastError());
    }
  }
  if (rc != FDPASS_OK)
    while (got->nfds > 0)
      CloseHandle(handles[--got->nfds]);
  CloseHandle(sender);
  return rc;
}

/* Receive one message, its handles moved into this process. */
static int recv_handles(SOCKET s, void *buf, size_t len, HANDLE *handles,
                        size_t cap, int flags, struct fdp_received *got)
{
  struct frame f;
  size_t total;
  int rc = read_frame(s, flags & FDPASS_NONBLOCK, buf, len, &f, &total);
  if (rc != FDPASS_OK)
    return rc;
  got->len = total < len ? total : len;
  got->data_lost = total > len;
  got->nfds = 0;
  got->fds_lost = 0;
  return take_handles(&f, handles, cap, flags, got);
}

int fdp_os_recv(int sock, void *buf, size_t len, int *fds, size_t cap,
                int flags, struct fdp_received *got)
{
  HANDLE handles[FDPASS_MAX_FDS];
  int rc = recv_handles(to_socket(sock), buf, len, handles, cap, flags, got);
  if (rc != FDPASS_OK)
    return rc;
  int mode = _O_BINARY | ((flags & FDPASS_NOCLOEXEC) ? 0 : _O_NOINHERIT);
  size_t count = got->nfds;
  got->nfds = 0;
  for (size_t i = 0; i < count; i++) {
    int fd = _open_osfhandle((intptr_t)handles[i], mode);
    if (fd < 0) { /* no free descriptor */
      CloseHandle(handles[i]);
      got->fds_lost = 1;
    } else {
      fds[got->nfds++] = fd;
    }
  }
  return FDPASS_OK;
}

int fdp_os_send_handles(int sock, const void *data, size_t len,
                        void *const *handles, size_t count, size_t *sent)
{
  return send_handles(to_socket(sock), (const HANDLE *)handles, count, data,
                      len, 0, sent);
}

int fdp_os_recv_handles(int sock, void *buf, size_t len, void **handles,
                        size_t cap, struct fdp_received *got)
{
  return recv_handles(to_socket(sock), buf, len, (HANDLE *)handles, cap, 0,
                      got);
}

void fdp_os_close_handle(void *handle)
{
  CloseHandle(handle);
}

int fdp_os_lost_fds_cause(int sock)
{
  (void)sock;
  /* fdp_os_recv loses handles only when _open_osfhandle finds no free
   * C runtime descriptor. */
  return ERROR_TOO_MANY_OPEN_FILES;
}

long long fdp_os_now_ms(void)
{
  return (long long)GetTickCount64();
}

int fdp_os_set_cloexec(int fd)
{
  intptr_t handle = _get_osfhandle(fd);
  if (handle == -1 || handle == -2)
    return fdp_fail(FDPASS_EBADF);
  if (!SetHandleInformation((HANDLE)handle, HANDLE_FLAG_INHERIT, 0))
    return fdp_fail_os(GetLastError());
  return FDPASS_OK;
}

int fdp_os_close(int fd)
{
  if (_close(fd) == 0)
    return FDPASS_OK;
  return errno == EBADF ? fdp_fail(FDPASS_EBADF) : fdp_fail_os(_doserrno);
}

/* A new loopback TCP socket that child processes do not inherit. */
static int tcp_socket(SOCKET *s)
{
  *s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                  WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  return *s == INVALID_SOCKET ? fdp_fail_os(WSAGetLastError()) : FDPASS_OK;
}

static int same_address(const struct sockaddr_in *x,
                        const struct sockaddr_in *y)
{
  return x->sin_port == y->sin_port &&
         x->sin_addr.s_addr == y->sin_addr.s_addr;
}

/* Connect `*a` and `*b` through a listener on 127.0.0.1; a stranger who
 * connects to the listener first is turned away. */
static int connect_pair(SOCKET listener, SOCKET *a, SOCKET *b)
{
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct sockaddr_in mine, peer;
  int size = sizeof address;
  if (bind(listener, (struct sockaddr *)&address, size) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &size) != 0 ||
      connect(*a, (struct sockaddr *)&address, sizeof address) != 0 ||
      getsockname(*a, (struct sockaddr *)&mine, &(int){sizeof mine}) != 0)
    return fdp_fail_os(WSAGetLastError());
  for (;;) {
    *b = accept(listener, (struct sockaddr *)&peer, &(int){sizeof peer});
    if (*b == INVALID_SOCKET)
      return fdp_fail_os(WSAGetLastError());
    if (same_address(&peer, &mine))
      break;
    closesocket(*b);
  }
  SetHandleInformation((HANDLE)*b, HANDLE_FLAG_INHERIT, 0);
  return FDPASS_OK;
}

int fdp_os_socketpair(int *a, int *b)
{
  int rc = winsock();
  if (rc != FDPASS_OK)
    return rc;
  SOCKET listener, x, y = INVALID_SOCKET;
  if ((rc = tcp_socket(&listener)) != FDPASS_OK)
    return rc;
  if ((rc = tcp_socket(&x)) == FDPASS_OK) {
    rc = connect_pair(listener, &x, &y);
    if (rc != FDPASS_OK)
      closesocket(x);
  }
  closesocket(listener);
  if (rc != FDPASS_OK)
    return rc;
  rc = socket_to_int(x, a);
  if (rc != FDPASS_OK) {
    closesocket(y);
    return rc;
  }
  rc = socket_to_int(y, b);
  if (rc != FDPASS_OK)
    closesocket(x);
  return rc;
}

int fdp_os_accept(int listener, int *sock)
{
  int rc = winsock();
  if (rc != FDPASS_OK)
    return rc;
  for (;;) {
    SOCKET s = accept(to_socket(listener), NULL, NULL);
    if (s != INVALID_SOCKET) {
      SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
      return socket_to_int(s, sock);
    }
    /* A connection that was reset before it was accepted is not ours. */
    int error = WSAGetLastError();
    if (error != WSAECONNRESET)
      return fdp_fail_os(error);
  }
}

/* Sockets at paths (AF_UNIX) are not supported on Windows, and TCP peers
 * have no credentials. */
int fdp_os_listen(const char *path, int mode, int *listener)
{
  (void)path;
  (void)mode;
  (void)listener;
  return fdp_fail(FDPASS_ENOTSUP);
}

int fdp_os_connect(const char *path, int *sock)
{
  (void)path;
  (void)sock;
  return fdp_fail(FDPASS_ENOTSUP);
}

int fdp_os_peer_credentials(int sock, int64_t *pid, int64_t *uid,
                            int64_t *gid)
{
  (void)sock;
  (void)pid;
  (void)uid;
  (void)gid;
  return fdp_fail(FDPASS_ENOTSUP);
}

int fdp_code_from_os(int os_error)
{
  switch (os_error) {
  case ERROR_INVALID_PARAMETER:
  case WSAEINVAL:
    return FDPASS_EINVAL;
  case ERROR_INVALID_HANDLE:
  case WSAEBADF:
    return FDPASS_EBADF;
  case WSAENOTSOCK:
  case WSANOTINITIALISED:
    return FDPASS_ENOTSOCK;
  case ERROR_NOT_SUPPORTED:
  case WSAEOPNOTSUPP:
  case WSAEAFNOSUPPORT:
  case WSAEPROTONOSUPPORT:
  case WSAEPROTOTYPE:
    return FDPASS_ENOTSUP;
  case WSAEWOULDBLOCK: return FDPASS_EAGAIN;
  case WSAETIMEDOUT: return FDPASS_ETIMEDOUT;
  case ERROR_BROKEN_PIPE:
  case ERROR_NO_DATA:
  case WSAECONNRESET:
  case WSAECONNABORTED:
  case WSAENETRESET:
  case WSAENOTCONN:
  case WSAESHUTDOWN:
    return FDPASS_ECLOSED;
  case ERROR_TOO_MANY_OPEN_FILES:
  case WSAEMFILE:
    return FDPASS_EMFILE;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_NO_SYSTEM_RESOURCES:
  case WSAENOBUFS:
    return FDPASS_ENOMEM;
  case ERROR_ACCESS_DENIED:
  case WSAEACCES:
    return FDPASS_EACCES;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
    return FDPASS_ENOENT;
  case WSAEADDRINUSE: return FDPASS_EADDRINUSE;
  case WSAECONNREFUSED: return FDPASS_ECONNREFUSED;
  case ERROR_FILENAME_EXCED_RANGE:
  case WSAENAMETOOLONG:
    return FDPASS_ENAMETOOLONG;
  default: return FDPASS_ESYS;
  }
}
