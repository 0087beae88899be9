#!/bin/sh
# SPDX-License-Identifier: MIT
# notify-daemon.sh KIND: a daemon written for systemd's file descriptor
# store and nothing else keeps a memfd across runs under `fdpass exec
# --notify`. KIND is libsystemd (tests/cli/sd-fdstore.c, $SD_FDSTORE) or
# python (tests/cli/py-fdstore.py on Debian's python3-systemd). Its first
# run stores the memfd (FDSTORE=1, FDNAME=), `fdpass list` shows it, its
# second run gets it by name (LISTEN_FDNAMES) and reads the bytes back; a
# second store under the name adds to it, as systemd's store does;
# FDSTOREREMOVE=1 removes it and the holder is back to its descriptors of
# before; an upgrade in place (hold --from SOCK SOCK) takes the notify
# socket over, so that the daemon stores on. On a path and on an abstract
# name. Skipped (77) where the
# library or the module is missing.
. "$CLI_TESTS/lib.sh"
test_name=notify-$1
case $1 in
libsystemd)
  if [ ! -x "${SD_FDSTORE:-}" ]; then
    echo "cli:$test_name: skipped: built without libsystemd-dev"
    exit 77
  fi
  set -- "$SD_FDSTORE" ;;
python)
  if ! "$PYTHON" -c 'import systemd.daemon' 2> /dev/null; then
    echo "cli:$test_name: skipped: $PYTHON has no python3-systemd"
    exit 77
  fi
  set -- "$PYTHON" "$CLI_TESTS/py-fdstore.py" ;;
*) fail "unknown kind '$1'" ;;
esac

for notify in n.sock "@fdpass-cli-notify-$test_name-$$"; do
  start "$FDPASS" hold --notify "$notify" h.sock 2> hold.err
  holder=$started
  run 0 "$FDPASS" list --timeout 30 h.sock # serving
  run 0 "$FDPASS" exec --notify "$notify" h.sock -- "$@" store web 'first run'
  run 0 "$FDPASS" list h.sock
  [ "$(cat out)" = web ] || fail "$notify: list after a store: $(cat out)"
  run 0 "$FDPASS" exec --notify "$notify" h.sock -- "$@" read web
  [ "$(cat out)" = 'first run' ] || fail "$notify: read back: $(cat out)"
  run 0 "$FDPASS" exec --notify "$notify" h.sock -- "$@" store web second
  run 0 "$FDPASS" list h.sock
  [ "$(cat out)" = "$(printf 'web\nweb')" ] ||
    fail "$notify: a second store under the name: $(cat out)"
  run 0 "$FDPASS" exec --notify "$notify" h.sock -- "$@" remove web
  run 0 "$FDPASS" list h.sock
  [ ! -s out ] || fail "$notify: FDSTOREREMOVE=1 left: $(cat out)"
  wait_fds_on "$holder" /memfd: 0 # the stored ones closed
  run 3 "$FDPASS" exec --notify "$notify" h.sock -- "$@" read web
  # An upgrade in place hands the notify socket over with the listener.
  run 0 "$FDPASS" exec --notify "$notify" h.sock -- "$@" store web before
  start "$FDPASS" hold --from h.sock --notify "$notify" h.sock 2> new.err
  new=$started
  finish "$holder" # the old holder, once it handed everything over
  run 0 "$FDPASS" exec --notify "$notify" h.sock -- "$@" store web after
  run 0 "$FDPASS" list h.sock
  [ "$(cat out)" = "$(printf 'web\nweb')" ] ||
    fail "$notify: stored before and after an upgrade in place: $(cat out)"
  run 0 "$FDPASS" exec --notify "$notify" h.sock -- "$@" read web
  [ "$(cat out)" = before ] || fail "$notify: after an upgrade: $(cat out)"
  grep -v "takes over\|handed over" hold.err > old.err || true
  [ ! -s old.err ] || fail "$notify: the old holder said: $(cat old.err)"
  kill -TERM "$new"
  finish "$new"
  grep -v "are dropped" new.err > new-only.err || true
  [ ! -s new-only.err ] || fail "$notify: the holder said: $(cat new.err)"
  [ ! -e "$notify" ] || fail "the holder left $notify behind"
done
passed "a daemon on $1 alone stores, gets back and removes a memfd"
