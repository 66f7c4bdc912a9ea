set terminal pngcairo size 1000,650 font 'sans,11'
set output "out/demo/vgg16_pareto.png.tmp.Sqyiul"
set title "models/vgg16.onnx: Pareto front (6 plans)" noenhanced
set xlabel 'predicted latency (ms)'
set ylabel 'predicted top-1 accuracy (%)'
set cblabel 'peak memory (MB)'
set grid
set key bottom right
set palette defined (0 '#1a9850', 1 '#fee08b', 2 '#d73027')
set offsets graph 0.05, graph 0.12, graph 0.08, graph 0.08
plot "out/demo/vgg16_pareto.png.dat" using 1:2 with steps lc rgb '#888888' title 'Pareto front', \
     "out/demo/vgg16_pareto.png.dat" using 1:2:3 with points pt 7 ps 1.6 palette title 'plan (colour: memory)', \
     "out/demo/vgg16_pareto.png.dat" using 1:2:(sprintf('%.3g MB', $3)) every 1 with labels offset 0,1.1 font ',9' notitle
