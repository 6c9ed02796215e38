set terminal pngcairo size 900,600 font 'sans,11'
set output 'docs/results/schemes/vit-pruned-sam/accuracy.png.tmp'
set datafile separator ','
set title 'Accuracy under stuck-at faults: models/zoo/vit-pruned-sam (5 chips per point, 95% CI)' noenhanced
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set logscale x
set grid
set key bottom left
set yrange [0:100]
plot 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'none' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'none (fault-free 90%)', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'vote' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'vote (fault-free 90%)', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'tmr' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'tmr (fault-free 90%)', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'range' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'range (fault-free 90%)', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'vote+range' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'vote+range (fault-free 90%)', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'clip' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'clip (fault-free 90%)', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'clip+vote' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title 'clip+vote (fault-free 90%)', 90 with lines dt 2 lc 'gray' title 'float 90%'
