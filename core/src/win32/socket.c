/* SPDX-License-Identifier: MIT */
/*
 * socket.c - IO::FDPass's Win32 protocol over a stream socket (loopback
 * TCP), the loopback TCP pair, accept, and the owner of a TCP connection.
 *
 *   IO::FDPass:  DWORD pid (non-zero) | HANDLE
 *   frame:       DWORD 0 | DWORD pid | DWORD count | DWORD length |
 *                HANDLE proof | 16 bytes nonce | count x HANDLE |
 *                length data bytes
 *
 * Words are in the machine's byte order, HANDLEs pointer-sized, as
 * IO::FDPass writes them. The receiver reads a sender's HANDLEs at the
 * sender's width (handle_size_of), so that a 32-bit and a 64-bit process
 * pair instead of one waiting for bytes that never come; named pipes
 * (pipe.c) have fixed widths.
 */
#include "internal.h"
#include "win32.h"

#include <iphlpapi.h>
#include <ws2tcpip.h>

#include <limits.h>
#include <string.h>

#define WORD_SIZE sizeof(DWORD)
#define FRAME_HEAD_SIZE (4 * WORD_SIZE)

int fdp_tcp_check(SOCKET s)
{
  int rc = fdp_win_winsock();
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

int fdp_tcp_wait(SOCKET s, int events, int timeout_ms)
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

/* FDPASS_EAGAIN unless `s` is ready for `events` now: Windows has no
 * per-call non-blocking flag, and a socket's mode cannot be queried. */
static int ready_now(SOCKET s, int events)
{
  int rc = fdp_tcp_wait(s, events, 0);
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
      int rc = error == WSAEWOULDBLOCK ? fdp_tcp_wait(s, FDPASS_WRITABLE, -1)
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
      int rc = error == WSAEWOULDBLOCK ? fdp_tcp_wait(s, FDPASS_READABLE, -1)
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

/* Most bytes of a frame that FDPASS_NONBLOCK sends at once (the rest of
 * the data is left for the next call: a short *len). Windows takes a
 * whole send into a socket that is writable; Wine hands it to a Unix
 * socket, which then has room for a third of its buffer (at least 16 KiB
 * on loopback), so that this much never waits there either. */
#define NONBLOCK_FRAME 4096

int fdp_tcp_fdpass_form(size_t count, const void *data, size_t len)
{
  return count == 1 && len == 1 && *(const char *)data == 0;
}

int fdp_tcp_send_frame(SOCKET s, const HANDLE *copies, size_t count,
                       const struct proof *proof, const void *data,
                       size_t len, int nonblock, size_t *sent)
{
  unsigned char head[FRAME_HEAD_SIZE + sizeof(HANDLE) + NONCE_SIZE +
                     FDPASS_MAX_FDS * sizeof(HANDLE)];
  DWORD pid = GetCurrentProcessId();
  int fdpass_form = fdp_tcp_fdpass_form(count, data, len);
  size_t size;
  if (fdpass_form) {
    fdp_win_put_word(head, pid);
    memcpy(head + WORD_SIZE, copies, sizeof(HANDLE));
    size = WORD_SIZE + sizeof(HANDLE);
  } else {
    if (len > MAXDWORD)
      len = MAXDWORD; /* the rest goes in the next frame */
    size_t head_size = FRAME_HEAD_SIZE + sizeof(HANDLE) + NONCE_SIZE +
                       count * sizeof(HANDLE);
    if (nonblock && head_size + len > NONBLOCK_FRAME)
      len = NONBLOCK_FRAME > head_size ? NONBLOCK_FRAME - head_size : 1;
    fdp_win_put_word(head, 0);
    fdp_win_put_word(head + WORD_SIZE, pid);
    fdp_win_put_word(head + 2 * WORD_SIZE, (DWORD)count);
    fdp_win_put_word(head + 3 * WORD_SIZE, (DWORD)len);
    size = FRAME_HEAD_SIZE;
    memcpy(head + size, &proof->section, sizeof(HANDLE));
    size += sizeof(HANDLE);
    memcpy(head + size, proof->nonce, NONCE_SIZE);
    size += NONCE_SIZE;
    memcpy(head + size, copies, count * sizeof(HANDLE));
    size += count * sizeof(HANDLE);
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

/* How wide the HANDLEs are that process `pid` writes: native, so 4 bytes
 * from a 32-bit (WOW64) process and 8 from a 64-bit one on 64-bit
 * Windows. Our own width when the process cannot be asked. */
static size_t handle_size_of(DWORD pid)
{
  BOOL self_wow64 = FALSE, other_wow64 = FALSE;
  HANDLE other = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (other == NULL)
    return sizeof(HANDLE);
  BOOL known = IsWow64Process(other, &other_wow64) &&
               IsWow64Process(GetCurrentProcess(), &self_wow64);
  CloseHandle(other);
  if (!known)
    return sizeof(HANDLE);
  if (sizeof(HANDLE) == 8) /* 64-bit Windows */
    return other_wow64 ? 4 : 8;
  return self_wow64 && !other_wow64 ? 8 : 4;
}

/* Read `count` HANDLE values `size` bytes wide into `handles`. Handles
 * have 32 significant bits (fdpass.h): a wider value is no handle. */
static int recv_handle_values(SOCKET s, size_t size, HANDLE *handles,
                              size_t count)
{
  if (size == sizeof(HANDLE))
    return recv_all(s, handles, count * sizeof(HANDLE));
  unsigned char values[FDPASS_MAX_FDS * 8];
  int rc = recv_all(s, values, count * size);
  for (size_t i = 0; rc == FDPASS_OK && i < count; i++) {
    int64_t value;
    if (size == 4) {
      int32_t narrow;
      memcpy(&narrow, values + i * 4, 4);
      value = narrow;
    } else {
      memcpy(&value, values + i * 8, 8);
    }
    if (value != (int32_t)value)
      rc = fdp_fail(FDPASS_EPROTO);
    handles[i] = (HANDLE)(intptr_t)value;
  }
  return rc;
}

/* How many bytes the next message takes on the wire, from what has
 * arrived of it (peeked, `have` bytes); 0 while its head is incomplete. */
static size_t message_size(const unsigned char *peeked, size_t have)
{
  if (have < WORD_SIZE)
    return 0;
  DWORD pid = fdp_win_get_word(peeked);
  if (pid != 0)
    return WORD_SIZE + handle_size_of(pid);
  if (have < FRAME_HEAD_SIZE)
    return 0;
  DWORD count = fdp_win_get_word(peeked + 2 * WORD_SIZE);
  if (count > FDPASS_MAX_FDS)
    return FRAME_HEAD_SIZE; /* read_frame reports it */
  pid = fdp_win_get_word(peeked + WORD_SIZE);
  return FRAME_HEAD_SIZE + (1 + count) * handle_size_of(pid) + NONCE_SIZE +
         fdp_win_get_word(peeked + 3 * WORD_SIZE);
}

/* Most bytes of a message that FDPASS_NONBLOCK waits to see queued before
 * it takes the message: the whole of any message up to this size, which
 * any socket buffer holds. Of a longer one this much, then the rest is
 * read as the sender writes it. */
#define NONBLOCK_WHOLE (64 * 1024)

/* FDPASS_EAGAIN, consuming nothing, until the next message has arrived
 * (all of it, or NONBLOCK_WHOLE bytes of a longer one): a peer that
 * stalls mid-message never blocks a non-blocking receive. */
static int message_arrived(SOCKET s)
{
  unsigned char peeked[FRAME_HEAD_SIZE];
  int rc = ready_now(s, FDPASS_READABLE);
  if (rc != FDPASS_OK)
    return rc;
  int n = recv(s, (char *)peeked, sizeof peeked, MSG_PEEK);
  if (n == SOCKET_ERROR) {
    int error = WSAGetLastError();
    return error == WSAEWOULDBLOCK ? fdp_fail(FDPASS_EAGAIN)
                                   : fdp_fail_os(error);
  }
  if (n == 0)
    return FDPASS_OK; /* the end: the read reports it */
  size_t need = message_size(peeked, (size_t)n);
  u_long queued = 0;
  if (ioctlsocket(s, FIONREAD, &queued) != 0)
    return fdp_fail_os(WSAGetLastError());
  if (need > NONBLOCK_WHOLE)
    need = NONBLOCK_WHOLE;
  return need > 0 && queued >= need ? FDPASS_OK : fdp_fail(FDPASS_EAGAIN);
}

int fdp_tcp_read_frame(SOCKET s, int nonblock, void *buf, size_t len,
                       struct frame *f, size_t *total)
{
  unsigned char head[FRAME_HEAD_SIZE];
  int rc = nonblock ? message_arrived(s) : FDPASS_OK;
  if (rc == FDPASS_OK)
    rc = recv_all(s, head, WORD_SIZE);
  if (rc != FDPASS_OK)
    return rc;

  f->pid = fdp_win_get_word(head);
  f->framed = f->pid == 0;
  f->proof.section = NULL;
  if (f->pid != 0) { /* IO::FDPass: one zero byte with one handle */
    f->count = 1;
    *(char *)buf = 0;
    *total = 1;
    return recv_handle_values(s, handle_size_of(f->pid), f->handles, 1);
  }

  rc = recv_all(s, head + WORD_SIZE, FRAME_HEAD_SIZE - WORD_SIZE);
  if (rc != FDPASS_OK)
    return rc;
  f->pid = fdp_win_get_word(head + WORD_SIZE);
  f->count = fdp_win_get_word(head + 2 * WORD_SIZE);
  *total = fdp_win_get_word(head + 3 * WORD_SIZE);
  if (f->pid == 0 || f->count > FDPASS_MAX_FDS ||
      (f->count > 0 && *total == 0))
    return fdp_fail(FDPASS_EPROTO); /* the peer speaks another protocol */
  size_t kept = *total < len ? *total : len;
  size_t width = handle_size_of(f->pid);
  rc = recv_handle_values(s, width, &f->proof.section, 1);
  if (rc == FDPASS_OK)
    rc = recv_all(s, f->proof.nonce, NONCE_SIZE);
  if (rc == FDPASS_OK)
    rc = recv_handle_values(s, width, f->handles, f->count);
  if (rc == FDPASS_OK)
    rc = recv_all(s, buf, kept);
  if (rc == FDPASS_OK)
    rc = recv_all(s, NULL, *total - kept);
  return rc;
}

/* The TCP table of `family` (connections only, with their owners), or
 * NULL. Its size is not known in advance: it is on the heap, and the
 * caller frees it at once. */
static void *tcp_table(ULONG family)
{
  ULONG size = 0;
  void *table = NULL;
  for (int tries = 0; tries < 4; tries++) {
    DWORD rc = GetExtendedTcpTable(table, &size, FALSE, family,
                                   TCP_TABLE_OWNER_PID_CONNECTIONS, 0);
    if (rc == NO_ERROR && table != NULL)
      return table;
    HeapFree(GetProcessHeap(), 0, table);
    table = NULL;
    if (rc != ERROR_INSUFFICIENT_BUFFER)
      return NULL;
    table = HeapAlloc(GetProcessHeap(), 0, size += 1024); /* it may grow */
    if (table == NULL)
      return NULL;
  }
  HeapFree(GetProcessHeap(), 0, table);
  return NULL;
}

/* The owner of the row whose local end is `peer` and remote end `mine`:
 * the other end of our connection. */
static DWORD owner_v4(const struct sockaddr_in *mine,
                      const struct sockaddr_in *peer)
{
  MIB_TCPTABLE_OWNER_PID *table = tcp_table(AF_INET);
  DWORD pid = 0;
  for (DWORD i = 0; table && i < table->dwNumEntries; i++) {
    const MIB_TCPROW_OWNER_PID *row = &table->table[i];
    if (row->dwLocalAddr == peer->sin_addr.s_addr &&
        (u_short)row->dwLocalPort == peer->sin_port &&
        row->dwRemoteAddr == mine->sin_addr.s_addr &&
        (u_short)row->dwRemotePort == mine->sin_port)
      pid = row->dwOwningPid;
  }
  HeapFree(GetProcessHeap(), 0, table);
  return pid;
}

static DWORD owner_v6(const struct sockaddr_in6 *mine,
                      const struct sockaddr_in6 *peer)
{
  MIB_TCP6TABLE_OWNER_PID *table = tcp_table(AF_INET6);
  DWORD pid = 0;
  for (DWORD i = 0; table && i < table->dwNumEntries; i++) {
    const MIB_TCP6ROW_OWNER_PID *row = &table->table[i];
    if (memcmp(row->ucLocalAddr, &peer->sin6_addr, 16) == 0 &&
        (u_short)row->dwLocalPort == peer->sin6_port &&
        memcmp(row->ucRemoteAddr, &mine->sin6_addr, 16) == 0 &&
        (u_short)row->dwRemotePort == mine->sin6_port)
      pid = row->dwOwningPid;
  }
  HeapFree(GetProcessHeap(), 0, table);
  return pid;
}

DWORD fdp_tcp_peer_pid(SOCKET s)
{
  struct sockaddr_storage mine, peer;
  int mine_size = sizeof mine, peer_size = sizeof peer;
  if (getsockname(s, (struct sockaddr *)&mine, &mine_size) != 0 ||
      getpeername(s, (struct sockaddr *)&peer, &peer_size) != 0 ||
      mine.ss_family != peer.ss_family)
    return 0;
  if (mine.ss_family == AF_INET)
    return owner_v4((struct sockaddr_in *)&mine, (struct sockaddr_in *)&peer);
  if (mine.ss_family == AF_INET6)
    return owner_v6((struct sockaddr_in6 *)&mine,
                    (struct sockaddr_in6 *)&peer);
  return 0;
}

/* A new TCP socket that child processes do not inherit. */
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

int fdp_tcp_pair(SOCKET *a, SOCKET *b)
{
  int rc = fdp_win_winsock();
  if (rc != FDPASS_OK)
    return rc;
  SOCKET listener;
  if ((rc = tcp_socket(&listener)) != FDPASS_OK)
    return rc;
  if ((rc = tcp_socket(a)) == FDPASS_OK) {
    rc = connect_pair(listener, a, b);
    if (rc != FDPASS_OK)
      closesocket(*a);
  }
  closesocket(listener);
  return rc;
}

static void close_socket(HANDLE h)
{
  closesocket((SOCKET)h);
}

int fdp_tcp_accept(SOCKET listener, int *sock)
{
  int rc = fdp_win_winsock();
  if (rc != FDPASS_OK)
    return rc;
  for (;;) {
    SOCKET s = accept(listener, NULL, NULL);
    if (s != INVALID_SOCKET) {
      SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
      return fdp_win_handle_to_int((HANDLE)s, sock, close_socket);
    }
    /* A connection that was reset before it was accepted is not ours. */
    int error = WSAGetLastError();
    if (error != WSAECONNRESET)
      return fdp_fail_os(error);
  }
}
