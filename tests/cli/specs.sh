#!/bin/sh
# SPDX-License-Identifier: MIT
# specs.sh: every kind of SPEC, held by `fdpass hold` and received with
# `fdpass exec`: printed, then used by a socket-activated command (files
# read, written, appended; a descriptor of the caller; TCP and local
# listening sockets accepting a real connection).
. "$CLI_TESTS/lib.sh"
printf 'input\n' > in
printf 'old content that is longer\n' > w
printf 'abc\n' > rw
printf 'line 1\n' > a
mkfifo p
exec 7<> p # fd:7, a FIFO this shell reads from afterwards
abstract="@fdpass-cli-specs-$$"
specs="r=in w=w:trunc rw=rw:rw a=a:a fd=fd:7 t4=tcp:127.0.0.1:0 u=unix:u.sock
  ua=unix:$abstract"
if "$PYTHON" -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
  2> /dev/null; then
  specs="$specs t6=tcp6:[::1]:0"
else
  echo "cli:specs: no IPv6 on loopback here: tcp6: not tested"
fi

start "$FDPASS" hold holder.sock $specs
holder=$started
exec 7<&- # the holder has its own copy now: fd:7 means the original
run 0 "$FDPASS" exec --timeout 30 holder.sock
sed 's/:[0-9]*$/:PORT/' out > printed
cat > expected <<END
3 r file read-only $scratch/in
4 w file write-only $scratch/w
5 rw file read-write $scratch/rw
6 a file append $scratch/a
7 fd pipe read-write $scratch/p
8 t4 tcp listening 127.0.0.1:PORT
9 u unix listening u.sock
10 ua unix listening $abstract
END
case $specs in *t6=*) echo "11 t6 tcp6 listening [::1]:PORT" >> expected ;; esac
diff expected printed > diff.out || fail "exec printed: $(cat diff.out)"
[ "$(cat w)" = "" ] || fail ":trunc did not truncate: $(cat w)"

run 0 "$FDPASS" exec holder.sock -- "$PYTHON" "$CLI_TESTS/use-fds.py"
cat > expected <<END
r: input
w: wrote
rw: abc
a: wrote
fd: wrote
t4: ping reuseaddr 1
u: ping
ua: ping
END
case $specs in *t6=*) echo "t6: ping reuseaddr 1 v6only 1" >> expected ;; esac
diff expected out > diff.out || fail "the command said: $(cat diff.out) $(cat err)"
[ "$(cat w)" = written ] || fail "w holds $(cat w)"
[ "$(cat rw)" = "$(printf 'abc\n+more')" ] || fail "rw holds $(cat rw)"
[ "$(cat a)" = "$(printf 'line 1\nfrom a')" ] || fail "a holds $(cat a)"
read -r line < p
[ "$line" = "from fd" ] || fail "the FIFO gave '$line'"

kill -TERM "$holder"
finish "$holder"
[ -S u.sock ] || fail "the unix: socket file went away with the holder"
[ ! -e holder.sock ] || fail "the holder left its socket file"
# :w writes without truncating (systemd's convention); only :trunc truncates.
printf 'keep this\n' > k
start "$FDPASS" hold k.sock k=k:w
holder=$started
run 0 "$FDPASS" exec --timeout 30 k.sock -- sh -c 'printf X >&3'
[ "$(cat k)" = "Xeep this" ] || fail ":w truncated: $(cat k)"
kill -TERM "$holder"
finish "$holder"
passed "every kind of SPEC printed and used through hold and exec"
