/// `rramft run`: the SystemC/TLM-2.0 chip model in a minimal virtual platform (memory, a
/// CPU-like driver, the accelerator); reports cycles, latency, energy by component and layer,
/// area, and the predicted classes.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
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

namespace po = boost::program_options;

namespace rramft::app {

namespace {

struct run_options {
  std::string model_dir, arch_file, out_dir, data_spec = "fashion-mnist:10", protect;
  std::vector<std::string> sets;
  double fault_rate = -1;
  long long seed = -1;
};

std::string arch_dir(const std::string& arch_file) {
  const size_t slash = arch_file.find_last_of('/');
  return slash == std::string::npos ? "." : arch_file.substr(0, slash);
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
      "protect", po::value(&o.protect), "none | vote | tmr (sets protection.scheme)")(
      "out", po::value(&o.out_dir)->required(), "output folder");
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
  if (o.fault_rate >= 0) o.sets.push_back("fault.rate=" + std::to_string(o.fault_rate));
  if (vm.count("seed")) {
    if (o.seed < 0) throw error("--seed must be non-negative");
    o.sets.push_back("seed=" + std::to_string(o.seed));
  }
  if (!o.protect.empty()) o.sets.push_back("protection.scheme=" + o.protect);
  const arch_spec arch = arch_spec::load(o.arch_file, o.sets);
  const energy::table ert = energy::table::load(arch_dir(o.arch_file) + "/" + arch.energy_table);
  const models::model m = models::load_model(o.model_dir);
  const models::image_set data = models::load_dataset(o.data_spec);
  const models::network net(m);
  if (!net.takes_images())
    throw error(o.model_dir + ": rramft run feeds images; family '" + m.family + "' takes tokens");
  if (data.rows != net.image_size() || data.channels != net.image_channels())
    throw error(data.name + ": images do not match the model's input size");
  const mapping::chip_mapping cm = mapping::map_model(m, arch);
  const fault_map chip(arch.fault, arch.seed, arch.cell_bits);
  std::vector<std::vector<cell_error>> errors;
  for (const auto& l : cm.layers) errors.push_back(read_errors(l, chip, 0));
  std::vector<double> scales;
  if (arch.input_scale == "calibrated") {
    engine::calibrating_backend cb(m);
    engine::accuracy(net, cb, models::load_dataset("fashion-mnist-train:1000"));
    scales = cb.scales(arch);
  }

  sc::platform top("top", arch, cm, m, errors, scales, data.pixels.data(), data.n,
                   data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  if (top.i_cpu->status != 2)
    throw error("run: the accelerator finished with STATUS " + std::to_string(top.i_cpu->status));
  const double total_ns = top.i_cpu->finished.to_seconds() * 1e9;
  const std::vector<uint32_t> classes = top.classes();

  // Energy: dynamic from the action counts, leakage from the instances over the run.
  const sc::action_counts counts = top.i_acc->counters();
  std::map<std::string, double> by_component;
  double dynamic = 0;
  for (const auto& [key, n] : counts) {
    const std::string action = key.substr(key.find('/') + 1);
    const double e = double(n) * ert.energy_pj(action, arch);
    by_component[energy::component_of(action)] += e;
    dynamic += e;
  }
  const int tiles = top.i_acc->tiles_used(), xbars = tiles * arch.tiles.crossbars;
  const int adcs_per_xbar = (arch.crossbar.cols + arch.adc.share - 1) / arch.adc.share;
  const std::map<std::string, double> instances = {
      {"xbar", xbars},   {"dac", xbars},
      {"sh", xbars},     {"adc", double(xbars) * adcs_per_xbar},
      {"sa", xbars},     {"vote", tiles},
      {"buffer", tiles}, {"router", tiles},
      {"sfu", 1},        {"gbuf_per_kib", arch.buffer.global_kib}};
  double leakage = 0, area = 0;
  nlohmann::json jarea, jleak;
  for (const auto& [comp, count] : instances) {
    const double lk = count * ert.leakage_mw(comp, arch) * total_ns;  // mW x ns = pJ
    const double ar = count * ert.area_mm2(comp, arch);
    jleak[comp] = lk;
    jarea[comp] = ar;
    leakage += lk;
    area += ar;
  }
  // Per layer: time and dynamic energy of its steps, summed over images.
  std::map<std::string, std::pair<double, double>> per_step;
  std::vector<std::string> order;
  for (const auto& s : top.i_acc->ctrl().steps()) {
    if (!per_step.count(s.name)) order.push_back(s.name);
    double e = 0;
    for (const auto& [key, n] : s.actions)
      e += double(n) * ert.energy_pj(key.substr(key.find('/') + 1), arch);
    per_step[s.name].first += s.end_ns - s.start_ns;
    per_step[s.name].second += e;
  }

  int correct = 0;
  for (int i = 0; i < data.n; ++i) correct += classes[size_t(i)] == data.labels[size_t(i)];
  nlohmann::json rep;
  rep["model"] = o.model_dir;
  rep["images"] = data.n;
  rep["accuracy"] = double(correct) / data.n;
  rep["predicted"] = classes;
  rep["latency_ns"] = total_ns;
  rep["latency_ns_per_image"] = total_ns / data.n;
  rep["cycles"] = std::llround(total_ns / arch.cycle_ns());
  rep["clock_mhz"] = arch.clock_mhz;
  rep["tiles_used"] = tiles;
  rep["crossbars_used"] = cm.crossbars_used();
  rep["crossbar_utilisation"] = double(cm.crossbars_used()) / double(xbars);
  nlohmann::json je;
  je["dynamic"] = dynamic;
  je["leakage"] = leakage;
  je["total"] = dynamic + leakage;
  for (const auto& [c, e] : by_component) je["by_component"][c] = e;
  je["leakage_by_component"] = jleak;
  rep["energy_pj"] = je;
  rep["area_mm2"] = {{"total", area}, {"by_component", jarea}};
  for (const auto& name : order)
    rep["layers"].push_back({{"name", name},
                             {"latency_ns", per_step[name].first},
                             {"cycles", std::llround(per_step[name].first / arch.cycle_ns())},
                             {"energy_pj", per_step[name].second}});
  rep["actions"] = counts;
  make_dir(o.out_dir);
  write_atomically(o.out_dir + "/report.json", [&](std::ostream& f) { f << rep.dump(2) << "\n"; });
  write_atomically(o.out_dir + "/arch.yaml", [&](std::ostream& f) {
    YAML::Emitter e;
    e << arch.to_yaml();
    f << "# effective architecture of this result (all keys, overrides applied)\n"
      << e.c_str() << "\n";
  });
  std::printf("%d images, accuracy %.2f%%, %.1f us per image (%lld cycles at %.0f MHz in all)\n",
              data.n, 100.0 * correct / data.n, total_ns / data.n / 1e3,
              (long long)std::llround(total_ns / arch.cycle_ns()), arch.clock_mhz);
  std::printf("energy %.3f uJ (dynamic %.3f, leakage %.3f), area %.2f mm^2 on %d tiles\n",
              (dynamic + leakage) / 1e6, dynamic / 1e6, leakage / 1e6, area, tiles);
  for (const auto& [c, e] : by_component) std::printf("  %-8s %10.3f nJ\n", c.c_str(), e / 1e3);
  std::printf("wrote %s/report.json, arch.yaml\n", o.out_dir.c_str());
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
