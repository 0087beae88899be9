#!/bin/sh
# SPDX-License-Identifier: MIT
# check-man.sh MANDIR LIBRARY: every function the library exports has a
# page in MANDIR/man3 (its own or a .so link), fdpass(3) is there, and
# every page renders without a warning.
set -eu
mandir=$1 lib=$2
fail() { echo "check-man: $*" >&2; exit 1; }
[ -f "$mandir/man3/fdpass.3" ] || fail "no fdpass(3)"
count=0
for name in $(nm -D --defined-only "$lib" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}'); do
  [ -f "$mandir/man3/$name.3" ] || fail "$name is exported but has no page"
  count=$((count + 1))
done
cd "$mandir" # .so links are relative to the manual's root
for page in man3/*.3; do
  warnings=$(groff -man -t -ww -z "$page" 2>&1) || fail "$page: groff failed"
  [ -z "$warnings" ] || fail "$page: $warnings"
done
echo "check-man: $count exported functions have pages; $(ls man3 | wc -l) pages render cleanly"
