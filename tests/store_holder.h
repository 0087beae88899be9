/* SPDX-License-Identifier: MIT */
/* store_holder.h - the holder as a test's child process (store_holder.c). */
#ifndef FDPASS_TEST_STORE_HOLDER_H
#define FDPASS_TEST_STORE_HOLDER_H

/* Listen on `where`, write "ready\n" on `ready_fd`, serve until SIGTERM
 * with the options `args` (NULL-terminated); 0 when it ended well. */
int run_store_holder(const char *where, const char **args, int ready_fd);

#endif
