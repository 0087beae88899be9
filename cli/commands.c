/* SPDX-License-Identifier: MIT */
/*
 * commands.c - the verbs. Each parses nothing (main.c did) and does
 * little: the handoff and the store's protocol are in handoff.c and the
 * library, SPECs in spec.c, the command's start in launch.c.
 */
#define _GNU_SOURCE

#include "commands.h"
#include "holder_log.h"
#include "launch.h"
#include "report.h"
#include "spec.h"

#include <fdpass.h>

#include "closer.h"
#include "client.h"
#include "holder.h"
#include "notify.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* What a verb does with the descriptors it received. NOTIFY is checked
 * only now: a holder that answered has bound it. */
static int deliver(const struct options *o, struct handoff *h)
{
  int rc = o->notify ? set_notify_socket(o->notify, &o->trusted) : 0;
  if (rc != 0) {
    handoff_close(h);
    return rc;
  }
  return o->command ? launch(o->command, h) : print_handoff(h);
}

int command_send(const struct options *o)
{
  struct handoff h = {0};
  if (o->nargs > FDPASS_MAX_FDS)
    return usage_error("%d specs: one message carries at most %d", o->nargs,
                       FDPASS_MAX_FDS);
  int rc = open_specs(o->args, o->nargs, &h);
  if (rc != 0)
    return rc;
  long long deadline = fdp_deadline_after(o->timeout_ms);
  int sock;
  rc = connect_trusted(o->socket, &o->trusted, deadline, &sock);
  if (rc == 0) {
    rc = truncate_specs(&h); /* only now that a receiver we trust is here */
    if (rc == 0)
      rc = send_handoff(sock, o->socket, &h);
    if (rc == 0)
      rc = await_delivery(sock, o->socket, deadline);
    close(sock);
  }
  handoff_close(&h);
  return rc;
}

int command_recv(const struct options *o)
{
  struct handoff h = {0};
  int listener, sock;
  /* Before a sender is told that its descriptors were taken. */
  int rc = o->command ? check_command(o->command) : 0;
  if (rc == 0)
    rc = listen_on(o->socket, o->mode, o->gid, &listener);
  if (rc != 0)
    return rc;
  long long deadline = fdp_deadline_after(o->timeout_ms);
  struct closer *closer = closer_start();
  rc = accept_allowed(listener, o->socket, &o->allowed, deadline, closer,
                      &sock);
  if (rc == 0) {
    rc = receive_handoff(sock, o->socket, deadline, &h);
    close(sock);
  }
  stop_listening(listener, o->socket);
  closer_stop(closer);
  return rc != 0 ? rc : deliver(o, &h);
}

/* Where the descriptors of one name go (the holder's store, or a holder
 * over a connection); FDPASS_OK when they were taken. */
typedef int put_fn(void *to, const char *name, size_t len, const int *fds,
                   size_t n);

/* Hand the descriptors of `h` to `put`, those of each name together, names
 * in the order of their first descriptor. What `put` took is no longer
 * ours; the rest is closed. */
static int put_by_name(struct handoff *h, put_fn *put, void *to,
                       const char *what)
{
  const char *names = h->names ? h->names : "";
  size_t *at = malloc((h->nfds + 1) * sizeof *at); /* where name i starts */
  int rc = at ? 0 : report_errno("names", ENOMEM);
  for (size_t i = 0, offset = 0; at && i < h->nfds; i++) {
    at[i] = offset;
    offset += strcspn(names + offset, ":") + 1;
  }
  for (size_t i = 0; i < h->nfds && rc == 0; i++) {
    if (h->fds[i] < 0)
      continue; /* went with an earlier one of its name */
    const char *name = names + at[i];
    size_t len = strcspn(name, ":"), n = 0, same[FDPASS_MAX_FDS + 1];
    int group[FDPASS_MAX_FDS];
    for (size_t j = i; j < h->nfds && n <= FDPASS_MAX_FDS; j++)
      if (h->fds[j] >= 0 && strcspn(names + at[j], ":") == len &&
          !memcmp(names + at[j], name, len)) {
        if (n < FDPASS_MAX_FDS)
          group[n] = h->fds[j];
        same[n++] = j;
      }
    char label[256];
    snprintf(label, sizeof label, "%.*s", (int)len, name);
    int status = n > FDPASS_MAX_FDS ? FDPASS_EINVAL
                                    : put(to, name, len, group, n);
    if (n > FDPASS_MAX_FDS)
      rc = report(label, "more than 253 descriptors under one name");
    else if (status == FDPASS_EADDRINUSE)
      rc = report(label, "something is stored under that name (--new)");
    else if (status != FDPASS_OK)
      rc = report_status(what, status);
    for (size_t k = 0; k < n && rc == 0; k++)
      h->fds[same[k]] = -1; /* taken */
  }
  free(at);
  handoff_close(h);
  return rc;
}

