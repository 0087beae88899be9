# SPDX-License-Identifier: MIT
# peer.pl - interop peer for test_interop.c, using Perl's IO::FDPass.
# Usage: perl peer.pl recv|send SOCKFD  (SOCKFD: inherited unix socket)
#   recv: receive one descriptor, write "from-perl\n" into it, close it.
#   send: send a pipe's write end, then print what arrives on the pipe.
use strict;
use warnings;
use IO::FDPass;

my ($mode, $sock) = @ARGV;
die "usage: peer.pl recv|send SOCKFD\n"
  unless defined $sock && $mode =~ /\A(?:recv|send)\z/;

if ($mode eq 'recv') {
  my $fd = IO::FDPass::recv($sock);
  die "peer.pl: no descriptor received: $!\n" if $fd < 0;
  open(my $fh, '>&=', $fd) or die "peer.pl: fdopen $fd: $!\n";
  print $fh "from-perl\n" or die "peer.pl: write: $!\n";
  close($fh) or die "peer.pl: close: $!\n";
} else {
  pipe(my $r, my $w) or die "peer.pl: pipe: $!\n";
  IO::FDPass::send($sock, fileno $w) or die "peer.pl: send: $!\n";
  close($w);
  binmode($r);
  binmode(STDOUT);
  local $/;
  my $data = <$r>;
  print $data // '';
}
