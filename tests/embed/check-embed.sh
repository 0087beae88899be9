#!/bin/sh
# SPDX-License-Identifier: MIT
# check-embed.sh SOURCE_DIR CC: embed libfdpass in a small project with
# add_subdirectory, then with FetchContent, where pkg-config finds nothing
# (so no Criterion, no peers), build it and run its programs.
set -eu
source=$1 cc=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for how in subdirectory fetchcontent; do
  PKG_CONFIG_LIBDIR=$tmp/none PKG_CONFIG_PATH= \
    cmake -S "$source/tests/embed" -B "$tmp/$how" -DFDPASS_EMBED=$how \
    -DFDPASS_SOURCE_DIR="$source" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    > "$tmp/$how.log" 2>&1 || { cat "$tmp/$how.log"; exit 1; }
  ! grep -qi criterion "$tmp/$how.log" ||
    { echo "check-embed: $how looked for Criterion" >&2; exit 1; }
  cmake --build "$tmp/$how" > "$tmp/$how-build.log" 2>&1 ||
    { cat "$tmp/$how-build.log"; exit 1; }
  # libfdpass's own flags stay on its own targets.
  if grep '"command"' "$tmp/$how/compile_commands.json" | grep consumer.c |
    grep -q -- -Wshadow; then
    echo "check-embed: libfdpass's warnings reached the embedding project" >&2
    exit 1
  fi
  "$tmp/$how/embedded_shared"
  "$tmp/$how/embedded_static"
done
echo "check-embed: embedded with add_subdirectory and FetchContent, no tests built, programs ran"
