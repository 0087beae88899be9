/* SPDX-License-Identifier: MIT */
/*
 * pipe.c - named pipes: local endpoints whose peer the kernel names.
 *
 * Pipes are message-mode, overlapped, local only (remote clients are
 * rejected). One message travels as two pipe messages, so that the data
 * needs no copy: a head with fixed widths, whatever the width of either
 * process, then the data (when there is any):
 *
 *   head:  DWORD 'fdp2' | DWORD pid | DWORD count | DWORD length |
 *          UINT64 proof | 16 bytes nonce | count x UINT64 handle value
 *   data:  length bytes
 *
 * A non-blocking send is one message instead ('fdp3', the data after the
 * values, at most INLINE_MAX bytes of it), written only if the pipe takes
 * it at once.
 *
 * Handle values have 32 significant bits (fdpass.h), so 32- and 64-bit
 * processes pair. The receiver takes handles only from the process the
 * kernel names as its peer, and only with its proof (win32.c).
 */
#include "internal.h"
#include "win32.h"

#include <aclapi.h>
#include <winternl.h>

#include <string.h>
#include <wchar.h>

#define MAGIC 0x32706466u        /* "fdp2" */
#define INLINE_MAGIC 0x33706466u /* "fdp3": the data in the same message */
#define INLINE_MAX 2048
#define WORD_SIZE sizeof(DWORD)
#define VALUE_SIZE sizeof(uint64_t)
#define PROOF_AT (4 * WORD_SIZE)
#define NONCE_AT (PROOF_AT + VALUE_SIZE)
#define HEAD_SIZE (NONCE_AT + NONCE_SIZE)
#define BUFFER_SIZE 65536
#define PREFIX L"\\\\.\\pipe\\"
#define PREFIX_LENGTH 9
#define NAME_MAX_LENGTH 256 /* characters, with the prefix */

/* The pipe's kind: is it one, which end, does it keep messages. */
int fdp_win_pipe_kind(HANDLE h, int *server_end, int *message)
{
  IO_STATUS_BLOCK status;
  FILE_PIPE_LOCAL_INFORMATION info;
  if (NtQueryInformationFile(h, &status, &info, sizeof info,
                             FilePipeLocalInformation) != 0)
    return 0;
  DWORD state = 0;
  *server_end = info.NamedPipeEnd == 1; /* FILE_PIPE_SERVER_END */
  *message = info.NamedPipeType == 1 && /* FILE_PIPE_MESSAGE_TYPE */
             GetNamedPipeHandleStateW(h, &state, NULL, NULL, NULL, NULL, 0) &&
             (state & PIPE_READMODE_MESSAGE);
  return 1;
}

int fdp_pipe_check(HANDLE h)
{
  int server_end, message;
  if (!fdp_win_pipe_kind(h, &server_end, &message))
    return fdp_fail(FDPASS_ENOTSOCK);
  /* A byte-mode pipe (an anonymous one, say) cannot keep frames apart. */
  return message ? FDPASS_OK : fdp_fail(FDPASS_ENOTSUP);
}

DWORD fdp_pipe_peer_pid(HANDLE h)
{
  int server_end, message;
  ULONG pid = 0;
  if (!fdp_win_pipe_kind(h, &server_end, &message))
    return 0;
  if (!(server_end ? GetNamedPipeClientProcessId(h, &pid)
                   : GetNamedPipeServerProcessId(h, &pid)))
    return 0;
  return pid;
}

static int pipe_failure(DWORD error)
{
  int rc = fdp_fail_os(error);
  switch (error) {
  case ERROR_BROKEN_PIPE:
  case ERROR_PIPE_NOT_CONNECTED:
  case ERROR_NO_DATA: /* the reader closed its end */
    return FDPASS_ECLOSED;
  case ERROR_PIPE_LISTENING: /* no client yet: as a socket not connected */
    return fdp_fail_with(FDPASS_ENOTCONN, (int)error);
  default:
    return rc;
  }
}

/* One overlapped read or write of a whole message (or what fits `len`),
 * waited for: its own event, so that other threads can use the same pipe
 * at the same time. `*more` says that a read left part of the message.
 * With `now`, a write that would wait for the reader is cancelled instead:
 * FDPASS_EAGAIN, nothing written. */
