/* SPDX-License-Identifier: MIT */
/*
 * harness.h - a tiny test harness for the Windows suite (Criterion does
 * not build with mingw-w64). A suite lists its tests in a table and calls
 * run_tests from main. Each test prints "PASS name", "FAIL name:
 * file:line: message", or, when it cannot run here (SKIP, never a pass),
 * "[SKIP] windows::name: reason", the line scripts/test counts; the run
 * ends with "N passed, N failed, N skipped". A test stops at its first
 * CHECK that does not hold, and fails when it leaves this process with
 * more or fewer handles than it found (a leak), counted from the kernel's
 * handle table.
 */
#ifndef FDPASS_HARNESS_H
#define FDPASS_HARNESS_H

#include <winsock2.h>
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test {
  const char *name;
  void (*run)(void);
};

static jmp_buf harness_escape;
static char harness_message[1024];
static long harness_expected_change;
static int harness_skipping;

/* Fail the running test (or child) with a printf-style message. */
static void harness_fail(const char *file, int line, const char *format, ...)
{
  int n = snprintf(harness_message, sizeof harness_message, "%s:%d: ", file,
                   line);
  va_list args;
  va_start(args, format);
  vsnprintf(harness_message + n, sizeof harness_message - (size_t)n, format,
            args);
  va_end(args);
  longjmp(harness_escape, 1);
}

/* End the running test as skipped: it cannot run here (say why). Clean
 * up first: a skipped test's handles are not counted. */
static void harness_skip(const char *format, ...)
{
  va_list args;
  va_start(args, format);
  vsnprintf(harness_message, sizeof harness_message, format, args);
  va_end(args);
  harness_skipping = 1;
  longjmp(harness_escape, 1);
}

#define SKIP(...) harness_skip(__VA_ARGS__)

#define CHECK(condition, ...)                                                \
  do {                                                                       \
    if (!(condition))                                                        \
      harness_fail(__FILE__, __LINE__, __VA_ARGS__);                         \
  } while (0)

/* The test leaves `change` more handles behind on purpose (a documented
 * limit it demonstrates). */
static void expect_handle_change(long change)
{
  harness_expected_change = change;
}

/* Handles this process holds, from NtQuerySystemInformation's
 * SystemExtendedHandleInformation (GetProcessHandleCount is a stub in
 * Wine). */
static long count_handles(void)
{
  typedef LONG(NTAPI * query_fn)(ULONG, PVOID, ULONG, PULONG);
  struct entry {
    PVOID object;
    ULONG_PTR pid, handle;
    ULONG access;
    USHORT backtrace, type;
    ULONG attributes, reserved;
  };
  struct table {
    ULONG_PTR count, reserved;
    struct entry entries[1];
  };
  query_fn query = (query_fn)(void (*)(void))GetProcAddress(
      GetModuleHandleA("ntdll.dll"), "NtQuerySystemInformation");
  ULONG size = 1 << 20;
  for (;;) {
    struct table *t = malloc(size);
    if (t == NULL)
      return -1;
    LONG status = query(64 /* SystemExtendedHandleInformation */, t, size,
                        NULL);
    if (status == 0) {
      long mine = 0;
      for (ULONG_PTR i = 0; i < t->count; i++)
        mine += t->entries[i].pid == GetCurrentProcessId();
      free(t);
      return mine;
    }
    free(t);
    if (size >= (1u << 28))
      return -1;
    size *= 4; /* the table did not fit */
  }
}

#define HARNESS_TEST_SECONDS 30

static const char *volatile harness_running;
static volatile ULONGLONG harness_started;
static int harness_passed, harness_failed, harness_skipped;

/* A test that hangs (waiting for a pipe's end that never comes, say)
 * fails the run after HARNESS_TEST_SECONDS instead of stalling it. */
static DWORD WINAPI harness_watchdog(void *unused)
{
  (void)unused;
  for (;;) {
    Sleep(250);
    const char *name = harness_running;
    if (name && GetTickCount64() - harness_started >
                    HARNESS_TEST_SECONDS * 1000ull) {
      printf("FAIL %s: still running after %d s\n", name,
             HARNESS_TEST_SECONDS);
      printf("%d passed, %d failed, %d skipped\n", harness_passed,
             harness_failed + 1, harness_skipped);
      fflush(stdout);
      ExitProcess(1);
    }
  }
}

/* Run one test; 1 if it passed, 0 if not, 2 if it skipped, with
 * harness_message set unless it passed. */
static int run_test(const struct test *t)
{
  harness_started = GetTickCount64();
  harness_running = t->name;
  harness_expected_change = 0;
  harness_skipping = 0;
  long before = count_handles();
  if (setjmp(harness_escape) != 0)
    return harness_skipping ? 2 : 0;
  t->run();
  long after = count_handles();
  if (before < 0 || after - before != harness_expected_change) {
    snprintf(harness_message, sizeof harness_message,
             "%ld handles before, %ld after (expected a change of %ld)",
             before, after, harness_expected_change);
    return 0;
  }
  return 1;
}

/* Run every test of `tests` (or only the one named by argv[1]). */
static int run_tests(int argc, char **argv, const struct test *tests,
                     size_t count)
{
  CloseHandle(CreateThread(NULL, 0, harness_watchdog, NULL, 0, NULL));
  for (size_t i = 0; i < count; i++) {
    if (argc > 1 && strcmp(argv[1], tests[i].name) != 0)
      continue;
    int ok = run_test(&tests[i]);
    harness_running = NULL;
    if (ok == 2) {
      printf("[SKIP] windows::%s: %s\n", tests[i].name, harness_message);
      harness_skipped++;
    } else if (ok) {
      printf("PASS %s\n", tests[i].name);
      harness_passed++;
    } else {
      printf("FAIL %s: %s\n", tests[i].name, harness_message);
      harness_failed++;
    }
    fflush(stdout);
  }
  printf("%d passed, %d failed, %d skipped\n", harness_passed,
         harness_failed, harness_skipped);
  return harness_failed == 0 && harness_passed > 0 ? 0 : 1;
}

#endif
