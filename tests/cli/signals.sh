#!/bin/sh
# SPDX-License-Identifier: MIT
# signals.sh: `fdpass hold` stops on SIGTERM or SIGINT with status 0 and
# removes its socket file; a SIGINT its caller ignores stays ignored; recv
# removes its socket file when stopped while waiting; a closed stdout or a
# vanished peer is an error status, never a death by SIGPIPE; the command
# exec'd gets the signal dispositions fdpass was started with.
. "$CLI_TESTS/lib.sh"
printf 'input\n' > in

# has_signal PID FIELD SIGNAL: is SIGNAL in /proc/PID/status's FIELD mask?
has_signal() {
  mask=$(sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status")
  [ $(( 0x$mask >> ($3 - 1) & 1 )) -eq 1 ]
}

# SIGTERM; and SIGINT, which a shell's background job starts ignoring.
start "$FDPASS" hold term.sock in
holder=$started
run 0 "$FDPASS" exec --timeout 30 term.sock # it serves: handlers are set
has_signal "$holder" SigCgt 15 || fail "hold does not catch SIGTERM"
has_signal "$holder" SigIgn 2 || fail "hold stopped ignoring SIGINT"
kill -TERM "$holder"
finish "$holder"
[ ! -e term.sock ] || fail "hold left its socket file after SIGTERM"

start env --default-signal=INT "$FDPASS" hold int.sock in
holder=$started
run 0 "$FDPASS" exec --timeout 30 int.sock
kill -INT "$holder"
finish "$holder"
[ ! -e int.sock ] || fail "hold left its socket file after SIGINT"

# recv stopped while a client is connected but has sent nothing.
mkfifo events
exec 3<> events
start "$FDPASS" recv recv.sock 2> recv.err
recv=$started
"$PYTHON" - recv.sock <<'END' >&3 &
import socket, sys, time
deadline = time.monotonic() + 30
while True:  # until recv listens
    try:
        client = socket.socket(socket.AF_UNIX)
        client.connect(sys.argv[1])
        break
    except (FileNotFoundError, ConnectionRefusedError):
        client.close()
        if time.monotonic() > deadline:
            sys.exit("recv never listened")
        time.sleep(0.001)
print("connected", flush=True)
client.recv(1)  # until recv goes away
END
client=$!
running="$running $client"
read -r line <&3
[ "$line" = connected ] || fail "the client said: $line"
kill -TERM "$recv"
finish "$recv" 1
finish "$client"
grep -qx 'fdpass recv: recv.sock: stopped by a signal before a handoff' \
  recv.err || fail "recv said: $(cat recv.err)"
[ ! -e recv.sock ] || fail "recv left its socket file after SIGTERM"

# No SIGPIPE: printing into a closed pipe, sending to a peer that closed.
start "$FDPASS" hold pipe.sock in
holder=$started
"$FDPASS" exec --timeout 30 pipe.sock > /dev/null
"$PYTHON" - "$FDPASS" pipe.sock <<'END' || fail "printing into a closed pipe"
import os, subprocess, sys
read_end, write_end = os.pipe()
os.close(read_end)
done = subprocess.run([sys.argv[1], "exec", sys.argv[2]], stdout=write_end,
                      stderr=subprocess.PIPE, text=True)
assert done.returncode == 1, done
assert done.stderr == "fdpass exec: stdout: broken pipe\n", done.stderr
END
start "$PYTHON" "$CLI_TESTS/fake-peer.py" fake.sock close
run 1 "$FDPASS" send --timeout 30 fake.sock in
finish "$started"

# The command gets the dispositions fdpass got (SIGPIPE not ignored).
grep '^Sig\(Ign\|Cgt\)' /proc/$$/status > shell.sig
run 0 "$FDPASS" exec pipe.sock -- sh -c 'grep "^SigIgn" /proc/$$/status'
grep -q "$(cat out)" shell.sig || fail "the command ignores $(cat out)"
kill -TERM "$holder"
finish "$holder"
passed "SIGTERM/SIGINT clean-up, ignored SIGINT kept, no SIGPIPE"
