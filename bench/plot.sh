#!/bin/sh
# bench/plot.sh RESULTS.tsv OUTPUT.svg: draw fdpass_bench's -t output as a
# bar chart of each variant's cost relative to the bare sendmsg/recvmsg loop
# with as many descriptors per message (gnuplot, Debian's gnuplot-nox).
set -eu
tsv=$1 svg=$2
command -v gnuplot > /dev/null || {
  echo "bench/plot.sh: gnuplot is missing: apt-get install gnuplot-nox" >&2
  exit 1
}
gnuplot <<GNUPLOT
set terminal svg size 900,480 dynamic font "sans,12" background "white"
set output "$svg"
set datafile separator "\t"
set title "Cost per passed descriptor, relative to a bare sendmsg/recvmsg loop (lower is better)"
set style fill solid 0.8 border -1
set boxwidth 0.7
set yrange [0:*]
set ylabel "ratio to the bare loop"
set xtics rotate by -35 left nomirror
set grid ytics
set key off
set arrow from graph 0, first 1 to graph 1, first 1 nohead dashtype 2 lc rgb "#555555"
plot "$tsv" using 0:4:xtic(1) with boxes lc rgb "#3b6ea5", \
     "" using 0:4:(sprintf("%.2fx", \$4)) with labels offset 0,0.7
GNUPLOT
echo "bench/plot.sh: wrote $svg"
