/*
 * commands.c - the four subcommands: send, recv, hold and exec.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <unistd.h>

/* Large (names for FDPASS_MAX_FDS descriptors), so not on the stack. */
static struct handoff handoff;

/* Remove the socket file we listened on; an abstract name has none. */
static void stop_listening(int listener, const char *path)
{
  close(listener);
  if (path[0] != '@')
    unlink(path);
}

/* What a command does with the descriptors it received. */
static int deliver(const struct options *o, struct handoff *h)
{
  return o->command ? launch(o->command, h) : print_handoff(h);
}

int command_send(const struct options *o)
{
  int rc = open_specs(o->specs, o->nspecs, &handoff);
  if (rc != 0)
    return rc;
  long long deadline = deadline_after(o->timeout_ms);
  int sock;
  rc = connect_until(o->socket, deadline, &sock);
  if (rc == 0) {
    rc = send_handoff(sock, o->socket, &handoff);
    if (rc == 0)
      rc = await_confirmation(sock, o->socket, deadline);
    close(sock);
  }
  handoff_close(&handoff);
  return rc;
}

int command_recv(const struct options *o)
{
  int listener, sock;
  int rc = listen_on(o->socket, &listener);
  if (rc != 0)
    return rc;
  long long deadline = deadline_after(o->timeout_ms);
  rc = accept_allowed(listener, o, deadline, &sock);
  if (rc == 0) {
    rc = receive_handoff(sock, o->socket, deadline, &handoff);
    if (rc == 0)
      confirm_handoff(sock);
    close(sock);
  }
  stop_listening(listener, o->socket);
  if (rc == WAIT_SIGNALLED)
    return report(o->socket, "stopped by a signal before a handoff");
  return rc != 0 ? rc : deliver(o, &handoff);
}

int command_hold(const struct options *o)
{
  int rc = open_specs(o->specs, o->nspecs, &handoff);
  if (rc != 0)
    return rc;
  int listener, sock;
  rc = listen_on(o->socket, &listener);
  if (rc != 0) {
    handoff_close(&handoff);
    return rc;
  }
  /* Serve until a signal; a client that fails is its own problem. */
  while ((rc = accept_allowed(listener, o, NO_DEADLINE, &sock)) == 0) {
    (void)send_handoff(sock, o->socket, &handoff);
    close(sock);
  }
  stop_listening(listener, o->socket);
  handoff_close(&handoff);
  return rc == WAIT_SIGNALLED ? 0 : rc;
}

int command_exec(const struct options *o)
{
  int sock;
  long long deadline = deadline_after(o->timeout_ms);
  int rc = connect_until(o->socket, deadline, &sock);
  if (rc != 0)
    return rc;
  rc = receive_handoff(sock, o->socket, deadline, &handoff);
  close(sock);
  return rc != 0 ? rc : deliver(o, &handoff);
}
