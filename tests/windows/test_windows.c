/* SPDX-License-Identifier: MIT */
/*
 * test_windows.c - libfdpass on native Windows, run under Wine by CTest.
 *
 * Most tests start this program again as a child process ("child ROLE
 * PORT PARENT_PID"), connected over loopback TCP, so that descriptors
 * cross between two real processes. Raw roles speak IO::FDPass's Win32
 * protocol themselves (pid, then HANDLE) to pin the wire format down byte
 * for byte. The harness fails a test that leaks a handle in this process.
 */
#include "harness.h"

#include <aclapi.h>
#include <tlhelp32.h>
#include <ws2tcpip.h>

#include <fdpass.h>

#include <fcntl.h>
#include <io.h>
#include <stdint.h>

#define TIMEOUT_MS 20000
#define ACK 'k'

static char self_path[MAX_PATH];
static DWORD parent_pid; /* in a child: the parent's process id */

/* ---- small helpers ------------------------------------------------- */

#define CHECK_STATUS(call, expected)                                         \
  do {                                                                       \
    int status_ = (call);                                                    \
    CHECK(status_ == (expected), "%s returned %s (OS error %d), expected %s", \
          #call, fdpass_errname(status_), fdpass_os_error(),                 \
          fdpass_errname(expected));                                         \
  } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, FDPASS_OK)

static void make_pipe(int p[2])
{
  CHECK(_pipe(p, 4096, _O_BINARY | _O_NOINHERIT) == 0, "_pipe failed");
}

/* Read `fd` to its end; returns the length, NUL-terminated in `buf`. */
static size_t read_all(int fd, char *buf, size_t cap)
{
  size_t n = 0;
  for (;;) {
    int got = _read(fd, buf + n, (unsigned)(cap - 1 - n));
    CHECK(got >= 0, "_read failed");
    if (got == 0)
      break;
    n += (size_t)got;
  }
  buf[n] = 0;
  return n;
}

static void write_text(int fd, const char *text)
{
  int len = (int)strlen(text);
  CHECK(_write(fd, text, (unsigned)len) == len, "_write failed");
}

static void send_raw(SOCKET s, const void *data, int len)
{
  CHECK(send(s, data, len, 0) == len, "send failed: %d", WSAGetLastError());
}

static void recv_raw(SOCKET s, void *data, int len)
{
  char *p = data;
  while (len > 0) {
    int n = recv(s, p, len, 0);
    CHECK(n > 0, "recv got %d (error %d)", n, WSAGetLastError());
    p += n;
    len -= n;
  }
}

static void send_ack(SOCKET s)
{
  send_raw(s, &(char){ACK}, 1);
}

/* A sender waits for this before it exits: it must outlive the receiver's
 * duplication of its handles. */
static void wait_ack(SOCKET s)
{
  char c = 0;
  recv_raw(s, &c, 1);
  CHECK(c == ACK, "expected an acknowledgement, got %d", c);
}

static void set_nonblocking(SOCKET s)
{
  u_long on = 1;
  CHECK(ioctlsocket(s, FIONBIO, &on) == 0, "FIONBIO failed");
}

static int is_inheritable(HANDLE h)
{
  DWORD flags = 0;
  CHECK(GetHandleInformation(h, &flags), "GetHandleInformation failed");
  return (flags & HANDLE_FLAG_INHERIT) != 0;
}

static HANDLE crt_handle(int fd)
{
  return (HANDLE)_get_osfhandle(fd);
}

/* A pipe end the library handed out as an int. */
static HANDLE int_handle(int sock)
{
  return (HANDLE)(intptr_t)sock;
}

/* In-process fixture: a loopback TCP pair from fdpass_socketpair_tcp, and
 * a pipe to pass (p[0] reads, p[1] writes). */
struct local {
  int a, b, p[2];
};

static void open_local(struct local *l)
{
  uintptr_t a, b;
  CHECK_OK(fdpass_socketpair_tcp(&a, &b));
  l->a = (int)a;
  l->b = (int)b;
  make_pipe(l->p);
}

static void close_local(struct local *l)
{
  closesocket((SOCKET)l->a);
  closesocket((SOCKET)l->b);
  _close(l->p[0]);
  _close(l->p[1]);
}

/* ---- child processes ---------------------------------------------- */

struct child {
  PROCESS_INFORMATION pi;
  SOCKET sock;
  int isock; /* the same socket as the library's int */
};

static int role_parent_connects(const char *role);

/* Start this program as child ROLE, connected to us over loopback TCP.
 * `security` (may be NULL) guards the child process object. For a role
 * that receives IO::FDPass's form from us, we connect to the child
 * instead: Wine's TCP table names no owner of an accepted socket, and a
 * receiver refuses that form from an unnamed peer. */
static void start_child(const char *role, SECURITY_ATTRIBUTES *security,
                        struct child *c)
{
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  CHECK(listener != INVALID_SOCKET, "socket failed");
  SetHandleInformation((HANDLE)listener, HANDLE_FLAG_INHERIT, 0);
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int size = sizeof address;
  CHECK(bind(listener, (struct sockaddr *)&address, size) == 0 &&
            listen(listener, 1) == 0 &&
            getsockname(listener, (struct sockaddr *)&address, &size) == 0,
        "cannot listen on loopback");

  char command[2 * MAX_PATH];
  snprintf(command, sizeof command, "\"%s\" child %s %u %lu", self_path, role,
           ntohs(address.sin_port), GetCurrentProcessId());
  STARTUPINFOA startup = {.cb = sizeof startup};
  CHECK(CreateProcessA(NULL, command, security, NULL, FALSE, 0, NULL, NULL,
                       &startup, &c->pi),
        "CreateProcess failed: %lu", GetLastError());

  fd_set ready;
  FD_ZERO(&ready);
  FD_SET(listener, &ready);
  struct timeval timeout = {TIMEOUT_MS / 1000, 0};
  CHECK(select(0, &ready, NULL, NULL, &timeout) == 1, "child did not call");
  c->sock = accept(listener, NULL, NULL);
  closesocket(listener);
  CHECK(c->sock != INVALID_SOCKET, "accept failed");
  SetHandleInformation((HANDLE)c->sock, HANDLE_FLAG_INHERIT, 0);
  if (role_parent_connects(role)) {
    u_short port;
    recv_raw(c->sock, &port, sizeof port);
    closesocket(c->sock);
    address.sin_port = port;
    c->sock = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK(connect(c->sock, (struct sockaddr *)&address, sizeof address) == 0,
          "cannot connect to the child");
    SetHandleInformation((HANDLE)c->sock, HANDLE_FLAG_INHERIT, 0);
  }
  c->isock = (int)c->sock;
}

/* Close our end, wait for the child and check that it exited with 0. */
static void finish_child(struct child *c)
{
  closesocket(c->sock);
  DWORD waited = WaitForSingleObject(c->pi.hProcess, TIMEOUT_MS);
  DWORD code = 1;
  GetExitCodeProcess(c->pi.hProcess, &code);
  CloseHandle(c->pi.hProcess);
  CloseHandle(c->pi.hThread);
  CHECK(waited == WAIT_OBJECT_0, "child did not exit");
  CHECK(code == 0, "child exited with %lu", code);
}

/* ---- the tests, each with the child roles it uses ------------------ */

/* Parent -> child with fdpass_send/fdpass_recv: the child writes into the
 * pipe it received. The parent's duplicate is gone once the child took it
 * (the harness counts handles). */
static void child_receive_and_write(SOCKET s)
{
  int fd;
  CHECK_OK(fdpass_recv((int)s, &fd));
  CHECK(!is_inheritable(crt_handle(fd)), "received handle is inheritable");
  char text[64];
  snprintf(text, sizeof text, "hello from child %lu", GetCurrentProcessId());
  write_text(fd, text);
  CHECK_OK(fdpass_close(fd));
}

static void send_to_child(void)
{
  int p[2];
  make_pipe(p);
  struct child c;
  start_child("receive_and_write", NULL, &c);
  CHECK_OK(fdpass_send(c.isock, p[1]));
  _close(p[1]);
  char got[128], want[64];
  read_all(p[0], got, sizeof got);
  snprintf(want, sizeof want, "hello from child %lu", c.pi.dwProcessId);
  CHECK(strcmp(got, want) == 0, "read \"%s\", expected \"%s\"", got, want);
  _close(p[0]);
  finish_child(&c);
}

/* Child -> parent: the child sends a pipe's read end holding its message. */
static void child_send_pipe(SOCKET s)
{
  int p[2];
  char text[64];
  make_pipe(p);
  snprintf(text, sizeof text, "from child %lu", GetCurrentProcessId());
  write_text(p[1], text);
  _close(p[1]);
  CHECK_OK(fdpass_send((int)s, p[0]));
  _close(p[0]);
  wait_ack(s);
}

static void receive_from_child(void)
{
  struct child c;
  start_child("send_pipe", NULL, &c);
  int fd;
  CHECK_OK(fdpass_recv(c.isock, &fd));
  CHECK(!is_inheritable(crt_handle(fd)), "received handle is inheritable");
  char got[128], want[64];
  read_all(fd, got, sizeof got);
  snprintf(want, sizeof want, "from child %lu", c.pi.dwProcessId);
  CHECK(strcmp(got, want) == 0, "read \"%s\", expected \"%s\"", got, want);
  CHECK_OK(fdpass_close(fd));
  send_ack(c.sock);
  finish_child(&c);
}

/* fdpass_send writes exactly what IO::FDPass writes: a DWORD pid, then a
 * pointer-sized HANDLE, nothing else. The raw child takes the handle as
 * IO::FDPass's fd_recv does and writes through it. */
static void child_raw_receive(SOCKET s)
{
  unsigned char wire[sizeof(DWORD) + sizeof(HANDLE) + 3];
  recv_raw(s, wire, sizeof wire);
  DWORD pid;
  HANDLE remote, mine;
  memcpy(&pid, wire, sizeof pid);
  memcpy(&remote, wire + sizeof pid, sizeof remote);
  CHECK(pid == parent_pid, "pid %lu on the wire, parent is %lu", pid,
        parent_pid);
  CHECK(memcmp(wire + sizeof pid + sizeof remote, "END", 3) == 0,
        "more than a pid and a HANDLE before the end marker");
  HANDLE sender = OpenProcess(PROCESS_DUP_HANDLE, FALSE, pid);
  CHECK(sender != NULL, "OpenProcess failed");
  CHECK(DuplicateHandle(sender, remote, GetCurrentProcess(), &mine, 0, FALSE,
                        DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE),
        "DuplicateHandle failed: %lu", GetLastError());
  CloseHandle(sender);
  int fd = _open_osfhandle((intptr_t)mine, 0);
  write_text(fd, "raw peer took it");
  _close(fd);
}

static void wire_send_is_io_fdpass(void)
{
  int p[2];
  make_pipe(p);
  struct child c;
  start_child("raw_receive", NULL, &c);
  CHECK_OK(fdpass_send(c.isock, p[1]));
  send_raw(c.sock, "END", 3);
  _close(p[1]);
  char got[64];
  read_all(p[0], got, sizeof got);
  CHECK(strcmp(got, "raw peer took it") == 0, "read \"%s\"", got);
  _close(p[0]);
  finish_child(&c);
}

/* A raw sender writes pid and HANDLE as IO::FDPass's fd_send does, one
 * byte at a time; fdpass_recv on a non-blocking socket assembles them. */
static void child_raw_send_slowly(SOCKET s)
{
  int p[2];
  make_pipe(p);
  write_text(p[1], "sent the IO::FDPass way");
  _close(p[1]);
  HANDLE copy;
  CHECK(DuplicateHandle(GetCurrentProcess(), crt_handle(p[0]),
                        GetCurrentProcess(), &copy, 0, FALSE,
                        DUPLICATE_SAME_ACCESS),
        "DuplicateHandle failed");
  _close(p[0]);
  unsigned char wire[sizeof(DWORD) + sizeof(HANDLE)];
  DWORD pid = GetCurrentProcessId();
  memcpy(wire, &pid, sizeof pid);
  memcpy(wire + sizeof pid, &copy, sizeof copy);
  for (size_t i = 0; i < sizeof wire; i++) {
    send_raw(s, wire + i, 1);
    Sleep(5);
  }
  wait_ack(s);
}

static void wire_recv_from_io_fdpass(void)
{
  struct child c;
  start_child("raw_send_slowly", NULL, &c);
  set_nonblocking(c.sock);
  int fd;
  CHECK_OK(fdpass_recv(c.isock, &fd));
  char got[64];
  read_all(fd, got, sizeof got);
  CHECK(strcmp(got, "sent the IO::FDPass way") == 0, "read \"%s\"", got);
  _close(fd);
  send_ack(c.sock);
  finish_child(&c);
}

/* Batch frames: the layout byte for byte (raw child), all descriptors
 * with their data, and truncation that closes the surplus in the sender. */
