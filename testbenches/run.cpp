#include "testbenches/run.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

#include "io/output.h"
#include "io/settings.h"
#include "testbenches/platform.h"
#include "testbenches/report.h"
#include "traces/energy_bins.h"
#include "traces/spans.h"
#include "traces/vcd.h"
#ifdef RRAMFT_HAVE_RTL
#include "rtl/cosim.h"
#endif

namespace rramft::sc {

namespace {

#ifdef RRAMFT_HAVE_RTL
/// What the co-simulated RTL blocks of @p top did, summed per kind (report.json "rtl").
nlohmann::json rtl_summary(sc_core::sc_object& top, const full_spec& a) {
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
void plot_energy(const run_report& rep, const full_spec& a, result_set& out) {
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

run_summary run_chip(const engine::chip_setup& s, const chip_spec& chip, const models::model& m,
                     const models::image_set& data, const energy::table& ert,
                     const run_outputs& o) {
  const full_spec arch{s.arch, chip};
#ifdef RRAMFT_HAVE_RTL
  if (o.rtl_vcd) rtl::enable_tracing();  // before the verilated models exist
#endif
  chip_run chip_run(s, chip, m, data);
  platform& top = chip_run.top();
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
  if (!o.notice.empty()) std::cerr << o.notice << "\n";
  const auto wall0 = std::chrono::steady_clock::now();
  chip_run.simulate();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  run_report rep = chip_run.report(ert, o.model);
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

  run_summary r;
  r.report = std::move(rep.json);
  r.wall_s = wall;
  r.total_pj = rep.total_pj;
  r.area_mm2 = rep.area_mm2;
  r.crossbar_area_mm2 = rep.crossbar_area_mm2;
  r.wrote = wrote;
  return r;
}

}  // namespace rramft::sc
