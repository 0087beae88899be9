#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/plot.sh RESULTS.tsv OUTPUT.svg: draw fdpass_bench's -t output
# (gnuplot, Debian's gnuplot-nox): above, each variant's cost relative to
# the bare sendmsg/recvmsg loop with as many descriptors per message; below,
# descriptors passed per second.
set -eu
tsv=$1 svg=$2
command -v gnuplot > /dev/null || {
  echo "bench/plot.sh: gnuplot is missing: apt-get install gnuplot-nox" >&2
  exit 1
}
gnuplot <<GNUPLOT
set terminal svg size 900,820 dynamic font "sans,12" background "white"
set output "$svg"
set termoption noenhanced
set datafile separator "\t"
set style fill solid 0.8 border -1
set boxwidth 0.7
set grid ytics
set key off
set multiplot layout 2,1
set yrange [0:*]
set autoscale xfix
set offsets 0.6, 0.6, 0, 0
set xtics format ""
set title "Cost per passed descriptor relative to the bare sendmsg/recvmsg loop (lower is better)"
set ylabel "ratio to the bare loop"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 lc rgb "#555555"
plot "< tail -n +2 $tsv" using 0:4 with boxes lc rgb "#3b6ea5", \
     "" using 0:4:(sprintf("%.3f", \$4)) with labels offset 0,0.7
unset arrow 1
set title "Descriptors passed per second (higher is better)"
set ylabel "millions per second"
set xtics rotate by -35 left nomirror format "%g"
plot "< tail -n +2 $tsv" using 0:(1000/\$3):xtic(1) with boxes lc rgb "#5a9e4b", \
     "" using 0:(1000/\$3):(sprintf("%.2f", 1000/\$3)) with labels offset 0,0.7
unset multiplot
GNUPLOT
echo "bench/plot.sh: wrote $svg"
