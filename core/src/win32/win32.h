/* SPDX-License-Identifier: MIT */
/*
 * win32.h - shared by the files of the Windows platform layer alone:
 * win32.c (the handles a message names, descriptors, errors), common.c
 * (what they all use), socket.c
 * (Winsock: IO::FDPass's protocol over TCP) and pipe.c (named pipes).
 */
#ifndef FDPASS_WIN32_H
#define FDPASS_WIN32_H

#define WIN32_LEAN_AND_MEAN
#include <winsock2.h>
#include <windows.h>

#include <stddef.h>
#include <stdint.h>

#include "fdpass.h"

#define NONCE_SIZE 16

/* The sender's proof that it wrote a message (win32.c): an anonymous
 * section in its own handle table that holds the message's nonce and
 * handle values. Nobody else can put a handle into the sender's table,
 * and only the sender and the receiver know the nonce, so a forger that
 * names the sender (a process that inherited its pipe end, a TCP peer
 * the TCP table does not name) cannot give one. */
struct proof {
  HANDLE section; /* NULL: no proof (IO::FDPass's form) */
  unsigned char nonce[NONCE_SIZE];
};

/* What one message names in its sender, as the wire says. */
struct frame {
  DWORD pid;
  size_t count;
  HANDLE handles[FDPASS_MAX_FDS];
  struct proof proof;
  int framed; /* a libfdpass frame, which always carries a proof */
};

/* `sock` holds a handle's 32 significant bits (fdpass.h): sign-extend. */
static inline HANDLE int_to_handle(int sock)
{
  return (HANDLE)(intptr_t)sock;
}

/* Hand out `h` (a SOCKET or a pipe end) as an int, or close it with
 * `close_it` if it does not fit. */
int fdp_win_handle_to_int(HANDLE h, int *out, void (*close_it)(HANDLE));

/* 1 when `h` is a named or anonymous pipe end, 0 for anything else (a
 * socket among them): pipes answer FilePipeLocalInformation, sockets and
 * files do not. `*server_end` tells which end `h` is, and
 * `*message` whether the pipe keeps message boundaries. */
int fdp_win_pipe_kind(HANDLE h, int *server_end, int *message);

/* common.c: Winsock started once, the wire's words (native order). */
int fdp_win_winsock(void);
void fdp_win_put_word(unsigned char *at, DWORD value);
DWORD fdp_win_get_word(const unsigned char *at);

/* socket.c: IO::FDPass's protocol over a stream socket. */
int fdp_tcp_check(SOCKET s);
int fdp_tcp_wait(SOCKET s, int events, int timeout_ms);
/* 1 when a message goes out as IO::FDPass writes it (one handle with one
 * zero byte: pid and HANDLE, no proof), 0 when as a frame. */
int fdp_tcp_fdpass_form(size_t count, const void *data, size_t len);
int fdp_tcp_send_frame(SOCKET s, const HANDLE *copies, size_t count,
                       const struct proof *proof, const void *data,
                       size_t len, int nonblock, size_t *sent);
int fdp_tcp_read_frame(SOCKET s, int nonblock, void *buf, size_t len,
                       struct frame *f, size_t *total);
/* The process that owns the other end of loopback connection `s`, from
 * the TCP table; 0 when the table does not tell (Wine reports 0). */
DWORD fdp_tcp_peer_pid(SOCKET s);
int fdp_tcp_pair(SOCKET *a, SOCKET *b);
int fdp_tcp_accept(SOCKET listener, int *sock);

/* pipe.c: the fixed-width frames over a message-mode named pipe. */
int fdp_pipe_check(HANDLE h);
int fdp_pipe_wait(HANDLE h, int events, int timeout_ms);
int fdp_pipe_send_frame(HANDLE h, const HANDLE *copies, size_t count,
                        const struct proof *proof, const void *data,
                        size_t len, int nonblock, size_t *sent);
int fdp_pipe_read_frame(HANDLE h, int nonblock, void *buf, size_t len,
                        struct frame *f, size_t *total);
/* The process at the other end, as the kernel recorded it when the pipe
 * was connected; 0 when it does not tell. */
DWORD fdp_pipe_peer_pid(HANDLE h);
int fdp_pipe_listen(const char *path, int mode, int *listener);
int fdp_pipe_connect(const char *path, int *sock);
int fdp_pipe_accept(HANDLE listener, int *sock);
int fdp_pipe_pair(int *a, int *b);

#endif
