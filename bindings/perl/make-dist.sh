#!/bin/sh
# SPDX-License-Identifier: MIT
# make-dist.sh SOURCE_DIR DIST VERSION: complete the distribution tree
# DIST (the C sources and Makefile.PL already staged there by CMake's
# fdpass_source_package) with the Perl modules, the tests and a MANIFEST,
# then pack it as DIST.tar.gz, as CPAN expects.
set -eu
src=$1 dist=$2 version=$3
mkdir -p "$dist/lib/FDPass" "$dist/t"
cp "$src/FDPass.pm" "$dist/lib/"
cp "$src/FDPass/IOFDPass.pm" "$dist/lib/FDPass/"
cp "$src/test.pl" "$dist/t/fdpass.t"
cp "$src/iofdpass.pl" "$dist/t/iofdpass.t"
sed "s/@VERSION@/$version/" "$src/Makefile.PL" > "$dist/Makefile.PL"
(cd "$dist" && find . -type f ! -name MANIFEST | sed 's|^\./||' | LC_ALL=C sort \
  > MANIFEST && echo MANIFEST >> MANIFEST)
tar czf "$dist.tar.gz" "$dist"
