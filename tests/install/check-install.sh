#!/bin/sh
# SPDX-License-Identifier: MIT
# check-install.sh BUILD_DIR CONSUMER_DIR CC: install the build into a
# temporary prefix, then build consumer.c against it through pkg-config
# (shared and static) and through find_package(fdpass), and run each.
set -eu
build=$1 consumer=$2 cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
for f in include/fdpass.h; do
  [ -f "$prefix/$f" ] || { echo "check-install: $f not installed" >&2; exit 1; }
done
# The manual of the C API, as `man fdpass_recv` finds it under the prefix.
mandir=$(dirname "$(find "$prefix" -path '*/man3/fdpass.3')")/..
man -M "$mandir" -w fdpass_recv fdpass_send_fds fdpass > /dev/null ||
  { echo "check-install: man pages of section 3 not installed" >&2; exit 1; }

export PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name fdpass.pc)")"
libdir=$(pkg-config --variable=libdir fdpass)
for f in libfdpass.so libfdpass.a fdpass.pc cmake/fdpass/fdpassConfig.cmake; do
  find "$libdir" -path "*/$f" | grep -q . \
    || { echo "check-install: $f not installed under $libdir" >&2; exit 1; }
done

"$cc" "$consumer/consumer.c" $(pkg-config --cflags --libs fdpass) -o "$tmp/pc_shared"
LD_LIBRARY_PATH=$libdir "$tmp/pc_shared"
"$cc" "$consumer/consumer.c" $(pkg-config --cflags fdpass) "$libdir/libfdpass.a" -o "$tmp/pc_static"
"$tmp/pc_static"

cmake -S "$consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_C_COMPILER="$cc" > "$tmp/configure.log"
cmake --build "$tmp/cmake" > "$tmp/build.log"
LD_LIBRARY_PATH=$libdir "$tmp/cmake/consumer_shared"
"$tmp/cmake/consumer_static"
echo "check-install: pkg-config and find_package consumers built and ran"
