# SPDX-License-Identifier: MIT
# echo-restart.tcl - a Tcl line-echo server restarts while its clients
# stay connected: generation 1 stores its listening socket and every open
# connection in a holder (`fdpass hold`) and exits; generation 2 fetches
# them, keeps serving the same connections and accepts new ones. A client
# keeps one TCP connection open and talks through the restart: no
# disconnect, no lost line, no refused connection. Loopback only.
#
# Usage: tclsh8.6 echo-restart.tcl demo FDPASS DIR   (the whole demo: it
#            starts `FDPASS hold` on DIR/echo.sock, both generations and
#            the client; exit status 0 when all of that held)
#        tclsh8.6 echo-restart.tcl serve HOLDER GENERATION
#            (one generation; a line "restart" on its stdin stores its
#            sockets in the holder and exits)
# TCLLIBPATH must find the fdpass package.
package require fdpass

# --- a generation of the server ------------------------------------------

# Each connection's bytes read but not yet served (a partial line) are in
# ::pending($channel), never in the channel's buffer: a restart hands them
# to the next generation with the connection, as a file of their own.

proc serve {holder generation} {
    set ::generation $generation
    set ::clients {}
    set stored [fdpass::fetch $holder]
    if {[dict exists $stored listener]} {
        # Generation 2: the holder keeps the listener (connections queue
        # there between generations); the connections are now ours alone,
        # so that closing one ends it.
        dict for {name fds} $stored {
            if {$name eq "listener"} {
                set ::server [fdpass::server [lindex $fds 0] accept]
                continue
            }
            lassign $fds fd pending_fd
            set pending ""
            if {$pending_fd ne ""} {
                set file [fdpass::channel $pending_fd r]
                chan configure $file -translation binary
                seek $file 0
                set pending [read $file]
                close $file
            }
            watch [fdpass::channel $fd r+] $pending
            fdpass::remove $holder $name
        }
        set sockname fetched
    } else {
        set ::server [socket -server accept -myaddr 127.0.0.1 0]
        lassign [chan configure $::server -sockname] address - port
        set sockname $address:$port
        # In the holder from the start: it keeps the port open for good.
        fdpass::store $holder listener [list $::server]
    }
    puts "serving $sockname [llength $::clients]"
    flush stdout
    chan event stdin readable [list control $holder]
    vwait ::done
}

proc accept {channel address port} {
    watch $channel
}

# Serve `channel`, whose first bytes are `pending`.
proc watch {channel {pending ""}} {
    chan configure $channel -blocking 0 -translation binary
    set ::pending($channel) $pending
    chan event $channel readable [list echo $channel]
    lappend ::clients $channel
    echo_lines $channel
}

proc echo {channel} {
    append ::pending($channel) [read $channel]
    echo_lines $channel
    if {[eof $channel]} {
        set ::clients [lsearch -all -inline -not -exact $::clients $channel]
        unset ::pending($channel)
        close $channel
    }
}

# Echo every complete line of what `channel` sent; keep the rest.
proc echo_lines {channel} {
    set lines [split $::pending($channel) \n]
    set ::pending($channel) [lindex $lines end]
    foreach line [lrange $lines 0 end-1] {
        puts -nonewline $channel "$::generation: $line\n"
    }
    flush $channel
}

# "restart": hand everything to the holder and exit; "quit": exit.
proc control {holder} {
    if {[gets stdin command] < 0 || $command eq "quit"} {
        set ::done 1
        return
    }
    if {$command ne "restart"} {
        return
    }
    # Each connection under its own name, with a file of its pending bytes
    # (read from the kernel, not yet answered) when it has some; what is
    # still in the kernel stays there for the next generation. The echoes
    # written so far go out first.
    set i 0
    foreach channel $::clients {
        chan configure $channel -blocking 1
        flush $channel
        set fds [list $channel]
        if {$::pending($channel) ne ""} {
            set file [file tempfile path]
            file delete $path
            chan configure $file -translation binary
            puts -nonewline $file $::pending($channel)
            flush $file
            lappend fds $file
        }
        fdpass::store $holder client[incr i] $fds
        if {[llength $fds] > 1} {
            close [lindex $fds 1]
        }
    }
    fdpass::store $holder listener [list $::server]
    puts "stored $i"
    flush stdout
    set ::done 1
}

# --- the demo -----------------------------------------------------------

proc start_generation {holder generation} {
    set pipe [open |[list [info nameofexecutable] [info script] serve \
        $holder $generation] r+]
    chan configure $pipe -buffering line
    if {[gets $pipe line] < 0 || ![regexp {^serving (\S+) (\d+)$} $line \
            -> address clients]} {
        error "generation $generation did not start: $line"
    }
    return [list $pipe [pid $pipe] $address $clients]
}

