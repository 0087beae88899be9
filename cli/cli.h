/*
 * cli.h - what the sources of the fdpass command share.
 *
 * main.c reads the command line and runs one of the subcommands in
 * commands.c. spec.c parses and opens SPECs, handoff.c speaks the wire
 * protocol and does all the waiting (timeouts, signals, retries), launch.c
 * hands received descriptors to a command or prints them.
 *
 * Every function that can fail reports the failure once, on stderr, where
 * it is found, and returns an exit status: 0, EXIT_FAILURE (1) or
 * EXIT_USAGE (2).
 */
#ifndef FDPASS_CLI_H
#define FDPASS_CLI_H

#include <fdpass.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h> /* EXIT_FAILURE */

#define EXIT_USAGE 2

/* A descriptor name (LISTEN_FDNAMES): 1 to 255 printable characters, no
 * ':' or space. Unnamed descriptors are called "unknown", as in systemd. */
#define NAME_MAX_LEN 255
#define UNNAMED "unknown"

/* What one handoff carries: descriptors and their names, in order. */
struct handoff {
  int fds[FDPASS_MAX_FDS];
  size_t nfds;
  char names[FDPASS_MAX_FDS * (NAME_MAX_LEN + 1)]; /* "web:unknown:log" */
};

/* Close every descriptor of `h` and forget them. */
void handoff_close(struct handoff *h);

/* The command line of one subcommand. */
#define MAX_ALLOWED_UIDS 32
struct options {
  const char *socket;
  char **specs; /* send, hold */
  int nspecs;
  char **command; /* after "--"; NULL when none */
  long timeout_ms; /* -1: no --timeout */
  int64_t allowed_uids[MAX_ALLOWED_UIDS];
  int nallowed;
};

/* ---- main.c: messages ---------------------------------------------- */

/* "fdpass SUBCOMMAND: WHAT: TEXT" on stderr; returns EXIT_FAILURE. */
int report(const char *what, const char *text);

/* report() with the text of library status `status`. */
int report_status(const char *what, int status);

/* report() with the text of errno value `error`. */
int report_errno(const char *what, int error);

/* A usage error, printf-style, with a hint; returns EXIT_USAGE. */
int usage_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* ---- spec.c --------------------------------------------------------- */

/* Parse every SPEC (usage errors: EXIT_USAGE, nothing opened), then open
 * them all into `h`, in order. All or nothing: on failure nothing is left
 * open and no file was truncated. */
int open_specs(char **specs, int nspecs, struct handoff *h);

/* Is `name` (of `len` bytes) a valid descriptor name? */
int name_is_valid(const char *name, size_t len);

/* ---- handoff.c ------------------------------------------------------ */

/* Milliseconds on a monotonic clock; NO_DEADLINE waits forever. */
#define NO_DEADLINE (-1LL)
long long deadline_after(long timeout_ms);

/* Ignore SIGPIPE (a peer that goes away is a status code), and with
 * `catch_stop` make SIGTERM and SIGINT end every wait with WAIT_SIGNALLED
 * instead of killing the process, so that it can clean up. */
#define WAIT_SIGNALLED 1000
int setup_signals(int catch_stop);

/* Give the signals back the actions they had before (for exec). */
void restore_signals(void);

/* Wait until `fd` is readable: FDPASS_OK, FDPASS_ETIMEDOUT at the
 * deadline, WAIT_SIGNALLED, or another status. */
int wait_readable(int fd, long long deadline);

/* Connect to `path`; until the deadline, retry while nobody listens. */
int connect_until(const char *path, long long deadline, int *sock);

/* Listen on `path`; then accept connections until one comes from an
 * allowed user (the same uid, or one of --allow-uid), logging refusals. */
int listen_on(const char *path, int *listener);
int accept_allowed(int listener, const struct options *o,
                   long long deadline, int *sock);

/* Send `h` as one message: a 0 byte with every descriptor, then the names
 * unless all are unnamed (so one unnamed descriptor is exactly IO::FDPass's
 * format). The caller then closes or shuts down its end: the end of the
 * stream ends the names. */
int send_handoff(int sock, const char *peer, const struct handoff *h);

/* Receive a handoff sent by send_handoff (or IO::FDPass::send) until the
 * peer closes its end. */
int receive_handoff(int sock, const char *peer, long long deadline,
                    struct handoff *h);

/* The receiver confirms a complete handoff with one byte, so that the
 * sender knows it was not refused; the sender waits for it. */
void confirm_handoff(int sock);
int await_confirmation(int sock, const char *peer, long long deadline);

/* ---- launch.c ------------------------------------------------------- */

/* Exec `command` with the descriptors of `h` as 3, 4, ... and LISTEN_FDS,
 * LISTEN_PID, LISTEN_FDNAMES set; every other descriptor above 2 is
 * closed by the exec. Returns only on failure. */
int launch(char **command, struct handoff *h);

/* Make `fd` close-on-exec (this process has one thread, so setting it
 * right after creating `fd` leaves no window for an exec). */
int set_cloexec(int fd);

/* Print one line per descriptor of `h`, then close them. */
int print_handoff(struct handoff *h);

/* ---- commands.c ----------------------------------------------------- */

int command_send(const struct options *o);
int command_recv(const struct options *o);
int command_hold(const struct options *o);
int command_exec(const struct options *o);

#endif
