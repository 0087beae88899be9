#!/bin/sh
# SPDX-License-Identifier: MIT
# holder.sh: `fdpass hold` and `recv` against an attacker who shares the
# socket's directory: --mode and --group change the socket file they bound
# and nothing else, never the file a symlink swapped in points to; both
# are refused on an abstract name, which has no file; recv takes them too.
# Then an upgrade in place of a holder under a steady stream of stores, and
# a holder whose stderr nobody reads.
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
  status=0
  wait "$holder" || status=$?
  # 143: stopped before it had set up its signals (a loaded machine).
  [ "$status" -eq 0 ] || [ "$status" -eq 143 ] ||
    grep -q "replaced\|not a socket" hold.err ||
    fail "round $round: exit $status: $(cat hold.err)"
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

# An upgrade in place: hold --from SOCK SOCK takes the old holder's
# listening socket and everything it stores, also what is stored while it
# moves; the old holder exits by itself and leaves the socket file. No
# acknowledged store is lost, no connection refused.
# acknowledged N: wait until the writer has N stores acknowledged.
acknowledged() {
  for _ in $(seq 3000); do
    [ "$(grep -c '^w' written)" -ge "$1" ] && return
    sleep 0.01
  done
  fail "$(grep -c '^w' written) stores acknowledged in 30 s, not $1"
}
start "$FDPASS" hold up.sock a=victim 2> old.err
old=$started
run 0 "$FDPASS" list --timeout 30 up.sock
start "$PYTHON" "$CLI_TESTS/store-writer.py" up.sock victim stop-storing \
  > written
writer=$started
acknowledged 20
start "$FDPASS" hold --from up.sock up.sock 2> new.err
new=$started
for _ in $(seq 3000); do kill -0 "$old" 2> /dev/null || break; sleep 0.01; done
kill -0 "$old" 2> /dev/null &&
  fail "the old holder still runs; the new one said: $(cat new.err)"
finish "$old"
acknowledged 200
touch stop-storing
finish "$writer"
grep -qx "refused 0" written || fail "refused during the move: $(tail -2 written)"
run 0 "$FDPASS" list --timeout 30 up.sock
for name in a $(grep '^w' written); do
  grep -qx "$name" out || fail "the acknowledged store $name was lost"
done
grep -q "takes over" old.err || fail "the old holder said: $(cat old.err)"
kill -TERM "$new"
finish "$new"
[ ! -e up.sock ] || fail "the new holder left its socket file"
# An upgrade in place keeps the socket file as it is.
run 2 "$FDPASS" hold --mode 0660 --from up.sock up.sock
expect_err "an upgrade in place keeps the socket file"

# Clients make the holder log while nobody reads its stderr: it serves on.
"$PYTHON" "$CLI_TESTS/log-stall.py" "$FDPASS" "$scratch/stall.sock" ||
  fail "a holder whose stderr is not read"
passed "--mode and --group only on the bound socket file; upgrade in place; \
a stderr nobody reads"
