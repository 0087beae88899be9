/* SPDX-License-Identifier: MIT */
/* consumer.c - a program that uses an installed libfdpass: passes a pipe to
 * itself and writes through the received copy. */
#include <fdpass.h>

#include <stdio.h>
#include <string.h>
#ifdef _WIN32 /* msvcrt: a pipe of C runtime descriptors, over a named pipe */
#include <fcntl.h>
#include <io.h>
#define pipe(p) _pipe(p, 64, _O_BINARY)
#define read _read
#define write _write
#else
#include <unistd.h>
#endif

int main(void)
{
  int a, b, p[2], got;
  char buf[8] = {0};
  if (fdpass_version() != FDPASS_VERSION_MAJOR * 10000 +
                              FDPASS_VERSION_MINOR * 100 +
                              FDPASS_VERSION_PATCH) {
    fprintf(stderr, "header and library versions differ\n");
    return 1;
  }
  if (pipe(p) != 0 || fdpass_socketpair(&a, &b) != FDPASS_OK ||
      fdpass_send(a, p[1]) != FDPASS_OK || fdpass_recv(b, &got) != FDPASS_OK ||
      write(got, "ok", 2) != 2 || read(p[0], buf, 2) != 2 ||
      strcmp(buf, "ok") != 0) {
    fprintf(stderr, "passing a descriptor failed\n");
    return 1;
  }
  printf("consumer: libfdpass %s works\n", fdpass_version_string());
  return 0;
}
