/* SPDX-License-Identifier: MIT */
/*
 * criterion.h - the part of Criterion's API that tests/test_*.c use, for the
 * builds where Criterion cannot run: under qemu-user it hangs before the
 * first test, and Debian cannot install it for a second architecture beside
 * the native one. runner.c runs the tests; the suites compile unchanged.
 *
 * As in Criterion 2.4: every test runs in a process of its own; a suite's
 * .init runs before the test's and its .fini after the test's; a failed
 * cr_assert* ends the test, a failed cr_expect* marks it failed and goes on;
 * .timeout (seconds), .signal, .exit_code and .disabled mean the same.
 * Differences: tests run one at a time, sorted by suite and name (--jobs is
 * accepted and ignored); .fini runs only if the .init functions completed;
 * a failed assertion outside the test's main thread ends the whole test
 * process (Criterion gives no defined behaviour there either).
 */
#ifndef FDPASS_RUNNER_CRITERION_H
#define FDPASS_RUNNER_CRITERION_H

/* What Criterion's header brings in too, and the suites rely on. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A test, or with .fn NULL a suite's settings (TestSuite). */
struct crt_test {
  const char *suite, *name, *description;
  void (*fn)(void);
  void (*init)(void);
  void (*fini)(void);
  double timeout;
  int signal, exit_code;
  bool disabled;
};

void crt_register(const struct crt_test *test);
_Noreturn void crt_abort(const char *file, int line, const char *expression,
                         const char *format, ...)
  __attribute__((format(printf, 4, 5)));
void crt_fail(const char *file, int line, const char *expression,
              const char *format, ...) __attribute__((format(printf, 4, 5)));
_Noreturn void crt_skip(const char *format, ...)
  __attribute__((format(printf, 1, 2)));
void crt_log(const char *level, const char *format, ...)
  __attribute__((format(printf, 2, 3)));

