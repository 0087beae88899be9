/* SPDX-License-Identifier: MIT */
/* skip_report.c - for check-skip-report.sh: one test that skips, one that
 * passes, so that both a suite that only skipped and one that skipped
 * some of its tests can be shown to be reported as such. */
#include <criterion/criterion.h>

Test(skip_report, skips)
{
  cr_skip_test("told to");
}

Test(skip_report, passes)
{
  cr_assert(1);
}
