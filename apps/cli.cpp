#include "apps/cli.h"

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "io/arch_file.h"

namespace rramft::app {

namespace {

/// The help of @p opts as Boost.Program_options prints it, with "(required)" before the
/// description of every option that must be given.
void print_help(const po::options_description& opts, std::ostream& os) {
  std::vector<std::pair<std::string, std::string>> rows;
  size_t width = 0;
  for (const auto& o : opts.options()) {
    std::string name = "  " + o->format_name() + " " + o->format_parameter();
    while (!name.empty() && name.back() == ' ') name.pop_back();
    std::string text = o->description();
    if (o->semantic()->is_required()) text = "(required) " + text;
    width = std::max(width, name.size());
    rows.emplace_back(std::move(name), std::move(text));
  }
  width = std::min<size_t>(width + 2, 32);
  const size_t line = 100;
  {
    // The caption line, as Boost prints it (the class has no accessor for it).
    std::ostringstream boost_help;
    boost_help << opts;
    const std::string h = boost_help.str();
    os << h.substr(0, h.find('\n') + 1);
  }
  for (const auto& [name, text] : rows) {
    os << name;
    size_t col = name.size();
    if (col >= width) {
      os << "\n";
      col = 0;
    }
    // The description word-wrapped into the column after the names.
    std::istringstream words(text);
    bool first = true;
    for (std::string w; words >> w;) {
      if (!first && col + 1 + w.size() > line) {
        os << "\n";
        col = 0;
      }
      if (col < width) {
        os << std::string(width - col, ' ');
        col = width;
      } else {
        os << ' ';
        ++col;
      }
      os << w;
      col += w.size();
      first = false;
    }
    os << "\n";
  }
}

}  // namespace

bool parse_command(const std::string& command, int argc, char** argv,
                   const po::options_description& opts, po::variables_map& vm) {
  try {
    // No guessing: "--rate" is not taken for "--rates" (it is refused, naming --rates).
    const int style =
        po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(argc, argv).options(opts).style(style).run(), vm);
    if (vm.count("help")) {
      print_help(opts, std::cout);
      return false;
    }
    po::notify(vm);
  } catch (const po::unknown_option& e) {
    std::vector<std::string> names;
    for (const auto& o : opts.options()) names.push_back("--" + o->long_name());
    const std::string given = e.get_option_name();
    std::string hint = error::did_you_mean(given.substr(0, given.find('=')), names);
    if (hint.empty()) hint = " (rramft " + command + " --help lists them)";
    throw error(command + ": unknown option '" + given + "'" + hint);
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

full_spec arch_args::load(const std::vector<std::string>& extra) const {
  std::vector<std::string> sources;
  const std::vector<std::string> all = overrides(extra, &sources);
  return load_arch(file, all, sources);
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
