set terminal pngcairo size 900,600 font 'sans,11'
if (!exists('out')) out = 'accuracy.png'
set output out
set datafile separator ','
set title 'Accuracy under stuck-at faults: models/zoo/resnet-pruned/model.onnx (10 chips per point, 95% CI)' . "\n" . 'settings: all defaults' noenhanced
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set logscale x
set grid
set key bottom left
set yrange [0:100]
plot 'accuracy.csv' using ($2 > 0 ? $2*100 : 1/0):(strcol(1) eq 'none' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'none (fault-free 91.4%)', 'accuracy.csv' using ($2 > 0 ? $2*100 : 1/0):(strcol(1) eq 'vote' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'vote (fault-free 91.4%)', 91.7667 with lines dt 2 lc 'gray' title 'float 91.8%'
