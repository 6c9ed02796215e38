/// `rramft run`: the SystemC/TLM-2.0 chip model in a minimal virtual platform (memory, a
/// CPU-like driver, the accelerator); reports cycles, latency, energy by component and layer,
/// area, the predicted classes, and what the protection costs against none on the same chip.
#include <algorithm>
#include <boost/program_options.hpp>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "apps/output.h"
#include "core/error.h"
#include "energy/ert.h"
#include "engine/evaluate.h"
#include "engine/mapped_backend.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "testbenches/platform.h"
#include "testbenches/report.h"
#include "testbenches/simulate.h"
#include "traces/energy_bins.h"
#include "traces/spans.h"
#include "traces/vcd.h"

namespace po = boost::program_options;

namespace rramft::app {

namespace {

struct run_options {
  std::string model_dir, arch_file, out_dir, data_spec = "fashion-mnist:10", protect;
  std::vector<std::string> sets;
  double fault_rate = -1;
  long long seed = -1;
  bool vcd = false, trace = false, energy_csv = false;  ///< traces, all off by default
  double bin_ns = 0;                                    ///< energy.csv bin width; 0: automatic
  int threads = 1;  ///< OpenMP threads inside the datapath steps
};

/// Removes the VCD's temporary file unless the run got as far as renaming it into place.
struct vcd_guard {
  traces::vcd_recorder* rec = nullptr;
  bool kept = false;
  ~vcd_guard() {
    if (!rec || kept) return;
    rec->close();
    std::remove(rec->path().c_str());
  }
};

std::string arch_dir(const std::string& arch_file) {
  const size_t slash = arch_file.find_last_of('/');
  return slash == std::string::npos ? "." : arch_file.substr(0, slash);
}

/// Energy per layer, stacked by component (energy.png via gnuplot; energy_layers.csv beside it).
void plot_energy(const sc::run_report& rep, const std::string& dir) {
  std::vector<std::string> comps;
  for (const auto& [step, per] : rep.layer_component_pj)
    for (const auto& [c, e] : per)
      if (std::find(comps.begin(), comps.end(), c) == comps.end()) comps.push_back(c);
  std::sort(comps.begin(), comps.end());
  // Weight layers one bar each; the special-function unit's steps together in one bar.
  std::vector<std::pair<std::string, std::map<std::string, double>>> rows;
  std::map<std::string, double> sfu;
  for (const auto& name : rep.layers) {
    const auto& per = rep.layer_component_pj.at(name);
    if (name.rfind("sfu:", 0) == 0)
      for (const auto& [c, e] : per) sfu[c] += e;
    else
      rows.emplace_back(name, per);
  }
  rows.emplace_back("digital (SFU)", sfu);
  write_atomically(dir + "/energy_layers.csv", [&](std::ostream& f) {
    f << "layer";
    for (const auto& c : comps) f << "," << c;
    f << "\n";
    for (const auto& [name, per] : rows) {
      f << name;
      for (const auto& c : comps) f << "," << (per.count(c) ? per.at(c) / 1e3 : 0.0);
      f << "\n";
    }
  });
  write_atomically(dir + "/energy.gp", [&](std::ostream& f) {
    f << "set terminal pngcairo size 1100,600 font 'sans,10'\nset output '" << dir
      << "/energy.png.tmp'\n"
      << "set datafile separator ','\nset style data histograms\nset style histogram rowstacked\n"
      << "set style fill solid 0.85 border -1\nset boxwidth 0.75\nset key outside right\n"
      << "set ylabel 'energy (nJ, all images)'\nset title 'Dynamic energy by layer and component' "
         "noenhanced\n"
      << "set xtics rotate by -45 noenhanced\nset grid ytics\n";
    const char* colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                             "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#e7ba52"};
    for (int i = 0; i < 12; ++i)
      f << "set linetype " << i + 1 << " lc rgb '" << colours[i] << "'\n";
    f << "plot for [i=2:" << comps.size() + 1 << "] '" << dir
      << "/energy_layers.csv' using i:xtic(1) title columnheader(i) lt (i-1)\n";
  });
  const int rc = std::system(("gnuplot '" + dir + "/energy.gp' > /dev/null 2>&1").c_str());
  if (rc != 0) {
    std::remove((dir + "/energy.png.tmp").c_str());
    std::cerr << "rramft: warning: gnuplot failed, energy.png not written (install gnuplot-nox)\n";
    return;
  }
  std::rename((dir + "/energy.png.tmp").c_str(), (dir + "/energy.png").c_str());
}

}  // namespace