static void child_raw_batch(SOCKET s)
{
  unsigned char head[4 * sizeof(DWORD)];
  recv_raw(s, head, sizeof head);
  DWORD word[4];
  memcpy(word, head, sizeof word);
  CHECK(word[0] == 0 && word[1] == parent_pid && word[2] == 2 && word[3] == 3,
        "frame head %lu %lu %lu %lu", word[0], word[1], word[2], word[3]);
  HANDLE proof, remote[2], copy;
  unsigned char nonce[16], content[16 + 4 + 16];
  char data[3];
  recv_raw(s, &proof, sizeof proof);
  recv_raw(s, nonce, sizeof nonce);
  recv_raw(s, remote, sizeof remote);
  recv_raw(s, data, sizeof data);
  CHECK(memcmp(data, "hey", 3) == 0, "data after the handles differs");
  HANDLE sender = OpenProcess(PROCESS_DUP_HANDLE, FALSE, word[1]);
  CHECK(sender != NULL, "OpenProcess failed");
  /* The proof: a section of the sender with the nonce, the count and the
   * values as 64-bit words; taken, so that it closes in the sender. */
  CHECK(DuplicateHandle(sender, proof, GetCurrentProcess(), &copy, 0, FALSE,
                        DUPLICATE_SAME_ACCESS | DUPLICATE_CLOSE_SOURCE),
        "the proof is no handle of the sender");
  const unsigned char *view = MapViewOfFile(copy, FILE_MAP_READ, 0, 0,
                                            sizeof content);
  CHECK(view != NULL, "the proof is no section");
  uint32_t two = 2;
  uint64_t values[2] = {(uint64_t)(uintptr_t)remote[0],
                        (uint64_t)(uintptr_t)remote[1]};
  memcpy(content, nonce, 16);
  memcpy(content + 16, &two, 4);
  memcpy(content + 20, values, sizeof values);
  int proven = memcmp(view, content, sizeof content) == 0;
  UnmapViewOfFile(view);
  CloseHandle(copy);
  CHECK(proven, "the proof does not hold the nonce and the values");
  for (int i = 0; i < 2; i++) {
    HANDLE mine;
    CHECK(DuplicateHandle(sender, remote[i], GetCurrentProcess(), &mine, 0,
                          FALSE, DUPLICATE_SAME_ACCESS |
                                     DUPLICATE_CLOSE_SOURCE),
          "DuplicateHandle failed");
    int fd = _open_osfhandle((intptr_t)mine, 0);
    write_text(fd, i == 0 ? "first" : "second");
    _close(fd);
  }
  CloseHandle(sender);
}

/* Send `n` pipe write ends with `data`, then read each pipe. */
static void send_pipes_and_read(struct child *c, const char *data, int n,
                                const char *const *want)
{
  int pipes[3][2], ends[3];
  for (int i = 0; i < n; i++) {
    make_pipe(pipes[i]);
    ends[i] = pipes[i][1];
  }
  size_t len = strlen(data);
  CHECK_OK(fdpass_send_fds(c->isock, data, &len, ends, (size_t)n, 0));
  CHECK(len == strlen(data), "sent %zu bytes", len);
  for (int i = 0; i < n; i++) {
    _close(ends[i]);
    char got[64];
    read_all(pipes[i][0], got, sizeof got);
    _close(pipes[i][0]);
    CHECK(strcmp(got, want[i]) == 0, "pipe %d: read \"%s\", expected \"%s\"",
          i, got, want[i]);
  }
}

static void wire_batch_frame(void)
{
  static const char *const want[] = {"first", "second"};
  struct child c;
  start_child("raw_batch", NULL, &c);
  send_pipes_and_read(&c, "hey", 2, want);
  finish_child(&c);
}

static void child_receive_batch(SOCKET s)
{
  char buf[16];
  int fds[8];
  size_t len = sizeof buf, nfds = 8;
  CHECK_OK(fdpass_recv_fds((int)s, buf, &len, fds, &nfds, 0));
  CHECK(len == 5 && memcmp(buf, "batch", 5) == 0 && nfds == 3,
        "got %zu bytes and %zu descriptors", len, nfds);
  for (size_t i = 0; i < nfds; i++) {
    write_text(fds[i], (const char *[]){"one", "two", "three"}[i]);
    _close(fds[i]);
  }
}

static void batch_to_child(void)
{
  static const char *const want[] = {"one", "two", "three"};
  struct child c;
  start_child("receive_batch", NULL, &c);
  send_pipes_and_read(&c, "batch", 3, want);
  finish_child(&c);
}

static void child_receive_truncated(SOCKET s)
{
  char buf[3];
  int fd;
  size_t len = sizeof buf, nfds = 1;
  CHECK_STATUS(fdpass_recv_fds((int)s, buf, &len, &fd, &nfds, 0),
               FDPASS_ETRUNC);
  CHECK(len == 3 && memcmp(buf, "bat", 3) == 0 && nfds == 1,
        "got %zu bytes and %zu descriptors", len, nfds);
  write_text(fd, "kept");
  _close(fd);
  /* The rest of the truncated message is gone: the next one follows. */
  len = sizeof buf;
  nfds = 1;
  CHECK_OK(fdpass_recv_fds((int)s, buf, &len, &fd, &nfds, 0));
  CHECK(len == 3 && memcmp(buf, "end", 3) == 0 && nfds == 0,
        "then got %zu bytes and %zu descriptors", len, nfds);
}

static void batch_truncated(void)
{
  /* The two surplus pipes read as empty: nobody holds them any more, and
   * the harness sees that the sender's duplicates were closed. */
  static const char *const want[] = {"kept", "", ""};
  struct child c;
  start_child("receive_truncated", NULL, &c);
  send_pipes_and_read(&c, "batch", 3, want);
  size_t len = 3;
  CHECK_OK(fdpass_send_fds(c.isock, "end", &len, NULL, 0, 0));
  finish_child(&c);
}

static int connect_to_parent(void);
static void test_pipe_name(char *name, size_t cap, DWORD pid);

/* Raw handles with fdpass_send_handle/fdpass_recv_handle, both ways over
 * a named pipe: the child signals the parent's event and sends back a
 * signalled event. */
static void child_handles(SOCKET s)
{
  HANDLE event;
  int sock = connect_to_parent();
  CHECK_OK(fdpass_recv_handle((uintptr_t)sock, (void **)&event));
  CHECK(!is_inheritable(event), "received handle is inheritable");
  CHECK(SetEvent(event), "SetEvent failed");
  CloseHandle(event);
  HANDLE mine = CreateEventA(NULL, TRUE, TRUE, NULL);
  CHECK_OK(fdpass_send_handle((uintptr_t)sock, mine));
  CloseHandle(mine);
  wait_ack(s);
  CloseHandle(int_handle(sock));
}

static void handles_both_ways(void)
{
  char name[64];
  int listener, sock;
  HANDLE event = CreateEventA(NULL, TRUE, FALSE, NULL);
  struct child c;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  start_child("handles", NULL, &c);
  CHECK_OK(fdpass_accept(listener, &sock));
  CHECK_OK(fdpass_send_handle((uintptr_t)sock, event));
  CHECK(WaitForSingleObject(event, TIMEOUT_MS) == WAIT_OBJECT_0,
        "the child did not signal the event it received");
  CloseHandle(event);
  HANDLE theirs;
  CHECK_OK(fdpass_recv_handle((uintptr_t)sock, (void **)&theirs));
  CHECK(WaitForSingleObject(theirs, 0) == WAIT_OBJECT_0,
        "the received event is not the child's signalled one");
  CloseHandle(theirs);
  send_ack(c.sock);
  finish_child(&c);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
}

/* A listening socket passed as a descriptor serves in the child. */
static void child_serve_one(SOCKET s)
{
  int fd;
  CHECK_OK(fdpass_recv((int)s, &fd));
  SOCKET listener = (SOCKET)crt_handle(fd);
  SOCKET client = accept(listener, NULL, NULL);
  CHECK(client != INVALID_SOCKET, "accept on the received socket failed");
  send_raw(client, "served by the child", 19);
  closesocket(client);
  _close(fd);
}

static void pass_listening_socket(void)
{
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int size = sizeof address;
  CHECK(bind(listener, (struct sockaddr *)&address, size) == 0 &&
            listen(listener, 1) == 0 &&
            getsockname(listener, (struct sockaddr *)&address, &size) == 0,
        "cannot listen");
  int fd = _open_osfhandle((intptr_t)listener, 0);
  struct child c;
  start_child("serve_one", NULL, &c);
  CHECK_OK(fdpass_send(c.isock, fd));
  _close(fd); /* the child's copy still listens */
  SOCKET client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  CHECK(connect(client, (struct sockaddr *)&address, size) == 0,
        "connect failed");
  char got[32] = {0};
  recv_raw(client, got, 19);
  CHECK(strcmp(got, "served by the child") == 0, "got \"%s\"", got);
  closesocket(client);
  finish_child(&c);
}

/* Non-blocking sockets: FDPASS_NONBLOCK gives FDPASS_EAGAIN (and closes
 * the duplicate again); blocking calls wait out a non-blocking socket. */
static void nonblocking_would_block(void)
{
  struct local l;
  open_local(&l);
  set_nonblocking((SOCKET)l.a);
  char buf[8];
  int fd;
  size_t len = sizeof buf, nfds = 1;
  CHECK_STATUS(fdpass_recv_fds(l.a, buf, &len, &fd, &nfds, FDPASS_NONBLOCK),
               FDPASS_EAGAIN);
  static char block[65536];
  while (send((SOCKET)l.a, block, sizeof block, 0) > 0)
    ;
  CHECK(WSAGetLastError() == WSAEWOULDBLOCK, "filling did not block");
  len = 1;
  CHECK_STATUS(fdpass_send_fds(l.a, "x", &len, &l.p[1], 1, FDPASS_NONBLOCK),
               FDPASS_EAGAIN);
  CHECK(len == 0, "len %zu after EAGAIN", len);
  close_local(&l);
}

struct big_receive {
  int sock;
  char *buf;
  size_t len, nfds;
  int fd, status;
};

static DWORD WINAPI receive_big(void *arg)
{
  struct big_receive *r = arg;
  r->status = fdpass_recv_fds(r->sock, r->buf, &r->len, &r->fd, &r->nfds, 0);
  return 0;
}

static void nonblocking_large_message(void)
{
  enum { SIZE = 4 << 20 };
  struct local l;
  open_local(&l);
  set_nonblocking((SOCKET)l.a);
  set_nonblocking((SOCKET)l.b);
  char *out = malloc(SIZE), *in = malloc(SIZE);
  CHECK(out && in, "out of memory");
  for (size_t i = 0; i < SIZE; i++)
    out[i] = (char)(i * 7 + i / 4096);
  struct big_receive r = {.sock = l.b, .buf = in, .len = SIZE, .nfds = 1};
  HANDLE thread = CreateThread(NULL, 0, receive_big, &r, 0, NULL);
  size_t len = SIZE;
  int status = fdpass_send_fds(l.a, out, &len, &l.p[1], 1, 0);
  WaitForSingleObject(thread, TIMEOUT_MS);
  CloseHandle(thread);
  CHECK(status == FDPASS_OK && len == SIZE, "send: %s, %zu bytes",
        fdpass_errname(status), len);
  CHECK(r.status == FDPASS_OK && r.len == SIZE && r.nfds == 1,
        "recv: %s, %zu bytes, %zu descriptors", fdpass_errname(r.status),
        r.len, r.nfds);
  CHECK(memcmp(in, out, SIZE) == 0, "the data differs");
  free(out);
  free(in);
  write_text(r.fd, "large");
  _close(r.fd);
  _close(l.p[1]);
  char got[16];
  read_all(l.p[0], got, sizeof got);
  CHECK(strcmp(got, "large") == 0, "read \"%s\"", got);
  _close(l.p[0]);
  closesocket((SOCKET)l.a);
  closesocket((SOCKET)l.b);
}

/* FDPASS_NOCLOEXEC makes the received handle inheritable. */
static void inheritance(void)
{
  struct local l;
  open_local(&l);
  for (int flags = 0; flags <= FDPASS_NOCLOEXEC; flags += FDPASS_NOCLOEXEC) {
    CHECK_OK(fdpass_send(l.a, l.p[1]));
    char byte;
    int fd;
    size_t len = 1, nfds = 1;
    CHECK_OK(fdpass_recv_fds(l.b, &byte, &len, &fd, &nfds, flags));
    CHECK(is_inheritable(crt_handle(fd)) == (flags != 0),
          "inheritable is %d with flags %d", is_inheritable(crt_handle(fd)),
          flags);
    _close(fd);
  }
  close_local(&l);
}

/* ---- error paths --------------------------------------------------- */

static int invalid_parameter_calls;

static void count_invalid_parameter(const wchar_t *expression,
                                    const wchar_t *function,
                                    const wchar_t *file, unsigned line,
                                    uintptr_t reserved)
{
  (void)expression, (void)function, (void)file, (void)line, (void)reserved;
  invalid_parameter_calls++;
}

/* Bad descriptors and handles are FDPASS_EBADF, without l.a call to the C
 * runtime's invalid-parameter handler, and nothing sent or leaked. */
static void bad_descriptors(void)
{
  struct local l;
  open_local(&l);
  int closed = _dup(l.p[0]);
  _close(closed);
  _invalid_parameter_handler old =
      _set_invalid_parameter_handler(count_invalid_parameter);
  invalid_parameter_calls = 0;

  CHECK_STATUS(fdpass_send(l.a, 4000), FDPASS_EBADF);
  CHECK_STATUS(fdpass_send(l.a, closed), FDPASS_EBADF);
  CHECK_STATUS(fdpass_send(l.a, -1), FDPASS_EBADF);
  CHECK_STATUS(fdpass_send(-1, l.p[1]), FDPASS_EBADF);
  int some_bad[] = {l.p[1], 4000};
  size_t len = 1;
  CHECK_STATUS(fdpass_send_fds(l.a, "x", &len, some_bad, 2, 0), FDPASS_EBADF);
  CHECK_STATUS(fdpass_close(4000), FDPASS_EBADF);
  CHECK(invalid_parameter_calls == 0, "the invalid-parameter handler ran");
  _set_invalid_parameter_handler(old);

  HANDLE gone = CreateEventA(NULL, FALSE, FALSE, NULL);
  CloseHandle(gone);
  CHECK_STATUS(fdpass_send_handle((SOCKET)l.a, NULL), FDPASS_EBADF);
  CHECK_STATUS(fdpass_send_handle((SOCKET)l.a, GetCurrentProcess()),
               FDPASS_EBADF);
  CHECK_STATUS(fdpass_send_handle((SOCKET)l.a, gone), FDPASS_EBADF);
  CHECK_STATUS(fdpass_send_handle(INVALID_SOCKET, crt_handle(l.p[1])),
               FDPASS_EBADF);
  CHECK_STATUS(fdpass_recv_handle(INVALID_SOCKET, (void **)&gone),
               FDPASS_EBADF);

  /* None of it reached the peer. */
  char byte;
  int fd;
  size_t nfds = 1;
  len = 1;
  CHECK_STATUS(fdpass_recv_fds(l.b, &byte, &len, &fd, &nfds, FDPASS_NONBLOCK),
               FDPASS_EAGAIN);
  close_local(&l);
}

