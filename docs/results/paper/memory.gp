# Table IV/VI analogue: runtime peak memory per technique (memory.dat: elbow, then fixed)
set terminal pngcairo size 1200,500 font ",10"
set output 'memory.png'
set multiplot layout 1,2 title "Runtime memory: weights in the kernel's format + activations + workspace (MiB)"
set style data histograms; set style histogram clustered gap 1; set style fill solid 0.8 border -1
set ylabel 'MiB'; set grid ytics; set key top right font ',8'; set yrange [0:*]
set title 'accuracy-elbow rates (Table IV analogue)'
plot 'memory.dat' index 0 using 2:xtic(1) title 'plain', '' index 0 using 3 title 'pruning, CSR', '' index 0 using 4 title 'channel pruning', '' index 0 using 5 title 'ternary'
set title 'fixed-accuracy rates (Table VI analogue)'
plot 'memory.dat' index 1 using 2:xtic(1) title 'plain', '' index 1 using 3 title 'pruning, CSR', '' index 1 using 4 title 'channel pruning', '' index 1 using 5 title 'ternary'
unset multiplot
