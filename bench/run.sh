#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh FDPASS_BENCH [ARGS...]: run the benchmark with every peer
# this machine has (Perl IO::FDPass, Python, Ruby) and the Lua, Ruby, Tcl
# and Perl modules built next to FDPASS_BENCH, with FDPass::IOFDPass (the
# drop-in for IO::FDPass) under IO::FDPass's own peer, passing ARGS on, e.g.
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
if [ -f "$modules/perl/lib/auto/FDPass/FDPass.so" ]; then
  perl5lib=$(cd "$(dirname "$0")/../bindings/perl" && pwd):$modules/perl/lib
  args+=(-p "Perl binding=env PERL5LIB=$perl5lib /usr/bin/perl $peers/fdpass.pl")
  args+=(-p "Perl FDPass::IOFDPass=env PERL5LIB=$perl5lib /usr/bin/perl -MFDPass::IOFDPass $peers/io_fdpass.pl")
fi
exec "$bench" "${args[@]}" "$@"
