#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# anyevent-fork.pl: AnyEvent::Fork's documented usage, unchanged, on the
# drop-in. Run with PERL5OPT=-MFDPass::IOFDPass (CTest's test
# perl-anyevent-fork), which reaches the processes AnyEvent::Fork execs
# through the environment: each one reports which IO::FDPass it used.
use strict;
use warnings;
use Test::More;
use AnyEvent;
use AnyEvent::Fork;

# Which IO::FDPass this process uses: the drop-in, loaded from the file
# that defines it, with Debian's XS object never loaded.
sub which_fdpass {
  my $debian = grep { m{/auto/IO/FDPass/} } @DynaLoader::dl_shared_objects;
  return ($IO::FDPass::FDPASS // 'none') . " file=$INC{'IO/FDPass.pm'}"
    . " debian=$debian";
}
my $dropin = qr{\AFDPass::IOFDPass \S+ file=\S*/FDPass/IOFDPass\.pm debian=0\z};

sub open_fds { opendir my $d, '/proc/self/fd' or die; scalar grep { /\d/ } readdir $d }

like(which_fdpass(), $dropin, 'this process uses the drop-in');
ok(\&IO::FDPass::send == \&FDPassc::iofdpass_send, 'IO::FDPass::send is the drop-in');

# The code the children run: write a line through the passed pipe, then
# return which IO::FDPass they used over the communication socket.
my $code = q{
  sub main::child {
    my ($sock, $w, $word) = @_;
    my $debian = grep { m{/auto/IO/FDPass/} } @DynaLoader::dl_shared_objects;
    syswrite $w, "$word from $$\n";
    close $w;
    syswrite $sock, ($IO::FDPass::FDPASS // 'none') .
      " file=$INC{'IO/FDPass.pm'} debian=$debian\n";
  }
};

# The next line from FH, waited for in the event loop: AnyEvent::Fork
# hands over a non-blocking socket, which the child may not have written
# to yet on a busy machine. Dies after 60 s with what it waited for.
sub read_line {
  my ($fh, $what) = @_;
  my ($buffer, $done) = ('', AE::cv);
  my $reader = AE::io $fh, 0, sub {
    my $n = sysread $fh, $buffer, 4096, length $buffer;
    return if !defined $n && $!{EAGAIN};
    $done->send if !$n || $buffer =~ /\n/; # the line, the end or an error
  };
  my $timer = AE::timer 60, 0, sub { $done->croak("no line from $what in 60 s") };
  $done->recv;
  return length $buffer ? $buffer : undef;
}

# run FORK, WORD: FORK runs child with a new pipe and WORD; what came back
# through the pipe and the communication socket.
sub run_child {
  my ($fork, $word) = @_;
  pipe my $r, my $w or die "pipe: $!";
  my $done = AE::cv;
  my $timer = AE::timer 60, 0, sub { $done->croak("child $word did not start in 60 s") };
  $fork->send_fh($w)->send_arg($word)->run('main::child', sub { $done->send(@_) });
  undef $w; # AnyEvent::Fork holds it until sent, then the child has it
  my ($sock) = $done->recv;
  my $line = read_line($r, "the pipe of child $word");
  my $which = read_line($sock, "the socket of child $word");
  chomp $which if defined $which;
  return ($line, $which);
}

# A child of AnyEvent::Fork's own template, given a handle, eval'd code
# and run.
my ($line, $which) = run_child(AnyEvent::Fork->new->eval($code), 'hello');
like($line, qr/\Ahello from \d+\n\z/, 'new->eval->send_fh->run: the child wrote through the pipe');
like($which, $dropin, 'the child used the drop-in');

# A template process of our own, which children are forked from.
my $before = open_fds();
my $template = AnyEvent::Fork->new->eval($code);
for my $word (qw(one two)) {
  ($line, $which) = run_child($template->fork, $word);
  like($line, qr/\A$word from \d+\n\z/, "template->fork: child $word wrote through the pipe");
  like($which, $dropin, "template->fork: child $word used the drop-in");
}
undef $template;
is(open_fds(), $before, 'no descriptor left open');

done_testing;
