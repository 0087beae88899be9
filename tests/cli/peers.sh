#!/bin/sh
# SPDX-License-Identifier: MIT
# peers.sh: `fdpass hold` and `fdpass recv` serve only clients of their own
# uid (and root), logging the others, unless --allow-uid names them; hold
# grants reading and writing apart, per uid and per gid, and gives its
# socket file --mode and --group. Every verb that connects refuses a peer
# of another uid (a squatter on the name) unless --peer-uid names it. The
# other user is uid 65534, so this runs as root (setpriv), mostly on
# abstract sockets (no file permissions in the way); elsewhere it is
# skipped.
. "$CLI_TESTS/lib.sh"
as_another_user
# A copy of the command and a file that the other user can use.
chmod 755 "$scratch"
cp "$FDPASS" fdpass
printf 'input\n' > in
chmod 755 fdpass
chmod 644 in
sock="@fdpass-cli-peers-$$"
refusal="refused process [0-9]* of uid $other (no right to read or write)"

start "$FDPASS" hold "$sock" in 2> hold.err
holder=$started
run 0 "$FDPASS" exec --timeout 30 "$sock" # the same uid is served
run 1 as_other ./fdpass exec "$sock"
expect_err "fdpass exec: $sock: permission denied"
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
grep -qx "fdpass recv: $sock: refused process [0-9]* of uid $other (only uid 0, root and --allow-uid are served)" recv.err ||
  fail "recv said: $(cat recv.err)"

# A refused sender whose connection's close would wait (SO_LINGER on a
# socket it sent) delays nobody: the next sender is served at once.
start "$FDPASS" recv --timeout 30 "$sock" > printed 2> recv.err
recv=$started
mkfifo lingering
cp "$CLI_TESTS/linger-peer.py" . # where the other user can read it
setpriv --reuid=$other --regid=$other --clear-groups "$PYTHON" \
  ./linger-peer.py "$sock" > lingering &
lingerer=$!
running="$running $lingerer"
read -r sent < lingering
[ "$sent" = sent ] || fail "the lingering peer said: $sent"
run 0 "$FDPASS" send --timeout 5 "$sock" mine=in
finish "$recv"
kill "$lingerer"
wait "$lingerer" || true

start "$FDPASS" recv --allow-uid "$other" --timeout 30 "$sock" > printed
recv=$started
run 0 as_other ./fdpass send --timeout 30 "$sock" theirs=in
finish "$recv"
[ "$(cat printed)" = "3 theirs file read-only $scratch/in" ] ||
  fail "recv got: $(cat printed)"

# Rights apart: the other user may read (exec, list) but not write.
start "$FDPASS" hold --read-uid "$other" "$sock" web=in
holder=$started
run 0 as_other ./fdpass list --timeout 30 "$sock"
[ "$(cat out)" = web ] || fail "list gave: $(cat out)"
run 0 as_other ./fdpass exec --name web "$sock"
expect_out "3 web file read-only $scratch/in"
run 1 as_other ./fdpass store "$sock" mine=in
expect_err "fdpass store: $sock: permission denied"
run 1 as_other ./fdpass remove "$sock" web
expect_err "fdpass remove: web: permission denied"
kill -TERM "$holder"
finish "$holder"
start "$FDPASS" hold --write-gid "$other" "$sock"
holder=$started
run 0 as_other ./fdpass store --timeout 30 "$sock" theirs=in
run 1 as_other ./fdpass list "$sock"
expect_err "fdpass list: $sock: permission denied"
run 0 "$FDPASS" list "$sock"
[ "$(cat out)" = theirs ] || fail "list gave: $(cat out)"
kill -TERM "$holder"
finish "$holder"

# Rules per name: the other user may store and fetch web-*, nothing else.
start "$FDPASS" hold --rule "uid=$other:sf:web-" "$sock"
holder=$started
run 0 as_other ./fdpass store --timeout 30 "$sock" web-a=in
run 1 as_other ./fdpass store "$sock" db=in
expect_err "fdpass store: $sock: permission denied"
run 0 as_other ./fdpass exec --name web-a "$sock"
run 1 as_other ./fdpass list "$sock"
expect_err "fdpass list: $sock: permission denied"
kill -TERM "$holder"
finish "$holder"

# A share per uid: --max-stored for the other user; root has none.
start "$FDPASS" hold --write-uid "$other" --max-stored 2 "$sock"
holder=$started
run 0 as_other ./fdpass store --timeout 30 "$sock" a=in b=in
run 1 as_other ./fdpass store "$sock" c=in
expect_err "fdpass store: $sock: too many open files"
run 0 "$FDPASS" store "$sock" c=in d=in e=in
kill -TERM "$holder"
finish "$holder"

# A squatter: the other user took the name first. Nothing is handed to it
# and nothing it hands out is run, unless --peer-uid trusts it.
start setpriv --reuid=$other --regid=$other --clear-groups ./fdpass hold \
  "$sock" in
squatter=$started
run 0 as_other ./fdpass list --timeout 30 "$sock"
squat="refused: process [0-9]* listening here runs as uid $other, neither ours nor root (--peer-uid $other trusts it)"
for verb in "send $sock in" "exec $sock -- true" "store $sock x=in" \
  "list $sock" "remove $sock x"; do
  run 1 "$FDPASS" $verb
  grep -qx "fdpass ${verb%% *}: $sock: $squat" err ||
    fail "$verb said: $(cat err)"
done
run 0 "$FDPASS" exec --peer-uid "$other" "$sock"
expect_out "3 unknown file read-only $scratch/in"
kill -TERM "$squatter"
finish "$squatter"

# --mode and --group on a socket file: the group may connect, others not.
mkdir shared
chmod 755 shared
start "$FDPASS" hold --mode 0660 --group "$other" --read-gid "$other" \
  shared/h.sock in
holder=$started
run 0 "$FDPASS" list --timeout 30 shared/h.sock
[ "$(stat -c '%a %g' shared/h.sock)" = "660 $other" ] ||
  fail "the socket file is $(stat -c '%a %g' shared/h.sock)"
run 0 as_other ./fdpass exec shared/h.sock
expect_out "3 unknown file read-only $scratch/in"
run 1 setpriv --reuid=$other --regid=1234 --clear-groups ./fdpass list \
  shared/h.sock
expect_err "fdpass list: shared/h.sock: permission denied"
kill -TERM "$holder"
finish "$holder"
passed "other users refused and logged; --allow-uid serves them"
