# Figure 4 analogue: median latency vs threads per technique (fig4.dat: one block per model)
set terminal pngcairo size 1500,600 font ",10"
set output 'fig4.png'
set datafile separator whitespace
set multiplot layout 1,3 title "Latency vs threads (accuracy-elbow rates, batch 1, median; values marked † in report.md were taken while other processes held a core)"
set logscale y
set ylabel "ms per image"
set format x "T = %g"
set xtics 1
set xrange [0.9:*]
set key outside bottom center horizontal maxcols 2 font ",8"
set grid ytics
titles = "VGG-16 ResNet-18 MobileNet"
do for [i=0:2] {
  set title word(titles, i+1)
  plot 'fig4.dat' index i using 1:2 with linespoints lw 2 pt 7 title "plain", \
       '' index i using 1:3 with linespoints lw 2 pt 5 title "plain, direct conv", \
       '' index i using 1:4 with linespoints lw 2 pt 9 title "pruning, CSR direct", \
       '' index i using 1:5 with linespoints lw 2 pt 11 title "pruning, CSR im2col", \
       '' index i using 1:6 with linespoints lw 2 pt 13 title "channel pruning", \
       '' index i using 1:7 with linespoints lw 2 pt 15 title "ternary"
}
unset multiplot
