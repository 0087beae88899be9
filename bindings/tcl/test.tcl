# SPDX-License-Identifier: MIT
# test.tcl - tests of the Tcl package: every command, channels as
# descriptors, errors with -errorcode {FDPASS NAME message}, and a round
# trip with a second tclsh over a path socket. Every test counts this
# process's open descriptors before and after.
#
# Usage: tclsh8.6 test.tcl DIR         (DIR: a scratch directory)
#        tclsh8.6 test.tcl peer PATH   (the round trip's second process)
# TCLLIBPATH must find the package.
package require fdpass

# The round trip's second process: connect to PATH, receive a channel,
# write into it, and send back data with a pipe of its own.
if {[lindex $argv 0] eq "peer"} {
    set sock [fdpass::connect [lindex $argv 1]]
    set out [fdpass::channel [fdpass::recv $sock] w]
    puts -nonewline $out "written by the peer\n"
    close $out
    lassign [chan pipe] r w
    fdpass::send_fds $sock "from the peer" [list $r]
    puts -nonewline $w "through the peer's pipe\n"
    exit 0
}

package require tcltest
namespace import tcltest::test
tcltest::configure -verbose {pass error}
set dir [lindex $argv 0]

# Tcl's notifier opens its descriptors on the event loop's first use:
# here, not during a test that counts them.
after 0 {set ::notifier_ready 1}
vwait ::notifier_ready

proc count_fds {} {
    llength [glob -nocomplain -directory /proc/self/fd *]
}

# Run `body` in the caller's scope; its result (or what it returns) and
# the descriptors it leaked.
proc counted {body} {
    set before [count_fds]
    if {[catch {uplevel 1 $body} result options] == 1} {
        return -options $options $result
    }
    list $result leaked [expr {[count_fds] - $before}]
}

# A test whose body must return `expected` and leak no descriptor.
proc fdtest {name description body expected} {
    uplevel 1 [list test $name $description -body [list counted $body] \
        -result [list $expected leaked 0]]
}

# A test that cannot run here is named on a [SKIP] line, as the C suites
# do (scripts/test counts them), never passed. Without FDPASS, a third of
# the suite cannot run: the whole is then skipped for CTest (exit 77).
set incomplete 0
proc skip {name reason} {
    puts "\[SKIP\] tcl::$name: $reason"
}

# The -errorcode of `script`, which must fail.
proc errorcode {script} {
    if {![catch {uplevel 1 $script} message options]} {
        error "expected an error from: $script"
    }
    dict get $options -errorcode
}

# The message of `script`, which must fail.
proc message {script} {
    if {![catch {uplevel 1 $script} message]} {
        error "expected an error from: $script"
    }
    return $message
}

# Is `fd` close-on-exec? /proc/self/fdinfo shows its flags in octal.
proc is_cloexec {fd} {
    regexp {flags:\s*([0-7]+)} [read_file /proc/self/fdinfo/$fd] -> flags
    expr {(("0o$flags" >> 19) & 1) == 1} ;# O_CLOEXEC, octal 02000000
}

proc read_file {path} {
    set f [open $path rb]
    set data [read $f]
    close $f
    return $data
}

fdtest version {version and constants} {
    set names {EINVAL EBADF ENOTSOCK ENOTSUP EAGAIN ETIMEDOUT ECLOSED ENOFD
        ETRUNC EMFILE ENOMEM EACCES ENOENT EADDRINUSE ESYS ECONNREFUSED
        ENAMETOOLONG EPROTO ENONAME ENOTCONN EREFUSED}
    set i 0
    foreach name $names {
        incr i
        if {[set fdpass::$name] != -$i ||
            [fdpass::errname [set fdpass::$name]] ne $name} {
            error "$name is [set fdpass::$name]"
        }
    }
    list [expr {[fdpass::version] == $fdpass::VERSION_MAJOR * 10000 +
                $fdpass::VERSION_MINOR * 100 + $fdpass::VERSION_PATCH}] \
        [expr {[fdpass::version_string] eq [join [list $fdpass::VERSION_MAJOR \
                $fdpass::VERSION_MINOR $fdpass::VERSION_PATCH] .]}] \
        [expr {[package present fdpass] eq [fdpass::version_string]}] \
        $fdpass::OK [fdpass::strerror $fdpass::EBADF] \
        [string is integer -strict [fdpass::os_error]]
} {1 1 1 0 {bad file descriptor} 1}

fdtest send-recv {send and recv a pipe's write end} {
    lassign [fdpass::socketpair] a b
    lassign [chan pipe] r w
    set sent [fdpass::send $a $w]
    set fd [fdpass::recv $b]
    set copy [fdpass::channel $fd w]
    puts -nonewline $copy "through the copy"
    close $copy
    close $w
    set data [read $r]
    close $r
    fdpass::close $a
    fdpass::close $b
    list $sent [string is integer -strict $fd] $data
} {{} 1 {through the copy}}

