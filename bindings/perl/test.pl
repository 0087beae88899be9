#!/usr/bin/perl
# SPDX-License-Identifier: MIT
# test.pl SCRATCH_DIR: the Perl module FDPass, from PERL5LIB. Each check
# counts this process's descriptors before and after, so that a leak
# fails it; sockets live in a temporary directory under SCRATCH_DIR.
use strict;
use warnings;
use Test::More;
use Fcntl qw(F_GETFD FD_CLOEXEC);
use IO::Handle;
use Socket qw(AF_UNIX SOCK_STREAM AF_INET);
use POSIX ();
use FDPass;

# Not File::Temp: Cwd, which it loads, trips valgrind (valgrind:perl).
my $dir = ($ARGV[0] // '/tmp') . "/perl.$$";
mkdir $dir or die "mkdir $dir: $!";
END { rmdir $dir if defined $dir }

sub open_fds { opendir my $d, '/proc/self/fd' or die; my $n = grep { /\d/ } readdir $d; $n }

# check NAME, CODE: runs CODE as a subtest and fails it when descriptors
# were left open.
sub check {
  my ($name, $code) = @_;
  my $before = open_fds();
  subtest $name => $code;
  is(open_fds(), $before, "$name: no descriptor leaked");
}

# skip_named NAME, REASON, in a SKIP block: a test that cannot run here
# is a TAP skip, and is named on a [SKIP] line as the C suites do
# (scripts/test counts them). The exit status stays TAP's: this script is
# the CPAN distribution's t/fdpass.t too.
sub skip_named {
  my ($name, $reason) = @_;
  print "[SKIP] perl::$name: $reason\n";
  skip $reason, 1;
}

sub pipe_pair { pipe my $r, my $w or die "pipe: $!"; $w->autoflush(1); ($r, $w) }

# The FDPass::Error that CODE dies with, or undef.
sub error_of { my $code = shift; eval { $code->(); 1 } ? undef : $@ }

check 'constants' => sub {
  is(FDPass::OK, 0, 'OK');
  is(FDPass::EBADF, -2, 'EBADF');
  is(FDPass::NONBLOCK, 1, 'NONBLOCK');
  is(FDPass::READABLE, 1, 'READABLE');
  is(FDPass::MAX_FDS, 253, 'MAX_FDS');
  like($FDPass::VERSION, qr/\A\d+\.\d+\.\d+\z/, 'VERSION');
  is(FDPass::errname(FDPass::ETRUNC), 'ETRUNC', 'errname');
};

check 'send_fd and recv_fd, integers and every kind of handle' => sub {
  my ($a, $b) = FDPass::socketpair();
  ok($a =~ /\A\d+\z/ && $b =~ /\A\d+\z/, 'socketpair gives integers');
  my ($r, $w) = pipe_pair();
  my $io = IO::Handle->new_from_fd(fileno $w, 'w') or die;
  for my $case ([integer => fileno $w], [glob => *$w], [globref => $w],
                [ 'IO::Handle' => $io ]) {
    my ($kind, $what) = @$case;
    ok(FDPass::send_fd($a, $what), "$kind: send_fd is true");
    my $fd = FDPass::recv_fd($b);
    like($fd, qr/\A\d+\z/, "$kind: recv_fd gives an integer");
    open my $fh, '>&=', $fd or die "fdopen: $!";
    $fh->autoflush(1);
    print $fh "via $kind\n";
    close $fh;
    is(scalar <$r>, "via $kind\n", "$kind: the bytes went through the passed pipe");
  }
  $io->close;
  FDPass::close($_) for $a, $b;
};

check 'received descriptors are close-on-exec' => sub {
  my ($a, $b) = FDPass::socketpair();
  my ($r, $w) = pipe_pair();
  FDPass::send_fd($a, $w);
  my $fd = FDPass::recv_fd($b);
  open my $fh, '<&=', $fd or die;
  ok(fcntl($fh, F_GETFD, 0) & FD_CLOEXEC, 'FD_CLOEXEC is set');
  close $fh;
  FDPass::close($_) for $a, $b;
};

check 'sockets as Perl handles' => sub {
  socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, 0) or die;
  my ($r, $w) = pipe_pair();
  FDPass::send_fd($a, $r);
  my $fd = FDPass::recv_fd($b);
  print $w "x";
  open my $fh, '<&=', $fd or die;
  sysread $fh, my $byte, 1;
  is($byte, 'x', 'a socketpair of Perl handles carries a descriptor');
  close $fh;
};

