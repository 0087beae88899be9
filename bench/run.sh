#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh FDPASS_BENCH [ARGS...]: run the benchmark with every peer
# this machine has (Perl IO::FDPass, Python, Ruby) and the Lua, Ruby and Tcl
# modules built next to FDPASS_BENCH, passing ARGS on, e.g.
#   bench/run.sh build/bench/fdpass_bench -n 200000 -r 21 -t bench.tsv
set -euo pipefail
bench=$1
shift
peers=$(cd "$(dirname "$0")/peers" && pwd)
modules=$(cd "$(dirname "$bench")/../bindings" 2>/dev/null && pwd || true)
args=()
if /usr/bin/perl -MIO::FDPass -e 1 2>/dev/null; then
  args+=(-p "Perl IO::FDPass=/usr/bin/perl $peers/io_fdpass.pl")
fi
if /usr/bin/python3 -c 'import socket; socket.send_fds' 2>/dev/null; then
  args+=(-p "Python send_fds/recv_fds=/usr/bin/python3 $peers/send_fds.py")
fi
if [ -x /usr/bin/ruby ]; then
  args+=(-p "Ruby send_io/recv_io=/usr/bin/ruby $peers/send_io.rb")
fi
if [ -f "$modules/lua/fdpass.so" ]; then
  args+=(-p "Lua binding=env LUA_CPATH=$modules/lua/?.so lua5.4 $peers/fdpass.lua")
fi
if [ -f "$modules/ruby/fdpass.so" ]; then
  args+=(-p "Ruby binding=env RUBYLIB=$modules/ruby ruby $peers/fdpass.rb")
fi
if [ -f "$modules/tcl/pkgIndex.tcl" ]; then
  args+=(-p "Tcl binding=env TCLLIBPATH=$modules/tcl tclsh8.6 $peers/fdpass.tcl")
fi
exec "$bench" "${args[@]}" "$@"