static int transfer(HANDLE h, int write, int now, void *buf, DWORD len,
                    DWORD *done, int *more)
{
  OVERLAPPED o = {0};
  o.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (o.hEvent == NULL)
    return fdp_fail_os(GetLastError());
  BOOL ok = write ? WriteFile(h, buf, len, NULL, &o)
                  : ReadFile(h, buf, len, NULL, &o);
  DWORD error = ok ? 0 : GetLastError();
  if (now && error == ERROR_IO_PENDING)
    CancelIoEx(h, &o);
  if (ok || error == ERROR_IO_PENDING || error == ERROR_MORE_DATA) {
    ok = GetOverlappedResult(h, &o, done, TRUE);
    error = ok ? 0 : GetLastError();
  }
  CloseHandle(o.hEvent);
  if (now && error == ERROR_OPERATION_ABORTED)
    return fdp_fail(FDPASS_EAGAIN);
  *more = error == ERROR_MORE_DATA;
  if (error != 0 && !*more)
    return pipe_failure(error);
  return FDPASS_OK;
}

static int write_message(HANDLE h, int now, const void *data, DWORD len)
{
  DWORD done = 0;
  int more;
  int rc = transfer(h, 1, now, (void *)data, len, &done, &more);
  if (rc == FDPASS_OK && done != len)
    return fdp_fail(FDPASS_ESYS);
  return rc;
}

/* A handle value as the wire's 64 bits, sign-extended, and back: a value
 * beyond 32 significant bits names no handle (NULL then). */
static void put_value(unsigned char *at, HANDLE h)
{
  uint64_t value = (uint64_t)(int64_t)(intptr_t)h;
  memcpy(at, &value, VALUE_SIZE);
}

static HANDLE get_value(const unsigned char *at, int *bad)
{
  uint64_t value;
  memcpy(&value, at, VALUE_SIZE);
  if ((uint64_t)(int64_t)(int32_t)value != value)
    *bad = 1;
  return (HANDLE)(intptr_t)(int32_t)value;
}

int fdp_pipe_send_frame(HANDLE h, const HANDLE *copies, size_t count,
                        const struct proof *proof, const void *data,
                        size_t len, int nonblock, size_t *sent)
{
  unsigned char head[HEAD_SIZE + FDPASS_MAX_FDS * VALUE_SIZE + INLINE_MAX];
  if (len > MAXDWORD)
    len = MAXDWORD; /* the rest goes in the next frame */
  if (nonblock && len > INLINE_MAX)
    len = INLINE_MAX; /* a short send: the rest is the next call's */
  fdp_win_put_word(head, nonblock ? INLINE_MAGIC : MAGIC);
  fdp_win_put_word(head + WORD_SIZE, GetCurrentProcessId());
  fdp_win_put_word(head + 2 * WORD_SIZE, (DWORD)count);
  fdp_win_put_word(head + 3 * WORD_SIZE, (DWORD)len);
  put_value(head + PROOF_AT, proof->section);
  memcpy(head + NONCE_AT, proof->nonce, NONCE_SIZE);
  for (size_t i = 0; i < count; i++)
    put_value(head + HEAD_SIZE + i * VALUE_SIZE, copies[i]);
  size_t size = HEAD_SIZE + count * VALUE_SIZE;
  int rc;
  if (nonblock) {
    memcpy(head + size, data, len);
    rc = write_message(h, 1, head, (DWORD)(size + len));
  } else {
    rc = write_message(h, 0, head, (DWORD)size);
    if (rc == FDPASS_OK && len > 0)
      rc = write_message(h, 0, data, (DWORD)len);
  }
  if (rc == FDPASS_OK)
    *sent = len;
  return rc;
}

/* FDPASS_EAGAIN, consuming nothing, unless the whole next message (head
 * and data) is queued: the pipe counts every byte of every message, also
 * of one whose writer still waits, so a non-blocking receive never waits
 * for a stalled peer. */
