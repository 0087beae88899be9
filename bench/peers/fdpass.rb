# SPDX-License-Identifier: MIT
# fdpass.rb N: pass /dev/null N times to ourselves with libfdpass's Ruby
# extension (FDPass.send_fd, recv_fd, close); print ns per descriptor.
require 'fdpass'

n = Integer(ARGV[0] || 10_000)
a, b = FDPass.socketpair
file = File.open('/dev/null')
start = Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond)
n.times do
  FDPass.send_fd(a, file)
  FDPass.close(FDPass.recv_fd(b))
end
printf("%.1f\n", (Process.clock_gettime(Process::CLOCK_MONOTONIC, :nanosecond) - start).fdiv(n))