fdtest channels-as-sockets {sockets as channels, integers as descriptors} {
    lassign [fdpass::socketpair] a b
    set sa [fdpass::channel $a]
    set sb [fdpass::channel $b]
    lassign [chan pipe] r w
    fdpass::send $sa [fdpass::fileno $w]
    set copy [fdpass::channel [fdpass::recv $sb]]
    puts -nonewline $copy x
    close $copy
    close $w
    set data [read $r]
    close $r
    close $sa
    close $sb
    list $data [expr {[fdpass::fileno 7] == 7}]
} {x 1}

fdtest send_fds-recv_fds {send_fds and recv_fds} {
    lassign [fdpass::socketpair] a b
    lassign [chan pipe] r1 w1
    lassign [chan pipe] r2 w2
    set data "batch\0data"
    set sent [fdpass::send_fds $a $data [list $w1 [fdpass::fileno $w2]]]
    lassign [fdpass::recv_fds $b] got fds truncated
    set i 0
    set cloexec {}
    foreach fd $fds {
        lappend cloexec [is_cloexec $fd]
        set copy [fdpass::channel $fd w]
        puts -nonewline $copy "pipe [incr i]"
        close $copy
    }
    close $w1
    close $w2
    set results [list $sent [expr {$got eq $data}] [llength $fds] $truncated \
        [read $r1] [read $r2] $cloexec]
    close $r1
    close $r2
    fdpass::send_fds $a x [list $a]
    set fd [lindex [fdpass::recv_fds $b 1 1 $fdpass::NOCLOEXEC] 1 0]
    lappend results [is_cloexec $fd]
    fdpass::close $fd
    fdpass::send_fds $a "no descriptors"
    lappend results [fdpass::recv_fds $b 2 0]
    lappend results [lindex [fdpass::recv_fds $b 100 1 $fdpass::NONBLOCK] 0]
    lappend results [errorcode {fdpass::recv_fds $b 100 1 $fdpass::NONBLOCK}]
    fdpass::close $a
    fdpass::close $b
    return $results
} {10 1 2 0 {pipe 1} {pipe 2} {1 1} 0 {no {} 0} { descriptors} {FDPASS EAGAIN {operation would block}}}

fdtest truncation {recv_fds reports truncation and closes the surplus} {
    lassign [fdpass::socketpair] a b
    lassign [chan pipe] r w
    fdpass::send_fds $a three [list $w $w $w]
    set before [count_fds]
    lassign [fdpass::recv_fds $b 16 1] data fds truncated
    set opened [expr {[count_fds] - $before}]
    fdpass::close [lindex $fds 0]
    close $r
    close $w
    fdpass::close $a
    fdpass::close $b
    list $data [llength $fds] $truncated $opened
} {three 1 1 1}

fdtest errors {failures are Tcl errors with -errorcode {FDPASS NAME message}} {
    lassign [fdpass::socketpair] a b
    set many [lrepeat [expr {$fdpass::MAX_FDS + 1}] $a]
    set plain [open [file join $::dir plain.txt] w]
    set codes [list \
        [errorcode {fdpass::send $a 9999}] \
        [lindex [errorcode {fdpass::close -1}] 1] \
        [lindex [errorcode {fdpass::recv -1}] 1] \
        [lindex [errorcode {fdpass::send_fds $a "" [list $a]}] 1] \
        [lindex [errorcode {fdpass::recv_fds $b 0}] 1] \
        [lindex [errorcode {fdpass::send_fds $a x {} 64}] 1] \
        [lindex [errorcode {fdpass::send_fds $a x $many}] 1] \
        [lindex [errorcode {fdpass::wait $b $fdpass::READABLE 0}] 1] \
        [lindex [errorcode {fdpass::send $plain $a}] 1] \
        [message {fdpass::send $a 9999}]]
    close $plain
    fdpass::close $b
    lappend codes [lindex [errorcode {fdpass::send $a $a}] 1]
    fdpass::close $a
    return $codes
} {{FDPASS EBADF {bad file descriptor}} EBADF EBADF EINVAL EINVAL EINVAL EINVAL ETIMEDOUT ENOTSOCK {bad file descriptor} ECLOSED}

