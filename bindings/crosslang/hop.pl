# SPDX-License-Identifier: MIT
# hop.pl LISTEN RING - the last hop of chain.tcl: receive a descriptor
# with IO::FDPass on LISTEN and write "perl" into it; then send the read
# end of a pipe of its own to RING, Tcl's socket, and write into the pipe.
use strict;
use warnings;
use IO::FDPass;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);

my ($path, $ring) = @ARGV;
die "usage: hop.pl LISTEN RING\n" unless defined $ring;
my $listener = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
                                     Listen => 1)
  or die "hop.pl: listen on $path: $!\n";
$| = 1;
print "listening\n";
alarm 20; # the chain is broken if nobody comes
my $sock = $listener->accept or die "hop.pl: accept: $!\n";
my $fd = IO::FDPass::recv(fileno $sock);
die "hop.pl: no descriptor received: $!\n" if $fd < 0;
open(my $pipe, '>&=', $fd) or die "hop.pl: fdopen $fd: $!\n";
print $pipe "perl\n" or die "hop.pl: write: $!\n";
close($pipe) or die "hop.pl: close: $!\n";
unlink $path;

pipe(my $r, my $w) or die "hop.pl: pipe: $!\n";
my $to_tcl = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $ring)
  or die "hop.pl: connect to $ring: $!\n";
IO::FDPass::send(fileno $to_tcl, fileno $r) or die "hop.pl: send: $!\n";
close($r);
print $w "perl's own pipe\n" or die "hop.pl: write: $!\n";
close($w) or die "hop.pl: close: $!\n";