static int message_arrived(HANDLE h)
{
  unsigned char head[HEAD_SIZE];
  DWORD peeked = 0, queued = 0, left = 0;
  if (!PeekNamedPipe(h, head, sizeof head, &peeked, &queued, &left))
    return pipe_failure(GetLastError());
  if (queued == 0)
    return fdp_fail(FDPASS_EAGAIN);
  DWORD magic = fdp_win_get_word(head);
  if (peeked < HEAD_SIZE || (magic != MAGIC && magic != INLINE_MAGIC))
    return FDPASS_OK; /* the read reports it */
  uint64_t need = (uint64_t)peeked + left +
                  (magic == MAGIC ? fdp_win_get_word(head + 3 * WORD_SIZE)
                                  : 0);
  return queued >= need ? FDPASS_OK : fdp_fail(FDPASS_EAGAIN);
}

/* Read and drop the rest of a message; `*dropped` counts it. */
static int drain(HANDLE h, uint64_t *dropped)
{
  char scratch[4096];
  int more = 1;
  while (more) {
    DWORD n = 0;
    int rc = transfer(h, 0, 0, scratch, sizeof scratch, &n, &more);
    if (rc != FDPASS_OK)
      return rc;
    *dropped += n;
  }
  return FDPASS_OK;
}

int fdp_pipe_read_frame(HANDLE h, int nonblock, void *buf, size_t len,
                        struct frame *f, size_t *total)
{
  unsigned char head[HEAD_SIZE + FDPASS_MAX_FDS * VALUE_SIZE + INLINE_MAX];
  DWORD n = 0;
  int more = 0;
  int rc = nonblock ? message_arrived(h) : FDPASS_OK;
  if (rc == FDPASS_OK)
    rc = transfer(h, 0, 0, head, sizeof head, &n, &more);
  if (rc != FDPASS_OK)
    return rc;
  uint64_t dropped = 0;
  if (more) { /* longer than any head */
    rc = drain(h, &dropped);
    return rc != FDPASS_OK ? rc : fdp_fail(FDPASS_EPROTO);
  }
  DWORD magic = n < HEAD_SIZE ? 0 : fdp_win_get_word(head);
  if (magic != MAGIC && magic != INLINE_MAGIC)
    return fdp_fail(FDPASS_EPROTO);
  f->pid = fdp_win_get_word(head + WORD_SIZE);
  f->count = fdp_win_get_word(head + 2 * WORD_SIZE);
  *total = fdp_win_get_word(head + 3 * WORD_SIZE);
  size_t size = HEAD_SIZE + f->count * VALUE_SIZE;
  if (f->count > FDPASS_MAX_FDS || (f->count > 0 && *total == 0) ||
      n != size + (magic == INLINE_MAGIC ? *total : 0))
    return fdp_fail(FDPASS_EPROTO);
  int bad = 0;
  f->framed = 1;
  f->proof.section = get_value(head + PROOF_AT, &bad);
  memcpy(f->proof.nonce, head + NONCE_AT, NONCE_SIZE);
  for (size_t i = 0; i < f->count; i++)
    f->handles[i] = get_value(head + HEAD_SIZE + i * VALUE_SIZE, &bad);
  if (bad)
    return fdp_fail(FDPASS_EPROTO); /* no handle has these bits */
  if (magic == INLINE_MAGIC) {
    memcpy(buf, head + size, *total < len ? *total : len);
    return FDPASS_OK;
  }
  if (*total == 0)
    return FDPASS_OK;

  size_t kept = *total < len ? *total : len;
  rc = transfer(h, 0, 0, buf, (DWORD)kept, &n, &more);
  if (rc == FDPASS_OK && more)
    rc = drain(h, &dropped);
  if (rc != FDPASS_OK)
    return rc;
  /* A data message that is not as long as its head says: the peer does
   * not speak the protocol. */
  return n + dropped == *total ? FDPASS_OK : fdp_fail(FDPASS_EPROTO);
}

