# SPDX-License-Identifier: MIT
# send_io.rb N: pass /dev/null N times to ourselves with Ruby's
# UNIXSocket#send_io/#recv_io (then close); print ns per passed descriptor.
require 'socket'

n = Integer(ARGV[0] || 10_000)
a, b = UNIXSocket.pair
file = File.open('/dev/null')
start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
n.times do
  a.send_io(file)
  b.recv_io.close
end
printf("%.1f\n", (Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - start).fdiv(n))