static void bad_sockets_and_arguments(void)
{
  struct local l;
  int fd;
  open_local(&l);
  /* A byte-mode pipe cannot keep frames apart; a file is no socket. */
  CHECK_STATUS(fdpass_send((int)(intptr_t)crt_handle(l.p[0]), l.p[1]),
               FDPASS_ENOTSUP);
  HANDLE file = CreateEventA(NULL, FALSE, FALSE, NULL);
  CHECK_STATUS(fdpass_send((int)(intptr_t)file, l.p[1]), FDPASS_ENOTSOCK);
  CloseHandle(file);
  SOCKET udp = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  CHECK_STATUS(fdpass_send((int)udp, l.p[1]), FDPASS_ENOTSUP);
  CHECK_STATUS(fdpass_send_handle(udp, crt_handle(l.p[1])), FDPASS_ENOTSUP);
  closesocket(udp);
  CHECK_STATUS(fdpass_recv(l.a, NULL), FDPASS_EINVAL);
  CHECK_STATUS(fdpass_recv_handle((SOCKET)l.a, NULL), FDPASS_EINVAL);
  size_t len = 1, nfds = 1;
  char byte;
  CHECK_STATUS(fdpass_recv_fds(l.a, &byte, &len, &fd, &nfds, 0x100),
               FDPASS_EINVAL);
  CHECK_STATUS(fdpass_wait(l.a, FDPASS_READABLE, 10), FDPASS_ETIMEDOUT);
  CHECK_OK(fdpass_wait(l.a, FDPASS_WRITABLE, 0));
  CHECK_STATUS(fdpass_listen("\\\\host\\pipe\\x", &fd), FDPASS_EINVAL);
  CHECK_STATUS(fdpass_listen("\\\\.\\pipe\\", &fd), FDPASS_EINVAL);
  char long_name[300];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = 0;
  CHECK_STATUS(fdpass_listen(long_name, &fd), FDPASS_ENAMETOOLONG);
  CHECK_STATUS(fdpass_connect("fdpass-nobody-listens", &fd), FDPASS_ENOENT);
  CHECK_STATUS(fdpass_socketpair_tcp(NULL, NULL), FDPASS_EINVAL);
  /* Over TCP the pid is the TCP table's: this process, or unknown (-1)
   * where the table says 0, as under Wine. */
  int64_t pid = 0, uid = 0, gid = 0;
  CHECK_OK(fdpass_peer_credentials(l.a, &pid, &uid, &gid));
  CHECK((pid == -1 || pid == (int64_t)GetCurrentProcessId()) && uid == -1 &&
            gid == -1,
        "TCP peer: pid %lld uid %lld gid %lld", (long long)pid,
        (long long)uid, (long long)gid);
  close_local(&l);
}

/* A peer that is gone: end of stream on receive, reset on send. */
static void peer_closed(void)
{
  struct local l;
  int fd;
  open_local(&l);
  closesocket((SOCKET)l.b);
  CHECK_STATUS(fdpass_recv(l.a, &fd), FDPASS_ECLOSED);
  /* The first bytes into a closed connection may still be accepted. */
  for (int i = 0; i < 100 && send((SOCKET)l.a, "x", 1, 0) == 1; i++)
    Sleep(10);
  CHECK_STATUS(fdpass_send(l.a, l.p[1]), FDPASS_ECLOSED);
  l.b = (int)INVALID_SOCKET; /* closed above */
  close_local(&l);
}

/* The sender exited before the receiver took the handle: its handles
 * went with it, and the receiver reports FDPASS_ECLOSED. */
static void child_send_and_exit(SOCKET s)
{
  int p[2];
  size_t len = 2;
  make_pipe(p);
  CHECK_OK(fdpass_send_fds((int)s, "xy", &len, &p[1], 1, 0));
}

static void sender_exited(void)
{
  struct child c;
  start_child("send_and_exit", NULL, &c);
  CHECK(WaitForSingleObject(c.pi.hProcess, TIMEOUT_MS) == WAIT_OBJECT_0,
        "child did not exit");
  char buf[2];
  int fd;
  size_t len = sizeof buf, nfds = 1;
  CHECK_STATUS(fdpass_recv_fds(c.isock, buf, &len, &fd, &nfds, 0),
               FDPASS_ECLOSED);
  finish_child(&c);
}

/* Start child ROLE as a process object that grants nobody any access
 * (an empty DACL). */
static void start_closed_child(const char *role, struct child *c)
{
  SECURITY_DESCRIPTOR descriptor;
  ACL empty;
  InitializeSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION);
  InitializeAcl(&empty, sizeof empty, ACL_REVISION);
  SetSecurityDescriptorDacl(&descriptor, TRUE, &empty, FALSE);
  SECURITY_ATTRIBUTES security = {sizeof security, &descriptor, FALSE};
  start_child(role, &security, c);
}

/* A sender whose process object grants nobody PROCESS_DUP_HANDLE. */
static void access_denied(void)
{
  struct child c;
  start_closed_child("send_pipe", &c);
  int fd;
  CHECK_STATUS(fdpass_recv(c.isock, &fd), FDPASS_EACCES);
  CHECK(fdpass_os_error() == ERROR_ACCESS_DENIED, "os error %d",
        fdpass_os_error());
  send_ack(c.sock);
  finish_child(&c);
}

/* A peer that names a handle it does not have, and one that speaks
 * another protocol. */
static void child_raw_bad_handle(SOCKET s)
{
  unsigned char wire[sizeof(DWORD) + sizeof(HANDLE)];
  DWORD pid = GetCurrentProcessId();
  HANDLE nothing = (HANDLE)(uintptr_t)0x7770;
  memcpy(wire, &pid, sizeof pid);
  memcpy(wire + sizeof pid, &nothing, sizeof nothing);
  send_raw(s, wire, sizeof wire);
  DWORD garbage[4] = {0, pid, 1000, 5};
  send_raw(s, garbage, sizeof garbage);
  wait_ack(s);
}

static void bad_peer(void)
{
  struct child c;
  start_child("raw_bad_handle", NULL, &c);
  int fd;
  CHECK_STATUS(fdpass_recv(c.isock, &fd), FDPASS_EBADF);
  CHECK_STATUS(fdpass_recv(c.isock, &fd), FDPASS_EPROTO);
  send_ack(c.sock);
  finish_child(&c);
}

/* The documented limit: a message that is never received leaves the
 * sender's duplicate open in the sender until it exits. */
static void child_close_unread(SOCKET s)
{
  fd_set ready;
  FD_ZERO(&ready);
  FD_SET(s, &ready);
  CHECK(select(0, &ready, NULL, NULL, NULL) == 1, "select failed");
}

static void unreceived_leaks_in_sender(void)
{
  int p[2];
  make_pipe(p);
  struct child c;
  start_child("close_unread", NULL, &c);
  CHECK_OK(fdpass_send(c.isock, p[1]));
  finish_child(&c);
  _close(p[0]);
  _close(p[1]);
  expect_handle_change(1);
}


/* ---- named pipes --------------------------------------------------- */

/* The pipe a test process listens on: children find it by its pid. */
static void test_pipe_name(char *name, size_t cap, DWORD pid)
{
  snprintf(name, cap, "fdpass-test-%lu", pid);
}

/* In a child: connect to the pipe the test process listens on. */
static int connect_to_parent(void)
{
  char name[64];
  int sock;
  test_pipe_name(name, sizeof name, parent_pid);
  CHECK_OK(fdpass_connect(name, &sock));
  return sock;
}

/* One pipe message, written raw as a peer of any kind could. */
static void write_message(HANDLE h, const void *data, DWORD len)
{
  OVERLAPPED o = {0};
  DWORD n = 0;
  o.hEvent = CreateEventA(NULL, TRUE, FALSE, NULL);
  BOOL ok = WriteFile(h, data, len, NULL, &o);
  if (ok || GetLastError() == ERROR_IO_PENDING)
    ok = GetOverlappedResult(h, &o, &n, TRUE);
  CloseHandle(o.hEvent);
  CHECK(ok && n == len, "WriteFile failed: %lu", GetLastError());
}

/* The head of a pipe frame: 'fdp2', pid, count, length, the proof's
 * value and nonce (none here: 0), 64-bit values. */
static DWORD pipe_head(unsigned char *head, DWORD pid, DWORD count,
                       DWORD length, const uint64_t *values)
{
  DWORD words[4] = {0x32706466u, pid, count, length};
  memcpy(head, words, sizeof words);
  memset(head + sizeof words, 0, 24);
  memcpy(head + sizeof words + 24, values, count * sizeof *values);
  return (DWORD)(sizeof words + 24 + count * sizeof *values);
}

/* A pipe pair in one process: the kernel names this process at both
 * ends; descriptors, data, truncation, waiting and the end. */
static void pipe_pair(void)
{
  int a, b, p[2], fd;
  CHECK_OK(fdpass_socketpair(&a, &b));
  make_pipe(p);
  int64_t pid = 0, uid = 0, gid = 0;
  CHECK_OK(fdpass_peer_credentials(b, &pid, &uid, &gid));
  CHECK(pid == (int64_t)GetCurrentProcessId() && uid == -1 && gid == -1,
        "peer pid %lld uid %lld gid %lld", (long long)pid, (long long)uid,
        (long long)gid);
  CHECK_OK(fdpass_send(a, p[1]));
  CHECK_OK(fdpass_recv(b, &fd));
  CHECK(!is_inheritable(crt_handle(fd)), "received handle is inheritable");
  write_text(fd, "through a named pipe");
  _close(fd);
  _close(p[1]);
  char got[64];
  read_all(p[0], got, sizeof got);
  CHECK(strcmp(got, "through a named pipe") == 0, "read \"%s\"", got);
  _close(p[0]);

  char buf[8];
  size_t len = sizeof buf, nfds = 1;
  CHECK_STATUS(fdpass_recv_fds(a, buf, &len, &fd, &nfds, FDPASS_NONBLOCK),
               FDPASS_EAGAIN);
  CHECK_STATUS(fdpass_wait(a, FDPASS_READABLE, 20), FDPASS_ETIMEDOUT);
  len = 5;
  CHECK_OK(fdpass_send_fds(b, "hello", &len, NULL, 0, 0));
  CHECK_OK(fdpass_wait(a, FDPASS_READABLE, TIMEOUT_MS));
  len = 3;
  CHECK_STATUS(fdpass_recv_fds(a, buf, &len, &fd, &nfds, FDPASS_NONBLOCK),
               FDPASS_ETRUNC);
  CHECK(len == 3 && memcmp(buf, "hel", 3) == 0 && nfds == 0,
        "got %zu bytes and %zu descriptors", len, nfds);
  CloseHandle(int_handle(b));
  CHECK_STATUS(fdpass_recv(a, &fd), FDPASS_ECLOSED);
  CloseHandle(int_handle(a));
}

/* fdpass_listen, fdpass_accept and fdpass_connect between two processes;
 * each end is told the other's pid by the kernel. */
static void child_pipe_client(SOCKET s)
{
  char text[64];
  int sock = connect_to_parent(), p[2];
  int64_t pid = 0;
  CHECK_OK(fdpass_peer_credentials(sock, &pid, NULL, NULL));
  CHECK(pid == (int64_t)parent_pid, "server pid %lld, parent %lu",
        (long long)pid, parent_pid);
  make_pipe(p);
  snprintf(text, sizeof text, "from pipe client %lu", GetCurrentProcessId());
  write_text(p[1], text);
  _close(p[1]);
  CHECK_OK(fdpass_send(sock, p[0]));
  _close(p[0]);
  wait_ack(s);
  CloseHandle(int_handle(sock));
}

static void pipe_listen_accept(void)
{
  char name[64], got[64], want[64];
  int listener, sock, fd;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  struct child c;
  start_child("pipe_client", NULL, &c);
  CHECK_OK(fdpass_accept(listener, &sock));
  int64_t pid = 0;
  CHECK_OK(fdpass_peer_credentials(sock, &pid, NULL, NULL));
  CHECK(pid == (int64_t)c.pi.dwProcessId, "client pid %lld, child %lu",
        (long long)pid, c.pi.dwProcessId);
  CHECK_OK(fdpass_recv(sock, &fd));
  read_all(fd, got, sizeof got);
  snprintf(want, sizeof want, "from pipe client %lu", c.pi.dwProcessId);
  CHECK(strcmp(got, want) == 0, "read \"%s\", expected \"%s\"", got, want);
  _close(fd);
  send_ack(c.sock);
  finish_child(&c);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
}

