#!/bin/sh
# SPDX-License-Identifier: MIT
# errors.sh: every failure of the fdpass command: exit status 1 and one
# line on stderr naming the subcommand, the path or SPEC at fault and the
# reason; nothing sent when a SPEC fails; socket files left as they were.
. "$CLI_TESTS/lib.sh"
printf 'input\n' > in
printf 'keep\n' > keep

# failure EXPECTED_TEXT ARGS...: exit 1, the text in one line of stderr.
failure() {
  text=$1
  shift
  run 1 "$FDPASS" "$@"
  expect_err "$text"
}

# Nobody listens: no such socket, a stale socket file, a timeout.
failure "fdpass send: nosuch.sock: no such file or directory" \
  send nosuch.sock in
"$PYTHON" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' stale.sock
failure "fdpass send: stale.sock: connection refused (nobody listens)" \
  send stale.sock in
failure "fdpass exec: nosuch.sock: timed out waiting for a listener" \
  exec --timeout 0.2 nosuch.sock
failure "fdpass exec: @fdpass-nobody-$$: connection refused (nobody listens)" \
  exec "@fdpass-nobody-$$"

# SPECs that cannot be opened; a recv waits meanwhile and must get only the
# good handoff that follows, and the :w file must not be truncated.
start "$FDPASS" recv --timeout 30 r.sock > printed
recv=$started
failure "fdpass send: nosuch.txt: no such file or directory" \
  send --timeout 30 r.sock keep:w nosuch.txt
failure "fdpass send: fd:9: bad file descriptor" send r.sock keep:w fd:9
failure "fdpass send: tcp:192.0.2.1:0: cannot assign requested address" \
  send r.sock keep:w tcp:192.0.2.1:0
failure "fdpass send: unix:nodir/x.sock: no such file or directory" \
  send r.sock keep:w unix:nodir/x.sock
failure "fdpass send: .:w: is a directory" send r.sock keep:trunc .:w
[ "$(cat keep)" = keep ] || fail "a failed send truncated keep:trunc"
# Nobody to send to, or a peer not trusted: the file stays whole too.
failure "fdpass send: nobody.sock: timed out waiting for a listener" \
  send --timeout 0.2 nobody.sock keep:trunc
[ "$(cat keep)" = keep ] || fail "a send to nobody truncated keep:trunc"
failure "fdpass store: nobody.sock: timed out waiting for a listener" \
  store --timeout 0.2 nobody.sock k=keep:trunc
[ "$(cat keep)" = keep ] || fail "a store to nobody truncated keep:trunc"
run 0 "$FDPASS" send --timeout 30 r.sock good=in
finish "$recv"
[ "$(cat printed)" = "3 good file read-only $scratch/in" ] ||
  fail "recv got: $(cat printed)"

# A COMMAND that cannot run is found out before a sender is told its
# descriptors were taken, or before a holder is asked for them; a script
# whose #! names a missing program says so.
run 127 "$FDPASS" recv --timeout 30 late.sock -- /nonexistent
expect_err "fdpass recv: /nonexistent: no such file or directory"
[ ! -e late.sock ] || fail "recv listened for a command it cannot run"
printf '#!/nonexistent/interpreter\n' > script
chmod 755 script
start "$FDPASS" recv --timeout 30 s.sock -- ./script 2> script.err
recv=$started
run 0 "$FDPASS" send --timeout 30 s.sock in
finish "$recv" 127
grep -qx "fdpass recv: ./script: its interpreter (the #! line) was not found" \
  script.err || fail "recv said: $(cat script.err)"

# A TCP port someone listens on; a socket path a holder listens on.
start "$FDPASS" hold holder.sock tcp:127.0.0.1:0
holder=$started
run 0 "$FDPASS" exec --timeout 30 holder.sock
port=$(sed -n 's/^3 unknown tcp listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' out)
failure "fdpass send: tcp:127.0.0.1:$port: address already in use" \
  send holder.sock "tcp:127.0.0.1:$port"
