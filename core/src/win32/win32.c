/* SPDX-License-Identifier: MIT */
/*
 * win32.c - the platform layer (platform.h) for native Windows: the
 * handles a message names, C runtime descriptors, errors, and the choice
 * between a named pipe (pipe.c) and a socket (socket.c) for `sock`.
 *
 * Windows has no SCM_RIGHTS. The sender duplicates each handle into itself
 * and writes its process id and the duplicates' values; the receiver opens
 * the sender with PROCESS_DUP_HANDLE and moves each handle into itself
 * with DUPLICATE_CLOSE_SOURCE, which also closes the sender's duplicate
 * (docs/windows.md). The receiver takes handles only from the process at
 * the other end, as the kernel names it over a named pipe and the TCP
 * table over TCP, and only with the sender's proof that it wrote the
 * message (struct proof); a TCP peer the table does not name must give
 * the proof, and IO::FDPass's form, which has none, is then refused.
 */
#include "internal.h"
#include "platform.h"
#include "win32.h"

#include <ntsecapi.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>

/* `sock` as what it is: a pipe end or (anything else) a socket. */
struct channel {
  HANDLE h;
  int pipe;
};

static struct channel channel_of(int sock)
{
  struct channel c = {int_to_handle(sock), 0};
  int server_end, message;
  c.pipe = fdp_win_pipe_kind(c.h, &server_end, &message);
  return c;
}

/* Real kernel handles are positive and have 32 significant bits;
 * NULL, INVALID_HANDLE_VALUE and the pseudo handles (current process,
 * thread, token...) are not. */
static int is_real_handle(HANDLE h)
{
  return (intptr_t)h > 0 && (intptr_t)h == (int32_t)(intptr_t)h;
}

/* What a proof's section holds: the nonce, the count and the handle
 * values of its message, as 64-bit words. */
#define PROOF_MAX (NONCE_SIZE + 4 + FDPASS_MAX_FDS * 8)

static size_t proof_content(const unsigned char *nonce, const HANDLE *handles,
                            size_t count, unsigned char *out)
{
  uint32_t n = (uint32_t)count;
  memcpy(out, nonce, NONCE_SIZE);
  memcpy(out + NONCE_SIZE, &n, 4);
  for (size_t i = 0; i < count; i++) {
    uint64_t value = (uint64_t)(int64_t)(intptr_t)handles[i];
    memcpy(out + NONCE_SIZE + 4 + i * 8, &value, 8);
  }
  return NONCE_SIZE + 4 + count * 8;
}

/* The proof for a message of `copies`: a new nonce, and a section of this
 * process that holds it with the values. */
static int make_proof(const HANDLE *copies, size_t count, struct proof *p)
{
  unsigned char content[PROOF_MAX];
  if (!RtlGenRandom(p->nonce, NONCE_SIZE))
    return fdp_fail_os(GetLastError());
  size_t size = proof_content(p->nonce, copies, count, content);
  p->section = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE,
                                  0, (DWORD)size, NULL);
  if (p->section == NULL)
    return fdp_fail_os(GetLastError());
  void *view = MapViewOfFile(p->section, FILE_MAP_WRITE, 0, 0, size);
  if (view == NULL) {
    int rc = fdp_fail_os(GetLastError());
    CloseHandle(p->section);
    return rc;
  }
  memcpy(view, content, size);
  UnmapViewOfFile(view);
  return FDPASS_OK;
}

/* 1 when `sender` holds the proof that `f` names: a section with the
 * frame's nonce and values. Looked at through a copy, so that a forger
 * that names some other handle of the sender makes nothing close. */
static int proof_holds(HANDLE sender, const struct frame *f)
{
  unsigned char expected[PROOF_MAX];
  HANDLE section;
  if (!DuplicateHandle(sender, f->proof.section, GetCurrentProcess(),
                       &section, 0, FALSE, DUPLICATE_SAME_ACCESS))
    return 0;
  size_t size = proof_content(f->proof.nonce, f->handles, f->count,
                              expected);
  const void *view = MapViewOfFile(section, FILE_MAP_READ, 0, 0, size);
  /* Read through ReadProcessMemory, which fails where a plain read would
   * fault: a forger's section may have pages never committed
   * (SEC_RESERVE). */
  unsigned char seen[PROOF_MAX];
  SIZE_T got = 0;
  int holds = view != NULL &&
              ReadProcessMemory(GetCurrentProcess(), view, seen, size, &got) &&
              got == size && memcmp(seen, expected, size) == 0;
  if (view != NULL)
    UnmapViewOfFile(view);
  CloseHandle(section);
  return holds;
}