/* The mode's write bits say who may connect: the DACL the pipe gets. */
static int dacl_grants(HANDLE h, WELL_KNOWN_SID_TYPE type, DWORD *access)
{
  PACL dacl = NULL;
  PSECURITY_DESCRIPTOR descriptor = NULL;
  unsigned char sid[SECURITY_MAX_SID_SIZE];
  DWORD size = sizeof sid;
  CreateWellKnownSid(type, NULL, sid, &size);
  if (GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL,
                      NULL, &dacl, NULL, &descriptor) != ERROR_SUCCESS ||
      dacl == NULL)
    return -1; /* Wine keeps no security for pipes */
  int found = 0;
  for (DWORD i = 0; i < dacl->AceCount; i++) {
    ACCESS_ALLOWED_ACE *ace;
    if (GetAce(dacl, i, (void **)&ace) && EqualSid(&ace->SidStart, sid)) {
      found = 1;
      *access = ace->Mask;
    }
  }
  LocalFree(descriptor);
  return found;
}

static void pipe_modes(void)
{
  char name[64];
  int listener, again;
  DWORD access = 0;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_STATUS(fdpass_listen_mode(name, 01000, &listener), FDPASS_EINVAL);
  CHECK_OK(fdpass_listen(name, &listener));
  int everyone = dacl_grants(int_handle(listener), WinWorldSid, &access);
  CHECK(everyone <= 0, "mode 0600 lets everyone in");
  CloseHandle(int_handle(listener));
  CHECK_OK(fdpass_listen_mode(name, 0602, &listener));
  everyone = dacl_grants(int_handle(listener), WinWorldSid, &access);
  CHECK(everyone == -1 || (everyone == 1 && (access & FILE_WRITE_DATA) &&
                           !(access & FILE_CREATE_PIPE_INSTANCE)),
        "mode 0602: everyone %d, access %lx", everyone, access);
  /* A name in use is not shared (also under Wine 8, which does not
   * enforce FILE_FLAG_FIRST_PIPE_INSTANCE). */
  CHECK_STATUS(fdpass_listen(name, &again), FDPASS_EADDRINUSE);
  CloseHandle(int_handle(listener));
  if (everyone == -1)
    printf("note: Wine keeps no DACL on pipes; the mode is not visible\n");
}

/* A listener on IPv6 loopback and its address; the test skips where
 * there is no IPv6. */
static SOCKET listen_ipv6(struct sockaddr_in6 *address)
{
  SOCKET listener = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
  if (listener == INVALID_SOCKET)
    SKIP("no IPv6 here");
  memset(address, 0, sizeof *address);
  address->sin6_family = AF_INET6;
  address->sin6_addr = in6addr_loopback;
  int size = sizeof *address;
  CHECK(bind(listener, (struct sockaddr *)address, size) == 0 &&
            listen(listener, 1) == 0 &&
            getsockname(listener, (struct sockaddr *)address, &size) == 0,
        "cannot listen on ::1: %d", WSAGetLastError());
  return listener;
}

/* ---- the two attacks: forger, victim and receiver ------------------ */

/* The victim holds a file with its data and tells the receiver (the test
 * process) its pid and the handle's value; on request it says whether
 * its handle and file are intact ('i') or were taken ('s'). */
#define VICTIM_DATA "the victim's own data"

/* The victim's file, holding VICTIM_DATA, deleted when closed. */
static HANDLE victim_file(void)
{
  char path[MAX_PATH];
  GetTempPathA(sizeof path, path);
  snprintf(path + strlen(path), sizeof path - strlen(path),
           "fdpass-victim-%lu", GetCurrentProcessId());
  HANDLE file = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                            CREATE_ALWAYS, FILE_FLAG_DELETE_ON_CLOSE, NULL);
  CHECK(file != INVALID_HANDLE_VALUE, "cannot create %s", path);
  DWORD n;
  CHECK(WriteFile(file, VICTIM_DATA, sizeof VICTIM_DATA - 1, &n, NULL),
        "WriteFile failed");
  return file;
}

/* Once told, say whether `file` is still ours with its data. */
static void victim_report(SOCKET s, HANDLE file)
{
  char got[64] = {0};
  DWORD n;
  wait_ack(s);
  SetFilePointer(file, 0, NULL, FILE_BEGIN);
  BOOL intact = ReadFile(file, got, sizeof got - 1, &n, NULL) &&
                strcmp(got, VICTIM_DATA) == 0;
  send_raw(s, intact ? "i" : "s", 1);
  if (intact)
    CloseHandle(file);
}

static void child_victim(SOCKET s)
{
  HANDLE file = victim_file();
  uint64_t value = (uint64_t)(uintptr_t)file;
  DWORD pid = GetCurrentProcessId();
  send_raw(s, &pid, sizeof pid);
  send_raw(s, &value, sizeof value);
  victim_report(s, file);
}

/* The forger is told (by the test process, over its own connection) how
 * to attack, a pid and a handle value, and names them in a message: over
 * the receiver's pipe ('p'), over TCP as IO::FDPass ('t'), or so over
 * IPv6 loopback to the port it is told ('6'). */
static void child_forger(SOCKET s)
{
  char how;
  DWORD pid;
  uint64_t value;
  u_short port;
  recv_raw(s, &how, 1);
  recv_raw(s, &pid, sizeof pid);
  recv_raw(s, &value, sizeof value);
  recv_raw(s, &port, sizeof port);
  if (how == 'p') {
    unsigned char head[64];
    int sock = connect_to_parent();
    write_message(int_handle(sock), head, pipe_head(head, pid, 1, 1, &value));
    write_message(int_handle(sock), "", 1);
    wait_ack(s);
    CloseHandle(int_handle(sock));
    return;
  }
  SOCKET out = s;
  if (how == 'c' || how == 'f') {
    /* IPv4, closing its socket before the receiver reads: as IO::FDPass
     * ('c'), or as a frame whose "proof" is the victim's file ('f'). */
    struct sockaddr_in address = {.sin_family = AF_INET};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = port;
    out = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    CHECK(connect(out, (struct sockaddr *)&address, sizeof address) == 0,
          "cannot connect over 127.0.0.1");
    HANDLE h = (HANDLE)(uintptr_t)value;
    unsigned char frame[16 + 2 * sizeof(HANDLE) + 16 + 1] = {0};
    DWORD words[4] = {0, pid, 1, 1};
    memcpy(frame, words, sizeof words);
    memcpy(frame + 16, &h, sizeof h);
    memset(frame + 16 + sizeof h, 0x5a, 16);
    memcpy(frame + 32 + sizeof h, &h, sizeof h);
    if (how == 'c') {
      send_raw(out, &pid, sizeof pid);
      send_raw(out, &h, sizeof h);
    } else {
      send_raw(out, frame, sizeof frame);
    }
    closesocket(out);
    return;
  }
  if (how == '6') {
    struct sockaddr_in6 address = {.sin6_family = AF_INET6};
    address.sin6_addr = in6addr_loopback;
    address.sin6_port = port;
    out = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    CHECK(connect(out, (struct sockaddr *)&address, sizeof address) == 0,
          "cannot connect over ::1");
  }
  HANDLE h = (HANDLE)(uintptr_t)value;
  send_raw(out, &pid, sizeof pid);
  send_raw(out, &h, sizeof h);
  wait_ack(s);
  if (out != s)
    closesocket(out);
}

static void start_forger(char how, DWORD pid, uint64_t value, u_short port,
                         struct child *c)
{
  start_child("forger", NULL, c);
  send_raw(c->sock, &how, 1);
  send_raw(c->sock, &pid, sizeof pid);
  send_raw(c->sock, &value, sizeof value);
  send_raw(c->sock, &port, sizeof port);
}

static void start_victim(struct child *c, DWORD *pid, uint64_t *value)
{
  start_child("victim", NULL, c);
  recv_raw(c->sock, pid, sizeof *pid);
  recv_raw(c->sock, value, sizeof *value);
}

static char victim_verdict(struct child *victim)
{
  char verdict = 0;
  send_ack(victim->sock);
  recv_raw(victim->sock, &verdict, 1);
  return verdict;
}

/* Attack 1 over a named pipe: the forger names the victim's file handle.
 * The receiver refuses (the kernel names the forger as its peer) and the
 * victim's handle and data are untouched. */
static void steal_over_pipe(void)
{
  char name[64];
  int listener, sock, fd;
  DWORD victim_pid;
  uint64_t value;
  struct child victim, forger;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  start_victim(&victim, &victim_pid, &value);
  start_forger('p', victim_pid, value, 0, &forger);
  CHECK_OK(fdpass_accept(listener, &sock));
  CHECK_STATUS(fdpass_recv(sock, &fd), FDPASS_EACCES);
  char verdict = victim_verdict(&victim);
  CHECK(verdict == 'i', "the victim's handle was taken (%c)", verdict);
  send_ack(forger.sock);
  finish_child(&forger);
  finish_child(&victim);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
}

/* Attack 2 over a named pipe: the forger names one of the receiver's own
 * handles; the receiver refuses and its handle stays open and its own. */
static void self_attack_over_pipe(void)
{
  char name[64];
  int listener, sock, fd;
  HANDLE mine = CreateEventA(NULL, TRUE, FALSE, NULL);
  struct child forger;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  start_forger('p', GetCurrentProcessId(), (uint64_t)(uintptr_t)mine, 0,
               &forger);
  CHECK_OK(fdpass_accept(listener, &sock));
  CHECK_STATUS(fdpass_recv(sock, &fd), FDPASS_EACCES);
  CHECK(SetEvent(mine) && WaitForSingleObject(mine, 0) == WAIT_OBJECT_0,
        "the receiver's own handle was closed");
  CloseHandle(mine);
  send_ack(forger.sock);
  finish_child(&forger);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
}

/* Attack 1 over loopback TCP, IO::FDPass's protocol, the forger's
 * message read from `sock`: the receiver checks the sender against the
 * owner the TCP table names, and refuses IO::FDPass's form (which has no
 * proof) where it names none: FDPASS_EACCES, the victim intact. */
static void receive_forgery_over_tcp(int sock, struct child *victim,
                                     struct child *forger)
{
  int fd;
  int64_t owner = 0;
  CHECK_OK(fdpass_peer_credentials(sock, &owner, NULL, NULL));
  CHECK(owner == -1 || owner == (int64_t)forger->pi.dwProcessId,
        "owner %lld", (long long)owner);
  CHECK_STATUS(fdpass_recv(sock, &fd), FDPASS_EACCES);
  char verdict = victim_verdict(victim);
  CHECK(verdict == 'i', "the victim's handle was taken (%c)", verdict);
  if (owner == -1)
    printf("note: the TCP table names no owner: refused all the same\n");
  send_ack(forger->sock);
  finish_child(forger);
  finish_child(victim);
}

static void steal_over_tcp(void)
{
  DWORD victim_pid;
  uint64_t value;
  struct child victim, forger;
  start_victim(&victim, &victim_pid, &value);
  start_forger('t', victim_pid, value, 0, &forger);
  receive_forgery_over_tcp(forger.isock, &victim, &forger);
}

/* The same over IPv6 loopback, where Wine's TCP table names no owner. */
static void steal_over_tcp6(void)
{
  struct sockaddr_in6 address;
  SOCKET listener = listen_ipv6(&address);
  DWORD victim_pid;
  uint64_t value;
  struct child victim, forger;
  start_victim(&victim, &victim_pid, &value);
  start_forger('6', victim_pid, value, address.sin6_port, &forger);
  SOCKET sock = accept(listener, NULL, NULL);
  closesocket(listener);
  CHECK(sock != INVALID_SOCKET, "accept failed");
  receive_forgery_over_tcp((int)sock, &victim, &forger);
  closesocket(sock);
}

/* A listener on IPv4 loopback and its address. */
static SOCKET listen_ipv4(struct sockaddr_in *address)
{
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  CHECK(listener != INVALID_SOCKET, "socket failed");
  memset(address, 0, sizeof *address);
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int size = sizeof *address;
  CHECK(bind(listener, (struct sockaddr *)address, size) == 0 &&
            listen(listener, 1) == 0 &&
            getsockname(listener, (struct sockaddr *)address, &size) == 0,
        "cannot listen on 127.0.0.1: %d", WSAGetLastError());
  return listener;
}

/* Issue 24, 1: over IPv4 TCP a forger names the victim's file handle as
 * IO::FDPass would, closes its socket and exits before the receiver
 * reads. The TCP table then names no owner: the receiver must refuse
 * (FDPASS_EACCES), and the victim keeps its file. */
static void forger_closes_first(char how)
{
  struct sockaddr_in address;
  SOCKET listener = listen_ipv4(&address);
  DWORD victim_pid;
  uint64_t value;
  struct child victim, forger;
  start_victim(&victim, &victim_pid, &value);
  start_forger(how, victim_pid, value, address.sin_port, &forger);
  CHECK(WaitForSingleObject(forger.pi.hProcess, TIMEOUT_MS) == WAIT_OBJECT_0,
        "the forger did not exit");
  SOCKET sock = accept(listener, NULL, NULL);
  closesocket(listener);
  CHECK(sock != INVALID_SOCKET, "accept failed");
  char buf[4];
  int fd = -1;
  size_t len = sizeof buf, nfds = 1;
  int status = fdpass_recv_fds((int)sock, buf, &len, &fd, &nfds, 0);
  if (status == FDPASS_OK && nfds == 1)
    _close(fd);
  closesocket(sock);
  char verdict = victim_verdict(&victim);
  finish_child(&forger);
  finish_child(&victim);
  CHECK(status == FDPASS_EACCES, "%c: fdpass_recv_fds returned %s", how,
        fdpass_errname(status));
  CHECK(verdict == 'i', "%c: the victim's handle was taken (%c)", how,
        verdict);
}

static void tcp_forger_closes_first(void)
{
  forger_closes_first('c'); /* IO::FDPass's form: no proof */
  forger_closes_first('f'); /* a frame with a false proof */
}