fdtest wrong-types {wrong arguments are Tcl errors} {
    lassign [fdpass::socketpair] a b
    lassign [chan pipe] r w
    close $w
    set messages [list \
        [message {fdpass::send $a nosuch}] \
        [expr {[message {fdpass::send $a $w}] eq
               "expected a descriptor or a channel but got \"$w\""}] \
        [message {fdpass::send_fds $a x [list $a nosuch]}] \
        [message {fdpass::send_fds $a x "\{"}] \
        [message {fdpass::recv_fds $b -1}] \
        [message {fdpass::recv_fds $b 10 x}] \
        [message {fdpass::wait $a readable 0}] \
        [message {fdpass::recv}] \
        [message {fdpass::channel $a x}] \
        [message {fdpass::channel}]]
    close $r
    fdpass::close $a
    fdpass::close $b
    return $messages
} [list {expected a descriptor or a channel but got "nosuch"} \
    1 \
    {expected a descriptor or a channel but got "nosuch"} \
    {unmatched open brace in list} \
    {capacity must be between 0 and 2147483647, got -1} \
    {expected integer but got "x"} \
    {expected integer but got "readable"} \
    {wrong # args: should be "fdpass::recv sock ?flags?"} \
    {bad mode "x": must be r, w or r+} \
    {wrong # args: should be "fdpass::channel fd ?mode?"}]

fdtest wait {wait} {
    lassign [fdpass::socketpair] a b
    set results [list [fdpass::wait $a $fdpass::WRITABLE 0] \
        [lindex [errorcode {fdpass::wait $b $fdpass::READABLE 10}] 1]]
    fdpass::send $a $a
    lappend results [fdpass::wait $b [expr {$fdpass::READABLE | $fdpass::WRITABLE}] -1]
    fdpass::close [fdpass::recv $b]
    lappend results [lindex [errorcode {fdpass::wait $b 0 0}] 1]
    fdpass::close $a
    fdpass::close $b
    return $results
} {{} ETIMEDOUT {} EINVAL}

fdtest local-sockets {listen, connect, accept, peer_credentials} {
    set path [file join $::dir local.sock]
    set listener [fdpass::listen $path]
    set results [list [lindex [errorcode {fdpass::listen $path}] 1]]
    set client [fdpass::connect $path]
    set server [fdpass::accept $listener]
    lassign [fdpass::peer_credentials $server] pid uid gid
    lappend results [expr {$pid == [pid]}] [string is integer -strict $uid] \
        [string is integer -strict $gid] \
        [lindex [errorcode {fdpass::accept $client}] 1]
    fdpass::close $listener
    fdpass::close $client
    fdpass::close $server
    file delete $path
    lappend results [lindex [errorcode {fdpass::connect $path}] 1] \
        [lindex [errorcode {fdpass::listen [file join $::dir no dir.sock]}] 1]
} {EADDRINUSE 1 1 1 EINVAL ENOENT ENOENT}

fdtest listen-mode {fdpass::listen_mode} {
    set path [file join $::dir mode.sock]
    set listener [fdpass::listen_mode $path 0660]
    set results [list [format %o [expr {[file attributes $path -permissions] & 0777}]]]
    fdpass::close $listener
    file delete $path
    lappend results [lindex [errorcode {fdpass::listen_mode $path 01777}] 1]
} {660 EINVAL}

fdtest channel-fileno {fdpass::channel and fdpass::fileno} {
    lassign [fdpass::socketpair] a b
    set path [file join $::dir write-only.txt]
    set writer [open $path w]
    fdpass::send $a $writer
    set fd [fdpass::recv $b]
    set results [list [lindex [errorcode {fdpass::channel $fd r}] 1]]
    set copy [fdpass::channel $fd]
    lappend results [fconfigure $copy -blocking] \
        [expr {[fdpass::fileno $copy] == $fd}] \
        [string match {*-peername*} [fconfigure $copy]]
    puts -nonewline $copy appended
    close $copy
    close $writer
    lappend results [read_file $path] \
        [errorcode {fdpass::channel 9999}] \
        [errorcode {fdpass::channel $a w+}]
    fdpass::close $a
    fdpass::close $b
    return $results
} {EINVAL 1 1 0 appended {FDPASS EBADF {bad file descriptor}} {TCL VALUE MODE}}

fdtest channel-owned {channel on a descriptor a channel owns: an error, no abort} {
    lassign [fdpass::socketpair] a b
    set sa [fdpass::channel $a]
    set results [list [errorcode {fdpass::channel $a}] [message {fdpass::channel $a}]]
    # The way users got there: the descriptor closed under its channel,
    # then a received descriptor gets its number.
    fdpass::close $b
    lassign [fdpass::socketpair] c d
    fdpass::close [fdpass::fileno $sa]
    fdpass::send $c $c
    set fd [fdpass::recv $d]
    lappend results [expr {$fd == $a}] [lindex [errorcode {fdpass::channel $fd}] 1]
    fdpass::close $fd
    catch {close $sa} ;# its descriptor is gone already
    fdpass::close $c
    fdpass::close $d
    return $results
} [list {FDPASS EINVAL {invalid argument}} "descriptor $a belongs to channel \"file$a\" already" 1 EINVAL]

fdtest several-descriptors {channels with two descriptors are refused} {
    set pipeline [open |[list [info nameofexecutable]] r+]
    set server [socket -server nothing -myaddr 127.0.0.1 0]
    lassign [fdpass::socketpair] a b
    set results [list [errorcode {fdpass::send $a $pipeline}] \
        [string match "channel \"$pipeline\" has two descriptors, one to read and one to write: it cannot be passed as one" [message {fdpass::fileno $pipeline}]] \
        [lindex [errorcode {fdpass::send_fds $a x [list $pipeline]}] 2]]
    # One address, one descriptor: passed whole.
    fdpass::send $a $server
    set copy [fdpass::recv $b]
    lappend results [string is integer -strict $copy]
    fdpass::close $copy
    # The default server socket listens on every address family this
    # machine has: refused when that is more than one.
    set dual [socket -server nothing 0]
    set families [expr {[llength [fconfigure $dual -sockname]] / 3}]
    lappend results [expr {$families == 1 || [lindex [errorcode {fdpass::send $a $dual}] 2] eq "CHANNEL"}]
    close $dual
    close $server
    close $pipeline
    fdpass::close $a
    fdpass::close $b
    return $results
} {{TCL VALUE CHANNEL} 1 CHANNEL 1 1}

fdtest nonblocking {non-blocking channels, recv flags, NONBLOCK} {
    lassign [fdpass::socketpair] a b
    set sb [fdpass::channel $b]
    fconfigure $sb -blocking 0
    set results [list [errorcode {fdpass::recv $sb}] \
        [lindex [errorcode {fdpass::recv_fds $sb}] 1] \
        [lindex [errorcode {fdpass::recv $b $fdpass::NONBLOCK}] 1]]
    fdpass::send $a $a $fdpass::NONBLOCK
    set fd [fdpass::recv $sb $fdpass::NOCLOEXEC]
    lappend results [is_cloexec $fd]
    fdpass::close $fd
    # Options beside the integers: -nonblocking ?BOOLEAN?, -cloexec BOOLEAN.
    lappend results [lindex [errorcode {fdpass::recv $b -nonblocking}] 1]
    fdpass::send $a $a {-nonblocking 1}
    set fd [fdpass::recv $b {-nonblocking -cloexec 0}]
    lappend results [is_cloexec $fd]
    fdpass::close $fd
    fdpass::send_fds $a x [list $a] -nonblocking
    set fd [lindex [fdpass::recv_fds $b 1 1 {-cloexec 1}] 1 0]
    lappend results [is_cloexec $fd] \
        [errorcode {fdpass::recv $b -bogus}] [errorcode {fdpass::recv $b -cloexec}]
    fdpass::close $fd
    close $sb
    fdpass::close $a
    return $results
} {{FDPASS EAGAIN {operation would block}} EAGAIN EAGAIN 0 EAGAIN 0 1 {TCL LOOKUP INDEX option -bogus} {TCL VALUE FLAGS}}

fdtest wait-event-loop {fdpass::wait serves the event loop} {
    lassign [fdpass::socketpair] a b
    set ::ticks 0
    proc tick {} {incr ::ticks; set ::tick [after 1 tick]}
    tick
    # A timer fires during the wait and sends what the wait waits for.
    after 20 [list fdpass::send $a $a]
    set waited [fdpass::wait $b $fdpass::READABLE -1]
    after cancel $::tick
    set ticked [expr {$::ticks > 1}]
    fdpass::close [fdpass::recv $b]
    # A timeout is one too; the loop ran meanwhile.
    set ::ticks 0
    tick
    set timeout [lindex [errorcode {fdpass::wait $b $fdpass::READABLE 50}] 1]
    after cancel $::tick
    # A channel's fileevent survives a wait on that channel.
    set sb [fdpass::channel $b]
    set ::events 0
    fileevent $sb readable {incr ::events; fdpass::close [fdpass::recv $::sb]}
    set ::sb $sb
    after 10 [list fdpass::send $a $a]
    fdpass::wait $sb $fdpass::READABLE -1
    update ;# in case the fileevent comes after the wait's handler
    close $sb
    fdpass::close $a
    list $waited $ticked $timeout [expr {$::ticks > 1}] $::events
} {{} 1 ETIMEDOUT 1 1}

fdtest arguments {wrong arguments: Tcl's error codes} {
    lassign [fdpass::socketpair] a b
    set results [list \
        [errorcode {fdpass::send $a}] \
        [message {fdpass::send $a}] \
        [message {fdpass::send_fds}] \
        [errorcode {fdpass::send $a 2147483648}] \
        [errorcode {fdpass::send $a 4294967295}] \
        [errorcode {fdpass::wait $a x 0}] \
        [errorcode {fdpass::recv_fds $b -1}] \
        [errorcode {fdpass::close stdout}] \
        [errorcode {fdpass::wait $a 1 0 extra}]]
    fdpass::close $a
    fdpass::close $b
    return $results
} {{TCL WRONGARGS} {wrong # args: should be "fdpass::send sock fd ?flags?"} {wrong # args: should be "fdpass::send_fds sock data ?fds? ?flags?"} {TCL VALUE NUMBER} {TCL VALUE NUMBER} {TCL VALUE NUMBER} {TCL VALUE NUMBER} {TCL VALUE NUMBER} {TCL WRONGARGS}}

fdtest bytes {send_fds takes bytes, refuses characters above U+00FF} {
    lassign [fdpass::socketpair] a b
    set results [list [errorcode {fdpass::send_fds $a "\u20ac"}]]
    fdpass::send_fds $a [encoding convertto utf-8 "\u20ac"]
    lappend results [encoding convertfrom utf-8 [lindex [fdpass::recv_fds $b] 0]]
    fdpass::send_fds $a "\xe9t\xe9"
    lappend results [expr {[lindex [fdpass::recv_fds $b] 0] eq "\xe9t\xe9"}]
    fdpass::close $a
    fdpass::close $b
    return $results
} [list {TCL VALUE BYTES} "\u20ac" 1]

fdtest ensemble {the fdpass ensemble, exports, read-only constants} {
    lassign [fdpass socketpair] a b
    fdpass send $a $a
    fdpass close [fdpass recv $b]
    fdpass close $a
    fdpass close $b
    namespace eval ::importer { namespace import ::fdpass::version_string }
    list [expr {"send" in [namespace eval ::fdpass {namespace export}] ||
                "\[a-z\]*" in [namespace eval ::fdpass {namespace export}]}] \
        [expr {[::importer::version_string] eq [fdpass version_string]}] \
        [message {set fdpass::EBADF 7}] $fdpass::EBADF \
        [unset fdpass::EBADF] $fdpass::EBADF [message {set fdpass::EBADF 7}] \
        [namespace eval ::fdpass {unset EAGAIN; set EAGAIN}]
} {1 1 {can't set "fdpass::EBADF": fdpass constants are read-only} -2 {} -2 {can't set "fdpass::EBADF": fdpass constants are read-only} -5}

fdtest round-trip {round trip with another process} {
    set path [file join $::dir round-trip.sock]
    set listener [fdpass::listen $path]
    set peer [open |[list [info nameofexecutable] [info script] peer $path] r]
    set sock [fdpass::accept $listener]
    set shared [file join $::dir shared.txt]
    set file [open $shared w]
    fdpass::send $sock $file
    close $file
    lassign [fdpass::recv_fds $sock] data fds
    set pipe [fdpass::channel [lindex $fds 0] r]
    set results [list $data [read $pipe]]
    close $pipe
    lappend results [lindex [errorcode {fdpass::recv $sock}] 1]
    close $peer ;# an error if the peer failed
    lappend results [read_file $shared]
    fdpass::close $sock
    fdpass::close $listener
    return $results
} {{from the peer} {through the peer's pipe
} ECLOSED {written by the peer
}}

# --- The descriptor store, against `fdpass hold` ($env(FDPASS)) ----------

# Start a holder on `path`; its pid, once it answers.
proc start_holder {path} {
    set pid [exec $::env(FDPASS) hold $path &]
    for {set tries 0} {[catch {fdpass::list $path 1000}]} {incr tries} {
        if {$tries == 500} { error "the holder did not start" }
        after 10
    }
    return $pid
}

# The holder's descriptors that are not sockets: what it stores (its
# clients' connections come and go as it notices them close).
proc holder_fds {pid} {
    set count 0
    foreach fd [glob -nocomplain -directory /proc/$pid/fd *] {
        if {![catch {file readlink $fd} target] &&
            ![string match socket:* $target]} {
            incr count
        }
    }
    return $count
}

if {![info exists env(FDPASS)]} {
    skip store "the store's tests need FDPASS, the fdpass command"
    set incomplete 1
} else {
set holder [file join $dir holder.sock]
set holder_pid [start_holder $holder]
set holder_empty [holder_fds $holder_pid]

fdtest store-fetch {store, list, fetch and remove; the bytes come back} {
    set file [open [file join $::dir stored.txt] w+]
    puts -nonewline $file "stored bytes"
    flush $file
    lassign [chan pipe] r w
    set results [list [fdpass::store $::holder file [list $file]]]
    fdpass::store $::holder pipe [list $w [fdpass::fileno $w]] 5000
    lappend results [fdpass::list $::holder] \
        [expr {[holder_fds $::holder_pid] - $::holder_empty}]
    set got [fdpass::fetch $::holder]
    lappend results [dict keys $got]
    set copy [fdpass::channel [dict get $got file] r+]
    seek $copy 0
    lappend results [read $copy]
    close $copy
    foreach fd [dict get $got pipe] {
        set out [fdpass::channel $fd w]
        puts -nonewline $out $fd.
        close $out
    }
    set again [fdpass::fetch $::holder pipe 5000]
    foreach fd [dict get $again pipe] { fdpass::close $fd }
    lappend results [dict keys $again] [llength [dict get $again pipe]] \
        [fdpass::remove $::holder pipe] \
        [fdpass::remove $::holder file 5000] [fdpass::list $::holder 5000] \
        [expr {[holder_fds $::holder_pid] - $::holder_empty}]
    close $w ;# the last write end: the holder closed its copies
    lappend results [string match {[0-9]*.[0-9]*.} [read $r]]
    close $r
    close $file
    return $results
} [list {} {file pipe pipe} 3 {file pipe} {stored bytes} pipe 2 \
       {} {} {} 0 1]

fdtest store-many {fetch makes room for as many as the holder keeps} {
    set file [open [file join $::dir stored.txt]]
    for {set i 0} {$i < 40} {incr i} {
        fdpass::store $::holder n$i [list $file $file]
    }
    close $file
    set got [fdpass::fetch $::holder]
    dict for {name fds} $got { foreach fd $fds { fdpass::close $fd } }
    set names [fdpass::list $::holder]
    for {set i 0} {$i < 40} {incr i} { fdpass::remove $::holder n$i }
    list [llength $got] [lindex $got 0] [lindex $got end-1] \
        [llength [dict get $got n39]] [llength $names] \
        [expr {[holder_fds $::holder_pid] - $::holder_empty}]
} {80 n0 n39 2 80 0}

fdtest store-dict {fetch gives each name once with all its descriptors,
        so that dict get loses none; a path with a NUL is refused} {
    lassign [chan pipe] r w
    fdpass::store $::holder pipe [list $r $w]
    set fds [dict get [fdpass::fetch $::holder pipe] pipe]
    foreach fd $fds { fdpass::close $fd }
    fdpass::remove $::holder pipe
    close $r
    close $w
    list [llength $fds] \
        [errorcode {fdpass::listen [file join $::dir "a\0b"]}] \
        [lrange [errorcode {fdpass::store [file join $::dir "a\0b"] x [list stdin]}] 0 2] \
        [glob -nocomplain -tails -directory $::dir a*]
} {2 {TCL VALUE PATH} {TCL VALUE PATH} {}}

fdtest store-socket {a connected socket or channel as the holder} {
    set sock [fdpass::connect $::holder]
    set channel [fdpass::channel [fdpass::connect $::holder]]
    fdpass::store $sock one [list stdin]
    set results [list [fdpass::list $channel]]
    lassign [fdpass::fetch $channel one] name fd
    fdpass::close $fd
    fdpass::remove $sock one
    lappend results $name [fdpass::list $sock] \
        [fdpass::fetch $sock ""]
    fdpass::close $sock
    close $channel
    return $results
} {one one {} {}}

fdtest store-errors {bad and missing names, wrong arguments} {
    list [lrange [errorcode {fdpass::store $::holder a:b [list stdin]}] 0 1] \
        [lrange [errorcode {fdpass::store $::holder a {}}] 0 1] \
        [lrange [errorcode {fdpass::fetch $::holder nosuch}] 0 1] \
        [lrange [errorcode {fdpass::remove $::holder nosuch}] 0 1] \
        [lrange [errorcode {fdpass::store $::holder a [list -1]}] 0 1] \
        [message {fdpass::store $::holder a}] \
        [message {fdpass::fetch $::holder a 1 2}] \
        [lrange [errorcode {fdpass::list $::holder soon}] 0 1] \
        [fdpass::list $::holder]
} [list {FDPASS EINVAL} {FDPASS EINVAL} {FDPASS ENONAME} {FDPASS ENONAME} \
       {FDPASS EBADF} \
       {wrong # args: should be "fdpass::store ?-new? ?-lifetime ms? ?--? holder name fds ?timeout_ms?"} \
       {wrong # args: should be "fdpass::fetch holder ?name? ?timeout_ms?"} \
       {TCL VALUE} {}]

fdtest store-options {-new keeps what is stored; -lifetime ends it} {
    set file [open [file join $::dir stored.txt]]
    lassign [chan pipe] r w
    set results [list [fdpass::store -new $::holder kept [list $file]]]
    lappend results [lrange [errorcode {
        fdpass::store -new -- $::holder kept [list $w] 5000}] 0 1]
    set fetched [fdpass::fetch $::holder kept]
    set copy [fdpass::channel [lindex [dict get $fetched kept] 0] r]
    lappend results [read $copy] ;# the first store's file, still there
    close $copy
    fdpass::remove $::holder kept
    lappend results \
        [lrange [errorcode {fdpass::store -lifetime -1 $::holder x [list $w]}] 0 1] \
        [lrange [errorcode {fdpass::store -lifetime soon $::holder x [list $w]}] 0 1] \
        [lrange [errorcode {fdpass::store -lifetime}] 0 2] \
        [message {fdpass::store -old $::holder x [list $w]}]
    fdpass::store -lifetime 200 $::holder brief [list $w] 5000
    lappend results [fdpass::list $::holder]
    set deadline [expr {[clock milliseconds] + 5000}]
    while {[llength [fdpass::list $::holder]] > 0 &&
           [clock milliseconds] < $deadline} {
        after 10
    }
    lappend results [fdpass::list $::holder] \
        [expr {[holder_fds $::holder_pid] - $::holder_empty}]
    close $file
    close $r
    close $w
    return $results
} [list {} {FDPASS EADDRINUSE} {stored bytes} {FDPASS EINVAL} {TCL VALUE} \
       {TCL VALUE OPTION} \
       {bad option "-old": must be --, -lifetime, or -new} brief {} 0]

# A client the holder refuses (another uid, no right) gets EACCES as any
# failure: -errorcode {FDPASS EACCES ...}. Root runs that client as
# nobody.
# (tclsh reading stdin exits 0 after an error: the probe prints the
# version, which it cannot without the module.)
tcltest::testConstraint canDropPrivileges [expr {
    [exec id -u] == 0 && [auto_execok setpriv] ne "" &&
    ![catch {exec setpriv --reuid=65534 --regid=65534 --clear-groups \
        [info nameofexecutable] << {puts [package require fdpass]} \
        2>/dev/null} loaded] && $loaded ne ""}]
test store-refused {a refused client: {FDPASS EACCES ...}} \
        -constraints canDropPrivileges -body {
    set name @fdpass-tcl-refused-[pid]
    set pid [start_holder $name]
    set script [string map [list NAME $name] {
        package require fdpass
        catch {fdpass::store -new NAME x [list stdin] 5000} message options
        puts [lrange [dict get $options -errorcode] 0 1]
    }]
    set got [exec setpriv --reuid=65534 --regid=65534 --clear-groups \
        [info nameofexecutable] << $script 2>@ stderr]
    exec kill -TERM $pid
    return $got
} -result {FDPASS EACCES}
if {![tcltest::testConstraint canDropPrivileges]} {
    skip store-refused "needs root, setpriv and a module uid 65534 can\
        load (not in a private directory)"
}

# (A request that timed out waits in the peer's socket: another request
# there would read it as a reply, EPROTO. Hence a pair each.)
fdtest store-stalled {a holder that never answers: ETIMEDOUT} {
    set results {}
    foreach call {{fdpass::list $a 20} {fdpass::fetch $a "" 20}} {
        lassign [fdpass::socketpair] a b
        lappend results [lindex [errorcode $call] 1]
        fdpass::close $a
        fdpass::close $b
    }
    return $results
} {ETIMEDOUT ETIMEDOUT}

fdtest store-gone {a holder that is gone: its socket and its path} {
    set path [file join $::dir gone.sock]
    set pid [start_holder $path]
    set sock [fdpass::connect $path]
    exec kill -KILL $pid
    fdpass::wait $sock $fdpass::READABLE -1 ;# its end closes as it dies
    # Until it is gone, or a zombie whose threads have all ended (a zombie
    # leader's closer thread may still hold every descriptor): its
    # listener is closed then. 10 s at most, waiting, not spinning.
    for {set i 0} {$i < 1000} {incr i} {
        if {[catch {read_file /proc/$pid/status} status] ||
            [regexp {State:\s*Z.*Threads:\s*1\n} $status]} {
            break
        }
        after 10
    }
    set results [list [lindex [errorcode {fdpass::list $sock}] 1] \
        [lindex [errorcode {fdpass::list $path}] 1] \
        [lindex [errorcode {fdpass::list [file join $::dir none.sock]}] 1]]
    fdpass::close $sock
    return $results
} {ECLOSED ECONNREFUSED ENOENT}

fdtest channel-owned-socket {channel on a descriptor a socket channel owns
        (named sock...): FDPASS EINVAL, found by descriptor} {
    set server [socket -server none -myaddr 127.0.0.1 0]
    set client [socket 127.0.0.1 [lindex [chan configure $server -sockname] 2]]
    set results {}
    foreach channel [list $server $client stdout] {
        lappend results [lrange [errorcode {fdpass::channel [fdpass::fileno $channel]}] 0 1]
    }
    close $client
    close $server
    return $results
} {{FDPASS EINVAL} {FDPASS EINVAL} {FDPASS EINVAL}}

# The inner wait starts while the outer one serves the event loop; the
# byte comes while the inner one does.
fdtest wait-nested {a nested fdpass::wait on the same descriptor: both
        see it ready} {
    lassign [fdpass::socketpair] ::wa ::wb
    set ::inner none
    after 20 {set ::inner [catch {fdpass::wait $::wb $fdpass::READABLE 5000}]}
    after 40 {fdpass::send $::wa $::wa}
    set outer [catch {fdpass::wait $::wb $fdpass::READABLE 3000}]
    fdpass::close [fdpass::recv $::wb]
    fdpass::close $::wa
    fdpass::close $::wb
    list $::inner $outer
} {0 0}

fdtest buffered-channels {a channel's buffered output goes before the
        descriptor; buffered input refuses a receive} {
    lassign [fdpass::socketpair] a b
    set sa [fdpass::channel $a]
    set sb [fdpass::channel $b]
    chan configure $sa -buffering full -translation binary
    chan configure $sb -blocking 0 -translation binary
    puts -nonewline $sa header
    fdpass::send $sa stdin
    lassign [fdpass::recv_fds $b] data fds ;# the kernel reads up to them
    foreach fd $fds { fdpass::close $fd }
    set results [list [expr {$data eq "header\0"}] [llength $fds]]
    # gets reads past its line, into the byte that carries a descriptor.
    fdpass::send_fds $a "line\n"
    fdpass::send $a stdin
    after 10 ;# both in the kernel before gets reads
    lappend results [gets $sb] [lrange [errorcode {fdpass::recv $sb}] 0 1] \
        [lrange [errorcode {fdpass::recv_fds $sb}] 0 1]
    close $sa
    close $sb
    return $results
} {1 1 line {FDPASS EINVAL} {FDPASS EINVAL}}

proc accepted {channel address port} {
    set ::accepted [list $channel $address $port]
}

fdtest server {fdpass::server serves a listening socket from a holder} {
    set listener [socket -server none -myaddr 127.0.0.1 0]
    set port [lindex [chan configure $listener -sockname] 2]
    fdpass::store $::holder web [list $listener]
    close $listener
    lassign [fdpass::fetch $::holder web] name fd
    fdpass::remove $::holder web
    set server [fdpass::server $fd accepted]
    set client [socket 127.0.0.1 $port]
    vwait ::accepted
    lassign $::accepted channel address peer_port
    puts $client "through the fetched listener"
    flush $client
    set results [list [gets $channel] $address \
        [expr {$peer_port == [lindex [chan configure $client -sockname] 2]}] \
        [string match sock* $server]]
    close $channel
    close $client
    close $server ;# stops serving; its descriptor closes
    lappend results [lindex [errorcode {socket 127.0.0.1 $port}] 0] \
        [lrange [errorcode {fdpass::server $fd accepted}] 0 1]
    lassign [chan pipe] r w
    lappend results \
        [lrange [errorcode {fdpass::server [fdpass::fileno $r] x}] 0 1] \
        [message {fdpass::server 1}]
    close $r
    close $w
    return $results
} [list {through the fetched listener} 127.0.0.1 1 1 POSIX {FDPASS EBADF} \
       {FDPASS EINVAL} {wrong # args: should be "fdpass::server fd command"}]

fdtest server-local {fdpass::server on a local socket: no address, port 0} {
    set path [file join $::dir server.sock]
    set server [fdpass::server [fdpass::listen $path] accepted]
    set client [fdpass::channel [fdpass::connect $path]]
    vwait ::accepted
    lassign $::accepted channel address port
    puts -nonewline $channel "served"
    close $channel
    set results [list [read $client] $address $port]
    close $client
    close $server
    return $results
} {served {} 0}

fdtest server-owned {fdpass::server on a descriptor a channel owns:
        FDPASS EINVAL, no abort} {
    set fd [fdpass::listen [file join $::dir owned.sock]]
    set server [fdpass::server $fd accepted]
    set results [list [lrange [errorcode {fdpass::server $fd accepted}] 0 1]]
    close $server
    set fd [fdpass::listen [file join $::dir owned2.sock]]
    set channel [fdpass::channel $fd]
    lappend results [lrange [errorcode {fdpass::server $fd accepted}] 0 1]
    close $channel
    file delete [file join $::dir owned.sock] [file join $::dir owned2.sock]
    return $results
} {{FDPASS EINVAL} {FDPASS EINVAL}}

proc failing {channel address port} {
    set ::failed_channel $channel
    error "the command fails"
}

fdtest server-error {a failing command: a background error, its channel
        closed, the server still serving} {
    set path [file join $::dir failing.sock]
    set server [fdpass::server [fdpass::listen $path] failing]
    set handler [interp bgerror {}]
    interp bgerror {} [list apply {{message options} {
        lappend ::bgerrors $message
    }}]
    set ::bgerrors {}
    set first [fdpass::connect $path]
    set second [fdpass::connect $path]
    while {[llength $::bgerrors] < 2} { vwait ::bgerrors }
    interp bgerror {} $handler
    set results [list $::bgerrors \
        [expr {$::failed_channel in [chan names]}] \
        [lindex [errorcode {fdpass::recv $first}] 1]]
    fdpass::close $first
    fdpass::close $second
    close $server
    return $results
} {{{the command fails} {the command fails}} 0 ECLOSED}

exec kill -TERM $holder_pid
}

set failed $tcltest::numTests(Failed)
tcltest::cleanupTests
exit [expr {$failed > 0 ? 1 : $incomplete ? 77 : 0}]
