#!/bin/sh
# SPDX-License-Identifier: MIT
# check-install.sh BUILD_DIR CONSUMER_DIR TOOLCHAIN EMULATOR CC OBJDUMP:
# install the Windows build into a temporary prefix, check that the DLL,
# its import library, the static library and the header are there, then
# build the consumer project (tests/install) against them with
# find_package(fdpass), and its program alone with CC -static and
# pkg-config --static, and run all three through EMULATOR (Wine).
set -eu
build=$1 consumer=$2 toolchain=$3 emulator=$4 cc=$5 objdump=$6
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" > "$tmp/install.log"
for f in bin/libfdpass.dll lib/libfdpass.dll.a lib/libfdpass.a \
  include/fdpass.h lib/cmake/fdpass/fdpassConfig.cmake; do
  [ -f "$prefix/$f" ] || { echo "check-install: $f not installed" >&2; exit 1; }
done

# The DLL exports exactly the functions the header declares (with the
# Windows-only ones), and nothing else.
"$objdump" -p "$prefix/bin/libfdpass.dll" |
  sed -n 's/^[[:space:]]*\[ *[0-9]*\] \([A-Za-z_0-9]*\)$/\1/p' | sort > "$tmp/exported"
grep -o 'FDPASS_API [^(]*(' "$prefix/include/fdpass.h" |
  grep -o 'fdpass_[a-z0-9_]*' | sort > "$tmp/declared"
diff -u "$tmp/declared" "$tmp/exported" ||
  { echo "check-install: DLL exports differ from fdpass.h" >&2; exit 1; }

cmake -S "$consumer" -B "$tmp/consumer" --toolchain "$toolchain" \
  -Dfdpass_DIR="$prefix/lib/cmake/fdpass" > "$tmp/configure.log"
cmake --build "$tmp/consumer" > "$tmp/build.log"
# The shared consumer finds libfdpass.dll beside it, as installers place it.
cp "$prefix/bin/libfdpass.dll" "$tmp/consumer/"
"$emulator" "$tmp/consumer/consumer_shared.exe"
"$emulator" "$tmp/consumer/consumer_static.exe"
# pkg-config's static flags alone link a fully static program.
flags=$(PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" pkg-config --static \
  --cflags --libs fdpass)
"$cc" -static -o "$tmp/consumer_pkgconfig.exe" "$consumer/consumer.c" $flags
"$emulator" "$tmp/consumer_pkgconfig.exe"
for exe in "$tmp/consumer/consumer_static.exe" "$tmp/consumer_pkgconfig.exe"; do
  if "$objdump" -p "$exe" | grep -qi 'DLL Name: libfdpass'; then
    echo "check-install: $exe imports libfdpass.dll" >&2
    exit 1
  fi
done
echo "check-install: DLL ($(wc -l < "$tmp/exported") exports), import and" \
  "static libraries, header installed; find_package consumers and a" \
  "pkg-config --static one built and ran"
