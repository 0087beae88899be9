# SPDX-License-Identifier: MIT
# fdpass.tcl N: pass /dev/null N times to ourselves with libfdpass's Tcl
# package (fdpass::send, recv, close); print ns per passed descriptor.
package require fdpass

proc loop {n a b file} {
    for {set i 0} {$i < $n} {incr i} {
        fdpass::send $a $file
        fdpass::close [fdpass::recv $b]
    }
}
set n [expr {[llength $argv] ? [lindex $argv 0] : 10000}]
lassign [fdpass::socketpair] a b
set file [open /dev/null]
set start [clock microseconds]
loop $n $a $b $file
puts [format %.1f [expr {([clock microseconds] - $start) * 1000.0 / $n}]]
