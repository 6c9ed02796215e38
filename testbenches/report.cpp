#include "testbenches/report.h"

#include <cmath>

#include "core/error.h"

namespace rramft::sc {

run_report make_report(const arch_spec& a, const energy::table& ert,
                       const mapping::chip_mapping& cm, const platform& top,
                       const models::image_set& data) {
  if (top.i_cpu->status != 2)
    throw error("run: the accelerator finished with STATUS " + std::to_string(top.i_cpu->status));
  run_report r;
  const double total_ns = top.i_cpu->finished.to_seconds() * 1e9;
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
  // Leakage and area: every instance of the tiles in use, over the whole run.
  const int tiles = top.i_acc->tiles_used(), xbars = tiles * a.tiles.crossbars;
  const int adcs_per_xbar = (a.crossbar.cols + a.adc.share - 1) / a.adc.share;
  std::map<std::string, double> instances = {
      {"xbar", xbars},   {"dac", xbars},
      {"sh", xbars},     {"adc", double(xbars) * adcs_per_xbar},
      {"sa", xbars},     {"vote", tiles},
      {"buffer", tiles}, {"router", tiles},
      {"sfu", 1},        {"gbuf_per_kib", a.buffer.global_kib}};
  // Range checks: one lane of two comparators per SFU element per cycle.
  if (a.protection.range) instances["range"] = a.sfu.ops_per_cycle;
  double leakage = 0, area = 0;
  nlohmann::json jarea, jleak;
  for (const auto& [comp, count] : instances) {
    const double lk = count * ert.leakage_mw(comp, a) * total_ns;  // mW x ns = pJ
    const double ar = count * ert.area_mm2(comp, a);
    jleak[comp] = lk;
    jarea[comp] = ar;
    leakage += lk;
    area += ar;
  }
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
                         {"values_checked", sf.range_checks},
                         {"out_of_range", sf.out_of_range},
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
  j["energy_pj"] = {{"dynamic", dynamic}, {"leakage", leakage}, {"total", dynamic + leakage}};
  for (const auto& [c, e] : by_component) j["energy_pj"]["by_component"][c] = e;
  j["energy_pj"]["leakage_by_component"] = jleak;
  j["area_mm2"] = {{"total", area}, {"by_component", jarea}};
  for (const auto& name : r.layers) {
    double e = 0;
    for (const auto& [c, v] : r.layer_component_pj[name]) e += v;
    j["layers"].push_back({{"name", name},
                           {"latency_ns", step_ns[name]},
                           {"cycles", std::llround(step_ns[name] / a.cycle_ns())},
                           {"energy_pj", e},
                           {"energy_pj_by_component", r.layer_component_pj[name]}});
  }
  j["actions"] = counts;
  r.total_pj = dynamic + leakage;
  r.latency_ns = total_ns;
  r.area_mm2 = area;
  return r;
}

}  // namespace rramft::sc