failure "fdpass recv: holder.sock: address already in use" recv holder.sock
failure "fdpass hold: holder.sock: address already in use" hold holder.sock in
[ -S holder.sock ] || fail "a failed listen removed the holder's socket"
# COMMAND not found: 127; found but not runnable: 126 (as env and nohup).
run 127 "$FDPASS" exec holder.sock -- no-such-command-x
expect_err "fdpass exec: no-such-command-x: no such file or directory"
printf 'echo no\n' > not-executable
run 126 "$FDPASS" exec holder.sock -- ./not-executable
expect_err "fdpass exec: ./not-executable: permission denied"
run 126 "$FDPASS" recv --timeout 30 r2.sock -- ./not-executable
expect_err "fdpass recv: ./not-executable: permission denied"
[ ! -e r2.sock ] || fail "recv listened for a command it cannot run"
run 0 "$FDPASS" exec holder.sock # the holder still serves
kill -TERM "$holder"
finish "$holder"

# Sockets recv cannot listen on, and a recv nobody sends to.
long=$(printf 'x%.0s' $(seq 120))
failure "fdpass recv: $long: socket path too long" recv "$long"
failure "fdpass recv: nodir/r.sock: no such file or directory" \
  recv nodir/r.sock
failure "fdpass recv: r.sock: timed out waiting for a connection" \
  recv --timeout 0.2 r.sock
[ ! -e r.sock ] || fail "recv left r.sock after its timeout"

# exec waits (--timeout) for a holder that starts later.
start "$FDPASS" exec --timeout 30 late.sock > printed
exec=$started
start "$FDPASS" hold late.sock in
holder=$started
finish "$exec"
grep -q "^3 unknown file read-only $scratch/in\$" printed ||
  fail "exec got: $(cat printed)"
kill -TERM "$holder"
finish "$holder"

# A file in SOCKET's place is named as such, and left alone.
printf 'precious\n' > file.sock
failure "fdpass hold: file.sock: not a socket but a file (left alone)" \
  hold file.sock in
failure "fdpass recv: file.sock: not a socket but a file (left alone)" \
  recv file.sock
failure "fdpass send: file.sock: not a socket but a file" send file.sock in
failure "fdpass list: file.sock: not a socket but a file" list file.sock
[ "$(cat file.sock)" = precious ] || fail "the file in SOCKET's place changed"

# Peers that break the protocol.
# fake MODE EXPECTED_TEXT ARGS...: fake-peer.py in MODE, fdpass ARGS fails.
fake() {
  mode=$1 text=$2
  shift 2
  rm -f fake.sock
  start "$PYTHON" "$CLI_TESTS/fake-peer.py" fake.sock "$mode"
  failure "$text" "$@"
  finish "$started"
}
fake close "fdpass exec: fake.sock: connection closed by peer" \
  exec --timeout 30 fake.sock
for mode in no-fds bad-byte bad-names bad-name second-message; do
  fake $mode "fdpass exec: fake.sock: peer does not speak the protocol" \
    exec --timeout 30 fake.sock
  fake $mode "fdpass list: fake.sock: peer does not speak the protocol" \
    list --timeout 30 fake.sock
done
fake silent "fdpass exec: fake.sock: timed out" exec --timeout 0.3 fake.sock
fake silent "fdpass store: fake.sock: timed out" \
  store --timeout 0.3 fake.sock x=in
fake close-unread "fdpass send: fake.sock: the receiver closed the connection without taking the descriptors" \
  send --timeout 30 fake.sock in
# A receiver that takes the descriptors and hangs up without confirming,
# as IO::FDPass's does, got them: success.
start "$PYTHON" "$CLI_TESTS/fake-peer.py" fake2.sock no-confirm
run 0 "$FDPASS" send --timeout 30 fake2.sock in
finish "$started"
passed "every failure: exit 1, one line, nothing sent, sockets intact"
