#!/bin/sh
# SPDX-License-Identifier: MIT
# usage.sh: --help and --version, then every usage error: exit status 2,
# one line on stderr that names the subcommand and the fault, and nothing
# opened or created.
. "$CLI_TESTS/lib.sh"

run 0 "$FDPASS" --help
expect_out "Usage: fdpass send"
run 0 "$FDPASS" recv --help
expect_out "fdpass exec [--timeout SECONDS] [--peer-uid UID]... [--name NAME]..."
run 0 "$FDPASS" --version
grep -qx 'fdpass [0-9]*\.[0-9]*\.[0-9]*' out || fail "--version: $(cat out)"

# usage_error EXPECTED_TEXT ARGS...: exit 2, the text in one line of stderr.
usage_error() {
  text=$1
  shift
  run 2 "$FDPASS" "$@"
  expect_err "$text"
  [ ! -s out ] || fail "'$*' printed on stdout: $(cat out)"
}

usage_error "fdpass: missing verb"
usage_error "fdpass: unknown verb 'frob'" frob
usage_error "fdpass: unknown verb '--frob'" --frob
usage_error "fdpass send: missing SOCKET" send
usage_error "fdpass send: missing SPEC" send s.sock
usage_error "fdpass store: missing SPEC" store s.sock
usage_error "fdpass remove: missing NAME" remove s.sock
usage_error "fdpass list: unexpected 'x'" list s.sock x
usage_error "fdpass store: missing SPEC" store s.sock --
usage_error "fdpass exec: bad --name 'a:b': a name is 1 to 255 characters" \
  exec --name a:b s.sock
usage_error "fdpass recv: unexpected 'extra': a command goes after '--'" \
  recv s.sock extra
usage_error "fdpass exec: missing COMMAND after '--'" exec s.sock --
usage_error "fdpass exec: missing COMMAND after '--'" exec s.sock --name x --
usage_error "fdpass exec: missing SOCKET" exec -- true
usage_error "fdpass send: unknown option '--name' for send" send s.sock --name x in
usage_error "fdpass send: unknown option '--bogus' for send" \
  send --bogus s.sock in
usage_error "fdpass send: unknown option '-x' for send" send -x s.sock in
usage_error "fdpass hold: unknown option '--name' for hold" \
  hold --name x s.sock in
usage_error "fdpass recv: unknown option '--peer-uid' for recv" \
  recv --peer-uid=0 s.sock
usage_error "fdpass list: unknown option '--mode' for list" list --mode 0600 s.sock
usage_error "fdpass send: unknown option '--allow-uid' for send" \
  send --allow-uid 0 s.sock in
usage_error "fdpass exec: unknown option '--allow-uid' for exec" \
  exec --allow-uid 0 s.sock
usage_error "fdpass recv: --timeout needs a value" recv --timeout
for value in -1 abc nan inf 1e99 "" 5s; do
  usage_error "fdpass recv: bad --timeout '$value'" recv --timeout "$value" s
  usage_error "fdpass send: bad --timeout '$value'" \
    send "--timeout=$value" s in
done
for value in abc -5 4294967295 1x ""; do
  usage_error "fdpass hold: bad --allow-uid '$value'" \
    hold --allow-uid "$value" s in
  usage_error "fdpass send: bad --peer-uid '$value'" \
    send --peer-uid "$value" s in
  usage_error "fdpass hold: bad --write-gid '$value'" \
    hold --write-gid "$value" s in
done
for value in 1000 -1 8 abc ""; do
  usage_error "fdpass hold: bad --mode '$value'" hold --mode "$value" s in
done
usage_error "fdpass hold: bad --group 'no-such-group-x': no such group" \
  hold --group no-such-group-x s in

# Malformed SPECs. A good :w spec comes first: it must not be created,
# since every SPEC is parsed before any is opened.
for spec in tcp:nohost tcp:h:99999 tcp:h:abc tcp:h: tcp:::1:80 tcp6:::1:80 \
  'tcp6:[::1]' 'tcp6:[::1]80' fd: fd:x fd:-1 fd:99999999999 unix: "" \
  "$(printf 'tab\tname=in')" "$(printf 'x%.0s' $(seq 256))=in"; do
  usage_error "fdpass send: bad spec '$spec'" send s.sock created:w "$spec"
  [ ! -e created ] || fail "created a file despite the bad spec '$spec'"
done
usage_error "fdpass send: bad spec 'tcp:nohost': expected tcp:HOST:PORT" \
  send s.sock tcp:nohost
usage_error "the port must be 0 to 65535" send s.sock tcp:h:65536
usage_error "fdpass store: bad --lifetime '0': expected seconds, more than 0" \
  store --lifetime 0 s.sock x=in
usage_error "fdpass hold: unknown option '--new' for hold" hold --new s.sock
usage_error "fdpass hold: bad --rule 'uid=1:x:web'" hold --rule uid=1:x:web s.sock
usage_error "fdpass hold: bad --max-stored '0': expected a number from 1" \
  hold --max-stored 0 s.sock
usage_error "fdpass hold: bad --max-connections 'x'" \
  hold --max-connections x s.sock
usage_error "fdpass send: 254 specs: one message carries at most 253" \
  send s.sock $(seq 254)
usage_error "fdpass store: bad spec '=in': a name is 1 to 255 characters" \
  store --timeout 0 s.sock =in
[ "$(ls)" = "$(printf "err\nout")" ] || fail "usage errors left files: $(ls)"
passed "help, version and every usage error (exit 2, one line, no files)"
