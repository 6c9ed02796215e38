set terminal pngcairo size 1000,640 font 'sans,11'
set output 'docs/results/sam_vit_msb/compare.png.tmp'
set datafile separator ','
set title 'ViT pruned, plain vs SAM (rho 0.4), fault.scope=msb (2000 images, 5 chips per point, 95% CI)' noenhanced
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set logscale x
set grid
set key bottom left noenhanced
set yrange [0:100]
plot 'docs/results/sam_vit_msb/compare.csv' using ($3*100):(strcol(1) eq 'vit-pruned' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 1 title 'vit-pruned none (fault-free 92.2%)', \
     'docs/results/sam_vit_msb/compare.csv' using ($3*100):(strcol(1) eq 'vit-pruned' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#1f77b4' dt 2 title 'vit-pruned vote (fault-free 92.2%)', \
     'docs/results/sam_vit_msb/compare.csv' using ($3*100):(strcol(1) eq 'vit-pruned-sam' && strcol(2) eq 'none' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 1 title 'vit-pruned-sam none (fault-free 90.0%)', \
     'docs/results/sam_vit_msb/compare.csv' using ($3*100):(strcol(1) eq 'vit-pruned-sam' && strcol(2) eq 'vote' ? $4*100 : 1/0):($6*100):($7*100) with yerrorlines lw 2 lc rgb '#d62728' dt 2 title 'vit-pruned-sam vote (fault-free 90.0%)'
