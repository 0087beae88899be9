# SPDX-License-Identifier: MIT
# lib.sh - sourced by the tests of the fdpass command. It gives them:
#   $FDPASS  the installed command; $PYTHON; $CLI_DIR (cli/); $CLI_TESTS
#   a scratch directory as the working directory, removed at the end
#   start CMD...   run CMD in the background; its pid is $started, and it
#                  is killed at the end if the test has not waited for it
#   finish PID [STATUS]  wait for PID and check its exit status (default 0)
#   run STATUS CMD...    run CMD with stdout in ./out and stderr in ./err
#                        and check its exit status
#   expect_err TEXT / expect_out TEXT   check ./err (one line) or ./out
#   as_another_user      skip the test (77) unless root with setpriv; then
#                        $other is uid 65534 and `as_other CMD...` runs
#                        CMD as it
#   fds_on PID PREFIX    how many descriptors of process PID are open on
#                        what /proc names PREFIX... ("pipe:", "/memfd:")
#   wait_fds_on PID PREFIX N   wait (5 s at most) until fds_on says N
#   fail MESSAGE
set -eu
: "${FDPASS:?}" "${PYTHON:?}" "${CLI_DIR:?}" "${CLI_TESTS:?}"
test_name=$(basename "$0" .sh)
scratch=$(mktemp -d)
running=""
cleanup() {
  for pid in $running; do kill "$pid" 2> /dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT
cd "$scratch"

fail() {
  echo "cli:$test_name: FAIL: $*" >&2
  exit 1
}

start() {
  "$@" &
  started=$!
  running="$running $started"
}

finish() {
  pid=$1 expected=${2:-0} status=0
  wait "$pid" || status=$?
  running=$(echo "$running" | sed "s/ $pid\b//")
  [ "$status" -eq "$expected" ] ||
    fail "process $pid exited $status, expected $expected"
}

run() {
  expected=$1
  shift
  status=0
  "$@" > out 2> err || status=$?
  [ "$status" -eq "$expected" ] ||
    fail "'$*' exited $status, expected $expected; stderr: $(cat err)"
}

expect_err() {
  [ "$(wc -l < err)" -eq 1 ] || fail "stderr is not one line: $(cat err)"
  grep -qF -- "$1" err || fail "stderr lacks '$1': $(cat err)"
}

expect_out() {
  grep -qF -- "$1" out || fail "stdout lacks '$1': $(cat out)"
}

# The ordered list of open descriptors of process $1, as "0 1 2 3".
fds_of() {
  ls "/proc/$1/fd" | sort -n | tr '\n' ' ' | sed 's/ $//'
}

as_another_user() {
  if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null; then
    echo "cli:$test_name: skipped: needs root and setpriv to act as" \
      "another user"
    exit 77
  fi
  other=65534
}

as_other() { setpriv --reuid=$other --regid=$other --clear-groups "$@"; }

fds_on() {
  count=0
  for fd in /proc/"$1"/fd/*; do
    case $(readlink "$fd" 2> /dev/null) in "$2"*) count=$((count + 1)) ;; esac
  done
  echo $count
}

wait_fds_on() {
  for i in $(seq 50); do
    [ "$(fds_on "$1" "$2")" -eq "$3" ] && return 0
    sleep 0.1
  done
  fail "process $1 has $(fds_on "$1" "$2") descriptors on $2..., not $3"
}

passed() {
  echo "cli:$test_name: $*"
}
