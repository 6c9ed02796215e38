#include "apps/cli.h"

#include <iostream>
#include <map>
#include <sstream>

#include "core/error.h"

namespace rramft::app {

bool parse_command(const std::string& command, int argc, char** argv,
                   const po::options_description& opts, po::variables_map& vm) {
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    if (vm.count("help")) {
      std::cout << opts;
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw error(command + ": " + e.what());
  }
  return true;
}

void arch_args::add_to(po::options_description& opts, const char* arch_help) {
  opts.add_options()("arch", po::value(&file)->required(), arch_help)(
      "set", po::value(&sets)->composing(),
      "override an architecture key: --set adc.bits=6 (repeatable)")(
      "set-from", po::value(&set_from)->composing(),
      "apply every key of a YAML fragment as --set, before the --set options (repeatable); "
      "e.g. the timing file rramft rtl-timing writes");
}

std::vector<std::string> arch_args::overrides(const std::vector<std::string>& extra,
                                              std::vector<std::string>* sources) const {
  std::vector<std::string> all, from;
  for (const auto& f : set_from)
    for (auto& a : overrides_from_file(f)) {
      all.push_back(std::move(a));
      from.push_back(f);
    }
  std::map<std::string, std::string> given;
  for (const auto& s : sets) {
    auto [it, fresh] = given.emplace(override_key(s), s);
    if (!fresh)
      throw error("--set: key '" + error::one_line(it->first) + "' is given twice ('" +
                  error::one_line(it->second) + "' and '" + error::one_line(s) + "')");
    all.push_back(s);
    from.push_back("--set");
  }
  for (const auto& e : extra) {
    all.push_back(e);
    from.push_back("command line");  // --protect, --seed, ...: named by the key in messages
  }
  if (sources) *sources = std::move(from);
  return all;
}

arch_spec arch_args::load(const std::vector<std::string>& extra) const {
  std::vector<std::string> sources;
  const std::vector<std::string> all = overrides(extra, &sources);
  return arch_spec::load(file, all, sources);
}

std::string adc_notice(const arch_spec& a) {
  if (a.adc_lossless()) return "";
  const int64_t full = a.column_full_scale();  // the largest column sum
  int need = 1;
  while ((int64_t(1) << need) - 1 < full) ++need;
  std::ostringstream o;
  o << "rramft: note: lossy ADC: column sums reach " << full << " (" << a.crossbar.rows
    << " rows x " << ((1 << a.cell_bits) - 1) << " cell level(s) x " << ((1 << a.dac.bits) - 1)
    << " DAC level(s)); ";
  if (a.adc.bits < need)
    o << "a lossless conversion needs adc.bits " << need << ", given " << a.adc.bits
      << " (accuracy can drop before any fault)";
  else
    o << "adc.range " << a.adc_full_scale() << " with adc.bits " << a.adc.bits
      << (a.adc_full_scale() < double(full) ? " saturates the larger sums"
                                            : " converts in steps coarser than one level");
  return o.str();
}

}  // namespace rramft::app