/* Issue 24, 2: the connector of a pipe starts a child that inherits its
 * pipe end; the child names the connector's file handle with the
 * connector's pid, which is the pid the kernel names. The receiver must
 * refuse (FDPASS_EACCES), and the connector keeps its file. */
static void child_connector(SOCKET s)
{
  char command[2 * MAX_PATH];
  HANDLE file = victim_file();
  int sock = connect_to_parent();
  CHECK(SetHandleInformation(int_handle(sock), HANDLE_FLAG_INHERIT,
                             HANDLE_FLAG_INHERIT),
        "SetHandleInformation failed");
  snprintf(command, sizeof command, "\"%s\" inherited %d %lu %llu", self_path,
           sock, GetCurrentProcessId(),
           (unsigned long long)(uintptr_t)file);
  STARTUPINFOA startup = {.cb = sizeof startup};
  PROCESS_INFORMATION pi;
  CHECK(CreateProcessA(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL,
                       &startup, &pi),
        "CreateProcess failed: %lu", GetLastError());
  DWORD code = 1;
  WaitForSingleObject(pi.hProcess, TIMEOUT_MS);
  GetExitCodeProcess(pi.hProcess, &code);
  CloseHandle(pi.hProcess);
  CloseHandle(pi.hThread);
  CHECK(code == 0, "the inheriting child exited with %lu", code);
  send_ack(s); /* the forged message is in the pipe */
  victim_report(s, file);
  CloseHandle(int_handle(sock));
}

/* The inheriting child: one forged message on the inherited end. */
static int run_inherited(const char *end, const char *pid, const char *value)
{
  if (setjmp(harness_escape) != 0) {
    fprintf(stderr, "inherited: %s\n", harness_message);
    return 1;
  }
  unsigned char head[64];
  uint64_t v = strtoull(value, NULL, 10);
  HANDLE h = int_handle(atoi(end));
  DWORD size = pipe_head(head, (DWORD)strtoul(pid, NULL, 10), 1, 1, &v);
  memcpy(head + 16, &v, sizeof v); /* a real handle as the "proof" */
  write_message(h, head, size);
  write_message(h, "", 1);
  return 0;
}

static void inherited_pipe_end(void)
{
  char name[64];
  int listener, sock, fd = -1;
  struct child c;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  start_child("connector", NULL, &c);
  CHECK_OK(fdpass_accept(listener, &sock));
  wait_ack(c.sock);
  int status = fdpass_recv(sock, &fd);
  if (fd >= 0)
    _close(fd);
  send_ack(c.sock);
  char verdict = 0;
  recv_raw(c.sock, &verdict, 1);
  finish_child(&c);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
  CHECK(status == FDPASS_EACCES, "fdpass_recv returned %s",
        fdpass_errname(status));
  CHECK(verdict == 'i', "the connector's handle was taken (%c)", verdict);
}

/* Issue 24, 3: a squatter makes an instance of a live listener's name
 * (Wine lets any process; Windows only the listener's user), and runs as
 * a process this user may not inspect (its DACL is empty). Clients must
 * refuse it before sending a byte: fdpass_connect and
 * fdpass_connect_holder are FDPASS_EACCES, and the squatter reads nothing.
 * (Wine runs every process as one user, so a squatter of another user
 * cannot be made; one this process may not inspect is refused alike.) */
static void child_squatter(SOCKET s)
{
  char name[64], full[96], buf[256];
  DWORD total = 0, n;
  test_pipe_name(name, sizeof name, parent_pid);
  snprintf(full, sizeof full, "\\\\.\\pipe\\%s", name);
  HANDLE h = CreateNamedPipeA(full, PIPE_ACCESS_DUPLEX,
                              PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE |
                                  PIPE_WAIT,
                              PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
  CHECK(h != INVALID_HANDLE_VALUE, "cannot squat: %lu", GetLastError());
  send_ack(s);
  for (int client = 0; client < 2; client++) {
    CHECK(ConnectNamedPipe(h, NULL) || GetLastError() == ERROR_PIPE_CONNECTED,
          "ConnectNamedPipe failed: %lu", GetLastError());
    while (ReadFile(h, buf, sizeof buf, &n, NULL) ||
           GetLastError() == ERROR_MORE_DATA)
      total += n;
    DisconnectNamedPipe(h);
  }
  CloseHandle(h);
  send_raw(s, &total, sizeof total);
}

static void squatted_pipe_name(void)
{
  char name[64];
  int listener, sock = -1;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  struct child c;
  start_closed_child("squatter", &c);
  wait_ack(c.sock);
  int plain = fdpass_connect(name, &sock);
  if (plain == FDPASS_OK)
    CloseHandle(int_handle(sock));
  int holder = fdpass_connect_holder(name, &sock);
  if (holder == FDPASS_OK)
    CloseHandle(int_handle(sock));
  DWORD read = 0;
  recv_raw(c.sock, &read, sizeof read);
  finish_child(&c);
  CloseHandle(int_handle(listener));
  CHECK(plain == FDPASS_EACCES && holder == FDPASS_EACCES,
        "fdpass_connect gave %s, fdpass_connect_holder %s",
        fdpass_errname(plain), fdpass_errname(holder));
  CHECK(read == 0, "the squatter read %lu bytes", read);
}

/* Issue 24, 5: a peer that names pseudo handles (the current process,
 * thread, token: -1, -2, -4) or NULL gets FDPASS_EPROTO, never a handle
 * to its process. */
static void pseudo_handles_refused(void)
{
  static const int64_t pseudo[] = {-1, -2, -4, -5, -6, 0};
  for (size_t i = 0; i < sizeof pseudo / sizeof *pseudo; i++) {
    int a, b;
    unsigned char head[64];
    uint64_t value = (uint64_t)pseudo[i];
    void *got = NULL;
    CHECK_OK(fdpass_socketpair(&a, &b));
    write_message(int_handle(a), head,
                  pipe_head(head, GetCurrentProcessId(), 1, 1, &value));
    write_message(int_handle(a), "", 1);
    int status = fdpass_recv_handle((uintptr_t)b, &got);
    if (status == FDPASS_OK)
      CloseHandle(got);
    CloseHandle(int_handle(a));
    CloseHandle(int_handle(b));
    CHECK(status == FDPASS_EPROTO, "value %lld: fdpass_recv_handle gave %s",
          (long long)pseudo[i], fdpass_errname(status));
  }
}

/* A proof whose pages were never committed (a SEC_RESERVE section): the
 * receiver reads it without faulting, refuses the message, and the handle
 * it names stays the sender's. */
static void uncommitted_proof_refused(void)
{
  int a, b, p[2];
  unsigned char head[64];
  HANDLE section = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL,
                                      PAGE_READWRITE | SEC_RESERVE, 0, 65536,
                                      NULL);
  CHECK(section != NULL, "CreateFileMapping failed: %lu", GetLastError());
  make_pipe(p);
  uint64_t value = (uint64_t)(uintptr_t)crt_handle(p[1]);
  uint64_t proof = (uint64_t)(uintptr_t)section;
  CHECK_OK(fdpass_socketpair(&a, &b));
  DWORD size = pipe_head(head, GetCurrentProcessId(), 1, 1, &value);
  memcpy(head + 16, &proof, sizeof proof);
  write_message(int_handle(a), head, size);
  write_message(int_handle(a), "", 1);
  int fd = -1;
  int status = fdpass_recv(b, &fd);
  if (fd >= 0)
    _close(fd);
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
  CloseHandle(section);
  CHECK(status == FDPASS_EACCES, "fdpass_recv gave %s",
        fdpass_errname(status));
  write_text(p[1], "still ours"); /* the named handle was not taken */
  _close(p[1]);
  char got[64];
  read_all(p[0], got, sizeof got);
  _close(p[0]);
  CHECK(strcmp(got, "still ours") == 0, "read \"%s\"", got);
}

/* ---- non-blocking receives never wait for a stalled peer ----------- */

/* The stalling peer, a second process: it sends the first part of a
 * message (over the test process's pipe, 'p': the head; over TCP, 't': 2
 * bytes), then waits until told, then sends the rest. */
static void child_stall(SOCKET s)
{
  char how;
  recv_raw(s, &how, 1);
  if (how == 'p') {
    unsigned char head[64];
    int sock = connect_to_parent();
    write_message(int_handle(sock), head,
                  pipe_head(head, GetCurrentProcessId(), 0, 5, NULL));
    wait_ack(s);
    write_message(int_handle(sock), "later", 5);
    wait_ack(s);
    CloseHandle(int_handle(sock));
  } else {
    unsigned char frame[16 + sizeof(HANDLE) + 16] = {0};
    DWORD words[4] = {0, GetCurrentProcessId(), 0, 5};
    memcpy(frame, words, sizeof words);
    send_raw(s, frame, 2);
    wait_ack(s);
    send_raw(s, (char *)frame + 2, sizeof frame - 2);
    send_raw(s, "later", 5);
    wait_ack(s);
  }
}

/* FDPASS_NONBLOCK returns FDPASS_EAGAIN at once while the peer has sent
 * part of a message, and consumes nothing: once the peer sends the rest,
 * the whole message reads. */
static void expect_stalled_then_whole(int sock, struct child *c)
{
  int fd;
  char buf[16];
  size_t len = sizeof buf, nfds = 1;
  CHECK_OK(fdpass_wait(sock, FDPASS_READABLE, TIMEOUT_MS));
  ULONGLONG start = GetTickCount64();
  CHECK_STATUS(fdpass_recv_fds(sock, buf, &len, &fd, &nfds, FDPASS_NONBLOCK),
               FDPASS_EAGAIN);
  CHECK(GetTickCount64() - start < 1000, "EAGAIN took %llu ms",
        GetTickCount64() - start);
  send_ack(c->sock);
  len = sizeof buf;
  CHECK_OK(fdpass_recv_fds(sock, buf, &len, &fd, &nfds, 0));
  CHECK(len == 5 && memcmp(buf, "later", 5) == 0 && nfds == 0,
        "got %zu bytes and %zu descriptors", len, nfds);
  send_ack(c->sock);
}

static void nonblock_stalled_pipe_peer(void)
{
  char name[64];
  int listener, sock;
  struct child c;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  start_child("stall", NULL, &c);
  send_raw(c.sock, "p", 1);
  CHECK_OK(fdpass_accept(listener, &sock));
  expect_stalled_then_whole(sock, &c);
  finish_child(&c);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
}

static void nonblock_stalled_tcp_peer(void)
{
  struct child c;
  start_child("stall", NULL, &c);
  send_raw(c.sock, "t", 1);
  expect_stalled_then_whole(c.isock, &c);
  finish_child(&c);
}

/* A peer that does not speak the protocol: FDPASS_EPROTO, not ENOTSUP. */
static void pipe_bad_peer(void)
{
  int a, b, fd;
  unsigned char head[64];
  uint64_t too_wide = 0x123456789ull;
  CHECK_OK(fdpass_socketpair(&a, &b));
  write_message(int_handle(a), "garbage", 7);
  CHECK_STATUS(fdpass_recv(b, &fd), FDPASS_EPROTO);
  write_message(int_handle(a), head,
                pipe_head(head, GetCurrentProcessId(), 1, 1, &too_wide));
  CHECK_STATUS(fdpass_recv(b, &fd), FDPASS_EPROTO);
  write_message(int_handle(a), head,
                pipe_head(head, GetCurrentProcessId(), 0, 9, NULL));
  write_message(int_handle(a), "short", 5);
  char buf[16];
  size_t len = sizeof buf, nfds = 0;
  CHECK_STATUS(fdpass_recv_fds(b, buf, &len, NULL, &nfds, 0), FDPASS_EPROTO);
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
}



/* The TCP table names the owner of an IPv6 loopback connection too (or
 * nobody: -1, never a wrong pid). */
static void tcp_peer_over_ipv6(void)
{
  struct sockaddr_in6 address;
  SOCKET listener = listen_ipv6(&address);
  SOCKET client = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP), server;
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0,
        "cannot connect over ::1: %d", WSAGetLastError());
  server = accept(listener, NULL, NULL);
  CHECK(server != INVALID_SOCKET, "accept failed");
  int64_t pid = 0;
  CHECK_OK(fdpass_peer_credentials((int)server, &pid, NULL, NULL));
  CHECK(pid == -1 || pid == (int64_t)GetCurrentProcessId(), "pid %lld",
        (long long)pid);
  if (pid == -1)
    printf("note: the TCP table names no owner over IPv6\n");
  closesocket(client);
  closesocket(server);
  closesocket(listener);
}

/* ---- sockets the Winsock way --------------------------------------- */

/* The child takes a listening socket and serves one client on it, then a
 * connected socket and writes into it; both came as WSAPROTOCOL_INFOW. */
static void child_socket_user(SOCKET s)
{
  int sock = connect_to_parent();
  uintptr_t listener, connected;
  CHECK_OK(fdpass_recv_socket(sock, &listener));
  CHECK(!is_inheritable((HANDLE)listener), "received socket is inheritable");
  SOCKET client = accept((SOCKET)listener, NULL, NULL);
  CHECK(client != INVALID_SOCKET, "accept on the received socket failed");
  send_raw(client, "served by the child", 19);
  closesocket(client);
  closesocket((SOCKET)listener);
  CHECK_OK(fdpass_recv_socket(sock, &connected));
  send_raw((SOCKET)connected, "written by the child", 20);
  closesocket((SOCKET)connected);
  wait_ack(s);
  CloseHandle(int_handle(sock));
}

