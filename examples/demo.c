/* SPDX-License-Identifier: MIT */
/*
 * demo.c - libfdpass in one minute: a parent process hands a pipe, a
 * listening TCP socket and a batch of files to a child process it forked,
 * and the child uses them. Each step prints what happened.
 */
#define _POSIX_C_SOURCE 200809L

#include <fdpass.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(int status, const char *what)
{
  if (status != FDPASS_OK) {
    fprintf(stderr, "demo: %s: %s (%s)\n", what, fdpass_strerror(status),
            fdpass_errname(status));
    exit(1);
  }
}

static void sys_check(int ok, const char *what)
{
  if (!ok) {
    perror(what);
    exit(1);
  }
}

/* The child: receives what the parent hands over and uses it. */
static void child(int sock)
{
  char line[128];

  int pipe_end;
  check(fdpass_recv(sock, &pipe_end), "child: recv pipe");
  int n = snprintf(line, sizeof line, "hello from child %ld", (long)getpid());
  sys_check(write(pipe_end, line, (size_t)n) == n, "child: write");
  close(pipe_end);

  int listener;
  check(fdpass_recv(sock, &listener), "child: recv listener");
  int client = accept(listener, NULL, NULL);
  sys_check(client >= 0, "child: accept");
  static const char reply[] = "served by the child";
  sys_check(write(client, reply, sizeof reply - 1) == sizeof reply - 1,
            "child: write");
  close(client);
  close(listener);

  char data[16];
  int fds[8];
  size_t len = sizeof data, nfds = 8;
  check(fdpass_recv_fds(sock, data, &len, fds, &nfds, 0), "child: recv_fds");
  n = snprintf(line, sizeof line, "%zu descriptors with \"%.*s\"", nfds,
               (int)len, data);
  sys_check(write(fds[0], line, (size_t)n) == n, "child: write");
  for (size_t i = 0; i < nfds; i++)
    close(fds[i]);
  exit(0);
}

int main(void)
{
  int parent_sock, child_sock;
  check(fdpass_socketpair(&parent_sock, &child_sock), "socketpair");
  printf("libfdpass %s: parent %ld\n", fdpass_version_string(),
         (long)getpid());

  fflush(stdout); /* the child must not repeat buffered output */
  pid_t pid = fork();
  sys_check(pid >= 0, "fork");
  if (pid == 0) {
    close(parent_sock);
    child(child_sock);
  }
  close(child_sock);

  int64_t peer_pid, peer_uid;
  check(fdpass_peer_credentials(parent_sock, &peer_pid, &peer_uid, NULL),
        "peer_credentials");
  printf("1. the socket's peer is process %lld (uid %lld)\n",
         (long long)peer_pid, (long long)peer_uid);

  /* A pipe: the child writes into the write end it was given. */
  int p[2];
  char buf[128];
  sys_check(pipe(p) == 0, "pipe");
  check(fdpass_send(parent_sock, p[1]), "send pipe");
  close(p[1]);
  ssize_t n = read(p[0], buf, sizeof buf - 1);
  sys_check(n > 0, "read");
  buf[n] = '\0';
  printf("2. passed a pipe's write end; read back: \"%s\"\n", buf);

  /* A listening TCP socket: the child accepts the parent's connection. */
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  sys_check(listener >= 0 &&
                bind(listener, (struct sockaddr *)&addr, sizeof addr) == 0 &&
                listen(listener, 1) == 0 &&
                getsockname(listener, (struct sockaddr *)&addr, &size) == 0,
            "tcp listener");
  check(fdpass_send(parent_sock, listener), "send listener");
  close(listener);
  int conn = socket(AF_INET, SOCK_STREAM, 0);
  sys_check(conn >= 0 &&
                connect(conn, (struct sockaddr *)&addr, sizeof addr) == 0,
            "connect");
  n = read(conn, buf, sizeof buf - 1);
  sys_check(n > 0, "read");
  buf[n] = '\0';
  close(conn);
  printf("3. passed a listening socket on 127.0.0.1:%d; a client got: "
         "\"%s\"\n", ntohs(addr.sin_port), buf);

  /* A batch: three descriptors and some data in one message. */
  int batch[2];
  sys_check(pipe(batch) == 0, "pipe");
  int fds[3] = {batch[1], STDIN_FILENO, STDOUT_FILENO};
  size_t len = 5;
  check(fdpass_send_fds(parent_sock, "batch", &len, fds, 3, 0), "send_fds");
  close(batch[1]);
  n = read(batch[0], buf, sizeof buf - 1);
  sys_check(n > 0, "read");
  buf[n] = '\0';
  close(batch[0]);
  printf("4. passed a batch in one message; the child received %s\n", buf);

  int status;
  sys_check(waitpid(pid, &status, 0) == pid, "waitpid");
  close(parent_sock);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "demo: the child failed\n");
    return 1;
  }
  printf("5. child %ld exited cleanly: every descriptor arrived and worked\n",
         (long)pid);
  return 0;
}
