set terminal pngcairo size 1500,520 font 'sans,11' noenhanced
set output 'docs/accuracy/trained/resnet18_curves.png'
set datafile separator ','
set multiplot layout 1,3 title 'models/resnet18.onnx: accuracy with the whole model compressed, no fine-tuning (fashion-mnist calib, 5000 images; baseline 93.96%)' font 'sans,13'
set grid
set yrange [0:100]
set ylabel 'top-1 accuracy (%)'
set key below horizontal maxrows 2 samplen 2
set bmargin 7
base = 93.960000
sel(k) = strcol(2) eq k ? $4 : NaN
set title 'Weight pruning: every conv/fc layer at sparsity s'
set xlabel 'sparsity s (fraction of weights set to 0)'
set xrange [0:1]
plot 'docs/accuracy/trained/resnet18_curves.csv' skip 1 using 3:(sel('prune')) with linespoints lw 2 pt 7 title 'pruned', base with lines dt 2 lc 'black' title 'baseline', 10 with lines dt 3 lw 2 lc 'dark-gray' title 'chance'
set title 'Channel pruning: every prunable group keeps k'
set xlabel 'channels pruned, 1 - k'
set xrange [0:1]
plot 'docs/accuracy/trained/resnet18_curves.csv' skip 1 using (1-$3):(sel('keep')) with linespoints lw 2 pt 7 lc 3 title 'channel-pruned', base with lines dt 2 lc 'black' title 'baseline', 10 with lines dt 3 lw 2 lc 'dark-gray' title 'chance'
set title 'Ternary (TWN): every conv/fc layer, threshold t x mean|w|'
set xlabel 'threshold factor t'
set xrange [0.2:1.3]
set y2label 'weights set to 0 (%)'
set y2range [0:100]
set y2tics
plot 'docs/accuracy/trained/resnet18_curves.csv' skip 1 using 3:(sel('ternary')) with linespoints lw 2 pt 7 lc 4 title 'ternarised', '' skip 1 using 3:(strcol(2) eq 'ternary' ? 100*$8 : NaN) axes x1y2 with linespoints dt 4 pt 6 lc 4 title 'sparsity (right axis)', base with lines dt 2 lc 'black' title 'baseline', 10 with lines dt 3 lw 2 lc 'dark-gray' title 'chance'
unset multiplot
