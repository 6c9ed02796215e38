/// `rramft run`: the SystemC/TLM-2.0 chip model in a minimal virtual platform (memory, a
/// CPU-like driver, the accelerator); reports cycles, latency, energy by component and layer,
/// area, the predicted classes, and what the protection costs against none on the same chip.
#include <algorithm>
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
#include "io/settings.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "rramft/chip.h"
#include "testbenches/platform.h"
#include "testbenches/report.h"
#include "testbenches/simulate.h"
#include "traces/energy_bins.h"
#include "traces/spans.h"
#include "traces/vcd.h"
#ifdef RRAMFT_HAVE_RTL
#include "rtl/cosim.h"
#endif

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

#ifdef RRAMFT_HAVE_RTL
/// What the co-simulated RTL blocks of @p top did, summed per kind (report.json "rtl").
nlohmann::json rtl_summary(sc_core::sc_object& top, const arch_spec& a) {
  nlohmann::json j = nlohmann::json::object();
  for (rtl::block* b : rtl::find_blocks(top)) {
    const bool vote = dynamic_cast<rtl::vote_cosim*>(b) != nullptr;
    nlohmann::json& k = j[vote ? "vote" : "opc"];
    const rtl::rtl_stats& s = b->rtl();
    auto add = [&](const char* key, uint64_t v) {
      k[key] = (k.contains(key) ? k[key].get<uint64_t>() : 0) + v;
    };
    add("instances", 1);
    add("cycles", s.cycles);
    add("input_beats", s.beats);
    add("output_beats", s.results);
    add("results_checked", s.checked);
    add("jobs", s.jobs);
    if (vote) {
      add("job_cycles", s.job_cycles);
      add("tlm_job_cycles", s.tlm_cycles);
      add("timing_mismatches", s.timing_mismatches);
    }
  }
  const rtl::build_params& p = rtl::built();
  if (j.contains("vote"))
    j["vote"]["rtl"] = {{"source", "rtl/vote_unit.sv"},
                        {"T", a.copies()},
                        {"W", p.width},
                        {"CE_PER_STAGE", p.vote_ce_per_stage}};
  if (j.contains("opc"))
    j["opc"]["rtl"] = {{"source", "rtl/opc_unit.sv"},
                       {"VAL_W", p.opc_val_bits},
                       {"SHIFT_W", p.opc_shift_bits},
                       {"ACC_W", p.width},
                       {"ADDR_W", p.opc_addr_bits}};
  return j;
}
#endif

/// Energy per layer, stacked by component, leakage included (energy.png via gnuplot;
/// energy_layers.csv beside it): each step is charged the chip's static power over its own
/// time, and the time between steps (the DMA of images and classes) has a bar of its own, so
/// that the bars add up to the report's total energy.
void plot_energy(const sc::run_report& rep, const arch_spec& a, result_set& out) {
  std::vector<std::string> comps;
  for (const auto& [step, per] : rep.layer_component_pj)
    for (const auto& [c, e] : per)
      if (std::find(comps.begin(), comps.end(), c) == comps.end()) comps.push_back(c);
  std::sort(comps.begin(), comps.end());
  comps.push_back("leakage");
  const double leak_mw = rep.json.at("energy_pj").at("leakage_mw").get<double>();
  std::map<std::string, double> step_ns;
  double steps_ns = 0;
  for (const auto& l : rep.json.at("layers")) {
    step_ns[l.at("name").get<std::string>()] = l.at("latency_ns").get<double>();
    steps_ns += l.at("latency_ns").get<double>();
  }
  // Weight layers one bar each; the special-function unit's steps together in one bar.
  std::vector<std::pair<std::string, std::map<std::string, double>>> rows;
  std::map<std::string, double> sfu;
  for (const auto& name : rep.layers) {
    auto per = rep.layer_component_pj.at(name);
    per["leakage"] = leak_mw * step_ns[name];  // mW x ns = pJ
    if (name.rfind("sfu:", 0) == 0)
      for (const auto& [c, e] : per) sfu[c] += e;
    else
      rows.emplace_back(name, per);
  }
  rows.emplace_back("digital (SFU)", sfu);
  rows.push_back(
      {"between steps (DMA)", {{"leakage", leak_mw * std::max(0.0, rep.latency_ns - steps_ns)}}});
  out.write("energy_layers.csv", [&](std::ostream& f) {
    f << "layer";
    for (const auto& c : comps) f << "," << c << "_nj";
    f << "\n";
    for (const auto& [name, per] : rows) {
      f << name;
      for (const auto& c : comps) f << "," << (per.count(c) ? per.at(c) / 1e3 : 0.0);
      f << "\n";
    }
  });
  std::ostringstream f;
  {
    f << "set terminal pngcairo size 1100,600 font 'sans,10'\n"
      << gnuplot_output("energy.png")
      << "set datafile separator ','\nset style data histograms\nset style histogram rowstacked\n"
      << "set style fill solid 0.85 border -1\nset boxwidth 0.75\nset key outside right\n"
      << "set ylabel 'energy (nJ, all images)'\nset title "
      << gnuplot_quoted("Energy by layer and component, dynamic and leakage (scheme " +
                        a.scheme_name() + ")")
      << title_lines(settings_lines(a, {"protection.scheme"})) << " noenhanced\n"
      << "set xtics rotate by -45 noenhanced\nset grid ytics\n";
    for (int i = 0; i < plot_colour_count; ++i)
      f << "set linetype " << i + 1 << " lc rgb '" << plot_colours[i] << "'\n";
    std::string names;  // the legend: the components without the header's unit
    for (const auto& c : comps) names += (names.empty() ? "" : " ") + c;
    f << "names = " << gnuplot_quoted(names) << "\n"
      << "plot for [i=2:" << comps.size() + 1 << "] " << gnuplot_quoted("energy_layers.csv")
      << " every ::1 using i:xtic(1) title word(names, i-1) lt (i-1)\n";
  }
  out.plot("energy.gp", "energy.png", f.str());
}

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
  const arch_spec arch = o.arch.load(o.sets);
  if (o.rtl_vcd && !arch.rtl.vote && !arch.rtl.opc)
    throw error("--rtl-vcd: no block is co-simulated (add --rtl vote,opc)");