int cmd_run(int argc, char** argv) {
  run_options o;
  po::options_description opts("rramft run options");
  opts.add_options()("help,h", "show this help")("model", po::value(&o.model_dir)->required(),
                                                 "model folder")(
      "arch", po::value(&o.arch_file)->required(), "architecture YAML")(
      "set", po::value(&o.sets)->composing(), "override an architecture key (repeatable)")(
      "data", po::value(&o.data_spec), "fashion-mnist[:N] (default fashion-mnist:10)")(
      "fault-rate", po::value(&o.fault_rate), "stuck-at cell rate (sets fault.rate)")(
      "seed", po::value(&o.seed), "chip seed (sets seed)")(
      "protect", po::value(&o.protect), "none|vote|tmr, +range, +clip (sets protection.scheme)")(
      "out", po::value(&o.out_dir)->required(), "output folder")(
      "vcd", po::bool_switch(&o.vcd),
      "write waves.vcd: per tile busy, ADC conversions and vote compare-exchanges so far; "
      "controller state; interrupt (GTKWave)")(
      "trace", po::bool_switch(&o.trace),
      "write trace.json (Chrome trace events, Perfetto): spans per layer and SFU operation, per "
      "row-block job on its tile, per NoC transfer")(
      "energy-csv", po::bool_switch(&o.energy_csv),
      "write energy.csv: energy per component (and leakage) per time bin, pJ")(
      "bin-ns", po::value(&o.bin_ns),
      "energy.csv bin width in ns (default: a round width giving 100 to 200 bins)")(
      "threads", po::value(&o.threads),
      "OpenMP threads for the arithmetic inside the simulation (default 1: the simulation "
      "makes many small parallel regions, which crawl when the cores are shared)");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << opts;
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw error(std::string("run: ") + e.what());
  }
  if (vm.count("fault-rate")) o.sets.push_back("fault.rate=" + std::to_string(o.fault_rate));
  if (vm.count("seed")) {
    if (o.seed < 0) throw error("--seed must be non-negative");
    o.sets.push_back("seed=" + std::to_string(o.seed));
  }
  if (!o.protect.empty()) o.sets.push_back("protection.scheme=" + o.protect);
  if (o.threads < 1 || o.threads > 1024) throw error("--threads: expected 1 to 1024");
#ifdef _OPENMP
  omp_set_num_threads(o.threads);
