#!/bin/sh
# bench.sh BUILD_DIR [N]: a benchmark, not a test. N round trips of one
# descriptor (send, recv, close) over a socketpair: bare sendmsg/recvmsg
# in C, libfdpass in C, and the Lua, Ruby and Tcl modules; then, in each
# language, as many calls of fileno, a binding function that does
# nothing (Ruby: version): the cost of the language calls themselves.
# Prints each as a ratio to the bare loop. Every loop measures the CPU
# time of its process (the loops never wait), so that other processes on
# the machine do not count; Tcl reads it from /proc/self/stat.
set -eu
build=$(cd "$1" && pwd) n=${2:-200000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cc -O2 -I"$here/../../core/include" "$here/bare.c" \
  "$build/core/libfdpass.a" -o "$tmp/bare"
"$tmp/bare" "$n" > "$tmp/results"

LUA_CPATH="$build/bindings/lua/?.so" lua5.4 - "$n" >> "$tmp/results" <<'LUA'
local fdpass, n = require "fdpass", tonumber(arg[1])
local a, b = fdpass.socketpair()
local send, recv, close, fileno = fdpass.send, fdpass.recv, fdpass.close,
  fdpass.fileno
local t0 = os.clock()
for _ = 1, n do
  send(a, a)
  close(recv(b))
end
local t1 = os.clock()
for _ = 1, n do
  fileno(fileno(fileno(a)))
end
local t2 = os.clock()
print(string.format("lua %.0f\nlua-calls %.0f", (t1 - t0) * 1e9 / n,
                    (t2 - t1) * 1e9 / n))
LUA

RUBYLIB="$build/bindings/ruby" ruby - "$n" >> "$tmp/results" <<'RUBY'
require 'fdpass'
n = Integer(ARGV[0])
a, b = FDPass.socketpair
clock = -> { Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) }
t0 = clock.call
n.times { FDPass.send_fd(a, a); FDPass.close(FDPass.recv_fd(b)) }
t1 = clock.call
n.times { FDPass.version; FDPass.version; FDPass.version }
t2 = clock.call
printf("ruby %.0f\nruby-calls %.0f\n", (t1 - t0) * 1e9 / n, (t2 - t1) * 1e9 / n)
RUBY

TCLLIBPATH="$build/bindings/tcl" tclsh8.6 <<TCL >> "$tmp/results"
package require fdpass
lassign [fdpass::socketpair] a b
proc cpu_ns {} { ;# user + system time, in clock ticks of 10 ms
  set f [open /proc/self/stat]
  set stat [read \$f]
  close \$f
  set fields [lrange [string range \$stat [string last ")" \$stat] end] 12 13]
  expr {([lindex \$fields 0] + [lindex \$fields 1]) * 1e7}
}
proc loop {a b} {
  for {set i 0} {\$i < $n} {incr i} {
    fdpass::send \$a \$a
    fdpass::close [fdpass::recv \$b]
  }
}
proc calls {a} {
  for {set i 0} {\$i < $n} {incr i} {
    fdpass::fileno [fdpass::fileno [fdpass::fileno \$a]]
  }
}
set t0 [cpu_ns]
loop \$a \$b
set t1 [cpu_ns]
calls \$a
set t2 [cpu_ns]
puts "tcl [expr {(\$t1 - \$t0) / $n}]"
puts "tcl-calls [expr {(\$t2 - \$t1) / $n}]"
TCL

awk '$1 == "bare" { bare = $2 }
  { name[NR] = $1; ns[NR] = $2 }
  END { for (i = 1; i <= NR; i++)
          printf "%-10s %7.0f ns per round trip  %5.2f x bare\n",
                 name[i], ns[i], ns[i] / bare }' "$tmp/results"
