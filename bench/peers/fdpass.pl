# SPDX-License-Identifier: MIT
# fdpass.pl N: pass /dev/null N times to ourselves with libfdpass's Perl
# module (FDPass::send_fd, recv_fd, close); print ns per descriptor.
use strict;
use warnings;
use FDPass;
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my $n = shift // 10000;
my ($a, $b) = FDPass::socketpair();
open(my $file, '<', '/dev/null') or die "/dev/null: $!";
my $start = clock_gettime(CLOCK_MONOTONIC);
for (1 .. $n) {
  FDPass::send_fd($a, $file);
  FDPass::close(FDPass::recv_fd($b));
}
printf "%.1f\n", (clock_gettime(CLOCK_MONOTONIC) - $start) * 1e9 / $n;
