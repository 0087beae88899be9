#!/bin/sh
# SPDX-License-Identifier: MIT
# store-run.sh STORE_BENCH FDPASS [store_bench OPTION...]: the descriptor
# store's benchmark, with a listening socket "web" held both by `fdpass hold`
# and by s6's s6-fdholderd (if installed), so that a whole handoff of each
# (`fdpass exec SOCKET -- true`, `s6-fdholder-retrieve SOCKET unix:/web
# true`) runs next to a bare `true`.
set -eu
bench=$1 fdpass=$2
shift 2
dir=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill $p 2> /dev/null || true; done; rm -rf "$dir"' EXIT
"$fdpass" hold "$dir/fdpass.sock" web=unix:"$dir/web.sock" &
pids="$pids $!"
"$fdpass" list --timeout 10 "$dir/fdpass.sock" > /dev/null
set -- "$@" -x "fdpass=$fdpass exec $dir/fdpass.sock -- true"
if command -v s6-fdholder-daemon > /dev/null; then
  mkdir -p "$dir/rules/uid/$(id -u)/env"
  touch "$dir/rules/uid/$(id -u)/allow"
  echo '^unix:' > "$dir/rules/uid/$(id -u)/env/S6_FDHOLDER_STORE_REGEX"
  echo '^unix:' > "$dir/rules/uid/$(id -u)/env/S6_FDHOLDER_RETRIEVE_REGEX"
  s6-fdholder-daemon -i "$dir/rules" "$dir/s6.sock" &
  pids="$pids $!"
  # The same listening socket: fetched from the fdpass holder, stored in s6.
  for i in $(seq 100); do [ -S "$dir/s6.sock" ] && break; sleep 0.05; done
  "$fdpass" exec --name web "$dir/fdpass.sock" -- \
    sh -c 's6-fdholder-store '"$dir/s6.sock"' unix:/web <&3'
  set -- "$@" -x "s6=s6-fdholder-retrieve $dir/s6.sock unix:/web true"
else
  echo "store-run.sh: no s6 (apt-get install s6): s6-fdholder not measured"
fi
"$bench" "$@" -x "true=true"
