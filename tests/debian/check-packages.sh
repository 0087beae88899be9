#!/bin/sh
# SPDX-License-Identifier: MIT
# check-packages.sh: build the Debian packages from the committed tree (a
# copy in a temporary directory), check them with lintian, install them
# into this machine and use them as a user would, then purge them again.
# scripts/test runs it last: it changes the system's /usr, as `apt install`
# does, and leaves it as it found it.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
packages="libfdpass1 libfdpass-dev fdpass lua-fdpass ruby-fdpass tcl-fdpass
  libfdpass-perl"
cleanup() {
  apt-get purge -y -qq $packages > /dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "check-packages: $*" >&2; exit 1; }

version=$(sed -n '1s/.*(\(.*\)).*/\1/p' "$top/debian/changelog")
src=$tmp/libfdpass-$version
mkdir "$src"
(cd "$top" && git ls-files -z | xargs -0 tar -c) | tar -x -C "$src"
(cd "$src" && dpkg-buildpackage -us -uc -b > "$tmp/build.log" 2>&1) ||
  { tail -30 "$tmp/build.log"; fail "dpkg-buildpackage failed"; }
lintian --fail-on error --tag-display-limit 0 "$tmp"/*.changes \
  > "$tmp/lintian.log" 2>&1 || { cat "$tmp/lintian.log"; fail "lintian"; }

debs=""
for p in $packages; do debs="$debs $tmp/${p}_${version}_$(dpkg --print-architecture).deb"; done
apt-get install -y -qq $debs > "$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "apt-get install failed"; }

# As a user would, with nothing set in the environment.
cat > "$tmp/use.c" <<'C'
#include <fdpass.h>
#include <stdio.h>
int main(void)
{
  int a, b, c, got;
  if (fdpass_socketpair(&a, &b) || fdpass_socketpair(&c, &got) ||
      fdpass_send(a, c) || fdpass_recv(b, &got))
    return 1;
  printf("libfdpass %s\n", fdpass_version_string());
  return 0;
}
C
cc "$tmp/use.c" $(pkg-config --cflags --libs fdpass) -o "$tmp/use"
env -i "$tmp/use" | grep -q "^libfdpass $version" || fail "C program"
env -i PATH=/usr/bin:/bin lua5.4 -e 'local f = require "fdpass"; assert(f.socketpair())' ||
  fail "lua5.4: require \"fdpass\""
env -i PATH=/usr/bin:/bin ruby -rfdpass -e 'FDPass.socketpair' || fail "ruby -rfdpass"
echo 'puts [package require fdpass]' | env -i PATH=/usr/bin:/bin tclsh |
  grep -q . || fail "package require fdpass"
env -i PATH=/usr/bin:/bin perl -MFDPass -e 'my @p = FDPass::socketpair()' ||
  fail "perl -MFDPass"
env -i PATH=/usr/bin:/bin fdpass --version | grep -q "$version" ||
  fail "fdpass --version"
env -i PATH=/usr/bin:/bin man -w fdpass_recv > /dev/null || fail "man -w fdpass_recv"
warnings=$(grep -c '^[WI]: ' "$tmp/lintian.log" || true)
echo "check-packages: 7 packages built (lintian: no errors, $warnings notes), installed, used from C, Lua, Ruby, Tcl, Perl, the shell and man, purged"
