#!/bin/sh
# peers.sh: `fdpass hold` and `fdpass recv` serve only clients of their own
# uid, logging the others, unless --allow-uid names them. The other user
# is uid 65534, so this runs as root (setpriv), on an abstract socket (no
# file permissions in the way); elsewhere it is skipped.
. "$CLI_TESTS/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null; then
  echo "cli:peers: skipped: needs root and setpriv to act as another user"
  exit 77
fi
other=65534
as_other() { setpriv --reuid=$other --regid=$other --clear-groups "$@"; }
# A copy of the command and a file that the other user can use.
chmod 755 "$scratch"
cp "$FDPASS" fdpass
printf 'input\n' > in
chmod 755 fdpass
chmod 644 in
sock="@fdpass-cli-peers-$$"
refusal="refused process [0-9]* of uid $other (only uid 0 and --allow-uid are served)"

start "$FDPASS" hold "$sock" in 2> hold.err
holder=$started
run 0 "$FDPASS" exec --timeout 30 "$sock" # the same uid is served
run 1 as_other ./fdpass exec "$sock"
expect_err "fdpass exec: $sock: the connection closed before any descriptor came"
kill -TERM "$holder"
finish "$holder"
grep -qx "fdpass hold: $sock: $refusal" hold.err ||
  fail "hold said: $(cat hold.err)"

start "$FDPASS" hold --allow-uid 1234 --allow-uid "$other" "$sock" in
holder=$started
run 0 as_other ./fdpass exec --timeout 30 "$sock"
expect_out "3 unknown file read-only $scratch/in"
kill -TERM "$holder"
finish "$holder"

# recv refuses the other user's handoff and takes the next allowed one.
start "$FDPASS" recv --timeout 30 "$sock" > printed 2> recv.err
recv=$started
run 1 as_other ./fdpass send --timeout 30 "$sock" in
expect_err "fdpass send: $sock: "
run 0 "$FDPASS" send --timeout 30 "$sock" mine=in
finish "$recv"
[ "$(cat printed)" = "3 mine file read-only $scratch/in" ] ||
  fail "recv got: $(cat printed)"
grep -qx "fdpass recv: $sock: $refusal" recv.err ||
  fail "recv said: $(cat recv.err)"

start "$FDPASS" recv --allow-uid "$other" --timeout 30 "$sock" > printed
recv=$started
run 0 as_other ./fdpass send --timeout 30 "$sock" theirs=in
finish "$recv"
[ "$(cat printed)" = "3 theirs file read-only $scratch/in" ] ||
  fail "recv got: $(cat printed)"
passed "other users refused and logged; --allow-uid serves them"
