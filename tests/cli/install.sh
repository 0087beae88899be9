#!/bin/sh
# SPDX-License-Identifier: MIT
# install.sh BUILD_DIR PREFIX VERSION: install the fdpass command (component
# cli) into PREFIX, as a user would, and check what landed there: the
# command, runnable without the library's directory, and its man page,
# which renders without warnings and covers every subcommand and option.
set -eu
build=$1 prefix=$2 version=$3
fail() { echo "cli:install: $*" >&2; exit 1; }

rm -rf "$prefix"
cmake --install "$build" --component cli --prefix "$prefix" > /dev/null
fdpass=$prefix/bin/fdpass
man=$prefix/share/man/man1/fdpass.1
[ -x "$fdpass" ] || fail "$fdpass not installed"
[ -f "$man" ] || fail "$man not installed"

# Linked statically: nothing to find at run time.
! ldd "$fdpass" | grep -q libfdpass || fail "$fdpass needs libfdpass.so"
[ "$("$fdpass" --version)" = "fdpass $version" ] || fail "--version"

grep -q "^\.TH FDPASS 1 .*\"libfdpass $version\"" "$man" ||
  fail "the man page does not carry version $version"
for section in ENVIRONMENT SECURITY NOTES; do
  grep -q "^\.SH $section" "$man" || fail "the man page lacks $section"
done
warnings=$(groff -man -ww -z -Tutf8 "$man" 2>&1)
[ -z "$warnings" ] || fail "the man page has warnings: $warnings"
"$fdpass" --help > /dev/null
for word in send recv hold exec store list remove --timeout --allow-uid \
  --peer-uid --read-uid --write-uid --read-gid --write-gid --mode --group \
  --from --name --help --version LISTEN_FDS LISTEN_PID LISTEN_FDNAMES \
  tcp: tcp6: unix: fd: :w :rw :a :trunc 126 127; do
  "$fdpass" --help | grep -q -- "$word" ||
    fail "--help does not mention $word"
  sed 's/\\-/-/g' "$man" | grep -q -- "$word" ||
    fail "the man page does not mention $word"
done
echo "cli:install: $fdpass and its man page installed"
