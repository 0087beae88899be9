/* SPDX-License-Identifier: MIT */
/* selftest.c - the runner's own test: each test's name says what the runner
 * must report for it (pass_, fail_, crash_, skip_); check-selftest.sh
 * compares. A runner that passed every test would fail this. */
#define _GNU_SOURCE

#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void say(const char *what)
{
  fprintf(stderr, "fixture: %s\n", what);
}
static void suite_init(void) { say("suite init"); }
static void suite_fini(void) { say("suite fini"); }
static void test_init(void) { say("test init"); }
static void test_fini(void) { say("test fini"); }

TestSuite(runner, .init = suite_init, .fini = suite_fini);

Test(runner, pass_fixtures_in_order, .init = test_init, .fini = test_fini)
{
  say("body");
}
Test(runner, pass_every_check_that_holds)
{
  int one = 1;
  cr_assert(one);
  cr_assert_eq(one, 1, "with a message %d", one);
  cr_assert_neq(one, 2);
  cr_assert_lt(one, 2);
  cr_assert_leq(one, 1);
  cr_assert_gt(one, 0);
  cr_assert_geq(one, 1);
  cr_assert_null(NULL);
  cr_assert_not_null(&one);
  cr_assert_str_eq("ab", "ab");
  cr_assert_arr_eq("ab", "ab", 2);
  cr_expect_eq(one, 1);
}
Test(runner, pass_expected_signal, .signal = SIGABRT) { abort(); }
Test(runner, pass_expected_exit_code, .exit_code = 3) { exit(3); }
Test(runner, fail_assert_ends_the_test)
{
  cr_assert_eq(1, 2, "ends here");
  say("after a failed assert");
}
Test(runner, fail_expect_goes_on)
{
  cr_expect_str_eq("a", "b");
  say("after a failed expect");
}
Test(runner, fail_array) { cr_assert_arr_eq("ab", "ac", 2); }
Test(runner, fail_in_a_forked_child)
{
  pid_t pid = fork();
  if (pid == 0) {
    cr_assert(0, "in the child");
    _exit(0);
  }
  waitpid(pid, NULL, 0);
}
static void *fail_thread(void *arg)
{
  cr_assert(0, "in a thread");
  return arg;
}
Test(runner, fail_in_a_thread)
{
  pthread_t thread;
  pthread_create(&thread, NULL, fail_thread, NULL);
  pthread_join(thread, NULL);
}
Test(runner, fail_exit_during_the_test) { exit(0); }
Test(runner, fail_missing_signal, .signal = SIGABRT) {}
Test(runner, fail_timeout, .timeout = 0.2) { pause(); }
Test(runner, crash_signal) { raise(SIGSEGV); }
Test(runner, skip_by_the_test) { cr_skip_test("skipped by %s", "the test"); }
Test(runner, skip_disabled, .disabled = true) { cr_assert(0); }
Test(runner, skip_on_the_command_line) { cr_assert(0); }