int fdp_pipe_wait(HANDLE h, int events, int timeout_ms)
{
  /* A pipe takes a message whenever it is not full (the writer then
   * waits in WriteFile until the reader catches up), and has no waitable
   * readiness: poll what is queued, more and more rarely. */
  if (!(events & FDPASS_READABLE))
    return FDPASS_OK;
  ULONGLONG start = GetTickCount64();
  DWORD pause = 1;
  for (;;) {
    DWORD queued = 0;
    if (!PeekNamedPipe(h, NULL, 0, NULL, &queued, NULL) || queued > 0)
      return FDPASS_OK; /* a message, or the end: the next call tells */
    ULONGLONG waited = GetTickCount64() - start;
    if (timeout_ms >= 0 && waited >= (ULONGLONG)timeout_ms)
      return fdp_fail(FDPASS_ETIMEDOUT);
    if (timeout_ms >= 0 && pause > (ULONGLONG)timeout_ms - waited)
      pause = (DWORD)((ULONGLONG)timeout_ms - waited);
    Sleep(pause);
    if (pause < 16)
      pause *= 2;
  }
}

/* `\\.\pipe\NAME`, or a bare NAME that maps to it, as a wide string. */
static int pipe_name(const char *path, WCHAR *name)
{
  static const char prefix[] = "\\\\.\\pipe\\";
  const char *rest = path;
  if (strncmp(path, prefix, PREFIX_LENGTH) == 0)
    rest = path + PREFIX_LENGTH;
  else if (path[0] == '\\' || path[0] == '/')
    return fdp_fail(FDPASS_EINVAL); /* another machine's, or no pipe */
  if (rest[0] == '\0')
    return fdp_fail(FDPASS_EINVAL);
  wcscpy(name, PREFIX);
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, rest, -1,
                              name + PREFIX_LENGTH,
                              NAME_MAX_LENGTH + 1 - PREFIX_LENGTH);
  if (n == 0)
    return fdp_fail(GetLastError() == ERROR_INSUFFICIENT_BUFFER
                        ? FDPASS_ENAMETOOLONG
                        : FDPASS_EINVAL);
  return FDPASS_OK;
}

/* Right to connect: read and write data, and set the read mode, but not
 * FILE_APPEND_DATA, which on a pipe is the right to create instances
 * (and so to serve the name's clients). */
#define CONNECT_ACCESS                                                       \
  (FILE_GENERIC_READ | FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES)

/* A security descriptor from `mode`: the creating user may always
 * connect and create instances (it owns the pipe, and fdpass_accept
 * makes instances); whose write bit is set may connect too (as connecting
 * to a socket file needs write permission): 0020 the user's primary
 * group, 0002 everyone. `acl` holds the DACL, the other fields the SIDs
 * it names. */
union token_user {
  TOKEN_USER user;
  unsigned char bytes[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_USER)];
};

union token_owner {
  TOKEN_OWNER owner;
  unsigned char bytes[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_OWNER)];
};

struct security {
  SECURITY_ATTRIBUTES attributes;
  SECURITY_DESCRIPTOR descriptor;
  union {
    ACL acl;
    unsigned char bytes[1024];
  } acl;
  union token_user user;
  union {
    TOKEN_PRIMARY_GROUP group;
    unsigned char bytes[SECURITY_MAX_SID_SIZE + sizeof(TOKEN_PRIMARY_GROUP)];
  } group;
  unsigned char world[SECURITY_MAX_SID_SIZE];
};

static int make_security(int mode, struct security *s)
{
  HANDLE token;
  DWORD size = sizeof s->world;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
    return fdp_fail_os(GetLastError());
  BOOL ok = GetTokenInformation(token, TokenUser, &s->user, sizeof s->user,
                                &(DWORD){0}) &&
            GetTokenInformation(token, TokenPrimaryGroup, &s->group,
                                sizeof s->group, &(DWORD){0});
  CloseHandle(token);
  ok = ok && CreateWellKnownSid(WinWorldSid, NULL, s->world, &size) &&
       InitializeAcl(&s->acl.acl, sizeof s->acl, ACL_REVISION) &&
       AddAccessAllowedAce(&s->acl.acl, ACL_REVISION, FILE_ALL_ACCESS,
                           s->user.user.User.Sid) &&
       (!(mode & 0020) ||
        AddAccessAllowedAce(&s->acl.acl, ACL_REVISION, CONNECT_ACCESS,
                            s->group.group.PrimaryGroup)) &&
       (!(mode & 0002) || AddAccessAllowedAce(&s->acl.acl, ACL_REVISION,
                                              CONNECT_ACCESS, s->world)) &&
       InitializeSecurityDescriptor(&s->descriptor,
                                    SECURITY_DESCRIPTOR_REVISION) &&
       SetSecurityDescriptorDacl(&s->descriptor, TRUE, &s->acl.acl, FALSE);
  if (!ok)
    return fdp_fail_os(GetLastError());
  s->attributes.nLength = sizeof s->attributes;
  s->attributes.lpSecurityDescriptor = &s->descriptor;
  s->attributes.bInheritHandle = FALSE;
  return FDPASS_OK;
}