static int put_in_store(void *store, const char *name, size_t len,
                        const int *fds, size_t n)
{
  return fdp_store_put(store, name, len, fds, n);
}

/* The whole store of the holder at `path`, connected as `sock`, names and
 * order kept. */
static int fetch_all(int sock, const char *path, long long deadline,
                     struct handoff *h)
{
  int rc = 0;
  size_t cap = FDPASS_MAX_FDS;
  for (;;) {
    int *fds = malloc(cap * sizeof *fds);
    char *names = malloc(cap * 256);
    size_t n = cap;
    int status = fds && names ? fdpass_fetch(sock, NULL, fds, &n, names,
                                             cap * 256,
                                             fdp_remaining_ms(deadline))
                              : FDPASS_ENOMEM;
    if (status == FDPASS_OK) {
      for (size_t i = 0, at = 0; i < n; i++) {
        size_t len = strcspn(names + at, ":");
        if (rc == 0)
          rc = handoff_add(h, fds[i], names + at, len);
        else
          close(fds[i]);
        at += len + 1;
      }
    }
    free(fds);
    free(names);
    if (status == FDPASS_ETRUNC && n > cap) {
      cap = n; /* stored meanwhile: ask again with room for all */
      continue;
    }
    return status == FDPASS_OK ? rc : report_status(path, status);
  }
}

/* A holder outlives its terminal and its many clients' descriptors: as
 * many as the hard limit allows. */
