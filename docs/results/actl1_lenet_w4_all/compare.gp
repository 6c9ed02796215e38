set terminal pngcairo size 1000,640 font 'sans,11'
set output 'docs/results/actl1_lenet_w4_all/compare.png.tmp'
set datafile separator ','
set title 'LeNet-5, 4-bit weights: plain vs activation L1 vs activation L1 + SAM, fault.scope=all (2000 images, 15 chips per point, 95% CI)' noenhanced
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set logscale x
set grid
set key bottom left noenhanced
set yrange [0:100]
plot 'docs/results/actl1_lenet_w4_all/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-w4' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 1 title 'lenet5-w4 none (fault-free 90.0%)', \
     'docs/results/actl1_lenet_w4_all/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-w4' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 2 title 'lenet5-w4 vote (fault-free 90.0%)', \
     'docs/results/actl1_lenet_w4_all/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-w4-actl1' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 1 title 'lenet5-w4-actl1 none (fault-free 89.7%)', \
     'docs/results/actl1_lenet_w4_all/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-w4-actl1' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 2 title 'lenet5-w4-actl1 vote (fault-free 89.7%)', \
     'docs/results/actl1_lenet_w4_all/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-w4-actl1-sam' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#2ca02c' dt 1 title 'lenet5-w4-actl1-sam none (fault-free 87.8%)', \
     'docs/results/actl1_lenet_w4_all/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-w4-actl1-sam' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#2ca02c' dt 2 title 'lenet5-w4-actl1-sam vote (fault-free 87.8%)'