#endif
  if (vm.count("bin-ns") && !(o.bin_ns > 0 && std::isfinite(o.bin_ns)))
    throw error("--bin-ns: expected a positive width in ns");
  const arch_spec arch = arch_spec::load(o.arch_file, o.sets);
  const energy::table ert = energy::table::load(arch_dir(o.arch_file) + "/" + arch.energy_table);
  const models::model m = models::load_model(o.model_dir);
  const models::image_set data = models::load_dataset(o.data_spec);
  const models::network net(m);
  if (!net.takes_images())
    throw error(o.model_dir + ": rramft run feeds images; family '" + m.family + "' takes tokens");
  if (data.rows != net.image_size() || data.channels != net.image_channels())
    throw error(data.name + ": images do not match the model's input size");
  mapping::chip_mapping cm = mapping::map_model(m, arch);
  const fault_map chip(arch.fault, arch.seed, arch.cell_bits);
  std::vector<std::vector<cell_error>> errors;
  for (const auto& l : cm.layers) errors.push_back(read_errors(l, chip, 0));
  std::vector<double> scales;
  if (arch.input_scale == "calibrated") {
    engine::calibrating_backend cb(m);
    engine::accuracy(net, cb, models::load_dataset("fashion-mnist-train:1000"));
    scales = cb.scales(arch);
  }
  if (arch.protection.range)  // SAVE: the SFU's bounds, profiled on the fault-free chip
    engine::profile_ranges(cm, m, models::load_dataset("fashion-mnist-train:1000"), scales);
  // The same chip (seed, fault map) once more without protection, in the same elaboration, so
  // that the report can state what the protection costs.
  arch_spec base = arch;
  base.protection.scheme = scheme::none;
  base.protection.range = base.protection.clip = false;
  if (arch.protection.clip) base.quant.clip = clip_mode::none;
  const bool compare =
      base.scheme_name() != arch.scheme_name() || base.quant.clip != arch.quant.clip;
  const mapping::chip_mapping cm_none =
      compare ? mapping::map_model(m, base) : mapping::chip_mapping{};
  std::vector<std::vector<cell_error>> errors_none;
  for (const auto& l : cm_none.layers) errors_none.push_back(read_errors(l, chip, 0));

  sc::platform top("top", arch, cm, m, errors, scales, data.pixels.data(), data.n,
                   data.image_bytes());
  std::unique_ptr<sc::platform> top_none;
  if (compare)
    top_none = std::make_unique<sc::platform>("top_none", base, cm_none, m, errors_none, scales,
                                              data.pixels.data(), data.n, data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  // Traces of the protected chip, attached from outside; none of them exists unless asked for.
  std::unique_ptr<traces::span_recorder> spans;
  if (o.trace) spans = std::make_unique<traces::span_recorder>(*top.i_acc);
  std::unique_ptr<traces::vcd_recorder> vcd;
  if (o.vcd) {
    make_dir(o.out_dir);  // SystemC writes the VCD while it runs, under a temporary name
    vcd = std::make_unique<traces::vcd_recorder>("top_vcd", *top.i_acc, o.out_dir + "/waves.tmp");
  }
  vcd_guard vcd_tmp{vcd.get()};
  const auto wall0 = std::chrono::steady_clock::now();
  sc::simulate();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  sc::run_report rep = sc::make_report(arch, ert, cm, top, data);
  rep.json["model"] = o.model_dir;
  rep.json["wall_seconds"] = wall;
  if (compare) {
    const sc::run_report none = sc::make_report(base, ert, cm_none, *top_none, data);
    rep.json["baseline_none"] = {{"energy_pj", none.total_pj},
                                 {"latency_ns", none.latency_ns},
                                 {"area_mm2", none.area_mm2},
                                 {"crossbars_used", cm_none.crossbars_used()},
                                 {"accuracy", none.json["accuracy"]},
                                 {"error_rate", none.json["error_rate"]},
                                 {"accurate_latency_ns", none.json["accurate_latency_ns"]}};
    rep.json["overhead_vs_none_pct"] = {
        {"energy", 100 * (rep.total_pj / none.total_pj - 1)},
        {"latency", 100 * (rep.latency_ns / none.latency_ns - 1)},
        {"area", 100 * (rep.area_mm2 / none.area_mm2 - 1)},
        {"crossbars", 100.0 * (double(cm.crossbars_used()) / cm_none.crossbars_used() - 1)}};
  }
  // The traces are computed before anything is written, so that a bad --bin-ns leaves nothing.
  std::unique_ptr<traces::energy_bins> bins;
  if (o.energy_csv) {
    const double leakage_mw = rep.latency_ns > 0
                                  ? rep.json["energy_pj"]["leakage"].get<double>() / rep.latency_ns
                                  : 0.0;  // pJ / ns = mW
    bins = std::make_unique<traces::energy_bins>(traces::bin_energy(
        top.i_acc->ctrl().steps(), ert, arch, rep.latency_ns, o.bin_ns, leakage_mw));
  }
  const nlohmann::json trace_json =
      spans ? traces::chrome_trace(*top.i_acc, *spans, ert, arch) : nlohmann::json();
  make_dir(o.out_dir);
  write_atomically(o.out_dir + "/report.json",
                   [&](std::ostream& f) { f << rep.json.dump(2) << "\n"; });
  write_atomically(o.out_dir + "/arch.yaml", [&](std::ostream& f) {
    YAML::Emitter e;
    e << arch.to_yaml();
    f << "# effective architecture of this result (all keys, overrides applied)\n"
      << e.c_str() << "\n";
  });
  std::string wrote = "report.json, energy.png, energy_layers.csv, arch.yaml";
  if (vcd) {
    vcd->close();
    std::error_code ec;
    std::filesystem::rename(vcd->path(), o.out_dir + "/waves.vcd", ec);
    if (ec) throw error(o.out_dir + "/waves.vcd: cannot rename into place: " + ec.message());
    vcd_tmp.kept = true;
    wrote += ", waves.vcd";
  }
  if (spans) {
    write_atomically(o.out_dir + "/trace.json",
                     [&](std::ostream& f) { f << trace_json.dump() << "\n"; });
    wrote += ", trace.json";
  }
  if (bins) {
    write_atomically(o.out_dir + "/energy.csv",
                     [&](std::ostream& f) { traces::write_energy_csv(f, *bins); });
    wrote += ", energy.csv";
  }
  plot_energy(rep, o.out_dir);

  const auto& j = rep.json;
  std::printf(
      "%d images, accuracy %.2f%%, %.2f us per image, %lld cycles at %.0f MHz, %.2f s wall\n",
      data.n, 100 * j["accuracy"].get<double>(), j["latency_ns_per_image"].get<double>() / 1e3,
      j["cycles"].get<long long>(), arch.clock_mhz, wall);
  std::printf(
      "error rate %.2f%% (labels), AccurateLatency %.2f us per image (latency x (1 + error "
      "rate))\n",
      100 * j["error_rate"].get<double>(), j["accurate_latency_ns_per_image"].get<double>() / 1e3);
  std::printf("energy %.3f uJ (dynamic %.3f, leakage %.3f), area %.2f mm^2 on %d tiles\n",
              rep.total_pj / 1e6, j["energy_pj"]["dynamic"].get<double>() / 1e6,
              j["energy_pj"]["leakage"].get<double>() / 1e6, rep.area_mm2,
              j["tiles_used"].get<int>());
  for (const auto& [c, e] : j["energy_pj"]["by_component"].items())
    std::printf("  %-8s %12.3f nJ\n", c.c_str(), e.get<double>() / 1e3);
  if (compare)
    std::printf(
        "%s vs none on the same chip: energy %+.2f%%, latency %+.2f%%, area %+.2f%%, crossbars "
        "%+.2f%%\n",
        arch.scheme_name().c_str(), j["overhead_vs_none_pct"]["energy"].get<double>(),
        j["overhead_vs_none_pct"]["latency"].get<double>(),
        j["overhead_vs_none_pct"]["area"].get<double>(),
        j["overhead_vs_none_pct"]["crossbars"].get<double>());
  std::printf("wrote %s/%s\n", o.out_dir.c_str(), wrote.c_str());
  return 0;
}

}  // namespace rramft::app

/// SystemC's own main calls this; rramft's main hands "run" to SystemC (sc_elab_and_sim).
int sc_main(int argc, char** argv) {
  try {
    return rramft::app::cmd_run(argc - 1, argv + 1);
  } catch (const rramft::error& e) {
    std::cerr << "rramft: error: " << e.what() << "\n";
    return 2;
  } catch (const sc_core::sc_report& e) {
    std::string msg = e.what();
    std::replace(msg.begin(), msg.end(), '\n', ' ');
    std::cerr << "rramft: error: SystemC: " << msg << "\n";
    return 2;
  }
}