/* Registration before main() runs: Criterion uses a linker section. */
#define CRT_REGISTER(id, ...)                                                \
  static const struct crt_test crt_##id = {__VA_ARGS__};                     \
  __attribute__((constructor)) static void crt_register_##id(void)           \
  {                                                                          \
    crt_register(&crt_##id);                                                 \
  }

#define Test(Suite, Name, ...)                                               \
  static void crt_fn_##Suite##_##Name(void);                                 \
  CRT_REGISTER(test_##Suite##_##Name, .suite = #Suite, .name = #Name,        \
               .fn = crt_fn_##Suite##_##Name, __VA_ARGS__)                   \
  static void crt_fn_##Suite##_##Name(void)

#define TestSuite(Suite, ...)                                                \
  CRT_REGISTER(suite_##Suite, .suite = #Suite, __VA_ARGS__)

/* Each check is a condition and its text. The message, when given, is a
 * format and its arguments; the leading " " keeps an absent one from being
 * an empty format (-Wformat-zero-length). */
#define CRT_ASSERT(passed, expression, ...)                                  \
  do {                                                                       \
    if (!(passed))                                                           \
      crt_abort(__FILE__, __LINE__, expression, " " __VA_ARGS__);            \
  } while (0)
#define CRT_EXPECT(passed, expression, ...)                                  \
  do {                                                                       \
    if (!(passed))                                                           \
      crt_fail(__FILE__, __LINE__, expression, " " __VA_ARGS__);             \
  } while (0)

#define CRT_TRUE(check, x, ...) check(x, #x, __VA_ARGS__)
#define CRT_NOT(check, x, ...) check(!(x), "!(" #x ")", __VA_ARGS__)
#define CRT_CMP(check, op, a, b, ...)                                        \
  check((a) op (b), "(" #a ") " #op " (" #b ")", __VA_ARGS__)
#define CRT_STR(check, op, a, b, ...)                                        \
  check(strcmp((a), (b)) op 0, "strcmp(" #a ", " #b ") " #op " 0",          \
        __VA_ARGS__)
#define CRT_ARR(check, op, a, b, size, ...)                                  \
  check(memcmp((a), (b), (size)) op 0,                                       \
        "memcmp(" #a ", " #b ", " #size ") " #op " 0", __VA_ARGS__)

#define cr_assert(...) CRT_TRUE(CRT_ASSERT, __VA_ARGS__)
#define cr_expect(...) CRT_TRUE(CRT_EXPECT, __VA_ARGS__)
#define cr_assert_not(...) CRT_NOT(CRT_ASSERT, __VA_ARGS__)
#define cr_expect_not(...) CRT_NOT(CRT_EXPECT, __VA_ARGS__)
#define cr_assert_eq(...) CRT_CMP(CRT_ASSERT, ==, __VA_ARGS__)
#define cr_expect_eq(...) CRT_CMP(CRT_EXPECT, ==, __VA_ARGS__)
#define cr_assert_neq(...) CRT_CMP(CRT_ASSERT, !=, __VA_ARGS__)
#define cr_expect_neq(...) CRT_CMP(CRT_EXPECT, !=, __VA_ARGS__)
#define cr_assert_lt(...) CRT_CMP(CRT_ASSERT, <, __VA_ARGS__)
#define cr_expect_lt(...) CRT_CMP(CRT_EXPECT, <, __VA_ARGS__)
#define cr_assert_leq(...) CRT_CMP(CRT_ASSERT, <=, __VA_ARGS__)
#define cr_expect_leq(...) CRT_CMP(CRT_EXPECT, <=, __VA_ARGS__)
#define cr_assert_gt(...) CRT_CMP(CRT_ASSERT, >, __VA_ARGS__)
#define cr_expect_gt(...) CRT_CMP(CRT_EXPECT, >, __VA_ARGS__)
#define cr_assert_geq(...) CRT_CMP(CRT_ASSERT, >=, __VA_ARGS__)
#define cr_expect_geq(...) CRT_CMP(CRT_EXPECT, >=, __VA_ARGS__)
#define cr_assert_null(x, ...) CRT_CMP(CRT_ASSERT, ==, x, NULL, __VA_ARGS__)
#define cr_expect_null(x, ...) CRT_CMP(CRT_EXPECT, ==, x, NULL, __VA_ARGS__)
#define cr_assert_not_null(x, ...)                                           \
  CRT_CMP(CRT_ASSERT, !=, x, NULL, __VA_ARGS__)
#define cr_expect_not_null(x, ...)                                           \
  CRT_CMP(CRT_EXPECT, !=, x, NULL, __VA_ARGS__)
#define cr_assert_zero(x, ...) CRT_CMP(CRT_ASSERT, ==, x, 0, __VA_ARGS__)
#define cr_expect_zero(x, ...) CRT_CMP(CRT_EXPECT, ==, x, 0, __VA_ARGS__)
#define cr_assert_not_zero(x, ...) CRT_CMP(CRT_ASSERT, !=, x, 0, __VA_ARGS__)
#define cr_expect_not_zero(x, ...) CRT_CMP(CRT_EXPECT, !=, x, 0, __VA_ARGS__)
#define cr_assert_str_eq(...) CRT_STR(CRT_ASSERT, ==, __VA_ARGS__)
#define cr_expect_str_eq(...) CRT_STR(CRT_EXPECT, ==, __VA_ARGS__)
#define cr_assert_str_neq(...) CRT_STR(CRT_ASSERT, !=, __VA_ARGS__)
#define cr_expect_str_neq(...) CRT_STR(CRT_EXPECT, !=, __VA_ARGS__)
#define cr_assert_str_empty(x, ...) CRT_STR(CRT_ASSERT, ==, x, "", __VA_ARGS__)
#define cr_expect_str_empty(x, ...) CRT_STR(CRT_EXPECT, ==, x, "", __VA_ARGS__)
#define cr_assert_str_not_empty(x, ...)                                      \
  CRT_STR(CRT_ASSERT, !=, x, "", __VA_ARGS__)
#define cr_expect_str_not_empty(x, ...)                                      \
  CRT_STR(CRT_EXPECT, !=, x, "", __VA_ARGS__)
#define cr_assert_arr_eq(...) CRT_ARR(CRT_ASSERT, ==, __VA_ARGS__)
#define cr_expect_arr_eq(...) CRT_ARR(CRT_EXPECT, ==, __VA_ARGS__)
#define cr_assert_arr_neq(...) CRT_ARR(CRT_ASSERT, !=, __VA_ARGS__)
#define cr_expect_arr_neq(...) CRT_ARR(CRT_EXPECT, !=, __VA_ARGS__)
#define cr_assert_fail(...) CRT_ASSERT(0, "cr_assert_fail", __VA_ARGS__)
#define cr_expect_fail(...) CRT_EXPECT(0, "cr_expect_fail", __VA_ARGS__)

#define cr_skip_test(...) crt_skip(" " __VA_ARGS__)
#define cr_log_info(...) crt_log("INFO", __VA_ARGS__)
#define cr_log_warn(...) crt_log("WARN", __VA_ARGS__)
#define cr_log_error(...) crt_log("ERR ", __VA_ARGS__)

#endif
