#!/bin/sh
# SPDX-License-Identifier: MIT
# check-skip-report.sh REGEX [EMULATOR...] PROGRAM [ARGS...]: run
# skip_report (PROGRAM) as every suite runs (ARGS) and check how skips are
# reported: a suite whose tests all skip prints what CTest's
# SKIP_REGULAR_EXPRESSION REGEX takes for skipped, one that also ran a test
# does not, and both name each skipped test on a [SKIP] line, which
# scripts/test counts.
set -u
regex=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { cat "$out"; echo "check-skip-report: $*" >&2; exit 1; }

"$@" --filter 'skip_report/skips' > "$out" 2>&1 || fail "exit status $?"
grep -Eq "$regex" "$out" || fail "a suite that only skipped looks passed"
grep -q '^\[SKIP\] skip_report::skips: *told to' "$out" ||
  fail "no [SKIP] line for the skipped test"

"$@" > "$out" 2>&1 || fail "exit status $?"
grep -Eq "$regex" "$out" && fail "a suite that ran a test looks skipped"
grep -q '^\[SKIP\] skip_report::skips: *told to' "$out" ||
  fail "no [SKIP] line when another test ran"
echo "check-skip-report: skipped suites and tests are reported"