static void pass_sockets_winsock_way(void)
{
  char name[64], got[32] = {0};
  int pipe_listener, sock;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &pipe_listener));
  struct child c;
  start_child("socket_user", NULL, &c);
  CHECK_OK(fdpass_accept(pipe_listener, &sock));

  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int size = sizeof address;
  CHECK(bind(listener, (struct sockaddr *)&address, size) == 0 &&
            listen(listener, 1) == 0 &&
            getsockname(listener, (struct sockaddr *)&address, &size) == 0,
        "cannot listen");
  CHECK_OK(fdpass_send_socket(sock, listener));
  closesocket(listener); /* the child's copy still listens */
  SOCKET client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  CHECK(connect(client, (struct sockaddr *)&address, size) == 0,
        "connect failed");
  recv_raw(client, got, 19);
  CHECK(strcmp(got, "served by the child") == 0, "got \"%s\"", got);
  closesocket(client);

  uintptr_t mine, theirs;
  CHECK_OK(fdpass_socketpair_tcp(&mine, &theirs));
  CHECK_OK(fdpass_send_socket(sock, theirs));
  closesocket((SOCKET)theirs);
  memset(got, 0, sizeof got);
  recv_raw((SOCKET)mine, got, 20);
  CHECK(strcmp(got, "written by the child") == 0, "got \"%s\"", got);
  closesocket((SOCKET)mine);

  CHECK_STATUS(fdpass_send_socket(sock, (uintptr_t)INVALID_SOCKET),
               FDPASS_EBADF);
  CHECK_STATUS(fdpass_recv_socket(sock, NULL), FDPASS_EINVAL);
  send_ack(c.sock);
  finish_child(&c);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(pipe_listener));
}

/* A message that is no socket: FDPASS_ENOFD, consumed. */
static void recv_socket_not_a_socket(void)
{
  int a, b;
  uintptr_t s;
  CHECK_OK(fdpass_socketpair(&a, &b));
  size_t len = 5;
  CHECK_OK(fdpass_send_fds(a, "hello", &len, NULL, 0, 0));
  CHECK_STATUS(fdpass_recv_socket(b, &s), FDPASS_ENOFD);
  /* A socket's message whose handle is a pipe: FDPASS_EPROTO, closed. */
  static const char tag[] = "fdpass-socket";
  int p[2];
  make_pipe(p);
  len = sizeof tag;
  CHECK_OK(fdpass_send_fds(a, tag, &len, &p[0], 1, 0));
  CHECK_STATUS(fdpass_recv_socket(b, &s), FDPASS_EPROTO);
  _close(p[0]);
  _close(p[1]);
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
}

/* Issue 24, 6: a second server (a restart's) calls fdpass_listen on a
 * name a first one (a child, in fdpass_accept) serves. It must return
 * FDPASS_EADDRINUSE in bounded time, and the first server must not have
 * taken it for a client: its first client is the real one. */
static void child_pipe_server(SOCKET s)
{
  char name[64], buf[8] = {0};
  int listener, sock;
  size_t len = sizeof buf - 1, nfds = 0;
  test_pipe_name(name, sizeof name, parent_pid);
  CHECK_OK(fdpass_listen(name, &listener));
  send_ack(s);
  CHECK_OK(fdpass_accept(listener, &sock));
  int status = fdpass_recv_fds(sock, buf, &len, NULL, &nfds, 0);
  send_raw(s, status == FDPASS_OK && strcmp(buf, "real") == 0 ? "r" : "b",
           1);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
}

struct listen_call {
  const char *name;
  int listener, status;
};

static DWORD WINAPI call_listen(void *arg)
{
  struct listen_call *call = arg;
  call->status = fdpass_listen(call->name, &call->listener);
  return 0;
}

static void listen_on_served_name(void)
{
  char name[64];
  struct child c;
  struct listen_call call = {name, -1, 0};
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  start_child("pipe_server", NULL, &c);
  wait_ack(c.sock);
  HANDLE thread = CreateThread(NULL, 0, call_listen, &call, 0, NULL);
  DWORD waited = WaitForSingleObject(thread, 10000);
  CloseHandle(thread);
  CHECK(waited == WAIT_OBJECT_0, "fdpass_listen still waits after 10 s");
  if (call.status == FDPASS_OK)
    CloseHandle(int_handle(call.listener));
  CHECK(call.status == FDPASS_EADDRINUSE, "fdpass_listen returned %s",
        fdpass_errname(call.status));
  int sock;
  size_t len = 4;
  CHECK_OK(fdpass_connect(name, &sock));
  CHECK_OK(fdpass_send_fds(sock, "real", &len, NULL, 0, 0));
  char verdict = 0;
  recv_raw(c.sock, &verdict, 1);
  CloseHandle(int_handle(sock));
  finish_child(&c);
  CHECK(verdict == 'r', "the first server took a bogus client first");
}

/* Issue 24, 9: codes that name the cause. A handle that is no file (an
 * event) has no C runtime descriptor: FDPASS_EBADF from fdpass_recv and
 * fdpass_recv_fds (not EMFILE or ETRUNC: the table is not full). Over TCP
 * a value beyond 32 significant bits or a pseudo handle is FDPASS_EPROTO,
 * as over a pipe. */
static void codes_name_the_cause(void)
{
  int a, b, fd;
  HANDLE event = CreateEventA(NULL, TRUE, FALSE, NULL);
  CHECK_OK(fdpass_socketpair(&a, &b));
  CHECK_OK(fdpass_send_handle((uintptr_t)a, event));
  CHECK_STATUS(fdpass_recv(b, &fd), FDPASS_EBADF);
  CHECK_OK(fdpass_send_handle((uintptr_t)a, event));
  char byte;
  size_t len = 1, nfds = 1;
  CHECK_STATUS(fdpass_recv_fds(b, &byte, &len, &fd, &nfds, 0), FDPASS_EBADF);
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
  CloseHandle(event);

  struct local l;
  open_local(&l);
  static const int64_t values[] = {0x100000004ll, -1, -4};
  for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
    unsigned char wire[sizeof(DWORD) + sizeof(HANDLE)];
    DWORD pid = GetCurrentProcessId();
    HANDLE h = (HANDLE)(intptr_t)values[i];
    memcpy(wire, &pid, sizeof pid);
    memcpy(wire + sizeof pid, &h, sizeof h);
    send_raw((SOCKET)l.a, wire, sizeof wire);
    CHECK_STATUS(fdpass_recv(l.b, &fd), FDPASS_EPROTO);
  }
  close_local(&l);
}

/* Issue 24, 10: an acceptor hands its pipe end on to a worker (the test
 * process), and the client sends a listening socket over it. The socket
 * is made by the receiver from the socket's own handle, not for the
 * process the client took for its peer, so the worker gets the client's
 * listener, and it accepts a connection. */
static void child_handoff_acceptor(SOCKET s)
{
  char name[64];
  int listener, sock;
  test_pipe_name(name, sizeof name, parent_pid);
  CHECK_OK(fdpass_listen(name, &listener));
  send_ack(s);
  CHECK_OK(fdpass_accept(listener, &sock));
  CHECK_OK(fdpass_send_handle(s, int_handle(sock)));
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
  wait_ack(s);
}

static void child_socket_sender(SOCKET s)
{
  struct sockaddr_in address;
  int sock = connect_to_parent();
  SOCKET listener = listen_ipv4(&address);
  CHECK_OK(fdpass_send_socket((uintptr_t)sock, listener));
  closesocket(listener);
  wait_ack(s);
  CloseHandle(int_handle(sock));
}

static void socket_over_handed_off_end(void)
{
  struct child acceptor, sender;
  HANDLE end;
  uintptr_t got = 0;
  start_child("handoff_acceptor", NULL, &acceptor);
  wait_ack(acceptor.sock);
  start_child("socket_sender", NULL, &sender);
  CHECK_OK(fdpass_recv_handle(acceptor.sock, (void **)&end));
  int status = fdpass_recv_socket((uintptr_t)end, &got);
  SOCKET client = INVALID_SOCKET, accepted = INVALID_SOCKET;
  struct sockaddr_in address;
  int size = sizeof address;
  if (status == FDPASS_OK &&
      getsockname((SOCKET)got, (struct sockaddr *)&address, &size) == 0) {
    client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (connect(client, (struct sockaddr *)&address, size) == 0)
      accepted = accept((SOCKET)got, NULL, NULL);
  }
  send_ack(sender.sock);
  send_ack(acceptor.sock);
  finish_child(&sender);
  finish_child(&acceptor);
  CloseHandle(end);
  closesocket(accepted);
  closesocket(client);
  if (status == FDPASS_OK)
    closesocket((SOCKET)got);
  CHECK(status == FDPASS_OK, "fdpass_recv_socket gave %s",
        fdpass_errname(status));
  CHECK(accepted != INVALID_SOCKET,
        "the sender's listener, received, accepts no connection");
}

/* Issue 24, 8: FDPASS_NONBLOCK never blocks. Nobody reads the TCP
 * pair: non-blocking sends of 4 MiB with a descriptor each return at
 * once, OK with a short *len (the rest is the next call's), until
 * FDPASS_EAGAIN; each call within a second, whatever the load. */
struct nonblock_sends {
  int sock, fd, status, calls;
  size_t first, total;
};

static DWORD WINAPI send_until_full(void *arg)
{
  struct nonblock_sends *n = arg;
  static char big[4 << 20];
  for (n->calls = 0; n->calls < 100000; n->calls++) {
    size_t len = sizeof big;
    ULONGLONG start = GetTickCount64();
    n->status = fdpass_send_fds(n->sock, big, &len, &n->fd, 1,
                                FDPASS_NONBLOCK);
    if (GetTickCount64() - start > 1000)
      return 1;
    if (n->calls == 0)
      n->first = len;
    n->total += len;
    if (n->status != FDPASS_OK)
      return 0;
  }
  return 0;
}

/* Run send_until_full in a thread, bounded: it must end with
 * FDPASS_EAGAIN after a first send that went out short. */
static void sends_until_full(struct nonblock_sends *n)
{
  HANDLE thread = CreateThread(NULL, 0, send_until_full, n, 0, NULL);
  DWORD waited = WaitForSingleObject(thread, 20000), slow = 1;
  GetExitCodeThread(thread, &slow);
  CloseHandle(thread);
  CHECK(waited == WAIT_OBJECT_0 && slow == 0,
        "a non-blocking send waited (call %d)", n->calls);
  CHECK(n->status == FDPASS_EAGAIN && n->first > 0 && n->first < (4 << 20),
        "%d calls, the last %s, the first sent %zu bytes", n->calls,
        fdpass_errname(n->status), n->first);
}

static void nonblock_tcp_send_never_blocks(void)
{
  struct local l;
  int small = 8192;
  open_local(&l);
  setsockopt((SOCKET)l.a, SOL_SOCKET, SO_SNDBUF, (char *)&small, sizeof small);
  setsockopt((SOCKET)l.b, SOL_SOCKET, SO_RCVBUF, (char *)&small, sizeof small);
  struct nonblock_sends n = {l.a, l.p[1], 0, 0, 0, 0};
  sends_until_full(&n);
  /* Each call that went out left its duplicate in this process until the
   * peer takes it: nobody will (the documented leak), so count them. */
  expect_handle_change(2 * n.calls);
  close_local(&l);
}

/* The same over a named pipe pair: nobody reads until the sends return
 * FDPASS_EAGAIN (a call sends frames of up to 2 KiB while the pipe takes
 * them); then every byte and descriptor that went out reads, and nothing
 * else is there (a cancelled write left nothing behind). */
static void nonblock_pipe_send_never_blocks(void)
{
  int a, b, p[2];
  make_pipe(p);
  CHECK_OK(fdpass_socketpair(&a, &b));
  struct nonblock_sends n = {a, p[1], 0, 0, 0, 0};
  sends_until_full(&n);
  static char buf[8192];
  size_t bytes = 0, fds = 0, len, nfds;
  int fd, status;
  for (;;) {
    len = sizeof buf;
    nfds = 1;
    status = fdpass_recv_fds(b, buf, &len, &fd, &nfds, FDPASS_NONBLOCK);
    if (status != FDPASS_OK)
      break;
    CHECK(len <= 2048, "a frame of %zu bytes", len);
    bytes += len;
    fds += nfds;
    if (nfds == 1)
      _close(fd);
  }
  CHECK(status == FDPASS_EAGAIN && bytes == n.total &&
            fds == (size_t)n.calls,
        "then %s, %zu bytes and %zu descriptors; sent %zu and %d",
        fdpass_errname(status), bytes, fds, n.total, n.calls);
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
  _close(p[0]);
  _close(p[1]);
}

/* IO::FDPass's form over fdpass_socketpair_tcp: from `a` (which
 * connected) to `b` it is taken; from `b` (which was accepted) to `a` it
 * is taken where the TCP table names `b`'s owner, and refused
 * (FDPASS_EACCES, nothing taken) where it does not, as under Wine. */
static void tcp_pair_directions(void)
{
  struct local l;
  int fd;
  int64_t owner_of_b = 0;
  open_local(&l);
  CHECK_OK(fdpass_send(l.a, l.p[1]));
  CHECK_OK(fdpass_recv(l.b, &fd));
  _close(fd);
  CHECK_OK(fdpass_peer_credentials(l.a, &owner_of_b, NULL, NULL));
  CHECK_OK(fdpass_send(l.b, l.p[1]));
  int status = fdpass_recv(l.a, &fd);
  if (status == FDPASS_OK)
    _close(fd);
  else /* the refused message's duplicate stays in its sender: here */
    expect_handle_change(1);
  close_local(&l);
  CHECK(status == (owner_of_b == -1 ? FDPASS_EACCES : FDPASS_OK),
        "b's owner %lld, fdpass_recv from b: %s", (long long)owner_of_b,
        fdpass_errname(status));
  if (owner_of_b == -1)
    printf("note: the TCP table names no owner of the accepted end\n");
}

