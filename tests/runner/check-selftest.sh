#!/bin/sh
# SPDX-License-Identifier: MIT
# check-selftest.sh [EMULATOR...] SELFTEST: run the runner's self-test and
# check that every test got the verdict its name asks for, the fixtures ran
# in Criterion's order, and the closing line counts right.
set -u
out=$(mktemp)
trap 'rm -f "$out" "$out.verdicts"' EXIT
"$@" --verbose --skip 'runner/skip_on_*=told to' > "$out" 2>&1
status=$?
fail() { cat "$out"; echo "check-selftest: $*" >&2; exit 1; }

[ "$status" -eq 1 ] || fail "exit status $status, expected 1"
grep '^\[\(PASS\|FAIL\|SKIP\)\] runner::' "$out" > "$out.verdicts"
verdicts=$(wc -l < "$out.verdicts")
[ "$verdicts" -eq 16 ] || fail "$verdicts verdicts, expected 16"
while read -r verdict name; do
  case "$verdict $name" in
  "[PASS] runner::pass_"* | "[FAIL] runner::fail_"*) ;;
  "[SKIP] runner::skip_"*) ;;
  "[FAIL] runner::crash_"*) echo "$name" | grep -q 'CRASH!' ;;
  *) false ;;
  esac || fail "wrong verdict: $verdict $name"
done < "$out.verdicts"
grep -q 'Tested: 13 | Passing: 4 | Failing: 9 | Crashing: 1' "$out" ||
  fail "wrong closing line"
order=$(sed -n 's/^fixture: //p' "$out" | tr '\n' ,)
case "$order" in
*"suite init,test init,body,test fini,suite fini,"*) ;;
*) fail "fixtures ran as: $order" ;;
esac
grep -q 'after a failed assert' "$out" && fail "a failed assert went on"
grep -q 'after a failed expect' "$out" || fail "a failed expect ended the test"
echo "check-selftest: 16 verdicts as expected"
