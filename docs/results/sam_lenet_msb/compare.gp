set terminal pngcairo size 1000,640 font 'sans,11'
set output 'docs/results/sam_lenet_msb/compare.png.tmp'
set datafile separator ','
set title 'LeNet-5 pruned, plain vs SAM (rho 0.2), fault.scope=msb (2000 images, 5 chips per point, 95% CI)' noenhanced
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set logscale x
set grid
set key bottom left noenhanced
set yrange [0:100]
plot 'docs/results/sam_lenet_msb/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-pruned' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 1 title 'lenet5-pruned none (fault-free 90.7%)', \
     'docs/results/sam_lenet_msb/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-pruned' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 2 title 'lenet5-pruned vote (fault-free 90.7%)', \
     'docs/results/sam_lenet_msb/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-pruned-sam' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 1 title 'lenet5-pruned-sam none (fault-free 90.6%)', \
     'docs/results/sam_lenet_msb/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-pruned-sam' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 2 title 'lenet5-pruned-sam vote (fault-free 90.6%)'
