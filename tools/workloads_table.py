#!/usr/bin/python3
"""Summarises tools/workloads_results.sh's runs: the paper's experiment per workload model.

  tools/workloads_table.py --out docs/results/workloads resnet-pruned bert-pruned

Reads, per MODEL: OUT/MODEL/msb/accuracy.json and OUT/MODEL/all/accuracy.json (rramft eval,
none and vote on the same chips, fault.scope msb and all), OUT/MODEL/run_vote/report.json
(rramft run --protect vote: the chip model with its baseline without protection on the same
chip) and models/zoo/MODEL/config.json (column sparsity as trained). Writes OUT/summary.md (the
README's tables) and OUT/summary.json. Definitions as in rramft eval: tolerated rate = where the
mean accuracy over the chips falls 10 points below the scheme's own fault-free accuracy (linear
interpolation between the rates evaluated); tolerance ratio = vote's tolerated rate / none's;
when a curve never falls 10 points, the largest rate evaluated is a lower bound ('> x').
Intervals: the chip-to-chip 95% interval of the mean (Student t over the chips) and the
test-set sampling error (95% Clopper-Pearson half-width on the number of test samples).
Python standard library only.
"""
import argparse
import json
import os


def load(path):
    with open(path) as f:
        return json.load(f)


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def pct(x, digits=2):
    return f"{100 * x:.{digits}f}%"


def rate_str(r):
    return f"{100 * r:.3g}%"


def tolerated(acc, scheme):
    s = next(s for s in acc["schemes"] if s["protect"] == scheme)
    top = max(p["rate"] for p in acc["points"])
    return (s["tolerated_rate"], True) if s["drop_reached"] else (top, False)


def ratio_str(acc):
    (tn, rn), (tv, rv) = tolerated(acc, "none"), tolerated(acc, "vote")
    if not rn:
        return "n/a (none never fell 10 points)", None
    if not rv:
        return f"> {tv / tn:.1f}", tv / tn
    return f"{tv / tn:.1f}", tv / tn