static void raise_descriptor_limit(void)
{
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

/* Upgrade in place: take the listening socket of the holder connected as
 * `sock` (client.h), and its notify socket if it serves one (-1), which
 * then serves no one else. */
static int take_listener(int sock, const char *path, long long deadline,
                         int *listener, int *notify)
{
  int status = fdp_hand_over(sock, listener, notify, deadline);
  return status == FDPASS_OK ? 0 : report_status(path, status);
}

int command_hold(const struct options *o)
{
  int in_place = o->from && !strcmp(o->from, o->socket);
  if (in_place && (o->mode != 0600 || o->gid >= 0))
    return usage_error("an upgrade in place keeps the socket file as it "
                       "is: no --mode or --group");
  raise_descriptor_limit();
  struct fdp_store *store = fdp_store_new();
  if (store == NULL)
    return report_errno(o->socket, ENOMEM);
  struct handoff h = {0};
  long long deadline = fdp_deadline_after(o->timeout_ms);
  int rc = 0, from = -1, listener = -1, handed_over = 0, notify = -1;
  if (o->from)
    rc = connect_trusted(o->from, &o->trusted, deadline, &from);
  if (rc == 0 && in_place)
    rc = take_listener(from, o->from, deadline, &listener, &notify);
  if (rc == 0 && o->from)
    rc = fetch_all(from, o->from, deadline, &h);
  if (rc == 0)
    rc = open_specs(o->args, o->nargs, &h);
  if (rc == 0)
    rc = truncate_specs(&h);
  if (rc == 0)
    rc = put_by_name(&h, put_in_store, store, o->socket);
  else
    handoff_close(&h);
  /* The old holder stops only now that everything is here. */
  int status = rc == 0 && in_place ? fdp_hand_over_done(from, deadline)
                                   : FDPASS_OK;
  if (status != FDPASS_OK)
    rc = report_status(o->from, status);
  if (from >= 0)
    close(from);
  struct fdp_holder holder = {
      .listener = listener, .handed_over = &handed_over,
      .stop_fd = stop_fd(), .store = store, .legacy_ms = 250,
      .max_connections = o->max_connections, .max_stored = o->max_stored,
      .lame_duck_ms = (int)o->lame_duck_ms,
      .log = holder_log_line,
      .access = {o->read_uids.uids, o->write_uids.uids, o->read_gids.uids,
                 o->write_gids.uids, (size_t)o->read_uids.nuids,
                 (size_t)o->write_uids.nuids, (size_t)o->read_gids.nuids,
                 (size_t)o->write_gids.nuids, o->rules,
                 (size_t)o->nrules}};

  /* An upgrade in place serves the old holder's notify socket on, with
   * the datagrams waiting in it; without --notify it is closed. */
  holder.notify = o->notify ? notify : -1;
  if (notify >= 0 && !o->notify)
    close(notify);
  int bound_here = 0, serving = 0;
  if (rc == 0 && o->notify && holder.notify < 0)
    bound_here = (rc = listen_notify(o->notify, o->mode, o->gid,
                                     &holder.notify)) == 0;
  if (rc == 0 && !in_place)
    rc = listen_on(o->socket, o->mode, o->gid, &holder.listener);
  if (rc == 0) {
    serving = 1;
    holder_log_start(o->socket);
    status = fdp_holder_serve(&holder);
    holder_log_stop();
    if (handed_over) /* the socket file is the new holder's */
      close(holder.listener);
    else
      stop_listening(holder.listener, o->socket);
    if (status != FDPASS_OK)
      rc = report_status(o->socket, status);
  } else if (listener >= 0) {
    close(listener);
  }
  /* Its file goes with the holder that serves it last, or that made it in
   * vain; a successor's, or an old holder's that serves on, stays. */
  if (holder.notify >= 0 && ((serving && !handed_over) ||
                             (!serving && bound_here)))
    stop_listening(holder.notify, o->notify);
  else if (holder.notify >= 0)
    close(holder.notify);
  fdp_store_free(store);
  return rc;
}

int command_exec(const struct options *o)
{
  struct handoff h = {0};
  int sock = -1;
  long long deadline = fdp_deadline_after(o->timeout_ms);
  int rc = o->command ? check_command(o->command) : 0;
  if (rc == 0)
    rc = connect_trusted(o->socket, &o->trusted, deadline, &sock);
  if (rc == 0 && o->nnames == 0)
    rc = fetch_all(sock, o->socket, deadline, &h);
  for (int i = 0; i < o->nnames && rc == 0; i++) {
    int fds[FDPASS_MAX_FDS];
    size_t n = FDPASS_MAX_FDS;
    int status = fdpass_fetch(sock, o->names[i], fds, &n, NULL, 0,
                              fdp_remaining_ms(deadline));
    if (status != FDPASS_OK) {
      rc = report_status(o->names[i], status);
      break;
    }
    for (size_t j = 0; j < n; j++)
      if (rc == 0)
        rc = handoff_add(&h, fds[j], o->names[i], strlen(o->names[i]));
      else
        close(fds[j]);
  }
  if (sock >= 0)
    close(sock);
  if (rc != 0) {
    handoff_close(&h);
    return rc;
  }
  return deliver(o, &h);
}

/* Connect for store, list or remove. */
static int connect_holder(const struct options *o, long long deadline,
                          int *sock)
{
  return connect_trusted(o->socket, &o->trusted, deadline, sock);
}

/* Where `fdpass store` puts descriptors: a holder over a connection, which
 * gets copies; ours are closed once it has them. */
struct holder_connection {
  int sock;
  long long deadline;
  const struct options *o;
};

static int put_in_holder(void *to, const char *name, size_t len,
                         const int *fds, size_t n)
{
  struct holder_connection *c = to;
  char terminated[256];
  snprintf(terminated, sizeof terminated, "%.*s", (int)len, name);
  int status = fdpass_store_with(c->sock, terminated, fds, n,
                                 c->o->store_new ? FDPASS_STORE_NEW : 0,
                                 (int)c->o->lifetime_ms,
                                 fdp_remaining_ms(c->deadline));
  for (size_t i = 0; i < n && status == FDPASS_OK; i++)
    close(fds[i]); /* the holder has its copies */
  return status;
}

int command_store(const struct options *o)
{
  struct handoff h = {0};
  int rc = open_specs(o->args, o->nargs, &h);
  if (rc != 0)
    return rc;
  struct holder_connection c = {-1, fdp_deadline_after(o->timeout_ms), o};
  rc = connect_holder(o, c.deadline, &c.sock);
  if (rc == 0)
    rc = truncate_specs(&h); /* only now that a holder we trust is here */
  if (rc == 0)
    rc = put_by_name(&h, put_in_holder, &c, o->socket);
  else
    handoff_close(&h);
  if (c.sock >= 0)
    close(c.sock);
  return rc;
}

int command_list(const struct options *o)
{
  long long deadline = fdp_deadline_after(o->timeout_ms);
  int sock;
  int rc = connect_holder(o, deadline, &sock);
  if (rc != 0)
    return rc;
  size_t size = 4096;
  char *names = NULL;
  int status;
  do {
    free(names);
    size *= 4;
    names = malloc(size);
    status = names ? fdpass_list(sock, names, size, fdp_remaining_ms(deadline))
                   : FDPASS_ENOMEM;
  } while (status == FDPASS_ETRUNC);
  close(sock);
  if (status == FDPASS_OK) {
    for (char *p = names; *p; p += strcspn(p, ":") + (p[strcspn(p, ":")] != 0))
      printf("%.*s\n", (int)strcspn(p, ":"), p);
    if (fflush(stdout) != 0 || ferror(stdout))
      rc = report_errno("stdout", errno);
  } else {
    rc = report_status(o->socket, status);
  }
  free(names);
  return rc;
}

int command_remove(const struct options *o)
{
  long long deadline = fdp_deadline_after(o->timeout_ms);
  int sock = -1;
  int rc = connect_holder(o, deadline, &sock);
  for (int i = 0; i < o->nargs && rc == 0; i++) {
    int status = fdpass_remove(sock, o->args[i], fdp_remaining_ms(deadline));
    if (status == FDPASS_EINVAL)
      rc = usage_error("bad name '%s'", o->args[i]);
    else if (status != FDPASS_OK)
      rc = report_status(o->args[i], status);
  }
  if (sock >= 0)
    close(sock);
  return rc;
}