static int check_channel(struct channel c)
{
  return c.pipe ? fdp_pipe_check(c.h) : fdp_tcp_check((SOCKET)c.h);
}

int fdp_os_check_passable(int sock)
{
  return check_channel(channel_of(sock));
}

int fdp_os_wait(int fd, int events, int timeout_ms)
{
  struct channel c = channel_of(fd);
  if (c.pipe)
    return fdp_pipe_wait(c.h, events, timeout_ms);
  int rc = fdp_win_winsock();
  return rc != FDPASS_OK ? rc
                         : fdp_tcp_wait((SOCKET)c.h, events, timeout_ms);
}

/* Send `originals` (handles of this process, still owned by the caller)
 * with `data`: each goes as a duplicate that the receiver takes over, or
 * that is closed here again if the message does not go out. */
static int send_handles(struct channel c, const HANDLE *originals,
                        size_t count, const void *data, size_t len,
                        int nonblock, size_t *sent)
{
  HANDLE self = GetCurrentProcess();
  HANDLE copies[FDPASS_MAX_FDS];
  struct proof proof = {NULL, {0}};
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
  /* A frame carries the proof that this process wrote it; IO::FDPass's
   * form over TCP has no room for one. */
  if (rc == FDPASS_OK && count > 0 &&
      (c.pipe || !fdp_tcp_fdpass_form(count, data, len)))
    rc = make_proof(copies, count, &proof);
  if (rc == FDPASS_OK)
    rc = c.pipe ? fdp_pipe_send_frame(c.h, copies, count, &proof, data, len,
                                      nonblock, sent)
                : fdp_tcp_send_frame((SOCKET)c.h, copies, count, &proof, data,
                                     len, nonblock, sent);
  if (rc != FDPASS_OK) {
    while (made > 0)
      CloseHandle(copies[--made]);
    if (proof.section != NULL)
      CloseHandle(proof.section);
  }
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
  return send_handles(channel_of(sock), originals, nfds, data, len, nonblock,
                      sent);
}

static int has_exited(HANDLE process)
{
  DWORD exit_code;
  return GetExitCodeProcess(process, &exit_code) && exit_code != STILL_ACTIVE;
}

/* Why a handle could not be taken from `sender`: it exited (its handles
 * went with it), or the value names no open handle there. */
