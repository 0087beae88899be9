#!/bin/sh
# SPDX-License-Identifier: MIT
# check-license.sh SOURCE_DIR: the project is MIT-licensed (LICENSE), and
# every source file of it says so in an SPDX line near its top.
set -eu
cd "$1"
grep -q '^MIT License' LICENSE || { echo "check-license: LICENSE is not MIT" >&2; exit 1; }
missing=0 checked=0
for f in $(git ls-files | grep -E '(\.(c|h|i|sh|py|rb|lua|tcl|pl|pm|cmake|in|map|1|gemspec)|CMakeLists\.txt|Makefile\.[a-z]+|^scripts/[a-z]+|^\.ci/run|^cli/restart-demo|^debian/rules)$'); do
  checked=$((checked + 1))
  head -n 5 "$f" | grep -q 'SPDX-License-Identifier: MIT' && continue
  echo "check-license: $f has no SPDX-License-Identifier line" >&2
  missing=$((missing + 1))
done
[ "$missing" -eq 0 ] || exit 1
echo "check-license: $checked source files carry SPDX-License-Identifier: MIT"