/* A server instance of `name`; the first one claims the name. */
static HANDLE new_instance(const WCHAR *name, int first, DWORD instances,
                           SECURITY_ATTRIBUTES *security)
{
  return CreateNamedPipeW(
      name,
      PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
          (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT |
          PIPE_REJECT_REMOTE_CLIENTS,
      instances, BUFFER_SIZE, BUFFER_SIZE, 0, security);
}

/* Wait for a client of server instance `h` (one may be there already). */
static int wait_client(HANDLE h)
{
  OVERLAPPED o = {0};
  o.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (o.hEvent == NULL)
    return fdp_fail_os(GetLastError());
  BOOL ok = ConnectNamedPipe(h, &o);
  DWORD error = ok ? 0 : GetLastError();
  if (error == ERROR_IO_PENDING) {
    DWORD unused;
    ok = GetOverlappedResult(h, &o, &unused, TRUE);
    error = ok ? 0 : GetLastError();
  }
  CloseHandle(o.hEvent);
  return error == 0 || error == ERROR_PIPE_CONNECTED ? FDPASS_OK
                                                      : pipe_failure(error);
}

/* The user of `process`'s token, and the token's default owner. */
static int read_account(HANDLE process, union token_user *user,
                        union token_owner *owner)
{
  HANDLE token;
  if (!OpenProcessToken(process, TOKEN_QUERY, &token))
    return fdp_fail_os(GetLastError());
  BOOL ok = GetTokenInformation(token, TokenUser, user, sizeof *user,
                                &(DWORD){0}) &&
            GetTokenInformation(token, TokenOwner, owner, sizeof *owner,
                                &(DWORD){0});
  DWORD error = GetLastError();
  CloseHandle(token);
  return ok ? FDPASS_OK : fdp_fail_os(error);
}

/* FDPASS_OK when the server at the other end of client end `h` runs as
 * this user, as SYSTEM, or as an administrator (its token's owner is
 * BUILTIN\Administrators), the rule of POSIX (same uid, or root): a
 * squatter that made the name, or an instance of it, gets nothing. A
 * server this process may not inspect is refused too (FDPASS_EACCES,
 * with the OS error). */
static int check_server(HANDLE h)
{
  ULONG pid = 0;
  union token_user server, mine;
  union token_owner server_owner, my_owner;
  if (!GetNamedPipeServerProcessId(h, &pid))
    return fdp_fail_with(FDPASS_EACCES, (int)GetLastError());
  HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == NULL)
    return fdp_fail_with(FDPASS_EACCES, (int)GetLastError());
  int rc = read_account(process, &server, &server_owner);
  CloseHandle(process);
  if (rc == FDPASS_OK)
    rc = read_account(GetCurrentProcess(), &mine, &my_owner);
  if (rc != FDPASS_OK)
    return fdp_fail_with(FDPASS_EACCES, fdpass_os_error());
  PSID user = server.user.User.Sid;
  if (EqualSid(user, mine.user.User.Sid) ||
      IsWellKnownSid(user, WinLocalSystemSid) ||
      IsWellKnownSid(server_owner.owner.Owner, WinBuiltinAdministratorsSid))
    return FDPASS_OK;
  return fdp_fail(FDPASS_EACCES);
}

/* Open the client end of `name`: message mode, overlapped, and the
 * server may identify this process but not act as it. */
