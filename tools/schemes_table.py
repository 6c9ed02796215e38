#!/usr/bin/python3
"""Builds the comparison of protection schemes from tools/compare_schemes.sh's results:
OUT/<model>/accuracy.json (rramft eval, every scheme on the same chips) and
OUT/<model>/run_<scheme>/report.json (rramft run, fault-free chip).

  tools/schemes_table.py --out docs/results/schemes --rate 0.01 lenet5-pruned vit-pruned ...

Writes OUT/comparison.csv, OUT/comparison.md (the table in docs/schemes.md), OUT/<model>/accurate_latency.csv,
OUT/comparison.gp and OUT/comparison.png (gnuplot, pngcairo). Definitions:
- tolerated rate: where the mean accuracy falls 10 points below the scheme's fault-free accuracy
  (rramft eval); tolerance ratio: tolerated rate / that of `none` on the same model, or, for a
  SAM-trained model (name ending in -sam), on the model it was fine-tuned from when present;
- storage overhead: extra crossbars over the dense unprotected baseline (rramft eval/map);
- energy, latency, area overhead: against `none` on the same chip (rramft run; energy includes
  the leakage of every instance over the run); dynamic energy: the dynamic part alone, against
  the run of scheme none;
- AccurateLatency (SAVE) at --rate: latency per image (rramft run) x (1 + error rate), with the
  error rate 1 - mean accuracy of rramft eval at that failure rate.
Python standard library only.
"""
import argparse
import json
import os
import shutil
import subprocess


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def load(path):
    with open(path) as f:
        return json.load(f)


