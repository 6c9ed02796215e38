/// `rramft run`: the SystemC/TLM-2.0 chip model in a minimal virtual platform (memory, a
/// CPU-like driver, the accelerator); reports cycles, latency, energy by component and layer,
/// area, the predicted classes, and what the protection costs against none on the same chip.
/// The command reads its options and inputs and prints the summary; the testbench
/// (testbenches/run.h) elaborates, simulates, reports and writes the result folder.
#include <algorithm>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "apps/cli.h"
#include "core/error.h"
#include "energy/ert.h"
#include "engine/evaluate.h"
#include "engine/footprint.h"
#include "engine/mapped_backend.h"
#include "io/output.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "rramft/chip.h"
#include "testbenches/run.h"

namespace rramft::app {

namespace {

struct run_options {
  arch_args arch;                 ///< --arch, --set, --set-from
  std::vector<std::string> sets;  ///< keys the other options set, after --set
  std::string model_dir, out_dir, data_spec = "fashion-mnist:10", protect, rtl, fault_map;
  bool rtl_vcd = false;  ///< rtl.vcd: the co-simulated RTL's own signals
  double fault_rate = -1;
  long long seed = -1;
  bool vcd = false, trace = false, energy_csv = false;  ///< traces, all off by default
  double bin_ns = 0;                                    ///< energy.csv bin width; 0: automatic
  int threads = 1;  ///< OpenMP threads inside the datapath steps
};

}  // namespace

int cmd_run(int argc, char** argv) {
  run_options o;
  po::options_description opts("rramft run options");
  opts.add_options()("help,h", "show this help")("model", po::value(&o.model_dir)->required(),
                                                 "model folder or ONNX file (FILE.onnx)");
  o.arch.add_to(opts);
  opts.add_options()("data", po::value(&o.data_spec),
                     "fashion-mnist[:N] (default fashion-mnist:10), DIR[:N], FILE.npz[:N] or "
                     "X.npy,Y.npy[:N]")("fault-rate", po::value(&o.fault_rate),
                                        "stuck-at cell rate (sets fault.rate)")(
      "seed", po::value(&o.seed), "chip seed (sets seed)")(
      "fault-map", po::value(&o.fault_map),
      "measured fault map (docs/faults.md; sets fault.map): the chip's stuck cells")(
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
      "makes many small parallel regions, which crawl when the cores are shared)")(
      "rtl", po::value(&o.rtl),
      "co-simulate blocks as verilated RTL: vote, opc or vote,opc (sets rtl.vote, rtl.opc); "
      "every result is checked against the functional core")(
      "rtl-vcd", po::bool_switch(&o.rtl_vcd),
      "write rtl.vcd: the co-simulated RTL's own signals, on its own cycle time base (GTKWave)");
  po::variables_map vm;
  if (!parse_command("run", argc, argv, opts, vm)) return 0;
  const output_lock lock(o.out_dir);  // one run per folder; a second one is refused now
  if (vm.count("rtl")) {
    std::stringstream ss(o.rtl);
    for (std::string b; std::getline(ss, b, ',');) {
      if (b != "vote" && b != "opc") throw error("--rtl: '" + b + "' is not one of vote | opc");
      o.sets.push_back("rtl." + b + "=true");
    }
  }
  if (vm.count("fault-rate")) o.sets.push_back("fault.rate=" + std::to_string(o.fault_rate));
  if (vm.count("seed")) {
    if (o.seed < 0) throw error("--seed must be non-negative");
    o.sets.push_back("seed=" + std::to_string(o.seed));
  }
  if (vm.count("fault-map")) o.sets.push_back("fault.map=" + o.fault_map);
  if (!o.protect.empty()) o.sets.push_back("protection.scheme=" + o.protect);
  if (o.threads < 1 || o.threads > 1024) throw error("--threads: expected 1 to 1024");
#ifdef _OPENMP
  omp_set_num_threads(o.threads);
#endif
  if (vm.count("bin-ns") && !(o.bin_ns > 0 && std::isfinite(o.bin_ns)))
    throw error("--bin-ns: expected a positive width in ns");
  const full_spec arch = o.arch.load(o.sets);
  if (o.rtl_vcd && !arch.rtl.vote && !arch.rtl.opc)
    throw error("--rtl-vcd: no block is co-simulated (add --rtl vote,opc)");
  const energy::table ert = energy::table::load(arch.energy_table);
  models::image_set data = models::load_dataset(o.data_spec);
  const std::unique_ptr<chip_setup> setup = prepare_chip(o.model_dir, arch, data, o.data_spec);
  sc::run_outputs out;
  out.out_dir = o.out_dir;
  out.model = o.model_dir;
  out.vcd = o.vcd;
  out.trace = o.trace;
  out.energy_csv = o.energy_csv;
  out.bin_ns = o.bin_ns;
  out.rtl_vcd = o.rtl_vcd;
  // After every check of the input, so that a bad input still gets its one-line error alone.
  out.notice = adc_notice(arch);
  const sc::run_summary rep =
      sc::run_chip(setup->chip, setup->chip_keys, setup->model, data, ert, out);
  const double wall = rep.wall_s;

  const auto& j = rep.report;
  std::printf(
      "%d images, accuracy %.2f%%, %.2f us per image, %lld cycles at %.0f MHz, %.2f s wall\n",
      data.n, 100 * j["accuracy"].get<double>(), j["latency_ns_per_image"].get<double>() / 1e3,
      j["cycles"].get<long long>(), arch.clock_mhz, wall);
  std::printf(
      "error rate %.2f%% (labels), AccurateLatency %.2f us per image (latency x (1 + error "
      "rate))\n",
      100 * j["error_rate"].get<double>(), j["accurate_latency_ns_per_image"].get<double>() / 1e3);
  std::printf(
      "energy %.3f uJ (dynamic %.3f, leakage %.3f at %.1f mW), area %.3f mm^2 on %d tiles in "
      "use (crossbar arrays %.4f mm^2; whole chip of %d tiles %.2f mm^2)\n",
      rep.total_pj / 1e6, j["energy_pj"]["dynamic"].get<double>() / 1e6,
      j["energy_pj"]["leakage"].get<double>() / 1e6, j["energy_pj"]["leakage_mw"].get<double>(),
      rep.area_mm2, j["tiles_used"].get<int>(), rep.crossbar_area_mm2, arch.tiles.count,
      j["area_mm2"]["chip"].get<double>());
  std::printf(
      "programming the weights (apart from the above): %.0f cells x %d write-verify "
      "iterations, %.3f uJ, %.3f ms\n",
      j["programming"]["cells"].get<double>(), j["programming"]["verify_iterations"].get<int>(),
      j["programming"]["energy_pj"].get<double>() / 1e6,
      j["programming"]["time_ns"].get<double>() / 1e6);
  std::printf(
      "%.4g ops (2 x dense MACs): %.3f TOPS/W (dynamic only %.3f), %.4f TOPS/mm^2 of the "
      "tiles in use\n",
      j["efficiency"]["ops"].get<double>(), j["efficiency"]["tops_per_w"].get<double>(),
      j["efficiency"]["tops_per_w_dynamic"].get<double>(),
      j["efficiency"]["tops_per_mm2"].get<double>());
  for (const auto& [c, e] : j["energy_pj"]["by_component"].items())
    std::printf("  %-8s %12.3f nJ\n", c.c_str(), e.get<double>() / 1e3);
  if (setup->chip.compare)
    std::printf(
        "%s vs none on the same chip: energy %+.2f%%, latency %+.2f%%, area of tiles in use "
        "%+.3f%%, crossbar-array area %+.2f%% (crossbars %+.2f%%)\n",
        arch.scheme_name().c_str(), j["overhead_vs_none_pct"]["energy"].get<double>(),
        j["overhead_vs_none_pct"]["latency"].get<double>(),
        j["overhead_vs_none_pct"]["area"].get<double>(),
        j["overhead_vs_none_pct"]["crossbar_area"].get<double>(),
        j["overhead_vs_none_pct"]["crossbars"].get<double>());
  if (j.contains("rtl")) {
    for (const auto& [kind, r] : j["rtl"].items())
      std::printf(
          "RTL co-simulation, %s: %llu results equal to the functional core, %llu RTL cycles\n",
          kind.c_str(), r["results_checked"].get<unsigned long long>(),
          r["cycles"].get<unsigned long long>());
    if (j["rtl"].contains("vote") && j["rtl"]["vote"]["timing_mismatches"].get<uint64_t>() > 0)
      std::fprintf(stderr,
                   "rramft: warning: the TLM voting unit's timing (timing.vote_cycles %d, "
                   "timing.vote_ii %d) differs from the RTL's in %llu jobs; rramft rtl-timing "
                   "writes the RTL's for --set-from\n",
                   arch.timing.vote_cycles, arch.timing.vote_ii,
                   j["rtl"]["vote"]["timing_mismatches"].get<unsigned long long>());
  }
  std::printf("wrote %s/%s\n", o.out_dir.c_str(), rep.wrote.c_str());
  return 0;
}

int cmd_rtl_timing(int argc, char** argv);

}  // namespace rramft::app

/// SystemC's own main calls this; rramft's main hands "run" and "rtl-timing" to SystemC
/// (sc_elab_and_sim).
int sc_main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string(argv[1]) == "rtl-timing")
      return rramft::app::cmd_rtl_timing(argc - 1, argv + 1);
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
