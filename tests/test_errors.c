/* SPDX-License-Identifier: MIT */
/* test_errors.c - status codes, their names and messages, the OS error,
 * and the version functions. */
#include "helpers.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

struct code {
  int value;
  const char *name;
  const char *message;
};

static const struct code codes[] = {
#define XX(name, value, message) {FDPASS_##name, #name, message},
    FDPASS_ERRNO_MAP(XX)
#undef XX
};
#define NCODES (sizeof codes / sizeof codes[0])

Test(errors, table_has_the_codes_the_contract_names)
{
  const char *required[] = {"EINVAL", "EBADF",  "ENOTSOCK", "ENOTSUP",
                            "EAGAIN", "ETIMEDOUT", "ECLOSED", "ENOFD",
                            "ETRUNC", "EMFILE", "ENOMEM",  "EACCES",
                            "ENOENT", "EADDRINUSE", "ESYS"};
  for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) {
    int found = 0;
    for (size_t i = 0; i < NCODES; i++)
      found |= strcmp(codes[i].name, required[r]) == 0;
    cr_assert(found, "FDPASS_%s is missing", required[r]);
  }
}

Test(errors, codes_are_negative_and_distinct)
{
  cr_assert_eq(FDPASS_OK, 0);
  for (size_t i = 0; i < NCODES; i++) {
    cr_assert_lt(codes[i].value, 0, "%s", codes[i].name);
    for (size_t j = i + 1; j < NCODES; j++)
      cr_assert_neq(codes[i].value, codes[j].value, "%s and %s",
                    codes[i].name, codes[j].name);
  }
}

Test(errors, errname_and_strerror_follow_the_table)
{
  for (size_t i = 0; i < NCODES; i++) {
    cr_assert_str_eq(fdpass_errname(codes[i].value), codes[i].name);
    cr_assert_str_eq(fdpass_strerror(codes[i].value), codes[i].message);
  }
  cr_assert_str_eq(fdpass_errname(FDPASS_EBADF), "EBADF");
  cr_assert_str_eq(fdpass_errname(FDPASS_OK), "OK");
  cr_assert_str_eq(fdpass_strerror(FDPASS_OK), "success");
}

Test(errors, unknown_codes_have_a_name_and_a_message)
{
  int unknown[] = {1, 42, -1000, -99999, 2147483647, -2147483647 - 1};
  for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
    cr_assert_str_eq(fdpass_errname(unknown[i]), "UNKNOWN");
    cr_assert_str_eq(fdpass_strerror(unknown[i]), "unknown error");
  }
}

Test(errors, os_error_tells_the_system_error_behind_a_failure)
{
  int a, b;
  make_pair(&a, &b);
  int bad = closed_fd();
  assert_status(fdpass_send(a, bad), FDPASS_EBADF);
  cr_assert_eq(fdpass_os_error(), EBADF, "sendmsg failed with EBADF");
  assert_status(fdpass_recv(a, NULL), FDPASS_EINVAL);
  cr_assert_eq(fdpass_os_error(), 0, "the library's own check: no OS error");
  close(a);
  close(b);
}

static void *fail_in_thread(void *arg)
{
  (void)arg;
  fdpass_close(closed_fd());
  return (void *)(intptr_t)fdpass_os_error();
}

Test(errors, os_error_is_per_thread)
{
  assert_status(fdpass_recv(0, NULL), FDPASS_EINVAL);
  pthread_t thread;
  void *seen;
  cr_assert_eq(pthread_create(&thread, NULL, fail_in_thread, NULL), 0);
  cr_assert_eq(pthread_join(thread, &seen), 0);
  cr_assert_eq((intptr_t)seen, EBADF);
  cr_assert_eq(fdpass_os_error(), 0, "the other thread's failure is not ours");
}

Test(version, numbers_agree)
{
  cr_assert_eq(fdpass_version(), FDPASS_VERSION_MAJOR * 10000 +
                                     FDPASS_VERSION_MINOR * 100 +
                                     FDPASS_VERSION_PATCH);
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", FDPASS_VERSION_MAJOR,
           FDPASS_VERSION_MINOR, FDPASS_VERSION_PATCH);
  cr_assert_str_eq(fdpass_version_string(), expected);
}