def point(acc, scheme, rate):
    for p in acc["points"]:
        if p["protect"] == scheme and abs(p["rate"] - rate) <= 1e-12 * max(1.0, rate):
            return p
    raise SystemExit(f"no point for scheme {scheme} at rate {rate} in {acc['model']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rate", type=float, default=0.01, help="failure rate for AccurateLatency")
    ap.add_argument("models", nargs="+")
    a = ap.parse_args(argv)
    accs = {m: load(os.path.join(a.out, m, "accuracy.json")) for m in a.models}
    rows = []
    for m in a.models:
        acc = accs[m]
        ref_model = m[:-4] if m.endswith("-sam") and m[:-4] in accs else m
        ref = {s["protect"]: s for s in accs[ref_model]["schemes"]}["none"]
        max_rate = max(p["rate"] for p in acc["points"])
        dyn_none = load(os.path.join(a.out, m, "run_none", "report.json"))["energy_pj"]["dynamic"]
        bars = []
        for s in acc["schemes"]:
            name = s["protect"]
            rep = load(os.path.join(a.out, m, "run_" + name, "report.json"))
            ovh = rep.get("overhead_vs_none_pct", {})
            lat_us = rep["latency_ns_per_image"] / 1e3
            at = point(acc, name, a.rate)
            err = 1.0 - at["mean"]
            ratio, bound = None, False
            if ref["drop_reached"] and ref["tolerated_rate"] > 0:
                if s["drop_reached"]:
                    ratio = s["tolerated_rate"] / ref["tolerated_rate"]
                else:
                    ratio, bound = max_rate / ref["tolerated_rate"], True
            rows.append({
                "model": m, "scheme": name, "reference": ref_model,
                "fault_free_pct": 100 * s["fault_free_accuracy"],
                "msb_zero_pct": 100 * s["msb_zero_fraction"],
                "tolerated_rate": s["tolerated_rate"] if s["drop_reached"] else None,
                "tolerance_ratio": ratio, "ratio_is_lower_bound": bound,
                "storage_overhead_pct": s["storage_overhead_pct"],
                "energy_overhead_pct": ovh.get("energy", 0.0),
                "dynamic_energy_overhead_pct": 100 * (rep["energy_pj"]["dynamic"] / dyn_none - 1),
                "latency_overhead_pct": ovh.get("latency", 0.0),
                "area_overhead_pct": ovh.get("area", 0.0),
                "latency_us_per_image": lat_us,
                "accuracy_at_rate_pct": 100 * at["mean"],
                "accurate_latency_us_per_image": lat_us * (1 + err),
            })
            bars.append((name, lat_us, lat_us * (1 + err)))
        write(os.path.join(a.out, m, "accurate_latency.csv"),
              "scheme,latency_us,accurate_latency_us\n" +
              "".join(f"{n},{l:.6g},{al:.6g}\n" for n, l, al in bars))

    cols = list(rows[0].keys())
    write(os.path.join(a.out, "comparison.csv"),
          ",".join(cols) + "\n" + "".join(
              ",".join("" if r[c] is None else str(r[c]) for c in cols) + "\n" for r in rows))
    pct = f"{100 * a.rate:g}%"
    md = [f"| model | scheme | fault-free | MSB-zero share | tolerated rate | tolerance ratio | "
          f"storage | energy (dynamic) | latency | accuracy at {pct} | AccurateLatency at {pct} |",
          "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        tol = f"{100 * r['tolerated_rate']:.2f}%" if r["tolerated_rate"] is not None else "> max"
        if r["tolerance_ratio"] is None:
            ratio = "n/a"
        else:
            ratio = (">" if r["ratio_is_lower_bound"] else "") + f"{r['tolerance_ratio']:.2f}"
        md.append(f"| {r['model']} | {r['scheme']} | {r['fault_free_pct']:.2f}% | "
                  f"{r['msb_zero_pct']:.1f}% | {tol} | {ratio} | "
                  f"{r['storage_overhead_pct']:+.2f}% | {r['energy_overhead_pct']:+.2f}% "
                  f"({r['dynamic_energy_overhead_pct']:+.2f}%) | "
                  f"{r['latency_overhead_pct']:+.2f}% | {r['accuracy_at_rate_pct']:.2f}% | "
                  f"{r['accurate_latency_us_per_image']:.1f} us |")
    write(os.path.join(a.out, "comparison.md"), "\n".join(md) + "\n")

    n = len(a.models)
    gp = [f"set terminal pngcairo size {560 * n},900 font 'sans,10'",
          f"set output '{a.out}/comparison.png.tmp'", "set datafile separator ','",
          f"set multiplot layout 2,{n} title 'Protection schemes on the same chips "
          f"(accuracy: rramft eval; AccurateLatency at {pct}: rramft run x (1 + error rate))' "
          "noenhanced"]
    for m in a.models:
        acc = accs[m]
        gp += ["set logscale x", "set grid", "set key bottom left font ',8'", "set yrange [0:100]",
               f"set xrange [{50 * min(p['rate'] for p in acc['points'] if p['rate'] > 0)}:"
               f"{150 * max(p['rate'] for p in acc['points'])}]",
               "set xlabel 'cell failure rate (%)'", "set ylabel 'accuracy (%)'",
               f"set title '{m}: {acc['images']} images, {acc['trials']} chips per point' "
               "noenhanced", "set style data linespoints"]
        curves = [f"'{a.out}/{m}/accuracy.csv' using ($2*100):(strcol(1) eq '{s['protect']}' ? "
                  f"$3*100 : 1/0) lw 2 title '{s['protect']}'" for s in acc["schemes"]]
        gp.append("plot " + ", ".join(curves))
    for m in a.models:
        gp += ["unset logscale x", "set autoscale", "set yrange [0:*]", "set key below",
               "set xlabel ''", "set ylabel 'us per image'", "set style fill solid 0.8 border -1",
               "set boxwidth 0.8", "set xtics rotate by -30 noenhanced",
               f"set title '{m}: latency and AccurateLatency at {pct}' noenhanced",
               f"plot '{a.out}/{m}/accurate_latency.csv' using 0:3:xtic(1) with boxes "
               "title 'AccurateLatency' lc rgb '#d62728', '' using 0:2 with boxes "
               "title 'latency' lc rgb '#1f77b4'", "set xtics norotate"]
    gp.append("unset multiplot")
    write(os.path.join(a.out, "comparison.gp"), "\n".join(gp) + "\n")
    if shutil.which("gnuplot"):
        subprocess.run(["gnuplot", os.path.join(a.out, "comparison.gp")], check=True)
        os.replace(os.path.join(a.out, "comparison.png.tmp"), os.path.join(a.out, "comparison.png"))
    else:
        print("gnuplot not found: comparison.png not drawn")
    print(open(os.path.join(a.out, "comparison.md")).read(), end="")


if __name__ == "__main__":
    main()
