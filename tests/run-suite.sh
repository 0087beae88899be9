#!/bin/sh
# SPDX-License-Identifier: MIT
# run-suite.sh COMMAND...: run a suite (COMMAND: the program with its
# arguments, behind its emulator or run-valgrind.sh) with a directory of
# its own for its tests' scratch directories (FDPASS_TEST_TMPDIR, read by
# scratch_make in helpers.c), and fail if the run leaves anything there:
# every test removes what it made, also when it skips or fails. Suites
# that run at the same time each have their own directory.
set -u
run=$(mktemp -d /tmp/fdpass-run-XXXXXX) || exit 1
# Tests as another uid (root only) reach their own scratch directory in it.
chmod 711 "$run"
FDPASS_TEST_TMPDIR=$run "$@"
status=$?
left=$(ls -A "$run")
rm -rf "$run"
if [ -n "$left" ]; then
  echo "run-suite: the suite left $(echo "$left" | tr '\n' ' ')in" \
    "FDPASS_TEST_TMPDIR (a test that did not remove its scratch directory)" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
