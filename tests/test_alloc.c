/* SPDX-License-Identifier: MIT */
/* test_alloc.c - the library allocates no memory: malloc and friends are
 * interposed here and counted while the calling thread passes descriptors.
 * (Not built with sanitizers, which interpose malloc themselves.) */
#define _GNU_SOURCE

#include "helpers.h"

#include <stdlib.h>
#include <unistd.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);

static _Thread_local int counting;
static _Thread_local long allocations;

/* These replace the C library's for the whole process, libfdpass too. */
void *malloc(size_t size)
{
  allocations += counting;
  return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
  allocations += counting;
  return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
  allocations += counting;
  return __libc_realloc(p, size);
}

FD_TEST(alloc, passing_descriptors_allocates_nothing)
{
  if (under_valgrind())
    cr_skip_test("valgrind replaces malloc, so nothing would be counted");
  int a, b, p[2], in[FDPASS_MAX_FDS], out[FDPASS_MAX_FDS];
  make_pair(&a, &b);
  make_pipe(p);
  for (int i = 0; i < FDPASS_MAX_FDS; i++)
    out[i] = p[i % 2];

  void *(*volatile allocate)(size_t) = malloc; /* not optimised away */
  counting = 1;
  void *probe = allocate(16); /* the counter works */
  counting = 0;
  free(probe);
  cr_assert_eq(allocations, 1, "malloc was not interposed");
  allocations = 0;

  counting = 1;
  for (int i = 0; i < 1000; i++) {
    int fd;
    int s1 = fdpass_send(a, p[1]), s2 = fdpass_recv(b, &fd);
    if (s1 != FDPASS_OK || s2 != FDPASS_OK)
      break;
    close(fd);
    char buf[4];
    size_t len = 4, nfds = FDPASS_MAX_FDS;
    if (fdpass_send_fds(a, "data", &len, out, FDPASS_MAX_FDS, 0) != FDPASS_OK ||
        fdpass_recv_fds(b, buf, &len, in, &nfds, 0) != FDPASS_OK)
      break;
    for (size_t k = 0; k < nfds; k++)
      close(in[k]);
  }
  counting = 0;
  cr_assert_eq(allocations, 0, "%ld allocations while passing", allocations);
  close(p[0]);
  close(p[1]);
  close(a);
  close(b);
}