check 'send_fds and recv_fds' => sub {
  my ($a, $b) = FDPass::socketpair();
  my ($r, $w) = pipe_pair();
  is(FDPass::send_fds($a, "hello", [$r, fileno $w]), 5, 'bytes sent');
  my ($data, $fds, $truncated) = FDPass::recv_fds($b);
  is($data, 'hello', 'the data');
  is(scalar @$fds, 2, 'two descriptors');
  ok(!$truncated, 'not truncated');
  FDPass::close($_) for @$fds;

  FDPass::send_fds($a, "abc", [$r, $r, $r]);
  ($data, $fds, $truncated) = FDPass::recv_fds($b, 10, 1);
  is($data, 'abc', 'data with a surplus');
  is(scalar @$fds, 1, 'as many descriptors as asked');
  ok($truncated, 'truncated: the surplus was closed');
  FDPass::close($_) for @$fds;

  is(FDPass::send_fds($a, "\x00\xff" x 3000), 6000, 'binary data, no descriptors');
  my $got = '';
  while (length $got < 6000) {
    ($data) = FDPass::recv_fds($b, 6000 - length $got, 0);
    $got .= $data;
  }
  is($got, "\x00\xff" x 3000, 'the same bytes came back');
  ok(error_of(sub { FDPass::send_fds($a, "\x{263a}") }) =~ /Wide character/,
     'a wide character dies as syswrite does');
  FDPass::close($_) for $a, $b;
};

check 'errors are FDPass::Error objects' => sub {
  my ($r, $w) = pipe_pair();
  my $line = __LINE__ + 1;
  my $e = error_of(sub { FDPass::send_fd($r, $w) });
  isa_ok($e, 'FDPass::Error');
  is($e->code, FDPass::ENOTSOCK, '->code');
  is($e->name, 'ENOTSOCK', '->name');
  is($e->message, FDPass::strerror(FDPass::ENOTSOCK), '->message');
  is("$e", "ENOTSOCK: descriptor is not a socket at ${\ __FILE__} line $line.\n",
     'stringifies as die does');
  close $r;
  $e = error_of(sub { FDPass::recv_fd($r) });
  is($e->name, 'EBADF', 'a closed handle is a bad descriptor');
  like(error_of(sub { FDPass::send_fd('nonsense', 1) }), qr/descriptor: expected an integer/,
       'a wrong argument croaks with a message');
  like(error_of(sub { FDPass::wait(0, 1.5, 0) }), qr/integer/, 'a fraction is no integer');
  for my $ref ([HASH => {}], [CODE => sub {}], [ARRAY => []]) {
    like(error_of(sub { FDPass::send_fd($ref->[1], 1) }),
         qr/\Adescriptor: expected an integer or a filehandle, got a $ref->[0] reference at /,
         "a $ref->[0] reference is no descriptor");
  }
  my $file = __FILE__;
  is(error_of(sub { FDPass::send_fd(1) }),
     "Usage: FDPass::send_fd(sock, fd, flags = 0) at $file line ${\ (__LINE__ - 1)}.\n",
     'a missing argument: a usage, as Perl\'s own');
  like(error_of(sub { FDPass::recv_fds() }),
       qr/\AUsage: FDPass::recv_fds\(sock, maxlen = 4096, maxfds = 253, flags = 0\) at /,
       'the usage names Perl\'s arguments');
  like(error_of(sub { FDPass::wait(1) }), qr/\AUsage: FDPass::wait\(sock, events, timeout_ms\) at /,
       'the usage of a plain function');
  socket(my $tcp, AF_INET, SOCK_STREAM, 0) or die;
  is(error_of(sub { FDPass::send_fd($tcp, 0) })->name, 'ENOTSUP', 'TCP is refused');
};

check 'non-blocking and wait' => sub {
  my ($a, $b) = FDPass::socketpair();
  is(error_of(sub { FDPass::recv_fd($b, FDPass::NONBLOCK) })->name, 'EAGAIN',
     'NONBLOCK: EAGAIN');
  is(error_of(sub { FDPass::wait($b, FDPass::READABLE, 0) })->name, 'ETIMEDOUT',
     'wait times out');
  ok(FDPass::wait($a, FDPass::WRITABLE, -1), 'wait: writable');
  # A blocking recv interrupted by a signal whose handler dies.
  local $SIG{ALRM} = sub { die "alarm\n" };
  alarm 1;
  my $e = error_of(sub { FDPass::recv_fd($b) });
  alarm 0;
  is($e, "alarm\n", 'a signal handler runs during a blocking call');
  FDPass::close($_) for $a, $b;
};

