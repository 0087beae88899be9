#!/bin/sh
# SPDX-License-Identifier: MIT
# interop.sh: the fdpass command speaks Perl IO::FDPass's format: recv takes
# what IO::FDPass::send sends, and IO::FDPass::recv takes the descriptor of
# a holder of one unnamed SPEC and what send sends. Perl is a real peer
# process here.
. "$CLI_TESTS/lib.sh"
if ! /usr/bin/perl -MIO::FDPass -e 1 2> /dev/null; then
  echo "cli:interop: skipped: no Perl IO::FDPass (apt-get install libio-fdpass-perl)"
  exit 77
fi
printf 'from perl\n' > perl.txt
printf 'from the holder\n' > held.txt

start "$FDPASS" recv --timeout 30 r.sock -- \
  sh -c 'echo "$LISTEN_FDS $LISTEN_FDNAMES"; cat <&3' > recv.out
recv=$started
/usr/bin/perl -MIO::FDPass -MIO::Socket::UNIX -e '
  my ($path, $file) = @ARGV;
  my $sock;
  for (1 .. 30000) { # until recv listens (30 s)
    last if $sock = IO::Socket::UNIX->new(Peer => $path);
    select(undef, undef, undef, 0.001);
  }
  $sock or die "connect: $!";
  open(my $fh, "<", $file) or die "$file: $!";
  IO::FDPass::send(fileno $sock, fileno $fh) or die "send: $!";
' r.sock perl.txt > out 2>&1 || fail "perl: $(cat out)"
finish "$recv"
[ "$(cat recv.out)" = "$(printf '1 unknown\nfrom perl')" ] ||
  fail "recv's command said: $(cat recv.out)"

start "$FDPASS" hold holder.sock held.txt
holder=$started
run 0 "$FDPASS" exec --timeout 30 holder.sock
run 0 /usr/bin/perl -MIO::FDPass -MIO::Socket::UNIX -e '
  my $sock = IO::Socket::UNIX->new(Peer => $ARGV[0]) or die "connect: $!";
  my $fd = IO::FDPass::recv(fileno $sock);
  $fd >= 0 or die "recv: $!";
  open(my $fh, "<&=", $fd) or die "fdopen: $!";
  print scalar <$fh>;
' holder.sock
[ "$(cat out)" = "from the holder" ] || fail "perl received: $(cat out)"
kill -TERM "$holder"
finish "$holder"
# fdpass send to a plain IO::FDPass receiver, which never confirms: done
# (exit 0) once it took the descriptor, while it still holds the connection.
start /usr/bin/perl -MIO::FDPass -MIO::Socket::UNIX -e '
  my $listener = IO::Socket::UNIX->new(Local => $ARGV[0], Listen => 1)
    or die "listen: $!";
  my $sock = $listener->accept or die "accept: $!";
  my $fd = IO::FDPass::recv(fileno $sock);
  $fd >= 0 or die "recv: $!";
  open(my $fh, "<&=", $fd) or die "fdopen: $!";
  print scalar <$fh>;
  sleep 3;
' plain.sock > plain.out
perl=$started
start_ms=$(date +%s%N)
run 0 "$FDPASS" send --timeout 30 plain.sock perl.txt
elapsed=$(( ($(date +%s%N) - start_ms) / 1000000 ))
[ "$elapsed" -lt 2500 ] || fail "send waited ${elapsed} ms for the receiver to hang up"
finish "$perl"
[ "$(cat plain.out)" = "from perl" ] || fail "perl received: $(cat plain.out)"
passed "IO::FDPass::send to fdpass recv, fdpass hold and send to IO::FDPass::recv"