static int take_failed(HANDLE sender, DWORD error)
{
  int rc = fdp_fail_os(error);
  return has_exited(sender) ? FDPASS_ECLOSED : rc;
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

static DWORD peer_pid(struct channel c)
{
  return c.pipe ? fdp_pipe_peer_pid(c.h) : fdp_tcp_peer_pid((SOCKET)c.h);
}

/* FDPASS_OK when the process the message names may be the one at the
 * other end of `c`: the kernel's word for a pipe, the TCP table's for a
 * socket where it tells. Where it does not (0), only a frame, whose proof
 * take_handles checks, may name a sender: IO::FDPass's form is refused. */
static int check_sender(struct channel c, const struct frame *f)
{
  DWORD peer = peer_pid(c);
  if (peer != 0 ? f->pid != peer : !f->framed)
    return fdp_fail(FDPASS_EACCES);
  return FDPASS_OK;
}

/* Move the handles `f` names out of its sender into this process: up to
 * `cap` into `handles`, every other one closed in the sender. On failure
 * nothing is kept, and the sender's remaining handles are closed. */
static int take_handles(const struct frame *f, HANDLE *handles, size_t cap,
                        int flags, struct fdp_received *got)
{
  /* This process through its pseudo handle (closing it does nothing):
   * Wine treats a real handle to oneself as another process. */
  HANDLE sender = f->pid == GetCurrentProcessId()
                      ? GetCurrentProcess()
                      : OpenProcess(PROCESS_DUP_HANDLE |
                                        PROCESS_QUERY_LIMITED_INFORMATION,
                                    FALSE, f->pid);
  if (sender == NULL) {
    DWORD error = GetLastError();
    int rc = fdp_fail_os(error);
    /* No such process: the sender exited, and its handles with it. */
    return error == ERROR_INVALID_PARAMETER ? FDPASS_ECLOSED : rc;
  }

  /* A frame without its sender's proof was written by someone else (a
   * process that inherited the sender's pipe end, say): nothing is taken
   * and nothing closed. */
  if (f->framed && !proof_holds(sender, f)) {
    int rc = has_exited(sender) ? fdp_fail(FDPASS_ECLOSED)
                                : fdp_fail(FDPASS_EACCES);
    CloseHandle(sender);
    return rc;
  }
  if (f->framed)
    close_in_sender(sender, f->proof.section);
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

/* Under Wine a handle moves out of another process (DUPLICATE_CLOSE_SOURCE)
 * by a call that the sender runs, and the mover waits for it without
 * bound: a sender that is stopped would hold the receiver for good. So
 * take_handles runs in a helper thread, waited for MOVE_WAIT_MS at most
 * (FDPASS_ETIMEDOUT, the message consumed); a helper left behind closes
 * what it took when it ends, when the sender runs again or exits. Windows
 * needs no help from the sender: there the helper never waits. */
#define MOVE_WAIT_MS 5000

enum { MOVING, MOVED, ABANDONED };

/* Shared by the receiver and its helper; the helper frees it if the
 * receiver gave up on it. */
struct move {
  volatile LONG state;
  HANDLE done; /* set by the helper when MOVED */
  struct frame f;
  size_t cap;
  int flags, rc, os_error;
  struct fdp_received got;
  HANDLE handles[FDPASS_MAX_FDS];
};

static DWORD WINAPI move_handles(void *arg)
{
  struct move *m = arg;
  m->rc = take_handles(&m->f, m->handles, m->cap, m->flags, &m->got);
  m->os_error = fdpass_os_error();
  if (InterlockedCompareExchange(&m->state, MOVED, MOVING) == ABANDONED) {
    while (m->got.nfds > 0)
      CloseHandle(m->handles[--m->got.nfds]);
    CloseHandle(m->done);
    HeapFree(GetProcessHeap(), 0, m);
    return 0;
  }
  SetEvent(m->done); /* the receiver may free `m` from here on */
  return 0;
}

static int take_handles_bounded(const struct frame *f, HANDLE *handles,
                                size_t cap, int flags,
                                struct fdp_received *got)
{
  struct move *m = HeapAlloc(GetProcessHeap(), 0, sizeof *m);
  if (m == NULL)
    return fdp_fail(FDPASS_ENOMEM);
  m->state = MOVING;
  m->f = *f;
  m->cap = cap;
  m->flags = flags;
  m->got = *got;
  m->done = CreateEventW(NULL, TRUE, FALSE, NULL);
  HANDLE helper = NULL;
  if (m->done != NULL)
    helper = CreateThread(NULL, 256 * 1024, move_handles, m,
                          STACK_SIZE_PARAM_IS_A_RESERVATION, NULL);
  if (helper == NULL) {
    int rc = fdp_fail_os(GetLastError());
    if (m->done != NULL)
      CloseHandle(m->done);
    HeapFree(GetProcessHeap(), 0, m);
    return rc;
  }
  CloseHandle(helper);
  if (WaitForSingleObject(m->done, MOVE_WAIT_MS) != WAIT_OBJECT_0 &&
      InterlockedCompareExchange(&m->state, ABANDONED, MOVING) == MOVING)
    return fdp_fail(FDPASS_ETIMEDOUT); /* the helper owns `m` now */
  /* MOVED: its event is set, or about to be. */
  WaitForSingleObject(m->done, INFINITE);
  *got = m->got;
  memcpy(handles, m->handles, got->nfds * sizeof *handles);
  int rc = m->rc == FDPASS_OK ? FDPASS_OK : fdp_fail_with(m->rc, m->os_error);
  CloseHandle(m->done);
  HeapFree(GetProcessHeap(), 0, m);
  return rc;
}

/* Receive one message, its handles moved into this process. */
static int recv_handles(struct channel c, void *buf, size_t len,
                        HANDLE *handles, size_t cap, int flags,
                        struct fdp_received *got)
{
  struct frame f;
  size_t total;
  int nonblock = flags & FDPASS_NONBLOCK;
  int rc = c.pipe
               ? fdp_pipe_read_frame(c.h, nonblock, buf, len, &f, &total)
               : fdp_tcp_read_frame((SOCKET)c.h, nonblock, buf, len, &f,
                                    &total);
  if (rc != FDPASS_OK)
    return rc;
  got->len = total < len ? total : len;
  got->data_lost = total > len;
  got->nfds = 0;
  got->fds_lost = 0;
  if (f.count == 0)
    return FDPASS_OK;
  /* A pseudo handle would be the sender's own process, thread or token;
   * the send side never writes one, nor NULL. */
  for (size_t i = 0; i < f.count; i++)
    if (!is_real_handle(f.handles[i]))
      return fdp_fail(FDPASS_EPROTO);
  if (f.framed && !is_real_handle(f.proof.section))
    return fdp_fail(FDPASS_EACCES);
  rc = check_sender(c, &f);
  return rc != FDPASS_OK ? rc
                         : take_handles_bounded(&f, handles, cap, flags, got);
}

int fdp_os_recv(int sock, void *buf, size_t len, int *fds, size_t cap,
                int flags, struct fdp_received *got)
{
  HANDLE handles[FDPASS_MAX_FDS];
  int rc = recv_handles(channel_of(sock), buf, len, handles, cap, flags, got);
  if (rc != FDPASS_OK)
    return rc;
  int mode = _O_BINARY | ((flags & FDPASS_NOCLOEXEC) ? 0 : _O_NOINHERIT);
  size_t count = got->nfds;
  got->nfds = 0;
  /* A handle that is no file, pipe or socket (an event, a process) has no
   * C runtime descriptor: FDPASS_EBADF, the message's handles closed. */
  for (size_t i = 0; i < count; i++) {
    DWORD error = GetFileType(handles[i]) == FILE_TYPE_UNKNOWN
                      ? GetLastError()
                      : NO_ERROR;
    if (error != NO_ERROR) {
      while (count > 0)
        CloseHandle(handles[--count]);
      return fdp_fail_with(FDPASS_EBADF, (int)error);
    }
  }
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
  return send_handles(channel_of(sock), (const HANDLE *)handles, count, data,
                      len, 0, sent);
}

int fdp_os_recv_handles(int sock, void *buf, size_t len, void **handles,
                        size_t cap, struct fdp_received *got)
{
  return recv_handles(channel_of(sock), buf, len, (HANDLE *)handles, cap, 0,
                      got);
}

/* A socket travels as a message of SOCKET_TAG with the socket's own
 * handle, which the receiver takes as any handle (so with the sender's
 * proof), and from which it makes its own SOCKET with WSADuplicateSocketW
 * and WSASocketW. No blob comes from the peer: a blob names handle values
 * in the receiver, and one that names the receiver's own socket (a value
 * it already holds) would be handed back to be closed by the caller. */
static const char SOCKET_TAG[] = "fdpass-socket";

int fdp_os_send_socket(int sock, uintptr_t s)
{
  struct channel c = channel_of(sock);
  int rc = check_channel(c);
  if (rc != FDPASS_OK)
    return rc;
  int type, size = sizeof type;
  if (getsockopt((SOCKET)s, SOL_SOCKET, SO_TYPE, (char *)&type, &size) != 0)
    return fdp_fail_with(FDPASS_EBADF, WSAGetLastError());
  HANDLE handle = (HANDLE)s;
  size_t sent;
  return send_handles(c, &handle, 1, SOCKET_TAG, sizeof SOCKET_TAG, 0,
                      &sent);
}

/* A new SOCKET of this process, made by Winsock from `sent` (a handle to
 * a socket, just taken from the sender): a value nobody here held. */
static int import_socket(HANDLE sent, uintptr_t *s)
{
  WSAPROTOCOL_INFOW info;
  if (WSADuplicateSocketW((SOCKET)sent, GetCurrentProcessId(), &info) != 0) {
    int error = WSAGetLastError();
    int rc = fdp_fail_os(error);
    CloseHandle(sent);
    /* Not a socket (Wine says WSAEOPNOTSUPP), or one of a provider that
     * Winsock cannot duplicate from a plain handle. */
    return error == WSAENOTSOCK || error == WSAEOPNOTSUPP
               ? fdp_fail_with(FDPASS_EPROTO, error)
               : rc;
  }
  SOCKET made = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO,
                           FROM_PROTOCOL_INFO, &info, 0,
                           WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  int rc = made == INVALID_SOCKET ? fdp_fail_os(WSAGetLastError())
                                  : FDPASS_OK;
  /* Winsock on Windows adopted `sent` (closesocket frees what it keeps);
   * Wine's knows only sockets it made (closesocket fails). */
  if (closesocket((SOCKET)sent) != 0)
    CloseHandle(sent);
  if (rc == FDPASS_OK)
    *s = (uintptr_t)made;
  return rc;
}

int fdp_os_recv_socket(int sock, uintptr_t *s)
{
  char message[sizeof SOCKET_TAG];
  HANDLE sent = NULL;
  struct fdp_received got;
  int rc = recv_handles(channel_of(sock), message, sizeof message, &sent, 1,
                        0, &got);
  if (rc != FDPASS_OK)
    return rc;
  if (got.nfds == 0)
    rc = fdp_fail(FDPASS_ENOFD);
  else if (got.fds_lost || got.data_lost)
    rc = fdp_fail(FDPASS_ETRUNC); /* the sender's handles are closed */
  else if (got.len != sizeof message ||
           memcmp(message, SOCKET_TAG, sizeof SOCKET_TAG) != 0)
    rc = fdp_fail(FDPASS_ENOFD);
  if (rc != FDPASS_OK) {
    if (got.nfds > 0)
      CloseHandle(sent);
    return rc;
  }
  return import_socket(sent, s);
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

/* fdpass_socketpair: a named pipe pair; fdpass_socketpair_tcp (handles.c)
 * gives the loopback TCP pair. */
int fdp_os_socketpair(int *a, int *b)
{
  return fdp_pipe_pair(a, b);
}

static void close_socket(HANDLE h)
{
  closesocket((SOCKET)h);
}

int fdp_os_socketpair_tcp(int *a, int *b)
{
  SOCKET x, y;
  int rc = fdp_tcp_pair(&x, &y);
  if (rc != FDPASS_OK)
    return rc;
  rc = fdp_win_handle_to_int((HANDLE)x, a, close_socket);
  if (rc != FDPASS_OK) {
    closesocket(y);
    return rc;
  }
  rc = fdp_win_handle_to_int((HANDLE)y, b, close_socket);
  if (rc != FDPASS_OK)
    closesocket(x);
  return rc;
}

int fdp_os_accept(int listener, int *sock)
{
  struct channel c = channel_of(listener);
  return c.pipe ? fdp_pipe_accept(c.h, sock)
                : fdp_tcp_accept((SOCKET)c.h, sock);
}

int fdp_os_listen(const char *path, int mode, int *listener)
{
  return fdp_pipe_listen(path, mode, listener);
}

int fdp_os_connect(const char *path, int *sock)
{
  return fdp_pipe_connect(path, sock);
}

/* The peer's process id; Windows has no uid or gid to give (a SID is no
 * number), so they are unknown (-1), as is a pid the OS does not tell. */
int fdp_os_peer_credentials(int sock, int64_t *pid, int64_t *uid,
                            int64_t *gid)
{
  struct channel c = channel_of(sock);
  DWORD peer = c.pipe ? fdp_pipe_peer_pid(c.h) : fdp_tcp_peer_pid((SOCKET)c.h);
  *pid = peer != 0 ? (int64_t)peer : -1;
  *uid = -1;
  *gid = -1;
  return FDPASS_OK;
}

int fdp_code_from_os(int os_error)
{
  switch (os_error) {
  case ERROR_INVALID_PARAMETER:
  case ERROR_INVALID_NAME:
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
  case ERROR_PIPE_NOT_CONNECTED:
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
