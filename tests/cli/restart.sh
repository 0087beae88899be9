#!/bin/sh
# SPDX-License-Identifier: MIT
# restart.sh: the restart recipe. `fdpass hold` keeps a listening TCP socket;
# socket-activated server generations take it with `fdpass exec`; a client
# that connects while no generation runs is queued, not refused, and the
# next generation answers it. Without the holder the same client is
# refused, which shows that the test can tell. Then the restart demo, with
# a client connecting all the time, must count no refused connection.
. "$CLI_TESTS/lib.sh"
server="$CLI_DIR/demo-server.py"
mkfifo events
exec 3<> events

start "$FDPASS" hold holder.sock web=tcp:127.0.0.1:0
holder=$started
run 0 "$FDPASS" exec --timeout 30 holder.sock
port=$(sed -n 's/^3 web tcp listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' out)
[ -n "$port" ] || fail "no port from the holder: $(cat out)"

# generation N: start server generation N; it says on events when it serves.
generation() {
  start "$FDPASS" exec holder.sock -- "$PYTHON" "$server" "$1" >&3
  read -r line <&3
  case $line in
    "generation $1 (pid $started) serves 127.0.0.1:$port (LISTEN_PID=$started LISTEN_FDNAMES=web)") ;;
    *) fail "generation $1 (pid $started) said: $line" ;;
  esac
}

generation 1
run 0 "$PYTHON" "$CLI_TESTS/tcp-client.py" "$port"
[ "$(cat out)" = "$(printf 'connected\ngeneration 1')" ] || fail "$(cat out)"
kill -TERM "$started"
finish "$started"

# No server runs: this client's connection waits in the held socket.
start "$PYTHON" "$CLI_TESTS/tcp-client.py" "$port" >&3
client=$started
read -r line <&3
[ "$line" = connected ] || fail "with no server running the client got: $line"
generation 2
read -r line <&3
[ "$line" = "generation 2" ] || fail "the queued client got: $line"
finish "$client"
kill -TERM "$started"
finish "$started"

# With the holder gone too, nothing keeps the socket: refused.
kill -TERM "$holder"
finish "$holder"
run 1 "$PYTHON" "$CLI_TESTS/tcp-client.py" "$port"
[ "$(cat out)" = refused ] || fail "with no holder the client got: $(cat out)"

run 0 "$CLI_DIR/restart-demo" "$FDPASS"
counts='[0-9]* connections, 0 refused: [0-9]* answered by generation 1, '
counts="$counts"'[0-9]* answered by generation 2;'
grep -q "^6\. client: $counts" out ||
  fail "the demo said: $(cat out)"
passed "a client queued between two generations; the demo refused none"
