/// `rramft map`: maps a model onto the configured chip, writes mapping.json, the effective
/// architecture (arch.yaml) and the occupancy picture, and prints a summary table.
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "apps/cli.h"
#include "core/error.h"
#include "io/output.h"
#include "mapping/mapping.h"
#include "mapping/occupancy.h"
#include "models/model.h"

namespace rramft::app {

void print_mapping_summary(const mapping::chip_mapping& cm, std::ostream& os) {
  char line[256];
  std::snprintf(line, sizeof line, "%-44s %9s %9s %8s %8s %6s %6s %6s %6s\n", "layer", "rows",
                "cols", "col_sp%", "need%", "xbars", "base", "extra", "msb0%");
  os << line;
  for (const auto& r : cm.reports) {
    std::snprintf(line, sizeof line, "%-44s %4d/%-4d %4d/%-4d %8.1f %8.1f %6d %6d %6d %6.1f\n",
                  r.name.c_str(), r.kept_rows, r.rows, r.kept_cols, r.cols, 100 * r.col_sparsity,
                  100 * r.threshold, r.crossbars, r.crossbars_baseline, r.extra_crossbars,
                  100 * r.msb_zero_fraction);
    os << line;
  }
  const auto j = cm.to_json();
  std::snprintf(line, sizeof line,
                "scheme %s: %d crossbars used, %d in the dense unprotected baseline, "
                "%d when pruned without protection; storage overhead %.2f%%\n",
                j["scheme"].get<std::string>().c_str(), cm.crossbars_used(),
                cm.crossbars_baseline(), j["crossbars_pruned_unprotected"].get<int>(),
                cm.storage_overhead_pct());
  os << line;
  std::string clip = to_string(cm.arch.quant.clip);
  if (cm.arch.quant.clip != clip_mode::none) {
    std::snprintf(line, sizeof line, " %g", cm.arch.quant.clip_value);
    clip += line;
  }
  std::snprintf(line, sizeof line,
                "MSB-zero share %.2f%% of kept weights (top magnitude slice 0; quant.clip %s)\n",
                100 * cm.msb_zero_fraction(), clip.c_str());
  os << line;
}

int cmd_map(int argc, char** argv) {
  arch_args arch_a;
  std::string model_dir, out_dir, fault_map_file, write_map_file;
  bool strict = false;
  po::options_description opts("rramft map options");
  opts.add_options()("help,h", "show this help")("model", po::value(&model_dir)->required(),
                                                 "model folder (config.json + model.safetensors)");
  arch_a.add_to(opts, "architecture YAML (configs/default.yaml)");
  opts.add_options()("strict", po::bool_switch(&strict),
                     "fail if a layer's copies do not fit in pruned space")(
      "fault-map", po::value(&fault_map_file),
      "measured fault map (docs/faults.md; sets fault.map): the chip's stuck cells")(
      "write-fault-map", po::value(&write_map_file)->implicit_value("", "")->value_name("[FILE]"),
      "also write the stuck cells of the crossbars the model occupies to FILE (a fault map; "
      "without FILE: fault_map.csv in the output folder)")("out", po::value(&out_dir)->required(),
                                                           "output folder");
  po::variables_map vm;
  if (!parse_command("map", argc, argv, opts, vm)) return 0;
  const output_lock lock(out_dir);  // one run per folder; a second one is refused now
  std::vector<std::string> extra;
  if (strict) extra.push_back("mapping.strict=true");
  if (vm.count("fault-map")) extra.push_back("fault.map=" + fault_map_file);
  const full_spec arch = arch_a.load(extra);
  const models::model m = models::load_model(model_dir);
  const mapping::chip_mapping cm = mapping::map_model(m, arch);

  result_set out(out_dir);
  out.write("mapping.json", [&](std::ostream& o) {
    o << cm.to_json().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  });
  out.write("arch.yaml", [&](std::ostream& o) {
    YAML::Emitter e;
    e << arch.to_yaml();
    o << "# effective architecture of this result (all keys, overrides applied)\n"
      << e.c_str() << "\n";
  });
  const fault_map chip(arch.fault, arch.seed, arch.cell_bits);
  out.write("occupancy.svg", mapping::occupancy_svg(cm, chip));
  const bool write_fault_map = vm.count("write-fault-map") > 0;
  const auto write_map = [&](std::ostream& o) {
    std::ostringstream c;
    c << "chip: seed " << arch.seed << ", fault.rate " << arch.fault.rate << ", fault.sa0_to_sa1 "
      << arch.fault.sa0 << ":" << arch.fault.sa1
      << (arch.fault.map.empty() ? std::string() : ", fault.map " + arch.fault.map) << "; "
      << cm.crossbars_used() << " crossbars of " << arch.crossbar.rows << "x" << arch.crossbar.cols
      << " cells (rramft map --write-fault-map)";
    write_stuck_table(o, chip, uint64_t(cm.crossbars_used()), arch.crossbar.rows,
                      arch.crossbar.cols, c.str());
  };
  if (write_fault_map && write_map_file.empty()) out.write("fault_map.csv", write_map);
  // A named map is written (atomically) before the folder is committed: a failure leaves
  // neither.
  if (!write_map_file.empty()) write_atomically(write_map_file, write_map);
  out.commit();
  print_mapping_summary(cm, std::cout);
  if (const std::string n = adc_notice(arch); !n.empty()) std::cerr << n << "\n";
  std::cout << "wrote " << out_dir << "/mapping.json, arch.yaml, occupancy.svg"
            << (write_fault_map && write_map_file.empty() ? ", fault_map.csv" : "")
            << (write_map_file.empty() ? "" : " and " + write_map_file) << "\n";
  return 0;
}

}  // namespace rramft::app
