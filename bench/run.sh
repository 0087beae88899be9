#!/usr/bin/env bash
# bench/run.sh FDPASS_BENCH [ARGS...]: run the benchmark with every peer
# this machine has (Perl IO::FDPass, Python, Ruby), passing ARGS on, e.g.
#   bench/run.sh build/bench/fdpass_bench -n 200000 -r 21 -t bench.tsv
set -euo pipefail
bench=$1
shift
peers=$(dirname "$0")/peers
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
exec "$bench" "${args[@]}" "$@"
