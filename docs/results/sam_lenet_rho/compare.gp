set terminal pngcairo size 1000,640 font 'sans,11'
set output 'docs/results/sam_lenet_rho/compare.png.tmp'
set datafile separator ','
set title 'LeNet-5 pruned fine-tuned 4 epochs: rho sweep, fault.scope=msb (2000 images, 5 chips per point, 95% CI)' noenhanced
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set logscale x
set grid
set key bottom left noenhanced
set yrange [0:100]
plot 'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-pruned' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 1 title 'lenet5-pruned none (fault-free 90.7%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'lenet5-pruned' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 2 title 'lenet5-pruned vote (fault-free 90.7%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'qat-rho0' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 1 title 'qat-rho0 none (fault-free 90.8%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'qat-rho0' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 2 title 'qat-rho0 vote (fault-free 90.8%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho0.05' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#2ca02c' dt 1 title 'sam-rho0.05 none (fault-free 90.6%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho0.05' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#2ca02c' dt 2 title 'sam-rho0.05 vote (fault-free 90.6%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho0.2' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#ff7f0e' dt 1 title 'sam-rho0.2 none (fault-free 90.6%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho0.2' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#ff7f0e' dt 2 title 'sam-rho0.2 vote (fault-free 90.6%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho0.5' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#9467bd' dt 1 title 'sam-rho0.5 none (fault-free 89.5%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho0.5' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#9467bd' dt 2 title 'sam-rho0.5 vote (fault-free 89.5%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho1.0' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#8c564b' dt 1 title 'sam-rho1.0 none (fault-free 88.8%)', \
     'docs/results/sam_lenet_rho/compare.csv' using ($3*100):(strcol(1) eq 'sam-rho1.0' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#8c564b' dt 2 title 'sam-rho1.0 vote (fault-free 88.8%)'
