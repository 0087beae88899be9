# SPDX-License-Identifier: MIT
# hop-fdpass.pl LISTEN NEXT - a hop of chain.tcl: receive a descriptor
# with the FDPass module on LISTEN, write "perl FDPass" into it, pass it
# on to NEXT, Perl's IO::FDPass, as a Perl handle.
use strict;
use warnings;
use FDPass;

my ($path, $next) = @ARGV;
die "usage: hop-fdpass.pl LISTEN NEXT\n" unless defined $next;
my $listener = FDPass::listen($path);
$| = 1;
print "listening\n";
FDPass::wait($listener, FDPass::READABLE, 20000); # nobody came: it dies
my $sock = FDPass::accept($listener);
open(my $pipe, '>&=', FDPass::recv_fd($sock)) or die "hop-fdpass.pl: fdopen: $!\n";
print $pipe "perl FDPass\n" or die "hop-fdpass.pl: write: $!\n";
$pipe->flush or die "hop-fdpass.pl: flush: $!\n"; # before the next hop writes
my $to_next = FDPass::connect($next);
FDPass::send_fd($to_next, $pipe);
close($pipe) or die "hop-fdpass.pl: close: $!\n";
FDPass::close($_) for $to_next, $sock, $listener;
unlink $path;
