#!/bin/sh
# SPDX-License-Identifier: MIT
# check-abi.sh LIBRARY MAPFILE HEADER SONAME: the shared library exports
# exactly the functions the version script lists, each with a version,
# every function the header declares is among them, and the SONAME is right.
set -eu
lib=$1 map=$2 header=$3 soname=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-abi: $*" >&2; exit 1; }

# name@@NODE for every defined dynamic symbol except the node markers.
nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}' | sort > "$tmp/exported"
grep -v '@@FDPASS_[0-9][0-9.]*$' "$tmp/exported" \
  && fail "symbols above are exported without a FDPASS_ version"
sed 's/@@.*//' "$tmp/exported" > "$tmp/names"
grep -v '^fdpass_' "$tmp/names" && fail "symbols above do not start with fdpass_"

grep -o '^ *fdpass_[a-z0-9_]*;' "$map" | tr -d ' ;' | sort > "$tmp/mapped"
diff -u "$tmp/mapped" "$tmp/names" || fail "exports differ from $map"

# The header's Windows-only functions (#ifdef _WIN32) are not in ELF builds.
sed '/^#ifdef _WIN32$/,/^#endif$/d' "$header" | grep -o 'FDPASS_API [^(]*(' |
  grep -o 'fdpass_[a-z0-9_]*' | sort > "$tmp/declared"
diff -u "$tmp/declared" "$tmp/names" || fail "exports differ from $header"

actual=$(readelf -d "$lib" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$actual" = "$soname" ] || fail "SONAME is '$actual', expected '$soname'"
echo "check-abi: $(wc -l < "$tmp/names") functions exported, versioned, SONAME $actual"
