# SPDX-License-Identifier: MIT
# hop.rb LISTEN NEXT - a hop of chain.tcl: receive a descriptor with data
# on LISTEN (FDPass.recv_fds), write "ruby" into it, pass it on to NEXT,
# Perl's FDPass, with FDPass.send_fd.
require 'fdpass'
require 'socket'
listen_path, next_path = ARGV

listener = FDPass.listen(listen_path)
$stdout.puts 'listening'
$stdout.flush
FDPass.wait(listener, FDPass::READABLE, 20_000)
sock = FDPass.accept(listener)
data, fds = FDPass.recv_fds(sock)
abort "hop.rb: received #{data.inspect} with #{fds.size} descriptors" unless
  data == 'from lua' && fds.size == 1
pipe = IO.for_fd(fds[0])
pipe.write("ruby\n")
pipe.flush # before the next hop writes

next_sock = UNIXSocket.new(next_path)
FDPass.send_fd(next_sock, pipe)
pipe.close
next_sock.close
FDPass.close(sock)
FDPass.close(listener)
File.unlink(listen_path)