static int open_client(const WCHAR *name, HANDLE *h)
{
  *h = CreateFileW(name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                   FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT |
                       SECURITY_IDENTIFICATION,
                   NULL);
  if (*h == INVALID_HANDLE_VALUE)
    return fdp_fail_os(GetLastError());
  DWORD mode = PIPE_READMODE_MESSAGE;
  if (!SetNamedPipeHandleState(*h, &mode, NULL, NULL)) {
    int rc = fdp_fail_os(GetLastError());
    CloseHandle(*h);
    return rc == FDPASS_EINVAL ? fdp_fail(FDPASS_ENOTSUP) : rc; /* bytes */
  }
  return FDPASS_OK;
}

/* Connect `client` to `server`, an instance of `name` only this process
 * knows or can reach, and check that it is this process at both ends. */
static int connect_self(const WCHAR *name, HANDLE server, HANDLE *client)
{
  int rc = open_client(name, client);
  if (rc != FDPASS_OK && fdpass_os_error() == ERROR_PIPE_BUSY)
    return fdp_fail_with(FDPASS_EADDRINUSE, ERROR_PIPE_BUSY); /* taken */
  if (rc != FDPASS_OK)
    return rc == FDPASS_ENOENT ? fdp_fail(FDPASS_ESYS) : rc;
  ULONG pid = 0;
  /* Another process's instance of the name (Wine lets one be made beside
   * ours) got us: ours has no client to wait for. */
  if (!GetNamedPipeServerProcessId(*client, &pid) ||
      pid != GetCurrentProcessId()) {
    CloseHandle(*client);
    return fdp_fail(FDPASS_EADDRINUSE);
  }
  rc = wait_client(server);
  if (rc == FDPASS_OK && (!GetNamedPipeClientProcessId(server, &pid) ||
                          pid != GetCurrentProcessId()))
    rc = fdp_fail(FDPASS_EADDRINUSE); /* someone came first */
  if (rc != FDPASS_OK)
    CloseHandle(*client);
  return rc;
}

static void close_pipe(HANDLE h)
{
  CloseHandle(h);
}

/* The listener is the name's first instance, connected to this process
 * and left closing, so that no client ever gets it: it holds the name
 * and its security. Each fdpass_accept makes a new instance and waits
 * for a client on it. A name that exists already is FDPASS_EADDRINUSE
 * (FILE_FLAG_FIRST_PIPE_INSTANCE; under Wine 8, which does not enforce
 * it, the check before and connect_self's). */
int fdp_pipe_listen(const char *path, int mode, int *listener)
{
  WCHAR name[NAME_MAX_LENGTH + 1];
  struct security security;
  int rc = pipe_name(path, name);
  if (rc == FDPASS_OK)
    rc = make_security(mode, &security);
  if (rc != FDPASS_OK)
    return rc;
  /* A name in use, served or not, without connecting to its server: Wine
   * does not enforce FILE_FLAG_FIRST_PIPE_INSTANCE. */
  if (WaitNamedPipeW(name, 1) || GetLastError() != ERROR_FILE_NOT_FOUND)
    return fdp_fail(FDPASS_EADDRINUSE);
  HANDLE h = new_instance(name, 1, PIPE_UNLIMITED_INSTANCES,
                          &security.attributes);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD error = GetLastError();
    rc = fdp_fail_os(error);
    return error == ERROR_ACCESS_DENIED || error == ERROR_PIPE_BUSY
               ? FDPASS_EADDRINUSE
               : rc;
  }
  HANDLE client;
  rc = connect_self(name, h, &client);
  if (rc != FDPASS_OK) {
    CloseHandle(h);
    return rc;
  }
  CloseHandle(client);
  return fdp_win_handle_to_int(h, listener, close_pipe);
}

