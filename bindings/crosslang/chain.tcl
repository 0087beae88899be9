# SPDX-License-Identifier: MIT
# chain.tcl - the cross-language test: a pipe's write end goes from this
# Tcl process to Lua, to Ruby, to Perl's FDPass, to Perl's IO::FDPass, each
# hop a separate
# process behind its own path socket. Every hop writes its name into the
# pipe; Tcl reads until every copy of the write end is closed and compares
# the bytes. Then Perl closes the ring: it sends the read end of a pipe of
# its own back to Tcl, which reads what Perl wrote.
#
# Usage: tclsh8.6 chain.tcl LUA RUBY PERL DIR   (DIR: a scratch directory)
# TCLLIBPATH, LUA_CPATH, RUBYLIB and PERL5LIB must find the four modules.
package require fdpass
lassign $argv lua ruby perl dir
set here [file dirname [info script]]

# Start a hop and wait until it listens on its socket; it prints
# "listening" then. The channel reads the rest of its output.
proc start {args} {
    set hop [open |[concat $args [list 2>@ stderr]] r]
    if {[gets $hop line] < 0 || $line ne "listening"} {
        error "hop [lindex $args 1] did not start: $line"
    }
    return $hop
}

set ring [fdpass::listen $dir/tcl.sock]
set hops {}
lappend hops [start $perl [file join $here hop.pl] $dir/perl.sock \
    $dir/tcl.sock]
lappend hops [start $perl [file join $here hop-fdpass.pl] \
    $dir/perl-fdpass.sock $dir/perl.sock]
lappend hops [start $ruby [file join $here hop.rb] $dir/ruby.sock \
    $dir/perl-fdpass.sock]
lappend hops [start $lua [file join $here hop.lua] $dir/lua.sock \
    $dir/ruby.sock]

lassign [chan pipe] reader writer
fconfigure $reader -translation binary
set sock [fdpass::connect $dir/lua.sock]
puts -nonewline $writer "tcl\n"
flush $writer
fdpass::send $sock $writer
close $writer
fdpass::close $sock

set chain [read $reader]
close $reader

fdpass::wait $ring $fdpass::READABLE 20000
set from_perl [fdpass::accept $ring]
set perls_pipe [fdpass::channel [fdpass::recv $from_perl] r]
fconfigure $perls_pipe -translation binary
set ring_data [read $perls_pipe]
close $perls_pipe
fdpass::close $from_perl
fdpass::close $ring
file delete $dir/tcl.sock

foreach hop $hops {
    close $hop ;# an error if the hop failed
}
set failed 0
foreach {what got expected} [list \
        "tcl -> lua -> ruby -> perl FDPass -> perl IO::FDPass" $chain \
        "tcl\nlua\nruby\nperl FDPass\nperl\n" \
        "perl -> tcl" $ring_data "perl's own pipe\n"] {
    if {$got eq $expected} {
        puts "ok - $what"
    } else {
        puts "not ok - $what: expected [list $expected], read [list $got]"
        incr failed
    }
}
puts "crosslang: [expr {2 - $failed}] passed, $failed failed"
exit [expr {$failed > 0}]
