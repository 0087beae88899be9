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

proc serve {holder generation} {
    set ::generation $generation
    set ::clients {}
    set stored [fdpass::fetch $holder]
    if {[dict exists $stored listener]} {
        # Generation 2: the holder keeps the listener (connections queue
        # there between generations); the connections are now ours alone,
        # so that closing one ends it.
        dict for {name fds} $stored {
            foreach fd $fds {
                if {$name eq "listener"} {
                    set ::server [fdpass::server $fd accept]
                } else {
                    watch [fdpass::channel $fd r+]
                }
            }
        }
        if {[dict exists $stored client]} {
            fdpass::remove $holder client
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

proc watch {channel} {
    chan configure $channel -blocking 0 -buffering line -translation lf
    chan event $channel readable [list echo $channel]
    lappend ::clients $channel
}

proc echo {channel} {
    while {[gets $channel line] >= 0} {
        puts $channel "$::generation: $line"
    }
    if {[eof $channel]} {
        set ::clients [lsearch -all -inline -not -exact $::clients $channel]
        close $channel
    }
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
    # A client waits for its echo before its next line, so no line sits
    # in a channel's buffer here: what follows stays in the kernel's.
    if {[llength $::clients] > 0} {
        fdpass::store $holder client $::clients
    }
    fdpass::store $holder listener [list $::server]
    puts "stored [llength $::clients]"
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

proc talk {channel line} {
    puts $channel $line
    flush $channel
    if {[gets $channel answer] < 0} {
        error "the server hung up on \"$line\""
    }
    if {![regexp {^(\d): (.*)$} $answer -> generation echoed] ||
        $echoed ne $line} {
        error "sent \"$line\", got back \"$answer\""
    }
    return $generation
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

    puts $gen1 restart
    gets $gen1 stored
    close $gen1
    puts "4. generation 1 stored its listening socket and\
        [lindex $stored 1] connection in the holder, and exited"

    # No server runs: a line waits in the kernel, a new connection queues.
    puts $client "line 6"
    flush $client
    set second [socket $host $port]
    chan configure $second -translation lf
    puts $second "hello"
    flush $second
    puts "5. no server runs: the client sent a line and opened a second\
        connection, which the kernel queued"

    lassign [start_generation $holder 2] gen2 gen2_pid address2 taken
    puts "6. generation 2 (pid $gen2_pid) fetched the listening socket and\
        $taken connection from the holder, and serves them"
    if {[gets $client answer] < 0 || $answer ne "2: line 6"} {
        error "the line sent between generations came back as \"$answer\""
    }
    dict incr by 2
    if {[gets $second answer] < 0 || $answer ne "2: hello"} {
        error "the queued connection got \"$answer\""
    }
    for {set i 7} {$i <= 10} {incr i} {
        dict incr by [talk $client "line $i"]
    }
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
