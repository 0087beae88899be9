#!/bin/sh
# SPDX-License-Identifier: MIT
# notify.sh: `fdpass hold --notify` against senders that lie, overflow or
# have no right, with raw datagrams (notify-send.py): malformed, too long,
# descriptors without FDSTORE=1, too many under one name, another uid's
# (as root, with setpriv), without a rule for the name (--rule) or over
# its share (--max-stored) store nothing, and the holder's descriptors (/proc/PID/fd) stay what they were. Other assignments are accepted; a
# missing FDNAME= is systemd's "stored". The socket file has --mode and
# --group from the start, a file in the way is left alone, a live socket
# is not taken and a stale one of ours is; `exec --notify` makes the path
# absolute and refuses a socket of another uid, on a path or an abstract
# name.
. "$CLI_TESTS/lib.sh"
as_another_user
chmod 755 "$scratch" # the other user sends from here
cp "$CLI_TESTS/notify-send.py" send.py
send() { run 0 "$PYTHON" send.py "$@"; }
# A request after datagrams is served after them: then they were applied.
listed() { run 0 "$FDPASS" list h.sock; }

printf 'keep\n' > n.file
run 1 "$FDPASS" hold --notify n.file h.sock
expect_err "n.file: not a socket but a file (left alone)"
[ "$(cat n.file)" = keep ] || fail "the file in the way changed"
run 2 "$FDPASS" hold --mode 0660 --notify @fdpass-cli-notify-mode-$$ h.sock
expect_err "--mode and --group need a socket file"
[ ! -e h.sock ] || fail "a refused holder left h.sock"

start "$FDPASS" hold --mode 0666 --group $other --notify n.sock h.sock \
  2> hold.err
holder=$started
run 0 "$FDPASS" list --timeout 30 h.sock # serving
pipes=$(fds_on "$holder" pipe:) # its signal pipe: what comes are pipes
[ "$(stat -c '%a %g %U' n.sock)" = "666 $other root" ] ||
  fail "the notify socket is $(stat -c '%a %g %U' n.sock)"
ls -a | grep -q '^\.fdp' && fail "a private directory was left: $(ls -a)"
run 1 "$FDPASS" hold --notify n.sock h2.sock
expect_err "n.sock: address already in use"

send n.sock 'READY=1\nSTATUS=up\nMAINPID=1\nWATCHDOG=1\nFDPOLL=0\nX'
send n.sock 'FDSTORE=1\nFDNAME=nul\0byte' 3
send n.sock 'FDSTORE=1\nFDNAME=bad:name' 3
send n.sock 'FDSTORE=1\nFDNAME={256*x}' 2
send n.sock 'FDSTORE=1\nFDNAME=long\nSTATUS={4100*x}' 3
send n.sock 'READY=1\nFDNAME=no-store' 4
send n.sock 'FDSTOREREMOVE=1' 0
run 0 as_other "$PYTHON" send.py n.sock 'FDSTORE=1\nFDNAME=other' 2
listed
[ ! -s out ] || fail "a dropped datagram stored: $(cat out)"
wait_fds_on "$holder" pipe: "$pipes"
for why in "a NUL byte" "FDNAME= is not a valid name" \
  "longer than 4096 bytes" "descriptors without FDSTORE=1" \
  "FDSTOREREMOVE=1 without FDNAME=" \
  "of uid $other: no right to store or remove that name"; do
  grep -q "notify: dropped a datagram of process [0-9]* .*$why" hold.err ||
    fail "the holder did not log '$why': $(cat hold.err)"
done
[ "$(wc -l < hold.err)" -eq 7 ] || fail "the holder logged: $(cat hold.err)"

send n.sock 'FDSTORE=1' 2
send n.sock 'FDSTORE=1\nFDNAME=full' 253
send n.sock 'FDSTORE=1\nFDNAME=full' 1 # one more than a name holds
run 0 as_other "$PYTHON" send.py n.sock 'FDSTOREREMOVE=1\nFDNAME=stored'
listed
[ "$(grep -c '^stored$' out) $(grep -c '^full$' out)" = "2 253" ] ||
  fail "after FDSTORE=1: $(sort out | uniq -c)"
grep -q "more than 253 descriptors under one name" hold.err ||
  fail "the holder did not log the name that was full: $(cat hold.err)"