# The next line from the server on `channel`, in at most 20 s.
proc answer {channel line} {
    chan configure $channel -blocking 0
    set deadline [expr {[clock milliseconds] + 20000}]
    while {[gets $channel answer] < 0} {
        if {[eof $channel]} {
            error "the server hung up on \"$line\""
        }
        if {[clock milliseconds] > $deadline} {
            error "no answer to \"$line\" in 20 s"
        }
        after 10
    }
    return $answer
}

# The echo of `line` on `channel`, by generation `generation` (by any
# when it is "?"): the generation that answered.
proc echoed {channel line {generation ?}} {
    set answer [answer $channel $line]
    if {![regexp {^(\d): (.*)$} $answer -> by echoed] || $echoed ne $line ||
        ($generation ne "?" && $by ne $generation)} {
        error "sent \"$line\", got back \"$answer\""
    }
    return $by
}

proc talk {channel line} {
    puts $channel $line
    flush $channel
    return [echoed $channel $line]
}

proc demo {fdpass dir} {
    set holder [file join $dir echo.sock]
    set holder_pid [exec $fdpass hold $holder &]
    set ::holder_pid $holder_pid
    # Until it listens (it may take a moment to start).
    for {set tries 0} {[catch {fdpass::list $holder 1000}]} {incr tries} {
        if {$tries == 500} { error "the holder did not start" }
        after 10
    }
    puts "1. fdpass hold (pid $holder_pid) keeps the server's sockets in\
        $holder"

    lassign [start_generation $holder 1] gen1 gen1_pid address
    puts "2. generation 1 (pid $gen1_pid) serves $address"
    lassign [split $address :] host port
    set client [socket $host $port]
    chan configure $client -translation lf
    set by {1 0 2 0}
    for {set i 1} {$i <= 5} {incr i} {
        dict incr by [talk $client "line $i"]
    }
    puts "3. the client keeps one connection open; 5 lines echoed"

    # 20 clients at once, each sending two lines and the start of a third
    # in one write: generation 1 answers the two, and has read the start.
    set crowd {}
    for {set c 1} {$c <= 20} {incr c} {
        set sock [socket $host $port]
        chan configure $sock -translation lf
        puts -nonewline $sock "c$c one\nc$c two\nc$c spl"
        flush $sock
        lappend crowd $sock
    }
    set c 0
    foreach sock $crowd {
        incr c
        echoed $sock "c$c one" 1
        echoed $sock "c$c two" 1
    }
    puts "3b. 20 more clients each sent two lines and half a third in one\
        write; generation 1 answered the two lines"

    puts $gen1 restart
    gets $gen1 stored
    close $gen1
    puts "4. generation 1 stored its listening socket and\
        [lindex $stored 1] connections in the holder, and exited"

    # No server runs: a line waits in the kernel, a new connection queues.
    puts $client "line 6"
    flush $client
    set second [socket $host $port]
    chan configure $second -translation lf
    puts $second "hello"
    flush $second
    set c 0
    foreach sock $crowd {
        incr c
        puts -nonewline $sock "it\nc$c three\n"
        flush $sock
    }
    puts "5. no server runs: the client sent a line and opened a second\
        connection, which the kernel queued; the 20 sent the rest of their\
        split line and a fourth"

    lassign [start_generation $holder 2] gen2 gen2_pid address2 taken
    puts "6. generation 2 (pid $gen2_pid) fetched the listening socket and\
        $taken connections from the holder, and serves them"
    dict incr by [echoed $client "line 6" 2]
    echoed $second hello 2
    for {set i 7} {$i <= 10} {incr i} {
        dict incr by [talk $client "line $i"]
    }
    set c 0
    foreach sock $crowd {
        incr c
        echoed $sock "c$c split" 2
        echoed $sock "c$c three" 2
        close $sock
    }
    puts "7b. each of the 20 got its split line back whole from generation\
        2, with the half that generation 1 had read"
    close $second
    close $client
    puts "7. client: 10 lines over one connection, [dict get $by 1] echoed by\
        generation 1 and [dict get $by 2] by generation 2; none lost, no\
        disconnect, the queued connection answered"
    puts $gen2 quit
    close $gen2
    exec kill -TERM $holder_pid
    puts "8. restarted with every connection kept; the holder stopped"
}

switch -- [lindex $argv 0] {
    serve { serve {*}[lrange $argv 1 end] }
    demo {
        # A generation stops when its stdin closes, with this process; the
        # holder is stopped here, also when the demo fails.
        if {[catch {demo {*}[lrange $argv 1 end]} message options]} {
            catch {exec kill -TERM $::holder_pid}
            return -options $options $message
        }
    }
    default {
        error "usage: [info script] demo FDPASS DIR | serve HOLDER GENERATION"
    }
}