# A filehandle's buffered output goes before the descriptor; one with
# input in its buffer (readline read past its line, into the byte that
# carried a descriptor) refuses a receive.
check 'buffered filehandles' => sub {
  socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, 0) or die;
  print $a 'header';
  FDPass::send_fd($a, \*STDIN);
  my ($data, $fds) = FDPass::recv_fds(fileno $b); # the kernel reads up to them
  FDPass::close($_) for @$fds;
  is($data, "header\0", 'the buffered output went first');
  is(scalar @$fds, 1, 'then the descriptor');
  FDPass::send_fds($a, "line\n");
  FDPass::send_fd($a, \*STDIN);
  select undef, undef, undef, 0.01; # both in the kernel before readline
  is(scalar <$b>, "line\n", 'readline');
  is(error_of(sub { FDPass::recv_fd($b, FDPass::NONBLOCK) })->name, 'EINVAL',
     'recv_fd refuses a handle with buffered input');
  close $a;
  close $b;
};

check 'listen, connect, accept, peer_credentials' => sub {
  my $path = "$dir/sock";
  my $listener = FDPass::listen($path);
  is((stat $path)[2] & 0777, 0600, 'socket mode 0600');
  my $c = FDPass::connect($path);
  my $s = FDPass::accept($listener);
  my ($pid, $uid, $gid) = FDPass::peer_credentials($s);
  is($pid, $$, 'pid');
  is($uid, $<, 'uid');
  my ($r, $w) = pipe_pair();
  FDPass::send_fd($c, $w);
  my $fd = FDPass::recv_fd($s);
  open my $fh, '>&=', $fd or die;
  syswrite $fh, "over a path\n";
  close $fh;
  is(scalar <$r>, "over a path\n", 'passed over a path socket');
  FDPass::close($_) for $listener, $c, $s;
  unlink $path;
};

# Another process accepts on the same listener: when it takes the
# connection between our poll and our accept(2), the accept blocks there;
# a signal whose handler dies (alarm's) ends it, and does not wait for the
# next client. A watcher process connects until it sees us blocked in
# accept(2) (x86_64's numbers in /proc), then signals; the race is
# provoked for up to 10 s, skipped if it never came.
check 'accept after another process took the connection' => sub {
  plan skip_all => "the syscall numbers are x86_64's"
    unless POSIX::uname() && (POSIX::uname())[4] eq 'x86_64';
  my $path = "$dir/shared.sock";
  my $listener = FDPass::listen($path);
  my $parent = $$;
  my $taker = fork // die "fork: $!";
  if (!$taker) {
    FDPass::close(FDPass::accept($listener)) while 1;
  }
  my ($report, $to_parent) = pipe_pair();
  my ($ended, $to_watcher) = pipe_pair();
  my $watcher = fork // die "fork: $!";
  if (!$watcher) {
    close $report;
    close $to_watcher;
    my $syscall = sub {
      open my $f, '<', "/proc/$parent/syscall" or return -1;
      my $n = <$f>;
      return $n =~ /\A(\d+)/ ? $1 : -1;
    };
    my ($hit, $deadline) = (0, time + 10);
    while (!$hit && time < $deadline) {
      socket my $c, AF_UNIX, SOCK_STREAM, 0 or die;
      connect $c, Socket::pack_sockaddr_un($path) or die "connect: $!";
      close $c;
      select undef, undef, undef, 0.005; # back in its wait, or in accept(2)
      $hit = grep { $syscall->() == $_ } 43, 288;
    }
    syswrite $to_parent, $hit ? "hit\n" : "none\n";
    kill 'ALRM', $parent;
    my $in = '';
    vec($in, fileno $ended, 1) = 1;
    if (!select $in, undef, undef, 5) { # the handler waits for a client
      syswrite $to_parent, "late\n";
      socket my $c, AF_UNIX, SOCK_STREAM, 0 or die;
      connect $c, Socket::pack_sockaddr_un($path);
    }
    POSIX::_exit(0);
  }
  close $to_parent;
  close $ended;
  local $SIG{ALRM} = sub { die "alarm\n" };
  my $e = error_of(sub { FDPass::close(FDPass::accept($listener)) while 1 });
  syswrite $to_watcher, "ended\n";
  waitpid $watcher, 0;
  my $said = join '', <$report>;
  kill 'KILL', $taker;
  waitpid $taker, 0;
  FDPass::close($listener);
  close $_ for $report, $to_watcher;
  unlink $path;
  is($e, "alarm\n", 'the handler ended the accept');
  SKIP: {
    skip 'the other process never took a connection between poll and accept', 1
      if $said eq "none\n";
    is($said, "hit\n", 'the handler ran at once, blocked in accept(2)');
  }
};

