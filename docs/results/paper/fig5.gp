# Figure 5 analogue: median latency per technique at the fixed-accuracy rates (fig5.dat)
set terminal pngcairo size 1200,560 font ",10"
set output 'fig5.png'
set multiplot layout 1,2 title "Latency at a fixed accuracy (batch 1, median; values marked † in report.md were taken while other processes held a core)"
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set logscale y; set ylabel 'ms per image'; set grid ytics; set key outside bottom center horizontal font ',8'
set title 'threads = 1'
plot 'fig5.dat' using 2:xtic(1) title 'plain', '' using 3 title 'pruning, CSR', '' using 4 title 'channel pruning', '' using 5 title 'ternary'
set title 'threads = 2'
plot 'fig5.dat' using 6:xtic(1) title 'plain', '' using 7 title 'pruning, CSR', '' using 8 title 'channel pruning', '' using 9 title 'ternary'
unset multiplot
