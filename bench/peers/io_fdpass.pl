# SPDX-License-Identifier: MIT
# io_fdpass.pl N: pass /dev/null N times to ourselves with Perl's IO::FDPass
# (send, recv, close); print nanoseconds per passed descriptor.
use strict;
use warnings;
use IO::FDPass;
use POSIX ();
use Socket;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my $n = shift // 10000;
socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, 0) or die "socketpair: $!";
open(my $file, '<', '/dev/null') or die "/dev/null: $!";
my ($sa, $sb, $fd) = (fileno $a, fileno $b, fileno $file);
my $start = clock_gettime(CLOCK_MONOTONIC);
for (1 .. $n) {
  IO::FDPass::send($sa, $fd) or die "send: $!";
  my $got = IO::FDPass::recv($sb);
  $got >= 0 or die "recv: $!";
  POSIX::close($got);
}
printf "%.1f\n", (clock_gettime(CLOCK_MONOTONIC) - $start) * 1e9 / $n;
