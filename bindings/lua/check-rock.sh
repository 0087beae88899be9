#!/bin/sh
# SPDX-License-Identifier: MIT
# check-rock.sh ROCK_DIR TEST LUA: build and install the staged rock with
# `luarocks make` into a temporary tree, with a `swig` on PATH that fails
# if it is run, check that it exports only luaopen_fdpass, then run the Lua
# tests against the installed module.
set -eu
rock_dir=$1 test=$2 lua=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin" "$tmp/scratch"
printf '#!/bin/sh\necho "check-rock: swig ran" >&2\nexit 1\n' > "$tmp/bin/swig"
chmod +x "$tmp/bin/swig"
cp -R "$rock_dir" "$tmp/rock"

(cd "$tmp/rock" && PATH="$tmp/bin:$PATH" luarocks --lua-version 5.4 make \
  --tree "$tmp/tree") > "$tmp/make.log" 2>&1 \
  || { cat "$tmp/make.log" >&2; exit 1; }

# Only the entry point is exported, as from the CMake build's module.
exports=$(nm -D --defined-only "$tmp/tree/lib/lua/5.4/fdpass.so" |
  awk '$2 == "T" { print $3 }')
[ "$exports" = luaopen_fdpass ] ||
  { echo "check-rock: fdpass.so exports: $exports" >&2; exit 1; }

export LUA_CPATH="$tmp/tree/lib/lua/5.4/?.so"
"$lua" -e 'assert(package.searchpath("fdpass", package.cpath))
  require "fdpass"'
"$lua" "$test" "$tmp/scratch"
echo "check-rock: the rock built with luarocks make and passed the tests"
