#!/bin/sh
# SPDX-License-Identifier: MIT
# holder.sh: `fdpass hold` and `recv` against an attacker who shares the
# socket's directory: --mode and --group change the socket file they bound
# and nothing else, never the file a symlink swapped in points to; both
# are refused on an abstract name, which has no file; recv takes them too.
. "$CLI_TESTS/lib.sh"

# A world-writable directory without the sticky bit: anyone may rename a
# symlink over the socket file between its bind and its chmod.
mkdir pub
chmod 777 pub
printf 'secret\n' > victim
chmod 600 victim
group=""
[ "$(id -u)" -eq 0 ] && group="--group 65534"
: "${SWAP_SYMLINK:?}"
start "$SWAP_SYMLINK" pub/h.sock "$scratch/victim" stop-swapping
swapper=$started
for round in $(seq 40); do
  rm -f pub/h.sock
  # shellcheck disable=SC2086 # $group is one option and its value, or none
  "$FDPASS" hold --mode 0666 $group pub/h.sock 2> hold.err &
  holder=$!
  sleep 0.05
  kill -TERM "$holder" 2> /dev/null || true
  wait "$holder" || grep -q "replaced\|not a socket" hold.err ||
    fail "round $round: $(cat hold.err)"
done
touch stop-swapping
finish "$swapper"
[ "$(stat -c '%a %g' victim)" = "600 $(id -g)" ] ||
  fail "the victim became $(stat -c '%a %g' victim)"

# Nothing to set on an abstract name: a usage error, not silence.
run 2 "$FDPASS" hold --mode 0660 "@fdpass-cli-holder-$$"
expect_err "fdpass hold: --mode and --group need a socket file"
run 2 "$FDPASS" recv --group 0 "@fdpass-cli-holder-$$"
expect_err "fdpass recv: --mode and --group need a socket file"

# recv gives its socket file a mode too, so that --allow-uid can work.
start "$FDPASS" recv --mode 0666 --timeout 30 r.sock
recv=$started
for _ in $(seq 300); do [ -S r.sock ] && break; sleep 0.01; done
[ "$(stat -c '%a' r.sock)" = 666 ] || fail "r.sock is $(stat -c '%a' r.sock)"
run 0 "$FDPASS" send --timeout 30 r.sock victim
finish "$recv"
passed "--mode and --group only on the bound socket file, never a link"