# A call that returns a list croaks where its result would be lost: in
# scalar context, and in void context when it holds new descriptors.
check 'list-returning calls in scalar and void context' => sub {
  my ($a, $b) = FDPass::socketpair();
  my $message = qr/returns a list.*: call it in list context at /;
  like(error_of(sub { my $n = FDPass::socketpair() }), $message, 'socketpair, scalar');
  like(error_of(sub { FDPass::socketpair(); 1 }), $message, 'socketpair, void');
  FDPass::send_fd($a, $a);
  like(error_of(sub { my $n = FDPass::recv_fds($b) }), $message, 'recv_fds, scalar');
  my (undef, $fds) = FDPass::recv_fds($b); # the descriptor still waited
  is(scalar @$fds, 1, 'recv_fds received nothing before it croaked');
  FDPass::close($_) for @$fds;
  like(error_of(sub { my $n = FDPass::peer_credentials($a) }), $message,
       'peer_credentials, scalar');
  like(error_of(sub { my $n = FDPass::list("$dir/none.sock") }), $message, 'list, scalar');
  like(error_of(sub { my $n = FDPass::fetch("$dir/none.sock") }), $message, 'fetch, scalar');
  like(error_of(sub { FDPass::fetch("$dir/none.sock"); 1 }), $message, 'fetch, void');
  FDPass::close($_) for $a, $b;
};

check 'a child process' => sub {
  my ($a, $b) = FDPass::socketpair();
  my ($r, $w) = pipe_pair();
  my $pid = fork // die;
  if (!$pid) {
    my $fd = FDPass::recv_fd($b);
    open my $fh, '>&=', $fd or die;
    syswrite $fh, "from the child $$\n";
    POSIX::_exit(0);
  }
  FDPass::send_fd($a, $w);
  close $w;
  is(scalar <$r>, "from the child $pid\n", 'the child wrote through it');
  waitpid $pid, 0;
  is($?, 0, 'the child succeeded');
  FDPass::close($_) for $a, $b;
};

