#!/bin/sh
# SPDX-License-Identifier: MIT
# run-valgrind.sh [--memory-only] PROGRAM [ARGS...]: run a test program
# under valgrind's memcheck, in every process it forks or execs (but not in
# the system's interpreters it execs), and fail on any error or leak in any
# of them. --memory-only: errors only, for an interpreter (PROGRAM itself),
# which keeps its memory pools to the end.
set -u
leaks="--leak-check=full --show-leak-kinds=definite,indirect,possible
  --errors-for-leak-kinds=definite,indirect,possible"
if [ "${1:-}" = --memory-only ]; then
  leaks=--leak-check=no
  shift
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
# shellcheck disable=SC2086 # $leaks is a list of options
valgrind -q --trace-children=yes --trace-children-skip='/usr/bin/*,/bin/*' \
  --vgdb=no --suppressions="$(dirname "$0")/valgrind.supp" $leaks \
  --error-exitcode=99 --log-file="$logs/valgrind.%p" "$@"
status=$?
if [ -n "$(cat "$logs"/valgrind.* 2>/dev/null)" ]; then
  cat "$logs"/valgrind.*
  echo "run-valgrind: valgrind reported errors or leaks (above)" >&2
  exit 1
fi
exit "$status"
