set terminal pngcairo size 2240,900 font 'sans,10'
set output 'docs/results/schemes/comparison.png.tmp'
set datafile separator ','
set multiplot layout 2,4 title 'Protection schemes on the same chips (accuracy: rramft eval; AccurateLatency at 1%: rramft run x (1 + error rate))' noenhanced
set logscale x
set grid
set key bottom left font ',8'
set yrange [0:100]
set xrange [0.05:30.0]
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set title 'lenet5-pruned: 2000 images, 5 chips per point' noenhanced
set style data linespoints
plot 'docs/results/schemes/lenet5-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'none' ? $3*100 : 1/0) lw 2 title 'none', 'docs/results/schemes/lenet5-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'vote' ? $3*100 : 1/0) lw 2 title 'vote', 'docs/results/schemes/lenet5-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'tmr' ? $3*100 : 1/0) lw 2 title 'tmr', 'docs/results/schemes/lenet5-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'range' ? $3*100 : 1/0) lw 2 title 'range', 'docs/results/schemes/lenet5-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'vote+range' ? $3*100 : 1/0) lw 2 title 'vote+range', 'docs/results/schemes/lenet5-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'clip' ? $3*100 : 1/0) lw 2 title 'clip', 'docs/results/schemes/lenet5-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'clip+vote' ? $3*100 : 1/0) lw 2 title 'clip+vote'
set logscale x
set grid
set key bottom left font ',8'
set yrange [0:100]
set xrange [0.05:30.0]
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set title 'vit-pruned: 2000 images, 5 chips per point' noenhanced
set style data linespoints
plot 'docs/results/schemes/vit-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'none' ? $3*100 : 1/0) lw 2 title 'none', 'docs/results/schemes/vit-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'vote' ? $3*100 : 1/0) lw 2 title 'vote', 'docs/results/schemes/vit-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'tmr' ? $3*100 : 1/0) lw 2 title 'tmr', 'docs/results/schemes/vit-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'range' ? $3*100 : 1/0) lw 2 title 'range', 'docs/results/schemes/vit-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'vote+range' ? $3*100 : 1/0) lw 2 title 'vote+range', 'docs/results/schemes/vit-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'clip' ? $3*100 : 1/0) lw 2 title 'clip', 'docs/results/schemes/vit-pruned/accuracy.csv' using ($2*100):(strcol(1) eq 'clip+vote' ? $3*100 : 1/0) lw 2 title 'clip+vote'
set logscale x
set grid
set key bottom left font ',8'
set yrange [0:100]
set xrange [0.05:30.0]
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set title 'lenet5-pruned-sam: 2000 images, 5 chips per point' noenhanced
set style data linespoints
plot 'docs/results/schemes/lenet5-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'none' ? $3*100 : 1/0) lw 2 title 'none', 'docs/results/schemes/lenet5-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'vote' ? $3*100 : 1/0) lw 2 title 'vote', 'docs/results/schemes/lenet5-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'tmr' ? $3*100 : 1/0) lw 2 title 'tmr', 'docs/results/schemes/lenet5-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'range' ? $3*100 : 1/0) lw 2 title 'range', 'docs/results/schemes/lenet5-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'vote+range' ? $3*100 : 1/0) lw 2 title 'vote+range', 'docs/results/schemes/lenet5-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'clip' ? $3*100 : 1/0) lw 2 title 'clip', 'docs/results/schemes/lenet5-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'clip+vote' ? $3*100 : 1/0) lw 2 title 'clip+vote'
set logscale x
set grid
set key bottom left font ',8'
set yrange [0:100]
set xrange [0.05:30.0]
set xlabel 'cell failure rate (%)'
set ylabel 'accuracy (%)'
set title 'vit-pruned-sam: 2000 images, 5 chips per point' noenhanced
set style data linespoints
plot 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'none' ? $3*100 : 1/0) lw 2 title 'none', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'vote' ? $3*100 : 1/0) lw 2 title 'vote', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'tmr' ? $3*100 : 1/0) lw 2 title 'tmr', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'range' ? $3*100 : 1/0) lw 2 title 'range', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'vote+range' ? $3*100 : 1/0) lw 2 title 'vote+range', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'clip' ? $3*100 : 1/0) lw 2 title 'clip', 'docs/results/schemes/vit-pruned-sam/accuracy.csv' using ($2*100):(strcol(1) eq 'clip+vote' ? $3*100 : 1/0) lw 2 title 'clip+vote'
unset logscale x
set autoscale
set yrange [0:*]
set key below
set xlabel ''
set ylabel 'us per image'
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30 noenhanced
set title 'lenet5-pruned: latency and AccurateLatency at 1%' noenhanced
plot 'docs/results/schemes/lenet5-pruned/accurate_latency.csv' using 0:3:xtic(1) with boxes title 'AccurateLatency' lc rgb '#d62728', '' using 0:2 with boxes title 'latency' lc rgb '#1f77b4'
set xtics norotate
unset logscale x
set autoscale
set yrange [0:*]
set key below
set xlabel ''
set ylabel 'us per image'
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30 noenhanced
set title 'vit-pruned: latency and AccurateLatency at 1%' noenhanced
plot 'docs/results/schemes/vit-pruned/accurate_latency.csv' using 0:3:xtic(1) with boxes title 'AccurateLatency' lc rgb '#d62728', '' using 0:2 with boxes title 'latency' lc rgb '#1f77b4'
set xtics norotate
unset logscale x
set autoscale
set yrange [0:*]
set key below
set xlabel ''
set ylabel 'us per image'
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30 noenhanced
set title 'lenet5-pruned-sam: latency and AccurateLatency at 1%' noenhanced
plot 'docs/results/schemes/lenet5-pruned-sam/accurate_latency.csv' using 0:3:xtic(1) with boxes title 'AccurateLatency' lc rgb '#d62728', '' using 0:2 with boxes title 'latency' lc rgb '#1f77b4'
set xtics norotate
unset logscale x
set autoscale
set yrange [0:*]
set key below
set xlabel ''
set ylabel 'us per image'
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -30 noenhanced
set title 'vit-pruned-sam: latency and AccurateLatency at 1%' noenhanced
plot 'docs/results/schemes/vit-pruned-sam/accurate_latency.csv' using 0:3:xtic(1) with boxes title 'AccurateLatency' lc rgb '#d62728', '' using 0:2 with boxes title 'latency' lc rgb '#1f77b4'
set xtics norotate
unset multiplot
