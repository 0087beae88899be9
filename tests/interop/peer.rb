# SPDX-License-Identifier: MIT
# peer.rb - interop peer for test_interop.c, using Ruby's UNIXSocket.
# Usage: ruby peer.rb recv|send SOCKFD  (SOCKFD: inherited unix socket)
#   recv: receive one descriptor (recv_io), write "from-ruby\n", close it.
#   send: send a pipe's write end (send_io), then print what arrives.
require 'socket'

mode, sockfd = ARGV
abort 'usage: peer.rb recv|send SOCKFD' unless sockfd && %w[recv send].include?(mode)
sock = UNIXSocket.for_fd(Integer(sockfd))

if mode == 'recv'
  io = sock.recv_io # raises SocketError when no descriptor came
  io.write("from-ruby\n")
  io.close
else
  r, w = IO.pipe
  sock.send_io(w)
  w.close
  r.binmode
  $stdout.binmode
  $stdout.write(r.read)
end
