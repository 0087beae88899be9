#!/bin/sh
# SPDX-License-Identifier: MIT
# send-recv.sh: `fdpass send` hands descriptors to `fdpass recv`, which
# execs a command with them as 3, 4, 5 and socket activation's variables,
# in its own process, with no other descriptor; or prints them.
. "$CLI_TESTS/lib.sh"
printf 'first\n' > a
printf 'second\n' > b
printf 'old content\n' > w

# Descriptor 9, inherited by recv, must not reach the command.
start "$FDPASS" recv --timeout 30 r.sock -- sh -c '
  echo "$$ $LISTEN_PID $LISTEN_FDS $LISTEN_FDNAMES"
  cat <&3; cat <&4; echo written >&5
  ls /proc/$$/fd; exit 7' > command.out 9< a
recv=$started
run 0 "$FDPASS" send --timeout 30 r.sock first=a b log=w:trunc
[ ! -s out ] && [ ! -s err ] || fail "send printed: $(cat out err)"
finish "$recv" 7 # the command's own status
[ ! -e r.sock ] || fail "recv left its socket file"

{ read -r pid listen_pid count names && read -r line1 && read -r line2; } \
  < command.out || fail "command output: $(cat command.out)"
[ "$pid" = "$recv" ] || fail "the command ran as $pid, not in recv ($recv)"
[ "$listen_pid" = "$pid" ] || fail "LISTEN_PID=$listen_pid, pid $pid"
[ "$count" = 3 ] || fail "LISTEN_FDS=$count"
[ "$names" = first:unknown:log ] || fail "LISTEN_FDNAMES=$names"
[ "$line1 $line2" = "first second" ] || fail "read '$line1 $line2'"
[ "$(cat w)" = written ] || fail "the :trunc file holds '$(cat w)'"
fds=$(tail -n +4 command.out | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 3 4 5 " ] || fail "the command had descriptors $fds"

# Without a command recv prints what came, here on an abstract socket.
start "$FDPASS" recv --timeout 30 "@fdpass-cli-test-$$" > printed
recv=$started
run 0 "$FDPASS" send --timeout 30 "@fdpass-cli-test-$$" x=a
finish "$recv"
[ "$(cat printed)" = "3 x file read-only $scratch/a" ] ||
  fail "recv printed: $(cat printed)"
passed "3 descriptors into a command's 3, 4, 5 with LISTEN_*; printed"
