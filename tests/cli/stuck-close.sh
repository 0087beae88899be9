#!/bin/sh
# SPDX-License-Identifier: MIT
# stuck-close.sh: a stored file whose close does not return (a FUSE server
# that does not answer the flush every close makes; no signal cuts it
# short) holds none of the holder's replies: its closing thread leaves
# that close to itself and goes on. Needs root and FUSE.
. "$CLI_TESTS/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "cli:$test_name: SKIP: needs root"; exit 77; }
[ -c /dev/fuse ] && "$PYTHON" -c "import fusepy" 2> /dev/null ||
  { echo "cli:$test_name: SKIP: no FUSE or python3-fusepy"; exit 77; }
# On the way out, also after a failure: the server answers, everyone
# stops, and the file system goes before the scratch directory does.
leave() {
  touch "$scratch/release"
  for pid in $running; do kill "$pid" 2> /dev/null || true; done
  sleep 0.2
  umount -l "$scratch/mnt" 2> /dev/null || true
  cleanup
}
trap leave EXIT

mkdir mnt
: > holder.pid
start "$PYTHON" "$CLI_TESTS/stuck-fuse.py" mnt "$scratch/release" \
  "$scratch/holder.pid"
for _ in $(seq 500); do [ -f mnt/stuck ] && break; sleep 0.01; done
[ -f mnt/stuck ] ||
  { echo "cli:$test_name: SKIP: cannot mount a FUSE file system"; exit 77; }
start "$FDPASS" hold h.sock
holder=$started
echo "$holder" > holder.pid
for _ in $(seq 500); do [ -S h.sock ] && break; sleep 0.01; done
run 0 "$FDPASS" store --timeout 5 h.sock stuck=mnt/stuck
# Replacing it: the holder's close of the FUSE file never returns.
run 0 "$FDPASS" store --timeout 5 h.sock stuck=/dev/null
# Meanwhile, other stores that replace, and removes, are answered.
run 0 "$FDPASS" store --timeout 5 h.sock other=/dev/null
run 0 "$FDPASS" store --timeout 5 h.sock other=/dev/zero
run 0 "$FDPASS" remove --timeout 5 h.sock other stuck
run 0 "$FDPASS" list --timeout 5 h.sock
[ ! -s out ] || fail "the holder still lists: $(cat out)"
touch release
kill -TERM "$holder"
finish "$holder"
passed "a close that never returns holds no reply"
