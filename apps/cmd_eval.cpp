/// `rramft eval`: accuracy under stuck-at faults, Monte Carlo over chips, for every
/// (protection scheme, failure rate) pair; writes accuracy.json, accuracy.csv, accuracy.png.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/cli.h"
#include "core/error.h"
#include "core/faults.h"
#include "engine/evaluate.h"
#include "io/output.h"
#include "io/settings.h"
#include "models/idx.h"
#include "models/model.h"
#include "models/network.h"

namespace rramft::app {

namespace {

std::vector<std::string> split(const std::string& s, const std::string& what) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.empty()) throw error(what + " '" + s + "': empty item");
    out.push_back(item);
  }
  if (out.empty()) throw error(what + ": no values");
  return out;
}

std::vector<double> parse_rates(const std::string& s) {
  std::vector<double> r;
  for (const auto& item : split(s, "--rates")) {
    size_t used = 0;
    double v = -1;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    engine::check_rate(used == item.size() ? v : -1, item);
    r.push_back(v);
  }
  return r;
}

/// The accuracy-vs-failure-rate picture, in the manner of the paper's Figure 7, on a log rate
/// axis: rate 0 has no place on it (the legend gives each scheme's fault-free accuracy), so
/// without a positive rate there is no picture. True when accuracy.png was written. The script
/// names its files relative to its folder: `gnuplot accuracy.gp` in the result folder redraws it.
bool plot(const engine::eval_report& rep, const full_spec& a, result_set& out) {
  if (std::none_of(rep.points.begin(), rep.points.end(),
                   [](const engine::eval_point& p) { return p.rate > 0; })) {
    std::cerr << "rramft: note: accuracy.png not drawn: no failure rate above 0\n";
    out.drop("accuracy.gp");
    out.drop("accuracy.png");
    return false;
  }
  const std::string csv = gnuplot_quoted("accuracy.csv");
  std::ostringstream o;
  {
    o << "set terminal pngcairo size 900,600 font 'sans,11'\n"
      << gnuplot_output("accuracy.png") << "set datafile separator ','\n"
      << "set title "
      << gnuplot_quoted("Accuracy under stuck-at faults: " + rep.model + " (" +
                        std::to_string(rep.trials) + " chips per point, 95% CI)")
      << title_lines(settings_lines(a, {"protection.scheme", "fault.rate"})) << " noenhanced\n"
      << "set xlabel 'cell failure rate (%)'\nset ylabel 'accuracy (%)'\n"
      << "set logscale x\nset grid\nset key bottom left\nset yrange [0:100]\n"
      << "plot ";
    bool first = true;
    for (const auto& s : rep.schemes) {
      o << (first ? "" : ", ") << csv << " using ($2 > 0 ? $2*100 : 1/0):(strcol(1) eq '"
        << s.protect << "' ? $3*100 : 1/0):($5*100):($6*100) with yerrorlines lw 2 title '"
        << s.protect << " (fault-free " << std::round(s.fault_free * 1000) / 10 << "%)'";
      first = false;
    }
    o << ", " << rep.float_acc * 100 << " with lines dt 2 lc 'gray' title 'float "
      << std::round(rep.float_acc * 1000) / 10 << "%'\n";
  }
  return out.plot("accuracy.gp", "accuracy.png", o.str());
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  arch_args arch_a;
  std::string model_dir, out_dir, data_spec = "fashion-mnist", rates_s, protect_s = "none,vote",
                                  calib_spec = "fashion-mnist-train:1000";
  int trials = 10, batch = 500, threads = 0, layer_error_images = 100;
  std::string split_s = "chips", fault_map_file;
  po::options_description opts("rramft eval options");
  opts.add_options()("help,h", "show this help")("model", po::value(&model_dir)->required(),
                                                 "model folder (config.json + model.safetensors) "
                                                 "or ONNX file (FILE.onnx)");
  arch_a.add_to(opts);
  opts.add_options()(
      "data", po::value(&data_spec),
      "fashion-mnist[:N] (default: all 10,000 test images), DIR[:N] (idx), FILE.npz[:N] "
      "(arrays x, y) or X.npy,Y.npy[:N]")(
      "rates", po::value(&rates_s),
      "comma-separated cell failure rates, e.g. 1e-4,5e-4,1e-3 (required unless the chip has a "
      "fault map)")(
      "fault-map", po::value(&fault_map_file),
      "measured fault map (docs/faults.md; sets fault.map): every chip has exactly its stuck "
      "cells, the trials differ only in transient faults (default --trials 1 then)")(
      "trials", po::value(&trials), "chips (fault maps) per point (default 10)")(
      "protect", po::value(&protect_s),
      "comma-separated schemes: none, vote, tmr, range, clip and '+' combinations such as "
      "vote+range or clip+vote (default none,vote)")(
      "calib", po::value(&calib_spec),
      "calibration images for input_scale: calibrated and for range checks (default "
      "fashion-mnist-train:1000; for .npy/.npz data its first 1000 samples)")(
      "batch", po::value(&batch), "images per forward pass (default 500)")(
      "threads", po::value(&threads),
      "threads (default: all cores); what runs side by side is --split")(
      "split", po::value(&split_s),
      "chips (default): whole runs, one chip per thread; batches: the batches of one run")(
      "layer-error-images", po::value(&layer_error_images),
      "images on which every chip's per-layer relative RMS error against the fault-free mapped "
      "chip is measured, 0 = off (default 100; layer_error.csv)")(
      "out", po::value(&out_dir)->required(), "output folder");
  po::variables_map vm;
  if (!parse_command("eval", argc, argv, opts, vm)) return 0;
  const output_lock lock(out_dir);  // one run per folder; a second one is refused now
  engine::eval_options opt;
  opt.trials = trials;
  opt.batch = batch;
  opt.threads = threads;
  opt.layer_error_images = layer_error_images;
  opt.check();
  opt.split = engine::parse_split(split_s);
  const full_spec arch =
      arch_a.load(vm.count("fault-map") ? std::vector<std::string>{"fault.map=" + fault_map_file}
                                        : std::vector<std::string>{});
  if (arch.fault.table) {
    // The map fixes the stuck cells: one point, at the map's stuck share of its crossbars.
    if (vm.count("rates"))
      throw error("--rates: the fault map " + arch.fault.map +
                  " fixes the stuck cells; leave --rates out");
    uint64_t xbars = 0;
    for (const auto& x : arch.fault.table->xbars) xbars = std::max(xbars, x.first + 1);
    opt.rates = {xbars ? double(arch.fault.table->cells) /
                             (double(xbars) * arch.crossbar.rows * arch.crossbar.cols)
                       : 0.0};
    if (!vm.count("trials") && arch.fault.transient_rate == 0) opt.trials = 1;
  } else {
    if (!vm.count("rates")) throw error("eval: the option '--rates' is required but missing");
    opt.rates = parse_rates(rates_s);
  }
  opt.protect = split(protect_s, "--protect");
  engine::check_schemes(arch, opt.protect);  // before any work
  models::model m = models::load_model(model_dir);
  models::image_set data = models::load_dataset(data_spec);
  models::bind_data(m, data);
  models::network(m).check_data(data);  // labels, one class per sample: before any work
  models::image_set calib;
  engine::prepare_calibration(
      m, arch, opt.protect, data,
      !vm.count("calib") && models::is_array_spec(data_spec) ? "" : calib_spec, calib, opt);
  // Refused up front when the batch buffers and fault lists would not fit the machine.
  engine::check_eval_footprint(m, arch, data, opt, "rramft eval");
  const bool tty = isatty(2);
  opt.progress = [tty](const std::string& line) {
    if (tty)
      std::cerr << "\r\033[K" << line << std::flush;
    else
      std::cerr << line << "\n";
  };
  const engine::eval_report rep = engine::evaluate(m, arch, data, opt);
  if (tty) std::cerr << "\n";
  // After the run (errors of the input come first, alone), before the results it explains.
  if (const std::string n = adc_notice(arch); !n.empty()) std::cerr << n << "\n";

  result_set out(out_dir);
  out.write("accuracy.json", [&](std::ostream& o) {
    o << rep.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  });
  out.write("accuracy.csv", [&](std::ostream& o) { o << rep.to_csv(); });
  if (rep.layer_error_images > 0)
    out.write("layer_error.csv", [&](std::ostream& o) { o << rep.layer_error_csv(); });
  out.write("arch.yaml", [&](std::ostream& o) {
    YAML::Emitter e;
    e << arch.to_yaml();
    o << "# effective architecture of this result (all keys, overrides applied)\n"
      << e.c_str() << "\n";
  });
  const bool drawn = plot(rep, arch, out);
  out.commit();

  std::printf("float accuracy %.2f%% on %d images\n", 100 * rep.float_acc, rep.images);
  std::printf("%-16s %10s %8s %8s %17s %17s\n", "protect", "rate", "mean%", "std",
              "chip-to-chip 95%", "test-set 95%");
  for (const auto& p : rep.points)
    std::printf("%-16s %10.3g %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f\n", p.protect.c_str(), p.rate,
                100 * p.mean, 100 * p.std, 100 * p.ci95_low, 100 * p.ci95_high,
                100 * p.test_ci95_low, 100 * p.test_ci95_high);
  std::printf(
      "(chip-to-chip: Student t over the %d chips, clipped to [0, 100]; test-set: binomial "
      "Clopper-Pearson over the %d images)\n",
      rep.trials, rep.images);
  if (rep.layer_error_images > 0) {
    // The most sensitive layer of every point; the full table is in layer_error.csv.
    for (const auto& p : rep.points) {
      size_t worst = 0;
      for (size_t l = 1; l < p.layer_rel_rms.size(); ++l)
        if (p.layer_rel_rms[l] > p.layer_rel_rms[worst]) worst = l;
      if (!p.layer_rel_rms.empty())
        std::printf(
            "%s rate %.3g: largest per-layer relative RMS error %.3g (%s), over %d images\n",
            p.protect.c_str(), p.rate, p.layer_rel_rms[worst], rep.layer_names[worst].c_str(),
            rep.layer_error_images);
    }
  }
  for (const auto& s : rep.schemes) {
    std::printf("%s: fault-free %.2f%%, storage overhead %.2f%%, MSB-zero share %.2f%%, ",
                s.protect.c_str(), 100 * s.fault_free, s.storage_overhead_pct,
                100 * s.msb_zero_fraction);
    if (s.reached)
      std::printf("drops 10 points at rate %.3g", s.tolerated_rate);
    else
      std::printf("does not drop 10 points within the rates evaluated");
    const double r = rep.tolerance_ratio(s.protect);
    if (s.protect != "none" && !std::isnan(r)) std::printf(", tolerance ratio vs none %.2f", r);
    std::printf("\n");
  }
  std::printf("wrote %s/accuracy.json, accuracy.csv, %sarch.yaml\n", out_dir.c_str(),
              drawn ? "accuracy.png, " : "");
  return 0;
}

}  // namespace rramft::app