/* The old wire's socket message: the tag, this process's id, and a
 * blob of `s` (Wine's: the value in dwServiceFlags3, marked by
 * 0xff00ff00 in dwServiceFlags4) whose value is changed to `target`.
 * 0 when this Winsock's blob is not Wine's. */
#define SOCKET_TAG "fdpass-socket"
#define OLD_SOCKET_MESSAGE (sizeof SOCKET_TAG + 4 + sizeof(WSAPROTOCOL_INFOW))

static int forge_blob(SOCKET s, HANDLE target, unsigned char *message)
{
  WSAPROTOCOL_INFOW info;
  DWORD me = GetCurrentProcessId();
  CHECK(WSADuplicateSocketW(s, me, &info) == 0,
        "WSADuplicateSocketW failed: %d", WSAGetLastError());
  if (info.dwServiceFlags4 != 0xff00ff00)
    return 0;
  /* the real duplicate, not yet a socket of Winsock's */
  CloseHandle((HANDLE)(uintptr_t)info.dwServiceFlags3);
  info.dwServiceFlags3 = (DWORD)(uintptr_t)target;
  memcpy(message, SOCKET_TAG, sizeof SOCKET_TAG);
  memcpy(message + sizeof SOCKET_TAG, &me, 4);
  memcpy(message + sizeof SOCKET_TAG + 4, &info, sizeof info);
  return 1;
}

/* Send `len` bytes of `message` over `a` with a new handle to `s`, as a
 * genuine sender (with its proof). */
static void send_with_socket(int a, SOCKET s, const void *message,
                             size_t len)
{
  HANDLE copy;
  CHECK(DuplicateHandle(GetCurrentProcess(), (HANDLE)s, GetCurrentProcess(),
                        &copy, 0, FALSE, DUPLICATE_SAME_ACCESS),
        "DuplicateHandle failed");
  int fd = _open_osfhandle((intptr_t)copy, 0);
  CHECK_OK(fdpass_send_fds(a, message, &len, &fd, 1, 0));
  _close(fd);
}

/* The listener at `address` still accepts a connection. */
static void check_listening(SOCKET listener, struct sockaddr_in *address)
{
  SOCKET client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  CHECK(connect(client, (struct sockaddr *)address, sizeof *address) == 0,
        "the receiver's listener is gone");
  SOCKET accepted = accept(listener, NULL, NULL);
  closesocket(client);
  CHECK(accepted != INVALID_SOCKET, "the receiver's listener is gone");
  closesocket(accepted);
}

/* Issue 24, 4: a peer sends a WSAPROTOCOL_INFOW that names the
 * receiver's own listening socket, or an event of the receiver (Wine's
 * WSASocketW hands back the value its blob names). The receiver reads no
 * blob: without a handle (from pid 4) the message is FDPASS_ENOFD; with
 * another socket's handle and a true proof it is longer than a socket
 * message, FDPASS_ETRUNC, the handle closed. Either way the receiver's
 * listener and event stay open and its own. */
static void forged_socket_blob(void)
{
  struct sockaddr_in address;
  SOCKET listener = listen_ipv4(&address);
  SOCKET other = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  HANDLE event = CreateEventA(NULL, TRUE, FALSE, NULL);
  HANDLE targets[2] = {(HANDLE)listener, event};
  unsigned char message[OLD_SOCKET_MESSAGE], head[64];
  int wine_blob = 1, a, b;
  CHECK_OK(fdpass_socketpair(&a, &b));
  for (int i = 0; i < 2 && (wine_blob = forge_blob(other, targets[i],
                                                   message)); i++) {
    uintptr_t got = 0;
    write_message(int_handle(a), head,
                  pipe_head(head, 4, 0, sizeof message, NULL));
    write_message(int_handle(a), message, sizeof message);
    int old_form = fdpass_recv_socket((uintptr_t)b, &got);
    send_with_socket(a, other, message, sizeof message);
    int framed = fdpass_recv_socket((uintptr_t)b, &got);
    CHECK(old_form == FDPASS_ENOFD && framed == FDPASS_ETRUNC,
          "target %d: without the socket's handle %s, with another's %s", i,
          fdpass_errname(old_form), fdpass_errname(framed));
  }
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
  check_listening(listener, &address);
  CHECK(SetEvent(event), "the receiver's event is gone");
  closesocket(other);
  closesocket(listener);
  CloseHandle(event);
  if (!wine_blob)
    SKIP("not Wine's blob: the handle it names is not known here");
}

/* Issue 24, 4: a proven peer that holds a handle to the receiver's own
 * listener sends it with a blob that names the listener's value here,
 * or, as the protocol has it, with no blob. Whatever the receiver
 * returns must be a socket it did not have before: closing it leaves the
 * listener open. The old receiver imported the blob and handed back the
 * listener itself. */
static void socket_alias_never_returned(void)
{
  struct sockaddr_in address;
  SOCKET listener = listen_ipv4(&address);
  unsigned char message[OLD_SOCKET_MESSAGE];
  int wine_blob = forge_blob(listener, (HANDLE)listener, message);
  if (!wine_blob)
    memcpy(message, SOCKET_TAG, sizeof SOCKET_TAG);
  size_t sizes[2] = {sizeof SOCKET_TAG, sizeof message};
  int a, b;
  CHECK_OK(fdpass_socketpair(&a, &b));
  for (int i = 0; i < 1 + wine_blob; i++) {
    send_with_socket(a, listener, message, sizes[i]);
    uintptr_t got = 0;
    int status = fdpass_recv_socket((uintptr_t)b, &got);
    CHECK(status != FDPASS_OK || got != (uintptr_t)listener,
          "message %d: fdpass_recv_socket returned the listener itself", i);
    CHECK(i > 0 || status == FDPASS_OK, "fdpass_recv_socket gave %s",
          fdpass_errname(status));
    if (status == FDPASS_OK)
      closesocket(got);
  }
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
  check_listening(listener, &address);
  closesocket(listener);
  if (!wine_blob)
    SKIP("not Wine's blob: no blob naming the listener was tried");
}

/* Issue 24, 7: a fuzzing peer over a connection whose owner the TCP
 * table does not name (IPv6 under Wine; a peer that is no Windows
 * process) names every live process with random handle values, as
 * IO::FDPass and as frames. Each message must be refused at once
 * (FDPASS_EACCES, or FDPASS_ECLOSED for a process that has exited since),
 * without closing anything anywhere: the receiver used
 * to take, and close with DUPLICATE_CLOSE_SOURCE, whatever was named,
 * which Wine runs in the named process and may wait for without bound. */
#define FUZZ_MESSAGES 60

