#!/usr/bin/python3
"""Puts several `rramft eval` runs (accuracy.json) side by side: one CSV, one summary JSON and
one gnuplot PNG with every (model, scheme) curve. The first run is the reference: each
scheme's tolerated rate is also divided by the reference's tolerated rate without protection.

  tools/compare_curves.py --out docs/results/sam_lenet --title "..." \\
      lenet5-pruned=docs/results/sam_lenet/lenet5-pruned/accuracy.json \\
      lenet5-pruned-sam=docs/results/sam_lenet/lenet5-pruned-sam/accuracy.json

Writes OUT/compare.csv, OUT/summary.json, OUT/compare.gp and OUT/compare.png (gnuplot with
the pngcairo terminal; skipped with a note when gnuplot is missing). Python standard library.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys


# Student-t 97.5% quantiles for 1..30 degrees of freedom (two-sided 95% intervals).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042]


def paired(ref, run):
    """Per (scheme, rate): mean and 95% interval of run - ref over the same chips (trial k is
    the same fault map in both runs, so the difference removes the chip-to-chip spread)."""
    by = {(q["protect"], q["rate"]): q["accuracies"] for q in ref["points"]}
    out = []
    for q in run["points"]:
        a = by.get((q["protect"], q["rate"]))
        if a is None or len(a) != len(q["accuracies"]) or len(a) < 2:
            continue
        d = [x - y for x, y in zip(q["accuracies"], a)]
        n = len(d)
        m = sum(d) / n
        sd = (sum((x - m) ** 2 for x in d) / (n - 1)) ** 0.5
        h = T975[min(n - 1, len(T975)) - 1] * sd / n ** 0.5
        out.append({"protect": q["protect"], "rate": q["rate"], "mean_diff": round(m, 6),
                    "ci95_low": round(m - h, 6), "ci95_high": round(m + h, 6), "chips": n})
    return out


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--title", default="Accuracy under stuck-at faults")
    p.add_argument("runs", nargs="+", metavar="LABEL=ACCURACY.JSON")
    a = p.parse_args(argv)
    runs = []
    for item in a.runs:
        label, sep, path = item.partition("=")
        if not sep or not label or "," in label:
            p.error(f"{item}: expected LABEL=path/accuracy.json (no comma in LABEL)")
        try:
            with open(path) as f:
                runs.append((label, json.load(f)))
        except (OSError, ValueError) as e:
            sys.exit(f"compare_curves: error: {path}: {e}")
    os.makedirs(a.out, exist_ok=True)

    rows = ["model,protect,rate,mean,std,ci95_low,ci95_high,trials,fault_free,float"]
    for label, j in runs:
        ff = {s["protect"]: s["fault_free_accuracy"] for s in j["schemes"]}
        for pt in j["points"]:
            rows.append(f"{label},{pt['protect']},{pt['rate']},{pt['mean']:.6f},{pt['std']:.6f},"
                        f"{pt['ci95_low']:.6f},{pt['ci95_high']:.6f},{pt['trials']},"
                        f"{ff[pt['protect']]},{j['float_accuracy']}")
    write(os.path.join(a.out, "compare.csv"), "\n".join(rows) + "\n")

    ref_none = next((s["tolerated_rate"] for s in runs[0][1]["schemes"] if s["protect"] == "none"), None)
    summary = {"reference": runs[0][0], "criterion": "mean accuracy 10 points below the scheme's "
               "fault-free accuracy (rramft eval, linear interpolation)", "runs": []}
    for label, j in runs:
        for s in j["schemes"]:
            summary["runs"].append({
                "model": label, "path": j["model"], "protect": s["protect"], "images": j["images"],
                "trials": j["trials"], "float_accuracy": j["float_accuracy"],
                "fault_free_accuracy": s["fault_free_accuracy"], "tolerated_rate": s["tolerated_rate"],
                "drop_reached": s["drop_reached"], "tolerance_ratio_vs_own_none": s["tolerance_ratio_vs_none"],
                "tolerance_ratio_vs_reference_none": (s["tolerated_rate"] / ref_none)
                if ref_none and s["tolerated_rate"] is not None else None,
                "storage_overhead_pct": s["storage_overhead_pct"]})
    if len(runs) > 1 and any(j["data"] != runs[0][1]["data"] for _, j in runs):
        sys.exit("compare_curves: error: the runs used different --data; paired differences need the same images")
    summary["paired_vs_reference"] = {label: paired(runs[0][1], j) for label, j in runs[1:]}
    write(os.path.join(a.out, "summary.json"), json.dumps(summary, indent=2) + "\n")

    csv = os.path.join(a.out, "compare.csv")
    png = os.path.join(a.out, "compare.png")
    plots = []
    styles = {"none": 1, "vote": 2, "tmr": 3}
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]
    for k, (label, j) in enumerate(runs):
        for s in j["schemes"]:
            pr = s["protect"]
            sel = f"(strcol(1) eq '{label}' && strcol(2) eq '{pr}' ? $4*100 : 1/0)"
            plots.append(f"'{csv}' using ($3*100):{sel}:($6*100):($7*100) with yerrorlines lw 2 "
                         f"lc rgb '{colours[k % len(colours)]}' dt {styles.get(pr, 4)} title '{label} {pr} "
                         f"(fault-free {100 * s['fault_free_accuracy']:.1f}%)'")
    n = runs[0][1]
    gp = "\n".join([
        "set terminal pngcairo size 1000,640 font 'sans,11'",
        f"set output '{png}.tmp'",
        "set datafile separator ','",
        f"set title '{a.title} ({n['images']} images, {n['trials']} chips per point, 95% CI)' noenhanced",
        "set xlabel 'cell failure rate (%)'", "set ylabel 'accuracy (%)'", "set logscale x", "set grid",
        "set key bottom left noenhanced", "set yrange [0:100]",
        "plot " + ", \\\n     ".join(plots), ""])
    gpath = os.path.join(a.out, "compare.gp")
    write(gpath, gp)
    if shutil.which("gnuplot"):
        subprocess.run(["gnuplot", gpath], check=True)
        os.replace(png + ".tmp", png)
    else:
        print("compare_curves: gnuplot not found, compare.png not drawn", file=sys.stderr)
    top = max(q["rate"] for _, j in runs for q in j["points"])
    for r in summary["runs"]:
        if r["tolerated_rate"] is None:
            tol = f"no 10-point drop up to {100 * top:g}%"
        else:
            tol = (f"tolerated rate {100 * r['tolerated_rate']:.3g}%, ratio vs own none "
                   f"{r['tolerance_ratio_vs_own_none']:.2f}, vs {summary['reference']} none "
                   f"{r['tolerance_ratio_vs_reference_none']:.2f}")
        print(f"{r['model']:>22} {r['protect']:>5}: fault-free {100 * r['fault_free_accuracy']:.2f}%, {tol}")
    for label, ds in summary["paired_vs_reference"].items():
        sig = [f"{d['protect']}@{100 * d['rate']:g}%: {100 * d['mean_diff']:+.2f} "
               f"[{100 * d['ci95_low']:+.2f}, {100 * d['ci95_high']:+.2f}]" for d in ds]
        print(f"{label} - {summary['reference']} (points, same chips, 95% CI): " + "; ".join(sig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
