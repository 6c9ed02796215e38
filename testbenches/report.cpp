#include "testbenches/report.h"

#include <cmath>

#include "core/error.h"
#include "testbenches/simulate.h"

namespace rramft::sc {

run_report make_report(const full_spec& a, const energy::table& ert,
                       const mapping::chip_mapping& cm, const platform& top,
                       const models::image_set& data) {
  if (top.i_cpu->status != 2)
    throw error("run: the accelerator finished with STATUS " + std::to_string(top.i_cpu->status));
  run_report r;
  // From the start to the done interrupt: the accelerator's own time, no driver in it.
  const double total_ns = top.i_acc->latency_ns();
  const std::vector<uint32_t> classes = top.classes();
  auto price = [&](const std::string& key) {
    return ert.energy_pj(key.substr(key.find('/') + 1), a);
  };

  const action_counts counts = top.i_acc->counters();
  std::map<std::string, double> by_component;
  double dynamic = 0;
  for (const auto& [key, n] : counts) {
    const double e = double(n) * price(key);
    by_component[energy::component_of(key.substr(key.find('/') + 1))] += e;
    dynamic += e;
  }
  // Leakage and area of the tiles in use (and the global buffer), leakage over the run's
  // latency; the area of the whole configured chip beside it.
  const int tiles = top.i_acc->tiles_used(), xbars = tiles * a.tiles.crossbars;
  const int adcs_per_xbar = (a.crossbar.cols + a.adc.share - 1) / a.adc.share;
  const std::map<std::string, double> used = energy::instances(a, tiles, false);
  const std::map<std::string, double> chip = energy::instances(a, a.tiles.count, true);
  double leakage = 0, area = 0, leakage_mw = 0;
  nlohmann::json jarea, jleak, jchip;
  for (const auto& [comp, count] : used) {
    const double mw = count * ert.leakage_mw(comp, a);
    const double lk = mw * total_ns;  // mW x ns = pJ
    const double ar = count * ert.area_mm2(comp, a);
    jleak[comp] = lk;
    jarea[comp] = ar;
    leakage_mw += mw;
    leakage += lk;
    area += ar;
  }
  for (const auto& [comp, count] : chip) jchip[comp] = count * ert.area_mm2(comp, a);
  const double chip_area =
      energy::total(chip, [&](const std::string& c) { return ert.area_mm2(c, a); });
  const double xbar_area = double(cm.crossbars_used()) * ert.area_mm2("xbar", a);
  // Per step (weight layer or SFU operation): time and energy, summed over the images.
  std::map<std::string, double> step_ns;
  for (const auto& s : top.i_acc->ctrl().steps()) {
    if (!step_ns.count(s.name)) r.layers.push_back(s.name);
    step_ns[s.name] += s.end_ns - s.start_ns;
    auto& per = r.layer_component_pj[s.name];
    for (const auto& [key, n] : s.actions)
      per[energy::component_of(key.substr(key.find('/') + 1))] += double(n) * price(key);
  }
  int correct = 0;
  for (int i = 0; i < data.n; ++i) correct += classes[size_t(i)] == data.labels[size_t(i)];

  nlohmann::json& j = r.json;
  const double error_rate = 1.0 - double(correct) / data.n;
  j["images"] = data.n;
  j["accuracy"] = double(correct) / data.n;
  j["error_rate"] = error_rate;
  j["predicted"] = classes;
  j["latency_ns"] = total_ns;
  j["latency_definition"] =
      "from the start (CTRL written) to the done interrupt; the driver sleeps until the interrupt, "
      "so no polling period is in it";
  j["start_ns"] = top.i_acc->started_ns();
  j["latency_ns_per_image"] = total_ns / data.n;
  // SAVE's AccurateLatency charges a scheme that is fast but often wrong.
  j["accurate_latency_ns"] = total_ns * (1 + error_rate);
  j["accurate_latency_ns_per_image"] = total_ns / data.n * (1 + error_rate);
  j["accurate_latency_definition"] =
      "AccurateLatency = latency x (1 + error rate) (SAVE); error rate = share of this run's "
      "images whose predicted class differs from their label";
  j["cycles"] = std::llround(total_ns / a.cycle_ns());
  j["clock_mhz"] = a.clock_mhz;
  j["scheme"] = a.scheme_name();
  if (a.protection.range) {
    const auto& sf = top.i_acc->special().st;
    nlohmann::json jr = {{"action", to_string(a.range_check.action)},
                         {"granularity", to_string(a.range_check.granularity)},
                         {"margin", a.range_check.margin},
                         {"values_checked", sf.range_checks.value()},
                         {"out_of_range", sf.out_of_range.value()},
                         {"layers", nlohmann::json::array()}};
    for (const auto& l : cm.layers)
      jr["layers"].push_back({{"name", l.name}, {"lo", l.out_range.lo}, {"hi", l.out_range.hi}});
    j["range_check"] = jr;
  }
  if (a.quant.clip != clip_mode::none)
    j["quant_clip"] = {{"mode", to_string(a.quant.clip)}, {"value", a.quant.clip_value}};
  j["tiles_used"] = tiles;
  j["crossbars_used"] = cm.crossbars_used();
  j["crossbar_utilisation"] = double(cm.crossbars_used()) / double(xbars);
  // ADC utilisation: converter-busy time over converters x run time.
  uint64_t conversions = 0;
  for (const auto& [key, n] : counts)
    if (key.size() > 12 && key.compare(key.size() - 12, 12, "/adc.convert") == 0) conversions += n;
  j["adc_utilisation"] =
      double(conversions) * (1e3 / a.timing.adc_msps) / (double(xbars) * adcs_per_xbar * total_ns);
  j["energy_pj"] = {{"dynamic", dynamic},
                    {"leakage", leakage},
                    {"total", dynamic + leakage},
                    {"leakage_mw", leakage_mw},
                    {"leakage_definition",
                     "static power of every instance of the tiles in use and of the global buffer "
                     "(leakage_mw), over latency_ns"}};
  for (const auto& [c, e] : by_component) j["energy_pj"]["by_component"][c] = e;
  j["energy_pj"]["leakage_by_component"] = jleak;
  j["area_mm2"] = {{"total", area},
                   {"tiles_in_use", area},
                   {"chip", chip_area},
                   {"crossbar_arrays", xbar_area},
                   {"by_component", jarea},
                   {"chip_by_component", jchip},
                   {"definition",
                    "total = tiles_in_use: the tiles that hold crossbars, with all their parts, "
                    "plus the global buffer; chip: all tiles.count tiles, the global buffer and "
                    "the off-chip links; crossbar_arrays: the crossbars the mapping uses"}};
  if (used.count("vote")) j["area_mm2"]["voting_units"] = jarea["vote"];
  // Throughput and efficiency: ops = 2 x the dense multiply-accumulates of the weight layers.
  const double ops = 2.0 * double(top.i_acc->ctrl().st.macs);
  j["efficiency"] = {
      {"ops", ops},
      {"ops_definition",
       "2 x rows x cols of every weight layer per input vector (the dense model's MACs x 2, "
       "pruned weights included), summed over the images"},
      {"tops_per_w", ops / (dynamic + leakage)},  // op / pJ = TOPS / W
      {"tops_per_w_dynamic", ops / dynamic},
      {"tops_per_mm2", ops / (total_ns * 1e3) / area}};  // op / ns = 1e-3 TOPS
  for (const auto& name : r.layers) {
    double e = 0;
    for (const auto& [c, v] : r.layer_component_pj[name]) e += v;
    j["layers"].push_back({{"name", name},
                           {"latency_ns", step_ns[name]},
                           {"cycles", std::llround(step_ns[name] / a.cycle_ns())},
                           {"energy_pj", e},
                           {"energy_pj_by_component", r.layer_component_pj[name]}});
  }
  // Programming the weights (write-verify), apart from inference: every cell of a used column
  // (the voting copies included) gets verify_iterations pulses, and every row of a crossbar
  // in use a verify read per iteration; crossbars are written one after another, a row's
  // columns in parallel.
  double cells = 0, row_writes = 0;
  for (const mapped_layer& l : cm.layers)
    for (int b = 0; b < l.row_blocks; ++b)
      for (int x = 0; x < l.xbars_per_block; ++x) {
        int used_cols = 0;
        for (int c = 0; c < l.C(); ++c) used_cols += l.columns[size_t(x) * l.C() + c].used();
        if (used_cols == 0) continue;
        cells += double(l.block_rows(b)) * used_cols;
        row_writes += l.block_rows(b);
      }
  const double it = a.programming.verify_iterations;
  const double prog_pj =
      cells * it * ert.energy_pj("xbar.write", a) + row_writes * it * ert.energy_pj("xbar.read", a);
  j["programming"] = {
      {"cells", cells},
      {"verify_iterations", a.programming.verify_iterations},
      {"energy_pj", prog_pj},
      {"time_ns", row_writes * it * (a.programming.write_pulse_ns + a.timing.xbar_read_ns)},
      {"definition",
       "writing the mapped weights once, before inference (not in energy_pj or latency_ns): "
       "cells x verify_iterations x xbar.write + rows x verify_iterations x xbar.read (the "
       "verify); time: crossbars one after another, rows one after another, each iteration a "
       "write pulse and a verify read"}};
  j["actions"] = counts;
  r.total_pj = dynamic + leakage;
  r.latency_ns = total_ns;
  r.start_ns = top.i_acc->started_ns();
  r.area_mm2 = area;
  r.crossbar_area_mm2 = xbar_area;
  return r;
}

namespace {

/// The baseline's chip: the TLM models (co-simulation checks the chip under test).
chip_spec without_rtl(chip_spec c) {
  c.rtl = {};
  return c;
}

}  // namespace

chip_run::chip_run(const engine::chip_setup& s, const chip_spec& chip, const models::model& m,
                   const models::image_set& data)
    : s_(s), arch_{s.arch, chip}, base_{s.base, without_rtl(chip)}, data_(data) {
  top_ = std::make_unique<platform>("top", arch_, s.cm, m, s.faults(), s.scales, data.pixels.data(),
                                    data.n, data.image_bytes());
  if (s.compare)
    top_none_ = std::make_unique<platform>("top_none", base_, s.cm_none, m, s.faults(), s.scales,
                                           data.pixels.data(), data.n, data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
}

chip_run::~chip_run() = default;

void chip_run::simulate() { sc::simulate(); }

run_report chip_run::report(const energy::table& ert, const std::string& model) const {
  run_report rep = make_report(arch_, ert, s_.cm, *top_, data_);
  rep.json["model"] = model;
  // No wall time in report.json: the same seed gives the same file, bit for bit.
  if (!s_.compare) return rep;
  const mapping::chip_mapping &cm = s_.cm, &cm_none = s_.cm_none;
  const run_report none = make_report(base_, ert, cm_none, *top_none_, data_);
  rep.json["baseline_none"] = {{"energy_pj", none.total_pj},
                               {"latency_ns", none.latency_ns},
                               {"area_mm2", none.area_mm2},
                               {"crossbar_area_mm2", none.crossbar_area_mm2},
                               {"programming", none.json["programming"]},
                               {"crossbars_used", cm_none.crossbars_used()},
                               {"accuracy", none.json["accuracy"]},
                               {"error_rate", none.json["error_rate"]},
                               {"accurate_latency_ns", none.json["accurate_latency_ns"]}};
  rep.json["overhead_vs_none_pct"] = {
      {"energy", 100 * (rep.total_pj / none.total_pj - 1)},
      {"latency", 100 * (rep.latency_ns / none.latency_ns - 1)},
      {"area", 100 * (rep.area_mm2 / none.area_mm2 - 1)},
      {"crossbar_area", 100 * (rep.crossbar_area_mm2 / none.crossbar_area_mm2 - 1)},
      {"programming_energy", 100 * (rep.json["programming"]["energy_pj"].get<double>() /
                                        none.json["programming"]["energy_pj"].get<double>() -
                                    1)},
      {"crossbars", 100.0 * (double(cm.crossbars_used()) / cm_none.crossbars_used() - 1)},
      {"definition",
       "area: tiles in use (whole tiles, voting units only in schemes that vote) and the "
       "global buffer; crossbar_area: the crossbar arrays the mapping uses"}};
  return rep;
}

}  // namespace rramft::sc