static void child_fuzzer(SOCKET s)
{
  DWORD pids[64], count;
  u_short port;
  recv_raw(s, &port, sizeof port);
  recv_raw(s, &count, sizeof count);
  CHECK(count > 0 && count <= 64, "%lu pids", count);
  recv_raw(s, pids, count * sizeof *pids);
  struct sockaddr_in6 address = {.sin6_family = AF_INET6};
  address.sin6_addr = in6addr_loopback;
  address.sin6_port = port;
  SOCKET out = socket(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
  CHECK(connect(out, (struct sockaddr *)&address, sizeof address) == 0,
        "cannot connect over ::1");
  uint32_t seed = 24;
  for (int i = 0; i < FUZZ_MESSAGES; i++) {
    unsigned char wire[16 + 5 * sizeof(HANDLE) + 16 + 1] = {0};
    DWORD pid = pids[i % count];
    HANDLE values[5];
    for (int k = 0; k < 5; k++) {
      seed = seed * 1103515245u + 12345u;
      values[k] = (HANDLE)(uintptr_t)(4 + 4 * ((seed >> 8) % 256));
    }
    if (i % 2 == 0) { /* IO::FDPass's form */
      memcpy(wire, &pid, sizeof pid);
      memcpy(wire + sizeof pid, values, sizeof(HANDLE));
      send_raw(out, wire, sizeof pid + sizeof(HANDLE));
    } else { /* a frame: proof, nonce and three values, one data byte */
      DWORD words[4] = {0, pid, 3, 1};
      memcpy(wire, words, sizeof words);
      memcpy(wire + 16, &values[0], sizeof(HANDLE));
      memset(wire + 16 + sizeof(HANDLE), (int)(seed & 0xff), 16);
      memcpy(wire + 32 + sizeof(HANDLE), &values[1], 3 * sizeof(HANDLE));
      send_raw(out, wire, sizeof wire - sizeof(HANDLE));
    }
  }
  wait_ack(s);
  closesocket(out);
}

struct fuzzed_receive {
  int sock, status;
};

static DWORD WINAPI receive_fuzzed(void *arg)
{
  struct fuzzed_receive *r = arg;
  char buf[4];
  int fds[4];
  size_t len = sizeof buf, nfds = 4;
  r->status = fdpass_recv_fds(r->sock, buf, &len, fds, &nfds, 0);
  for (size_t i = 0; r->status == FDPASS_OK && i < nfds; i++)
    _close(fds[i]);
  return 0;
}

static void tcp_fuzzed_peer_never_hangs(void)
{
  struct sockaddr_in6 address;
  SOCKET listener = listen_ipv6(&address);
  DWORD victim_pid, pids[64], count = 0;
  uint64_t value;
  struct child victim, fuzzer;
  start_victim(&victim, &victim_pid, &value);
  HANDLE snapshot = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  PROCESSENTRY32 entry = {.dwSize = sizeof entry};
  for (BOOL more = Process32First(snapshot, &entry); more && count < 64;
       more = Process32Next(snapshot, &entry))
    if (entry.th32ProcessID != 0) /* 0 marks a frame */
      pids[count++] = entry.th32ProcessID;
  CloseHandle(snapshot);
  start_child("fuzzer", NULL, &fuzzer);
  send_raw(fuzzer.sock, &address.sin6_port, sizeof address.sin6_port);
  send_raw(fuzzer.sock, &count, sizeof count);
  send_raw(fuzzer.sock, pids, (int)(count * sizeof *pids));
  SOCKET sock = accept(listener, NULL, NULL);
  closesocket(listener);
  CHECK(sock != INVALID_SOCKET, "accept failed");
  int64_t owner = 0;
  CHECK_OK(fdpass_peer_credentials((int)sock, &owner, NULL, NULL));
  int refused = 0, hung = 0;
  for (int i = 0; i < FUZZ_MESSAGES && !hung; i++) {
    struct fuzzed_receive r = {(int)sock, 0};
    HANDLE thread = CreateThread(NULL, 0, receive_fuzzed, &r, 0, NULL);
    hung = WaitForSingleObject(thread, 5000) != WAIT_OBJECT_0;
    CloseHandle(thread);
    /* FDPASS_ECLOSED: the process named has exited, nothing to take. */
    refused += r.status == FDPASS_EACCES || r.status == FDPASS_ECLOSED;
  }
  send_ack(fuzzer.sock);
  char verdict = victim_verdict(&victim);
  closesocket(sock);
  finish_child(&fuzzer);
  finish_child(&victim);
  CHECK(!hung, "a receive still waits after 5 s (%d refused before)",
        refused);
  CHECK(refused == FUZZ_MESSAGES, "%d of %d messages refused", refused,
        FUZZ_MESSAGES);
  CHECK(verdict == 'i', "the victim's handle was taken (%c)", verdict);
  if (owner != -1)
    SKIP("the TCP table names the fuzzer here: no unnamed peer was tried");
}

/* Issue 24, 7: a genuine sender (a real process, with its proof) sends a
 * file twice, and is suspended (NtSuspendProcess) for the first receive,
 * stopped for the second. Under Wine the receiver moves the handle out
 * of the sender by a call that the sender runs (a system APC); Wine runs
 * those in threads that are merely suspended: the first receive is
 * FDPASS_OK at once. So the sender then stops itself as a hostile one
 * can: SIGSTOP, by the host's `kill`, which Wine starts from its Z:
 * drive. The second receive must come back within its bound, with
 * FDPASS_ETIMEDOUT, and leave nothing behind here once the sender runs
 * again (a third process continues it: Wine keeps a handle of its own
 * for each Unix program started). On Windows, where nothing waits for
 * the sender, both are FDPASS_OK, and the test skips. */

/* The Unix pid of this child (role `role`, connected over `s`), from the
 * host's /proc: Wine gives a process the Windows command line as its
 * own, which ends with the role, the parent's port (unique on this
 * machine while it listens) and the parent's pid. 0 if none. */
static unsigned long unix_pid_of(const char *role, SOCKET s)
{
  char tail[128];
  struct sockaddr_in parent;
  int size = sizeof parent;
  if (getpeername(s, (struct sockaddr *)&parent, &size) != 0)
    return 0;
  snprintf(tail, sizeof tail, " child %s %u %lu", role,
           ntohs(parent.sin_port), parent_pid);
  WIN32_FIND_DATAA entry;
  HANDLE dir = FindFirstFileA("Z:\\proc\\*", &entry);
  unsigned long found = 0;
  for (BOOL more = dir != INVALID_HANDLE_VALUE; more && found == 0;
       more = FindNextFileA(dir, &entry)) {
    char path[MAX_PATH], line[512];
    unsigned long pid = strtoul(entry.cFileName, NULL, 10);
    if (pid == 0)
      continue;
    snprintf(path, sizeof path, "Z:\\proc\\%lu\\cmdline", pid);
    int fd = _open(path, _O_RDONLY | _O_BINARY);
    if (fd < 0)
      continue;
    int n = _read(fd, line, sizeof line - 1);
    _close(fd);
    while (n > 0 && line[n - 1] == 0) /* Wine pads it with NULs */
      n--;
    for (int i = 0; i < n; i++)
      line[i] = line[i] == 0 ? ' ' : line[i];
    line[n > 0 ? n : 0] = 0;
    size_t length = strlen(line), tail_length = strlen(tail);
    if (length > tail_length &&
        strcmp(line + length - tail_length, tail) == 0)
      found = pid;
  }
  if (dir != INVALID_HANDLE_VALUE)
    FindClose(dir);
  return found;
}

/* 1 when Unix process `pid` is stopped, from the host's /proc/PID/stat. */
static int unix_stopped(unsigned long pid)
{
  char path[MAX_PATH], stat[256];
  snprintf(path, sizeof path, "Z:\\proc\\%lu\\stat", pid);
  int fd = _open(path, _O_RDONLY | _O_BINARY);
  if (fd < 0)
    return 0;
  int n = _read(fd, stat, sizeof stat - 1);
  _close(fd);
  stat[n > 0 ? n : 0] = 0;
  const char *end = strrchr(stat, ')');
  return end != NULL && (end[2] == 'T' || end[2] == 't');
}

/* Wait up to 5 s for Unix process `pid` to be `stopped` or not. */
static int unix_await(unsigned long pid, int stopped)
{
  for (int i = 0; i < 100 && unix_stopped(pid) != stopped; i++)
    Sleep(50);
  return unix_stopped(pid) == stopped;
}

/* Start the host's `kill -SIGNAL pid` (Wine cannot tell its exit code). */
static void unix_kill(const char *signal, unsigned long pid)
{
  char command[128];
  snprintf(command, sizeof command, "Z:\\bin\\kill -%s %lu", signal, pid);
  STARTUPINFOA startup = {.cb = sizeof startup};
  PROCESS_INFORMATION pi = {0};
  if (!CreateProcessA(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL,
                      &startup, &pi))
    return;
  if (pi.hProcess != NULL)
    CloseHandle(pi.hProcess);
  if (pi.hThread != NULL)
    CloseHandle(pi.hThread);
}

static void child_stopped_sender(SOCKET s)
{
  int sock = connect_to_parent(), p[2];
  make_pipe(p);
  write_text(p[1], "from a stopped sender");
  _close(p[1]);
  CHECK_OK(fdpass_send(sock, p[0])); /* taken while suspended */
  CHECK_OK(fdpass_send(sock, p[0])); /* and while stopped */
  _close(p[0]);
  send_ack(s);
  wait_ack(s);
  unsigned long me = unix_pid_of("stopped_sender", s);
  send_raw(s, &me, sizeof me);
  if (me != 0)
    unix_kill("STOP", me);
  wait_ack(s);
  CloseHandle(int_handle(sock));
}

static void child_unix_continue(SOCKET s)
{
  unsigned long pid;
  recv_raw(s, &pid, sizeof pid);
  unix_kill("CONT", pid);
  CHECK(unix_await(pid, 0), "Unix process %lu is still stopped", pid);
}

/* fdpass_recv_fds of `r` in a thread (left in `*thread`), waited for up
 * to 15 s: WAIT_OBJECT_0 when it returned, `*took` ms after the start. */
static DWORD bounded_receive(struct fuzzed_receive *r, HANDLE *thread,
                             ULONGLONG *took)
{
  ULONGLONG start = GetTickCount64();
  *thread = CreateThread(NULL, 0, receive_fuzzed, r, 0, NULL);
  DWORD waited = WaitForSingleObject(*thread, 15000);
  *took = GetTickCount64() - start;
  return waited;
}

/* The end of bounded_receive's thread, once the sender runs again. */
static void end_receive(HANDLE thread, DWORD waited)
{
  if (waited != WAIT_OBJECT_0)
    WaitForSingleObject(thread, 5000);
  CloseHandle(thread);
}

static void stopped_sender_never_hangs(void)
{
  typedef LONG(NTAPI * process_fn)(HANDLE);
  HMODULE ntdll = GetModuleHandleA("ntdll.dll");
  process_fn suspend = (process_fn)(void (*)(void))GetProcAddress(
      ntdll, "NtSuspendProcess");
  process_fn resume = (process_fn)(void (*)(void))GetProcAddress(
      ntdll, "NtResumeProcess");
  char name[64];
  int listener, sock;
  test_pipe_name(name, sizeof name, GetCurrentProcessId());
  CHECK_OK(fdpass_listen(name, &listener));
  struct child c, cont;
  start_child("stopped_sender", NULL, &c);
  CHECK_OK(fdpass_accept(listener, &sock));
  wait_ack(c.sock);
  HANDLE thread;
  ULONGLONG took;
  struct fuzzed_receive first = {sock, -1}, r = {sock, -1};
  CHECK(suspend != NULL && resume != NULL && suspend(c.pi.hProcess) == 0,
        "NtSuspendProcess failed");
  DWORD first_waited = bounded_receive(&first, &thread, &took);
  resume(c.pi.hProcess);
  end_receive(thread, first_waited);

  unsigned long unix_pid = 0;
  send_ack(c.sock);
  recv_raw(c.sock, &unix_pid, sizeof unix_pid);
  int stopped = unix_pid != 0 && unix_await(unix_pid, 1);
  long before = count_handles();
  DWORD waited = bounded_receive(&r, &thread, &took);
  if (stopped) {
    start_child("unix_continue", NULL, &cont);
    send_raw(cont.sock, &unix_pid, sizeof unix_pid);
    finish_child(&cont);
  }
  end_receive(thread, waited);
  send_ack(c.sock);
  finish_child(&c);
  /* The receiver's helper ends once the sender ran or exited. */
  for (int i = 0; i < 200 && count_handles() > before; i++)
    Sleep(50);
  CloseHandle(int_handle(sock));
  CloseHandle(int_handle(listener));
  CHECK(first_waited == WAIT_OBJECT_0 && first.status == FDPASS_OK,
        "from a suspended sender: %s",
        first_waited == WAIT_OBJECT_0 ? fdpass_errname(first.status)
                                      : "still waiting after 15 s");
  CHECK(waited == WAIT_OBJECT_0,
        "a receive from a stopped sender still waits after 15 s");
  if (!stopped)
    SKIP("no host kill stopped the sender (not Wine?): got %s",
         fdpass_errname(r.status));
  CHECK(r.status == FDPASS_ETIMEDOUT, "the receive gave %s after %llu ms",
        fdpass_errname(r.status), took);
  CHECK(took < 10000, "the receive took %llu ms", took);
}

/* ---- main ---------------------------------------------------------- */

struct role {
  const char *name;
  void (*run)(SOCKET s);
  int parent_connects; /* it receives IO::FDPass's form from the parent */
};

static const struct role roles[] = {
    {"receive_and_write", child_receive_and_write, 1},
    {"send_pipe", child_send_pipe, 0},
    {"raw_receive", child_raw_receive, 0},
    {"raw_send_slowly", child_raw_send_slowly, 0},
    {"raw_batch", child_raw_batch, 0},
    {"receive_batch", child_receive_batch, 0},
    {"receive_truncated", child_receive_truncated, 0},
    {"handles", child_handles, 0},
    {"serve_one", child_serve_one, 1},
    {"send_and_exit", child_send_and_exit, 0},
    {"raw_bad_handle", child_raw_bad_handle, 0},
    {"close_unread", child_close_unread, 0},
    {"pipe_client", child_pipe_client, 0},
    {"victim", child_victim, 0},
    {"forger", child_forger, 0},
    {"socket_user", child_socket_user, 0},
    {"stall", child_stall, 0},
    {"connector", child_connector, 0},
    {"squatter", child_squatter, 0},
    {"pipe_server", child_pipe_server, 0},
    {"fuzzer", child_fuzzer, 0},
    {"handoff_acceptor", child_handoff_acceptor, 0},
    {"socket_sender", child_socket_sender, 0},
    {"stopped_sender", child_stopped_sender, 0},
    {"unix_continue", child_unix_continue, 0},
};

static const struct test tests[] = {
    {"send_to_child", send_to_child},
    {"receive_from_child", receive_from_child},
    {"wire_send_is_io_fdpass", wire_send_is_io_fdpass},
    {"wire_recv_from_io_fdpass", wire_recv_from_io_fdpass},
    {"wire_batch_frame", wire_batch_frame},
    {"batch_to_child", batch_to_child},
    {"batch_truncated", batch_truncated},
    {"handles_both_ways", handles_both_ways},
    {"pass_listening_socket", pass_listening_socket},
    {"nonblocking_would_block", nonblocking_would_block},
    {"nonblocking_large_message", nonblocking_large_message},
    {"inheritance", inheritance},
    {"bad_descriptors", bad_descriptors},
    {"bad_sockets_and_arguments", bad_sockets_and_arguments},
    {"peer_closed", peer_closed},
    {"sender_exited", sender_exited},
    {"access_denied", access_denied},
    {"bad_peer", bad_peer},
    {"unreceived_leaks_in_sender", unreceived_leaks_in_sender},
    {"pipe_pair", pipe_pair},
    {"pipe_listen_accept", pipe_listen_accept},
    {"pipe_modes", pipe_modes},
    {"steal_over_pipe", steal_over_pipe},
    {"self_attack_over_pipe", self_attack_over_pipe},
    {"steal_over_tcp", steal_over_tcp},
    {"steal_over_tcp6", steal_over_tcp6},
    {"nonblock_stalled_pipe_peer", nonblock_stalled_pipe_peer},
    {"nonblock_stalled_tcp_peer", nonblock_stalled_tcp_peer},
    {"pipe_bad_peer", pipe_bad_peer},
    {"tcp_peer_over_ipv6", tcp_peer_over_ipv6},
    {"pass_sockets_winsock_way", pass_sockets_winsock_way},
    {"recv_socket_not_a_socket", recv_socket_not_a_socket},
    {"tcp_forger_closes_first", tcp_forger_closes_first},
    {"inherited_pipe_end", inherited_pipe_end},
    {"pseudo_handles_refused", pseudo_handles_refused},
    {"uncommitted_proof_refused", uncommitted_proof_refused},
    {"squatted_pipe_name", squatted_pipe_name},
    {"forged_socket_blob", forged_socket_blob},
    {"socket_alias_never_returned", socket_alias_never_returned},
    {"listen_on_served_name", listen_on_served_name},
    {"tcp_fuzzed_peer_never_hangs", tcp_fuzzed_peer_never_hangs},
    {"codes_name_the_cause", codes_name_the_cause},
    {"tcp_pair_directions", tcp_pair_directions},
    {"socket_over_handed_off_end", socket_over_handed_off_end},
    {"nonblock_tcp_send_never_blocks", nonblock_tcp_send_never_blocks},
    {"nonblock_pipe_send_never_blocks", nonblock_pipe_send_never_blocks},
    {"stopped_sender_never_hangs", stopped_sender_never_hangs},
};

static int role_parent_connects(const char *role)
{
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
    if (strcmp(roles[i].name, role) == 0)
      return roles[i].parent_connects;
  return 0;
}

/* The other way round: the child listens, the parent connects. */
static SOCKET await_parent(SOCKET s)
{
  struct sockaddr_in address;
  SOCKET listener = listen_ipv4(&address);
  send_raw(s, &address.sin_port, sizeof address.sin_port);
  SOCKET parent = accept(listener, NULL, NULL);
  closesocket(listener);
  closesocket(s);
  CHECK(parent != INVALID_SOCKET, "accept failed");
  return parent;
}

/* Child mode: connect to the parent and play ROLE; exit 0 on success. */
static int run_child(const char *role, const char *port, const char *pid)
{
  parent_pid = (DWORD)strtoul(pid, NULL, 10);
  SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in address = {.sin_family = AF_INET};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons((u_short)atoi(port));
  if (connect(s, (struct sockaddr *)&address, sizeof address) != 0)
    return 2;
  if (setjmp(harness_escape) != 0) {
    fprintf(stderr, "child %s: %s\n", role, harness_message);
    return 1;
  }
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
    if (strcmp(roles[i].name, role) == 0) {
      if (roles[i].parent_connects)
        s = await_parent(s);
      roles[i].run(s);
      closesocket(s);
      return 0;
    }
  fprintf(stderr, "no child role %s\n", role);
  return 1;
}

int main(int argc, char **argv)
{
  WSADATA wsa;
  WSAStartup(MAKEWORD(2, 2), &wsa);
  GetModuleFileNameA(NULL, self_path, sizeof self_path);
  if (argc == 5 && strcmp(argv[1], "child") == 0)
    return run_child(argv[2], argv[3], argv[4]);
  if (argc == 5 && strcmp(argv[1], "inherited") == 0)
    return run_inherited(argv[2], argv[3], argv[4]);

  /* Winsock, Wine and the C runtime open some handles on first use, once,
   * and so does libgcc's thread-local storage on the first failure: a
   * round trip and a failure before the tests keep them out of the leak
   * counts. */
  struct local l;
  int fd, a, b;
  uintptr_t x, y;
  if (fdpass_recv(-1, NULL) != FDPASS_EINVAL ||
      fdpass_socketpair_tcp(&x, &y) != FDPASS_OK ||
      _pipe(l.p, 64, _O_BINARY) != 0 ||
      fdpass_send((int)x, l.p[0]) != FDPASS_OK ||
      fdpass_recv((int)y, &fd) != FDPASS_OK || _close(fd) != 0 ||
      fdpass_socketpair(&a, &b) != FDPASS_OK ||
      fdpass_send(a, l.p[0]) != FDPASS_OK || fdpass_recv(b, &fd) != FDPASS_OK)
    return 1;
  _close(fd);
  l.a = (int)x;
  l.b = (int)y;
  close_local(&l);
  CloseHandle(int_handle(a));
  CloseHandle(int_handle(b));
  printf("libfdpass %s on Windows (pid %lu)\n", fdpass_version_string(),
         GetCurrentProcessId());
  return run_tests(argc, argv, tests, sizeof tests / sizeof tests[0]);
}