send n.sock 'FDSTOREREMOVE=1\nFDNAME=stored'
send n.sock 'FDSTOREREMOVE=1\nFDNAME=full\nFDNAME=ignored'
listed
[ ! -s out ] || fail "FDSTOREREMOVE=1 left: $(cat out)"
# As systemd: a file stored under the name already is not stored again,
# and FDSTOREREMOVE=1 with FDSTORE=1 replaces.
send n.sock 'FDSTORE=1\nFDNAME=dup' 0,0,1 'FDSTORE=1\nFDNAME=dup' 1,2 \
  'FDSTORE=1\nFDNAME=new' 3 'FDSTOREREMOVE=1\nFDSTORE=1\nFDNAME=new' 1
listed
[ "$(cat out)" = "$(printf 'dup\ndup\ndup\nnew')" ] ||
  fail "duplicates or a replacement: $(cat out)"
send n.sock 'FDSTOREREMOVE=1\nFDNAME=dup' 0 'FDSTOREREMOVE=1\nFDNAME=new' 0
listed
[ ! -s out ] || fail "FDSTOREREMOVE=1 left: $(cat out)"
wait_fds_on "$holder" pipe: "$pipes"

# exec --notify: NOTIFY_SOCKET absolute; a socket of another uid refused.
run 0 "$FDPASS" exec --notify n.sock h.sock -- sh -c 'echo "$NOTIFY_SOCKET"'
[ "$(cat out)" = "$scratch/n.sock" ] || fail "NOTIFY_SOCKET=$(cat out)"
mkdir theirs
chown $other theirs
as_other "$PYTHON" -c 'import socket
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).bind("theirs/n.sock")'
run 1 "$FDPASS" exec --notify theirs/n.sock h.sock -- true
expect_err "theirs/n.sock: refused: the socket here belongs to uid $other"
run 1 "$FDPASS" exec --notify n.file h.sock -- true
expect_err "n.file: not a socket; refused"
# An abstract name belongs to the process that holds its socket.
cp "$FDPASS" fdpass
chmod 755 fdpass
squat="@fdpass-cli-notify-squat-$$"
start setpriv --reuid=$other --regid=$other --clear-groups ./fdpass hold \
  --notify "$squat" "$squat-holder"
squatter=$started
for i in $(seq 100); do
  grep -q " ${squat}\$" /proc/net/unix && break
  sleep 0.05
done
run 1 "$FDPASS" exec --notify "$squat" h.sock -- true
expect_err "$squat: refused: the socket here belongs to uid $other"
kill -TERM "$squatter"
finish "$squatter"
run 1 "$FDPASS" exec --notify "$squat" h.sock -- true
expect_err "$squat: no process that this user may see binds it; refused"

# A holder killed leaves its socket file: the next one replaces it.
kill -KILL "$holder"
finish "$holder" 137
[ -S n.sock ] || fail "no stale socket file to replace"
start "$FDPASS" hold --write-uid $other --max-stored 2 --mode 0666 \
  --notify n.sock h.sock 2> hold.err
holder=$started
run 0 "$FDPASS" list --timeout 30 h.sock
run 0 as_other "$PYTHON" send.py n.sock 'FDSTORE=1\nFDNAME=theirs' 1
run 0 as_other "$PYTHON" send.py n.sock 'FDSTORE=1\nFDNAME=theirs' 2
listed
[ "$(cat out)" = theirs ] || fail "--write-uid $other: $(cat out)"
grep -q "of uid $other: over its uid's share" hold.err ||
  fail "no share for uid $other: $(cat hold.err)"
kill -TERM "$holder"
finish "$holder"
[ ! -e n.sock ] || fail "the holder left its notify socket"

# Rules per name hold for datagrams as for requests.
start "$FDPASS" hold --rule uid=$other:s:web- --mode 0666 --notify n.sock \
  h.sock 2> hold.err
holder=$started
run 0 "$FDPASS" list --timeout 30 h.sock
run 0 as_other "$PYTHON" send.py n.sock 'FDSTORE=1\nFDNAME=web-1' 1 \
  'FDSTORE=1\nFDNAME=db' 1 'FDSTOREREMOVE=1\nFDNAME=web-1' 0
listed
[ "$(cat out)" = web-1 ] || fail "--rule uid=$other:s:web-: $(cat out)"
kill -TERM "$holder"
finish "$holder"
passed "dropped datagrams store and leak nothing; rights, modes and files"