#ifdef RRAMFT_HAVE_RTL
  if (o.rtl_vcd) rtl::enable_tracing();  // before the verilated models exist
#endif
  const energy::table ert = energy::table::load(arch.energy_table_path(o.arch.file));
  models::image_set data = models::load_dataset(o.data_spec);
  const std::unique_ptr<chip_setup> setup = prepare_chip(o.model_dir, arch, data, o.data_spec);
  sc::chip_run chip_run(setup->chip, setup->model, data);
  sc::platform& top = chip_run.top();
  // Traces of the protected chip, attached from outside; none of them exists unless asked for.
  std::unique_ptr<traces::span_recorder> spans;
  if (o.trace) spans = std::make_unique<traces::span_recorder>(*top.i_acc);
  // The results are staged from here on: SystemC and Verilator write their VCDs while the
  // simulation runs, into the staging folder, and everything is renamed into place at the end.
  result_set out(o.out_dir);
  std::unique_ptr<traces::vcd_recorder> vcd;
  if (o.vcd) {
    std::string base = out.staged("waves.vcd");
    base.resize(base.size() - 4);  // SystemC adds ".vcd"
    vcd = std::make_unique<traces::vcd_recorder>("top_vcd", *top.i_acc, base);
  }
#ifdef RRAMFT_HAVE_RTL
  std::unique_ptr<rtl::waves> rtl_waves;
  if (o.rtl_vcd) {
    sc_core::sc_start(sc_core::SC_ZERO_TIME);  // elaborate: Verilator traces evaluated models
    rtl_waves = std::make_unique<rtl::waves>(out.staged("rtl.vcd"), arch.clock_mhz);
    rtl_waves->attach(*top.i_acc);
  }
#endif
  // After every check of the input, so that a bad input still gets its one-line error alone.
  if (const std::string n = adc_notice(arch); !n.empty()) std::cerr << n << "\n";
  const auto wall0 = std::chrono::steady_clock::now();
  chip_run.simulate();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  sc::run_report rep = chip_run.report(ert, o.model_dir);
  // No wall time in report.json: the same seed gives the same file, bit for bit (stdout has it).
#ifdef RRAMFT_HAVE_RTL
  if (arch.rtl.vote || arch.rtl.opc) rep.json["rtl"] = rtl_summary(*top.i_acc, arch);
#endif
  // The traces are computed before anything is written, so that a bad --bin-ns leaves nothing.
  std::unique_ptr<traces::energy_bins> bins;
  if (o.energy_csv) {
    const double leakage_mw = rep.latency_ns > 0
                                  ? rep.json["energy_pj"]["leakage"].get<double>() / rep.latency_ns
                                  : 0.0;  // pJ / ns = mW
    bins = std::make_unique<traces::energy_bins>(traces::bin_energy(
        top.i_acc->ctrl().steps(), ert, arch, rep.latency_ns, o.bin_ns, leakage_mw, rep.start_ns));
  }
  const nlohmann::json trace_json =
      spans ? traces::chrome_trace(*top.i_acc, *spans, ert, arch) : nlohmann::json();
  out.write("report.json", [&](std::ostream& f) {
    f << rep.json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  });
  out.write("arch.yaml", [&](std::ostream& f) {
    YAML::Emitter e;
    e << arch.to_yaml();
    f << "# effective architecture of this result (all keys, overrides applied)\n"
      << e.c_str() << "\n";
  });
  std::string wrote = "report.json, energy.png, energy_layers.csv, arch.yaml";
  // Optional outputs this run does not make are dropped: none of an earlier run's stays.
  out.drop("waves.vcd");
  out.drop("rtl.vcd");
  out.drop("trace.json");
  out.drop("energy.csv");
  if (vcd) {
    vcd->close();
    wrote += ", waves.vcd";
  }
#ifdef RRAMFT_HAVE_RTL
  if (rtl_waves) {
    rtl_waves->close();
    wrote += ", rtl.vcd";
  }
#endif
  if (spans) {
    out.write("trace.json", [&](std::ostream& f) { f << trace_json.dump() << "\n"; });
    wrote += ", trace.json";
  }
  if (bins) {
    out.write("energy.csv", [&](std::ostream& f) { traces::write_energy_csv(f, *bins); });
    wrote += ", energy.csv";
  }
  plot_energy(rep, arch, out);
  out.commit();

  const auto& j = rep.json;
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
  std::printf("wrote %s/%s\n", o.out_dir.c_str(), wrote.c_str());
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