int fdp_pipe_accept(HANDLE listener, int *sock)
{
  /* The name and the security come from the listener itself. */
  union {
    FILE_NAME_INFO info;
    unsigned char bytes[sizeof(FILE_NAME_INFO) +
                        NAME_MAX_LENGTH * sizeof(WCHAR)];
  } file;
  WCHAR name[NAME_MAX_LENGTH + 1];
  if (!GetFileInformationByHandleEx(listener, FileNameInfo, &file,
                                    sizeof file))
    return fdp_fail_os(GetLastError());
  size_t length = file.info.FileNameLength / sizeof(WCHAR);
  if (length < 2 || length + PREFIX_LENGTH - 1 > NAME_MAX_LENGTH)
    return fdp_fail(FDPASS_EINVAL); /* "\NAME" */
  wcscpy(name, PREFIX);
  memcpy(name + PREFIX_LENGTH, file.info.FileName + 1,
         (length - 1) * sizeof(WCHAR));
  name[PREFIX_LENGTH + length - 1] = 0;

  PSECURITY_DESCRIPTOR descriptor = NULL;
  PACL dacl = NULL;
  SECURITY_ATTRIBUTES attributes = {sizeof attributes, NULL, FALSE};
  if (GetSecurityInfo(listener, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION,
                      NULL, NULL, &dacl, NULL, &descriptor) == ERROR_SUCCESS &&
      dacl != NULL) /* Wine keeps none: the name's own applies */
    attributes.lpSecurityDescriptor = descriptor;
  HANDLE h = new_instance(name, 0, PIPE_UNLIMITED_INSTANCES, &attributes);
  LocalFree(descriptor);
  if (h == INVALID_HANDLE_VALUE)
    return fdp_fail_os(GetLastError());
  int rc;
  /* A client that came and went before it was accepted is not ours. */
  while ((rc = wait_client(h)) == FDPASS_ECLOSED)
    DisconnectNamedPipe(h);
  if (rc != FDPASS_OK) {
    CloseHandle(h);
    return rc;
  }
  return fdp_win_handle_to_int(h, sock, close_pipe);
}

int fdp_pipe_connect(const char *path, int *sock)
{
  WCHAR name[NAME_MAX_LENGTH + 1];
  int rc = pipe_name(path, name);
  if (rc != FDPASS_OK)
    return rc;
  for (;;) {
    HANDLE h;
    rc = open_client(name, &h);
    if (rc == FDPASS_OK && (rc = check_server(h)) != FDPASS_OK)
      CloseHandle(h); /* before a byte goes to a stranger */
    if (rc == FDPASS_OK)
      return fdp_win_handle_to_int(h, sock, close_pipe);
    if (rc == FDPASS_EACCES)
      return rc;
    if (fdpass_os_error() != ERROR_PIPE_BUSY)
      return rc;
    /* Every instance is taken until the server accepts again. Wine's
     * WaitNamedPipe returns at once: then pause a little. */
    if (!WaitNamedPipeW(name, 100))
      Sleep(5);
  }
}

/* A pair: a one-instance pipe of a name nobody can guess in time, and
 * that only this user may open; connect_self checks who came. */
int fdp_pipe_pair(int *a, int *b)
{
  WCHAR name[64];
  LARGE_INTEGER now;
  struct security security;
  int rc = make_security(0600, &security);
  if (rc != FDPASS_OK)
    return rc;
  QueryPerformanceCounter(&now);
  swprintf(name, 64, L"%lsfdpass-pair-%lu-%lu-%llx", PREFIX,
           GetCurrentProcessId(), GetCurrentThreadId(),
           (unsigned long long)now.QuadPart);
  HANDLE server = new_instance(name, 1, 1, &security.attributes), client;
  if (server == INVALID_HANDLE_VALUE)
    return fdp_fail_os(GetLastError());
  rc = connect_self(name, server, &client);
  if (rc != FDPASS_OK) {
    CloseHandle(server);
    return rc == FDPASS_EADDRINUSE ? fdp_fail_with(FDPASS_ESYS,
                                                   fdpass_os_error())
                                   : rc;
  }
  rc = fdp_win_handle_to_int(server, a, close_pipe);
  if (rc != FDPASS_OK) {
    CloseHandle(client);
    return rc;
  }
  rc = fdp_win_handle_to_int(client, b, close_pipe);
  if (rc != FDPASS_OK)
    CloseHandle(server);
  return rc;
}