# The descriptor store, against `fdpass hold` (FDPASS, the command).
if (my $command = $ENV{FDPASS}) {
  # A holder on `path`: its pid, once it answers.
  my $start_holder = sub {
    my ($path) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
      open STDOUT, '>', '/dev/null';
      open STDERR, '>', '/dev/null';
      exec $command, 'hold', $path or POSIX::_exit(127);
    }
    # It answers once it listens: until then, a pause that is a wait on a
    # socket nobody writes to.
    my ($p, $q) = FDPass::socketpair();
    for (1 .. 500) {
      last if eval { FDPass::list($path, 1000); 1 };
      eval { FDPass::wait($p, FDPass::READABLE, 10) };
    }
    FDPass::close($_) for $p, $q;
    $pid;
  };
  my $holder = "$dir/holder.sock";
  my $pid = $start_holder->($holder);

  check 'store, list, fetch, remove; the bytes come back' => sub {
    open my $file, '+>', "$dir/stored.txt" or die;
    syswrite $file, 'stored bytes';
    my ($a, $b) = FDPass::socketpair();
    ok(FDPass::store($holder, 'file', [$file]), 'store by path');
    my $sock = FDPass::connect($holder);
    ok(FDPass::store($sock, 'pair', [$a, $b], 5000), 'store through a socket');
    is(join(',', FDPass::list($holder)), 'file,pair,pair', 'list');
    my @got = FDPass::fetch($holder);
    is(join(',', map { $_->[0] } @got), 'file,pair,pair', 'fetched names');
    open my $copy, '<&=', $got[0][1] or die;
    sysseek $copy, 0, 0;
    sysread $copy, my $bytes, 100;
    is($bytes, 'stored bytes', 'bytes through the copy');
    close $copy;
    FDPass::close($_->[1]) for @got[1, 2];
    @got = FDPass::fetch($sock, 'pair', 5000);
    is(scalar @got, 2, 'fetch one name');
    FDPass::close($_->[1]) for @got;
    is(error_of(sub { my @none = FDPass::fetch($holder, 'none') })->name, 'ENONAME',
       'nothing under that name');
    ok(FDPass::remove($holder, 'file'), 'remove');
    ok(FDPass::remove($sock, 'pair', 5000), 'remove through a socket');
    is(scalar(my @none = FDPass::list($holder)), 0, 'empty list');
    FDPass::close($_) for $a, $b, $sock;
    close $file;
  };
  # The holder's descriptors that are not sockets: what it stores.
  my $stored = sub {
    opendir my $d, "/proc/$pid/fd" or die "/proc/$pid/fd: $!";
    scalar grep { /\d/ && (readlink("/proc/$pid/fd/$_") // 'socket:') !~ /^socket:/ }
      readdir $d;
  };
  check 'store options: new only keeps what is stored; a lifetime ends' => sub {
    my $empty = $stored->();
    open my $file, '<', "$dir/stored.txt" or die;
    my ($r, $w) = pipe_pair();
    ok(FDPass::store($holder, 'kept', [$file], { new => 1 }), 'store new');
    my $error = error_of(sub {
      FDPass::store($holder, 'kept', [$w], { new => 1, timeout_ms => 5000 }) });
    is(ref $error && $error->name, 'EADDRINUSE', 'new only: the name is taken');
    my @got = FDPass::fetch($holder, 'kept');
    open my $copy, '<&=', $got[0][1] or die;
    sysseek $copy, 0, 0;
    sysread $copy, my $bytes, 100;
    is($bytes, 'stored bytes', 'the first store\'s file is kept');
    close $copy;
    FDPass::remove($holder, 'kept');
    is(error_of(sub { FDPass::store($holder, 'x', [$w], { lifetime_ms => -1 }) })->name,
       'EINVAL', 'a negative lifetime');
    like(error_of(sub { FDPass::store($holder, 'x', [$w], { old => 1 }) }),
         qr/unknown key 'old'/, 'a misspelt option');
    ok(FDPass::store($holder, 'brief', [$w], { lifetime_ms => 200 }), 'store brief');
    is(join(',', FDPass::list($holder)), 'brief', 'listed before it expires');
    my ($p, $q) = FDPass::socketpair();
    for (1 .. 500) { # up to about 5 s
      last if !(my @names = FDPass::list($holder));
      eval { FDPass::wait($p, FDPass::READABLE, 10) };
    }
    FDPass::close($_) for $p, $q;
    is(scalar(my @none = FDPass::list($holder)), 0, 'gone after its lifetime');
    is($stored->() - $empty, 0, 'descriptors left in the holder');
    close $_ for $file, $r, $w;
  };
  # A client the holder refuses (another uid, no right) gets EACCES as any
  # failure: an FDPass::Error. Root runs that client as nobody.
  SKIP: {
    skip_named('a_refused_client', 'needs root, setpriv and a module uid '
        . '65534 can load (not in a private directory)')
      unless $> == 0 && grep({ -x "$_/setpriv" } split /:/, $ENV{PATH})
        && system('setpriv --reuid=65534 --regid=65534 --clear-groups '
                  . "$^X -MFDPass -e 1 2>/dev/null") == 0;
    check 'a refused client: FDPass::Error EACCES' => sub {
      my $name = "\@fdpass-perl-refused-$$";
      my $refusing = $start_holder->($name);
      my $script = "eval { FDPass::store(q{$name}, q{x}, [0], "
        . '{ new => 1, timeout_ms => 5000 }) }; print ref $@, q{ }, $@->name';
      open my $client, '-|', 'setpriv', '--reuid=65534', '--regid=65534',
        '--clear-groups', $^X, '-MFDPass', '-e', $script or die "setpriv: $!";
      my $got = do { local $/; <$client> };
      close $client;
      kill 'TERM', $refusing;
      waitpid $refusing, 0;
      is($got, 'FDPass::Error EACCES', 'the refused client\'s error');
    };
  }
  kill 'TERM', $pid;
  waitpid $pid, 0;
} else {
  SKIP: { skip_named('store', "the store's tests need FDPASS, the fdpass command") }
}

done_testing;
