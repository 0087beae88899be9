#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# iofdpass.pl: FDPass::IOFDPass has IO::FDPass's semantics (true or false,
# the descriptor or -1, $! set, EAGAIN on a non-blocking socket), plus
# libfdpass's: close-on-exec, TCP refused, surplus closed. Loaded first,
# as its users load it; checks that descriptors do not leak.
use strict;
use warnings;
use FDPass::IOFDPass;
use Test::More;
use Errno qw(EAGAIN EBADF EMSGSIZE EOPNOTSUPP);
use Fcntl qw(F_GETFD FD_CLOEXEC);
use IO::Handle;
use POSIX ();
use Socket qw(AF_UNIX AF_INET SOCK_STREAM);
use IO::FDPass; # loads nothing: the drop-in is it

sub open_fds { opendir my $d, '/proc/self/fd' or die; scalar grep { /\d/ } readdir $d }
my $before = open_fds();

like($INC{'IO/FDPass.pm'}, qr{FDPass/IOFDPass\.pm\z}, '$INC{"IO/FDPass.pm"} is the drop-in');
ok(!grep({ m{/auto/IO/FDPass/} } @DynaLoader::dl_shared_objects),
   "Debian's IO::FDPass was not loaded");

socketpair my $a, my $b, AF_UNIX, SOCK_STREAM, 0 or die "socketpair: $!";
pipe my $r, my $w or die "pipe: $!";
ok(IO::FDPass::send(fileno $a, fileno $w), 'send is true');
my $fd = IO::FDPass::recv(fileno $b);
ok($fd > 0, 'recv gives the descriptor');
open my $fh, '+<&=', $fd or die "fdopen: $!";
ok(fcntl($fh, F_GETFD, 0) & FD_CLOEXEC, 'it is close-on-exec');
syswrite $fh, "through it\n";
close $fh;
close $w;
is(scalar <$r>, "through it\n", 'the bytes went through the passed pipe');

$b->blocking(0);
$! = 0;
is(IO::FDPass::recv(fileno $b), -1, 'nothing there, non-blocking: -1');
is($! + 0, EAGAIN, '... with $! = EAGAIN');

# A non-blocking sender whose socket buffer is full: false with EAGAIN.
$a->blocking(0);
my $sent = 0;
$sent++ while IO::FDPass::send(fileno $a, fileno $r);
is($! + 0, EAGAIN, 'a full non-blocking socket: false with $! = EAGAIN');
ok($sent > 0, "$sent sent before it was full");
my $got = 0;
while ((my $fd = IO::FDPass::recv(fileno $b)) >= 0) { POSIX::close($fd); $got++ }
is($got, $sent, 'every one of them arrived');

ok(!IO::FDPass::send(99, 0), 'a bad socket: false');
is($! + 0, EBADF, '... with $! = EBADF');
socket my $tcp, AF_INET, SOCK_STREAM, 0 or die;
ok(!IO::FDPass::send(fileno $tcp, 0), 'TCP: false');
is($! + 0, EOPNOTSUPP, '... with $! = EOPNOTSUPP');

# Three descriptors in one message: IO::FDPass's recv would leak two;
# the drop-in closes them all and says so.
my ($x, $y) = FDPass::socketpair();
FDPass::send_fds($x, "\0", [0, 1, 2]);
my $n = open_fds();
is(IO::FDPass::recv($y), -1, 'a surplus: -1');
is($! + 0, EMSGSIZE, '... with $! = EMSGSIZE');
is(open_fds(), $n, '... and closed, not leaked');
FDPass::close($_) for $x, $y;

# Loaded after Debian's module, which then is the one in use, it refuses.
my $status = system "'$^X' -MIO::FDPass -MFDPass::IOFDPass -e 1 2>/dev/null";
isnt($status, 0, 'after IO::FDPass itself: it dies');

close $_ for $a, $b, $r, $tcp;
is(open_fds(), $before, 'no descriptor leaked');
done_testing;
