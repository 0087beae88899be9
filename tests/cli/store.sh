#!/bin/sh
# SPDX-License-Identifier: MIT
# store.sh: `fdpass hold` as a descriptor store: it starts empty, store,
# list, remove and exec --name work on it; a second holder started with
# --from takes everything, names and order kept; SIGHUP leaves it running;
# it raises its descriptor limit, keeps every stored descriptor
# close-on-exec, and a client that stalls mid-request delays no other.
. "$CLI_TESTS/lib.sh"
printf 'one\n' > one
printf 'two\n' > two

start "$FDPASS" hold h.sock
holder=$started
run 0 "$FDPASS" list --timeout 30 h.sock
[ ! -s out ] || fail "an empty holder listed: $(cat out)"
run 0 "$FDPASS" store h.sock a=one b=two b=one 'with space=two'
run 0 "$FDPASS" list h.sock
[ "$(cat out)" = "$(printf 'a\nb\nb\nwith space')" ] || fail "list: $(cat out)"
run 0 "$FDPASS" exec --name b h.sock
[ "$(cat out)" = "$(printf '3 b file read-only %s/two\n4 b file read-only %s/one' "$scratch" "$scratch")" ] ||
  fail "exec --name b: $(cat out)"
run 0 "$FDPASS" exec h.sock --name 'with space' --name a -- sh -c \
  'echo "$LISTEN_FDS $LISTEN_FDNAMES"; cat <&3; cat <&4'
[ "$(cat out)" = "$(printf '2 with space:a\ntwo\none')" ] ||
  fail "exec --name twice: $(cat out)"
run 1 "$FDPASS" exec --name nosuch h.sock
expect_err "fdpass exec: nosuch: nothing is stored under that name"
run 0 "$FDPASS" remove h.sock a
run 1 "$FDPASS" remove h.sock a
expect_err "fdpass remove: a: nothing is stored under that name"
run 0 "$FDPASS" store h.sock b=one # replaced, in its place
run 0 "$FDPASS" list h.sock
[ "$(cat out)" = "$(printf 'b\nwith space')" ] || fail "list: $(cat out)"

# A name's descriptors go together, wherever they are on the command line.
run 0 "$FDPASS" store h.sock g=one h=two g=two
run 0 "$FDPASS" exec --name g h.sock
[ "$(cat out)" = "$(printf '3 g file read-only %s/one\n4 g file read-only %s/two' "$scratch" "$scratch")" ] ||
  fail "exec --name g: $(cat out)"
run 0 "$FDPASS" remove h.sock g h
# A name may start with '-': after "--" it is no option.
run 0 "$FDPASS" store h.sock -- -dash=one
run 0 "$FDPASS" exec --name -dash h.sock
expect_out "3 -dash file read-only $scratch/one"
run 0 "$FDPASS" remove h.sock -- -dash
# --new refuses to replace; --lifetime ends a store by itself.
run 0 "$FDPASS" store --new h.sock fresh=one
run 1 "$FDPASS" store --new h.sock fresh=two
expect_err "fdpass store: fresh: something is stored under that name (--new)"
run 0 "$FDPASS" exec --name fresh h.sock
expect_out "3 fresh file read-only $scratch/one"
run 0 "$FDPASS" store --lifetime 0.1 h.sock brief=one
run 0 "$FDPASS" list h.sock
grep -qx brief out || fail "brief was not stored: $(cat out)"
for _ in $(seq 200); do
  run 0 "$FDPASS" list h.sock
  grep -qx brief out || break
  sleep 0.01
done
! grep -qx brief out || fail "brief outlived its lifetime"
run 0 "$FDPASS" remove h.sock fresh

# Many names: one store request each, fetched back in frames of 253.
names=""
for i in $(seq 300); do names="$names n$i=one"; done
run 0 "$FDPASS" store h.sock $names
run 0 "$FDPASS" list h.sock
[ "$(wc -l < out)" -eq 302 ] || fail "list gave $(wc -l < out) names"
cp out old.list

# Upgrade: a new holder takes everything from the old one.
start "$FDPASS" hold --from h.sock new.sock tcp=tcp:127.0.0.1:0
new=$started
run 0 "$FDPASS" list --timeout 30 new.sock
{ cat old.list; echo tcp; } | diff - out > diff.out ||
  fail "the new holder's names differ: $(cat diff.out)"
run 0 "$FDPASS" exec h.sock
head -n 302 out > old.printed
kill -TERM "$holder"
finish "$holder"
run 0 "$FDPASS" exec new.sock
head -n 302 out | diff old.printed - > diff.out ||
  fail "the new holder's descriptors differ: $(cat diff.out)"

# The holder outlives its terminal, has all the descriptors it may, and
# keeps each stored one close-on-exec.
kill -HUP "$new"
run 0 "$FDPASS" list new.sock
soft=$(sed -n 's/^Max open files *\([0-9a-z]*\) *\([0-9a-z]*\).*/\1/p' /proc/$new/limits)
hard=$(sed -n 's/^Max open files *\([0-9a-z]*\) *\([0-9a-z]*\).*/\2/p' /proc/$new/limits)
[ "$soft" = "$hard" ] || fail "descriptor limit $soft, hard limit $hard"
for fd in $(ls /proc/$new/fd); do
  case $(readlink /proc/$new/fd/$fd) in # what it opened, not inherited
    "$scratch/one" | socket:*) ;;
    *) continue ;;
  esac
  flags=$(sed -n 's/^flags:[[:space:]]*//p' /proc/$new/fdinfo/$fd 2> /dev/null) ||
    continue
  [ -z "$flags" ] || [ $(( 0$flags & 02000000 )) -ne 0 ] ||
    fail "descriptor $fd of the holder is inheritable (flags $flags)"
done

# A client that stalls in mid-request delays nobody.
"$PYTHON" - new.sock <<'END' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.send(b"\xfd\x01")  # the start of a header, then nothing for a while
time.sleep(3)
END
staller=$!
running="$running $staller"
sleep 0.2
start_ms=$(date +%s%N)
run 0 "$FDPASS" list --timeout 2 new.sock
run 0 "$FDPASS" exec --timeout 2 --name tcp new.sock
elapsed=$(( ($(date +%s%N) - start_ms) / 1000000 ))
[ "$elapsed" -lt 1500 ] || fail "a stalled client held others up ${elapsed} ms"
kill "$staller" 2> /dev/null || true
kill -TERM "$new"
finish "$new"
[ ! -e new.sock ] || fail "the holder left its socket file"
passed "store, list, remove, exec --name; --from keeps names and order; robust"