def model_section(out, m):
    acc = {sc: load(os.path.join(out, m, sc, "accuracy.json")) for sc in ("msb", "all")}
    run = load(os.path.join(out, m, "run_vote", "report.json"))
    cfg = load(os.path.join("models", "zoo", m, "config.json"))
    a = acc["msb"]
    sch = {s["protect"]: s for s in a["schemes"]}
    n = a["images"]
    layers = a["layers"]
    msb = [l["msb_zero_fraction"] for l in layers]
    over99 = sum(1 for x in msb if x > 0.99)
    sp = cfg["training"]["sparsity"]
    res = {"model": m, "data": a["data"], "samples": n, "trials": a["trials"],
           "float_accuracy": a["float_accuracy"],
           "fault_free": {k: v["fault_free_accuracy"] for k, v in sch.items()},
           "column_sparsity": sp["column_sparsity"],
           "crossbars": {k: v["crossbars"] for k, v in sch.items()},
           "storage_overhead_pct": {k: v["storage_overhead_pct"] for k, v in sch.items()},
           "msb_zero_fraction": sch["vote"].get("msb_zero_fraction"),
           "layers_msb_zero_over_99pct": [over99, len(layers)],
           "energy_overhead_pct": run["overhead_vs_none_pct"]["energy"],
           "latency_overhead_pct": run["overhead_vs_none_pct"]["latency"],
           "area_overhead_pct": run["overhead_vs_none_pct"]["area"],
           "run_samples": run["images"],
           "latency_ns_per_sample_none": run["baseline_none"]["latency_ns"] / run["images"],
           "latency_ns_per_sample_vote": run["latency_ns_per_image"],
           "energy_pj_per_sample_none": run["baseline_none"]["energy_pj"] / run["images"],
           "energy_pj_per_sample_vote": run["energy_pj"]["total"] / run["images"],
           "scopes": {}}
    data = a["data"]
    md = [f"#### {m} ({data}: {n} test samples, {a['trials']} chips per point)", ""]
    md.append("| float accuracy | fault-free mapped (none / vote) | column sparsity | crossbars "
              "(none / vote) | storage overhead of vote | MSB-zero share | layers > 99% |")
    md.append("|---|---|---|---|---|---|---|")
    md.append(f"| {pct(a['float_accuracy'])} | {pct(sch['none']['fault_free_accuracy'])} / "
              f"{pct(sch['vote']['fault_free_accuracy'])} | {pct(sp['column_sparsity'], 1)} "
              f"({sp['pruned_outputs']}/{sp['outputs']}) | {sch['none']['crossbars']} / "
              f"{sch['vote']['crossbars']} | {sch['vote']['storage_overhead_pct']:+.2f}% | "
              f"{pct(res['msb_zero_fraction'] or 0, 1)} | {over99} of {len(layers)} |")
    md += ["", "Per layer (crossbar layers in network order): column sparsity as mapped, "
           "share of zero MSBs among the kept weights, copies embedded in pruned space:", "",
           "| layer | column sparsity | MSB-zero share | embedded |", "|---|---|---|---|"]
    for l in layers:
        emb = {True: "yes", False: "no"}.get(l.get("embedded"), "-")
        md.append(f"| {l['name']} | {pct(l['col_sparsity'], 1)} | "
                  f"{pct(l['msb_zero_fraction'], 1)} | {emb} |")
    for sc in ("msb", "all"):
        a = acc[sc]
        by = {(p["protect"], p["rate"]): p for p in a["points"]}
        rates = sorted({p["rate"] for p in a["points"]})
        label = ("fault.scope=msb (the paper's setting: only the protected plane and its copies "
                 "fail)" if sc == "msb" else "fault.scope=all (every cell can fail)")
        md += ["", f"{label}; mean accuracy over the chips [chip-to-chip 95% interval]:", "",
               "| rate | " + " | ".join(rate_str(r) for r in rates) + " |",
               "|---" * (len(rates) + 1) + "|"]
        for s in ("none", "vote"):
            cells = []
            for r in rates:
                p = by[(s, r)]
                cells.append(f"{100 * p['mean']:.1f} [{100 * p['ci95_low']:.1f}, "
                             f"{100 * p['ci95_high']:.1f}]")
            md.append(f"| {s} | " + " | ".join(cells) + " |")
        (tn, rn), (tv, rv) = tolerated(a, "none"), tolerated(a, "vote")
        rs, rv_num = ratio_str(a)
        md += ["", f"Tolerated rate (-10 points): none {'' if rn else '> '}{rate_str(tn)}, "
               f"vote {'' if rv else '> '}{rate_str(tv)}; tolerance ratio {rs}."]
        res["scopes"][sc] = {"rates": rates,
                             "points": {f"{s}@{r:g}": [by[(s, r)]["mean"], by[(s, r)]["ci95_low"],
                                                       by[(s, r)]["ci95_high"]]
                                        for s in ("none", "vote") for r in rates},
                             "tolerated_none": tn, "none_reached": rn,
                             "tolerated_vote": tv, "vote_reached": rv, "tolerance_ratio": rv_num}
    p0 = min((p for p in acc["msb"]["points"] if p["protect"] == "none"), key=lambda p: p["rate"])
    lo, hi = p0.get("test_ci95_low", 0), p0.get("test_ci95_high", 0)
    res["test_set_ci95_lowest_rate"] = [p0["mean"], lo, hi]
    md += ["", f"Test-set sampling error: on {n} samples, the mean {pct(p0['mean'])} (none, msb, "
           f"{rate_str(p0['rate'])}) has a 95% Clopper-Pearson interval of [{pct(lo)}, {pct(hi)}] "
           f"(about +-{50 * (hi - lo):.1f} points); more chips do not shrink it.",
           "", f"Chip model (`rramft run --protect vote`, fault-free chip, {run['images']} "
           f"samples, against its baseline without protection on the same chip): energy "
           f"{res['energy_overhead_pct']:+.2f}%, latency {res['latency_overhead_pct']:+.2f}%, "
           f"area {res['area_overhead_pct']:+.2f}%; per sample "
           f"{res['energy_pj_per_sample_none'] / 1e6:.3f} -> "
           f"{res['energy_pj_per_sample_vote'] / 1e6:.3f} uJ, "
           f"{res['latency_ns_per_sample_none'] / 1e3:.1f} -> "
           f"{res['latency_ns_per_sample_vote'] / 1e3:.1f} us.", ""]
    return "\n".join(md), res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("models", nargs="+")
    a = ap.parse_args(argv)
    parts, js = [], []
    for m in a.models:
        md, res = model_section(a.out, m)
        parts.append(md)
        js.append(res)
    write(os.path.join(a.out, "summary.md"), "\n".join(parts))
    write(os.path.join(a.out, "summary.json"), json.dumps(js, indent=1) + "\n")
    print("\n".join(parts))


if __name__ == "__main__":
    main()
