# SPDX-License-Identifier: MIT
package FDPass::IOFDPass;
# FDPass::IOFDPass: a drop-in for IO::FDPass over libfdpass. Loaded first
# (perl -MFDPass::IOFDPass, PERL5OPT=-MFDPass::IOFDPass), it defines
# IO::FDPass::send and IO::FDPass::recv with IO::FDPass's semantics and
# marks IO/FDPass.pm as loaded, so that a later `use IO::FDPass` (in
# AnyEvent::Fork, say) loads nothing and gets these. See native.i.
use strict;
use warnings;
use FDPass ();

our $VERSION = $FDPass::VERSION;

# Not when the real IO::FDPass is already in: two of them would each
# believe they are the one in use.
die "FDPass::IOFDPass: IO::FDPass was loaded first; load FDPass::IOFDPass "
  . "before it (perl -MFDPass::IOFDPass)\n"
  if $INC{'IO/FDPass.pm'} && !$IO::FDPass::FDPASS;

{
  no warnings 'once';
  # XS functions of FDPass's shared object (bindings/perl/native.i).
  *IO::FDPass::send = \&FDPassc::iofdpass_send;
  *IO::FDPass::recv = \&FDPassc::iofdpass_recv;
  # IO::FDPass's own version, for code that asks for a minimum one.
  $IO::FDPass::VERSION = 1.3;
  # Which IO::FDPass is in use: true here, absent in Debian's module.
  $IO::FDPass::FDPASS = "FDPass::IOFDPass $VERSION";
}
$INC{'IO/FDPass.pm'} = __FILE__;

1;
