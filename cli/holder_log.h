/* SPDX-License-Identifier: MIT */
/*
 * holder_log.h - where `fdpass hold` sends its holder's log lines. The
 * holder calls holder_log_line on its loop, which must never wait; a
 * thread of its own writes the lines to stderr, so that whoever reads
 * stderr (a pipe nobody drains, a stalled journal) cannot hold the loop
 * up, even when clients make it log. Lines that find the queue full are
 * counted, and the count said once there is room.
 */
#ifndef FDPASS_CLI_HOLDER_LOG_H
#define FDPASS_CLI_HOLDER_LOG_H

/* Start the writer, for lines about `what` (the holder's socket). Without
 * a thread, lines are written where they are logged. */
void holder_log_start(const char *what);

/* Queue one line (a struct fdp_holder's log; `context` unused). */
void holder_log_line(void *context, const char *text);

/* Write what is queued, waiting a second at most for stderr's reader,
 * then end the writer. */
void holder_log_stop(void);

#endif
