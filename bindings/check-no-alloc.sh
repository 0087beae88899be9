#!/bin/sh
# SPDX-License-Identifier: MIT
# check-no-alloc.sh BUILD_DIR LUA RUBY TCLSH [PERL]: the single-descriptor path
# allocates nothing per call. In each language, a loop sends a native
# object (Lua file, Ruby IO, Tcl channel, Perl filehandle) with send, receives it with recv
# and closes it, 100 times and then 1100 times, under valgrind: the second
# run may make at most 100 more heap allocations (one per call would add
# 1000 at least; Ruby's own count varies by a few from run to run).
set -eu
source=$(cd "$(dirname "$0")/.." && pwd)
build=$1 lua=$2 ruby=$3 tclsh=$4 perl=${5:-}

allocs() { # allocs COMMAND...: the heap allocations the command made
  valgrind --vgdb=no "$@" 2>&1 >/dev/null |
    sed -n 's/.*total heap usage: \([0-9,]*\) allocs.*/\1/p' | tr -d ,
}

lua_loop() {
  LUA_CPATH="$build/bindings/lua/?.so" allocs "$lua" -e "
    local fdpass = require 'fdpass'
    local a, b = fdpass.socketpair()
    local file = io.tmpfile()
    for _ = 1, $1 do
      fdpass.send(a, file)
      fdpass.close(fdpass.recv(b))
    end"
}

ruby_loop() {
  RUBYLIB="$build/bindings/ruby" allocs "$ruby" -e "
    require 'fdpass'
    a, b = FDPass.socketpair
    r, w = IO.pipe
    $1.times { FDPass.send_fd(a, w); FDPass.close(FDPass.recv_fd(b)) }"
}

tcl_loop() {
  script=$(mktemp)
  cat > "$script" <<TCL
package require fdpass
lassign [fdpass::socketpair] a b
lassign [chan pipe] r w
proc loop {a b w} {
  for {set i 0} {\$i < $1} {incr i} {
    fdpass::send \$a \$w
    fdpass::close [fdpass::recv \$b]
  }
}
loop \$a \$b \$w
TCL
  TCLLIBPATH="$build/bindings/tcl" allocs "$tclsh" "$script"
  rm -f "$script"
}

perl_loop() {
  PERL5LIB="$source/bindings/perl:$build/bindings/perl/lib" allocs "$perl" -e "
    use FDPass;
    my (\$a, \$b) = FDPass::socketpair();
    pipe my \$r, my \$w or die;
    for (1 .. $1) { FDPass::send_fd(\$a, \$w); FDPass::close(FDPass::recv_fd(\$b)) }"
}

languages="lua ruby tcl"
[ -z "$perl" ] || languages="$languages perl"
failed=0
for language in $languages; do
  few=$(${language}_loop 100)
  many=$(${language}_loop 1100)
  if [ -n "$few" ] && [ -n "$many" ] && [ $((many - few)) -le 100 ]; then
    echo "ok - $language: $few allocations for 100 round trips, $many for 1100"
  else
    echo "not ok - $language: '$few' allocations for 100 round trips, '$many' for 1100"
    failed=$((failed + 1))
  fi
done
echo "check-no-alloc: $(($(echo $languages | wc -w) - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
