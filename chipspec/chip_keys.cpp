#include <filesystem>
#include <set>
#include <sstream>
#include <utility>

#include "chipspec/chip_spec.h"
#include "core/error.h"

namespace rramft {

namespace {

using chip_key = key_def<chip_spec>;

/// The table: built inside a class derived from key_lines, so that its lines read integer(...).
struct chip_table : keys::key_lines<chip_spec> {
  static std::vector<chip_key> make();
};

constexpr double kMega = 1 << 20, kKilo = 1 << 16;

std::vector<chip_key> chip_table::make() {
  // clang-format off
  return {
    number("clock_mhz", RRAMFT_FIELD(clock_mhz), 1e-3, 1e6, {"MHz", "digital periphery clock", "ISAAC runs at 1.2 GHz; 1 GHz keeps 1 ns cycles"}),
    integer("tiles.count", RRAMFT_FIELD(tiles.count), 1, kMega, {"count", "tiles on the chip", "ISAAC: 168"}),
    integer("tiles.crossbars", RRAMFT_FIELD(tiles.crossbars), 1, kKilo, {"count", "crossbars per tile", "ISAAC: 12 IMAs x 8 crossbars"}),
    number("timing.xbar_read_ns", RRAMFT_FIELD(timing.xbar_read_ns), 1e-3, 1e9, {"ns", "one crossbar read: DAC drive, settle, sample-and-hold", "ISAAC: 100 ns"}),
    number("timing.adc_msps", RRAMFT_FIELD(timing.adc_msps), 1e-3, 1e6, {"MS/s", "ADC sample rate", "ISAAC: 1.28 GS/s SAR ADC"}),
    integer("timing.opc_cycles", RRAMFT_FIELD(timing.opc_cycles), 0, kMega, {"cycles", "OPC shift-and-add latency per slice result"}),
    integer("timing.vote_cycles", RRAMFT_FIELD(timing.vote_cycles), 0, kMega, {"cycles", "voting unit latency (median of T)", "the RTL's measured latency (rramft rtl-timing)"}),
    integer("timing.vote_ii", RRAMFT_FIELD(timing.vote_ii), 1, kMega, {"cycles per output", "voting unit initiation interval", "the RTL (rramft rtl-timing)"}),
    integer("timing.accumulate_cycles", RRAMFT_FIELD(timing.accumulate_cycles), 0, kMega, {"cycles", "tile accumulator latency per row block"}),
    boolean("timing.pipeline", RRAMFT_FIELD(timing.pipeline), {"", "overlap the next slice's crossbar read with the ADC conversions (sample-and-hold)", "ISAAC"}),
    integer("programming.verify_iterations", RRAMFT_FIELD(programming.verify_iterations), 1, kMega, {"count", "write pulse + verify read iterations per cell (mean); every row's verify is one crossbar read", "an assumption for 1-bit cells (NeuRRAM, Wan et al., Nature 2022, Ext. Data Fig. 3f, for multi-level)"}),
    number("programming.write_pulse_ns", RRAMFT_FIELD(programming.write_pulse_ns), 1e-3, 1e9, {"ns", "one write pulse", "NeuroSim's ideal RRAM: 10 ns"}),
    integer("buffer.tile_kib", RRAMFT_FIELD(buffer.tile_kib), 1, 1 << 24, {"KiB", "input/output buffer per tile", "ISAAC eDRAM: 64 KB"}),
    integer("buffer.global_kib", RRAMFT_FIELD(buffer.global_kib), 1, 1 << 24, {"KiB", "global buffer"}),
    integer("buffer.bytes_per_cycle", RRAMFT_FIELD(buffer.bytes_per_cycle), 1, kKilo, {"bytes per cycle", "buffer port width", "ISAAC: 256-bit"}),
    one_of("noc.topology", RRAMFT_FIELD(noc.topology), {"", "interconnect between tiles"}),
    integer("noc.hop_cycles", RRAMFT_FIELD(noc.hop_cycles), 0, kMega, {"cycles", "router + link latency per hop"}),
    integer("noc.bytes_per_cycle", RRAMFT_FIELD(noc.bytes_per_cycle), 1, kKilo, {"bytes per cycle", "link width"}),
    integer("sfu.ops_per_cycle", RRAMFT_FIELD(sfu.ops_per_cycle), 1, kMega, {"element ops per cycle", "digital special-function unit throughput"}),
    path("energy_table", RRAMFT_FIELD(energy_table), {"", "energy and area reference table, relative to the arch file (held as an absolute path once read, so a written arch.yaml names the same file)", "ISAAC Table 6 and Accelergy's ISAAC library (configs/ert/isaac.yaml)"}),
    boolean("rtl.opc", RRAMFT_FIELD(rtl.opc), {"", "run the output peripheral component as verilated RTL (rtl/opc_unit.sv)"}),
    boolean("rtl.vote", RRAMFT_FIELD(rtl.vote), {"", "run the voting unit as verilated RTL (rtl/vote_unit.sv)"}),
  };
  // clang-format on
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

/// Every key of both tables.
const std::set<std::string>& schema_keys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> names;
    for (const auto& k : arch_keys()) names.insert(k.name);
    for (const auto& k : chip_keys()) names.insert(k.name);
    return names;
  }();
  return keys;
}

/// parse() with the sources of overridden keys; an error about a key blames its source. The
/// order is the order of the messages: keys (values of the wrong type), unknown keys, the ADC's
/// table, the values' checks, the fault map.
full_spec parse_from(const YAML::Node& node, const std::string& origin,
                     std::map<std::string, std::string> sources, const file_reader& read) {
  if (node && !node.IsNull() && !node.IsMap())
    throw error(origin + ": expected a mapping of keys at the top level");
  key_tree t(node, origin, std::move(sources));
  full_spec s;
  s.arch_spec::read_keys(t);
  s.chip_spec::read_keys(t);
  t.check_unknown();
  const std::string folder = std::filesystem::path(origin).parent_path().string();
  s.read_adc_table(t, folder, read);
  t.blame([&] { s.validate(); });
  if (!s.energy_table.empty()) {
    try {
      s.energy_table = absolute_file(folder, s.energy_table);  // relative to the arch file
    } catch (const error& e) {
      throw error(t.origin_of("energy_table") + ": key 'energy_table': " + e.what());
    }
  }
  s.read_fault_map(t, read, s.crossbars());
  return s;
}

}  // namespace

const std::vector<key_def<chip_spec>>& chip_keys() {
  static const std::vector<chip_key> table = chip_table::make();
  return table;
}

void chip_spec::read_keys(key_tree& t) { t.read(chip_keys(), *this); }

void chip_spec::validate() const { check_keys(chip_keys(), *this); }

void full_spec::validate() const {
  arch_spec::validate();
  chip_spec::validate();
}

YAML::Node full_spec::to_yaml() const {
  YAML::Node root(YAML::NodeType::Map);
  write_keys(arch_keys(), static_cast<const arch_spec&>(*this), root);
  write_keys(chip_keys(), static_cast<const chip_spec&>(*this), root);
  return root;
}

full_spec full_spec::parse(const YAML::Node& node, const std::string& origin,
                           const file_reader& read) {
  return parse_from(node, origin, {}, read);
}

full_spec full_spec::from_yaml(YAML::Node root, const std::string& path,
                               const std::vector<std::string>& overrides,
                               const std::vector<std::string>& sources, const file_reader& read) {
  if (!root || root.IsNull())
    throw error(path +
                ": the architecture file holds no keys (empty, or only comments; write {} to "
                "mean every default)");
  if (!root.IsMap()) throw error(path + ": expected a mapping of keys at the top level");
  std::map<std::string, std::string> source_of;
  for (size_t i = 0; i < overrides.size(); ++i) {
    const std::string& src = i < sources.size() ? sources[i] : std::string("--set");
    apply_override(root, overrides[i], src);
    source_of[override_key(overrides[i])] = src;
  }
  return parse_from(root, path, std::move(source_of), read);
}

bool is_arch_key(const std::string& key) { return schema_keys().count(key) > 0; }

std::string arch_key_hint(const std::string& key) {
  return error::did_you_mean(key, {schema_keys().begin(), schema_keys().end()});
}

std::string override_key(const std::string& assignment) {
  return assignment.substr(0, assignment.find('='));
}

void apply_override(YAML::Node& root, const std::string& assignment, const std::string& source) {
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    throw error(source + " '" + one_line(assignment) + "': expected key=value");
  std::string key = assignment.substr(0, eq);
  std::string value = assignment.substr(eq + 1);
  if (!schema_keys().count(key))
    throw error(source + ": unknown key '" + one_line(key) + "'" + arch_key_hint(key));
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw error(source + " " + key + ": cannot parse value '" + one_line(value) + "'");
  }
  if (!parsed.IsScalar() && !parsed.IsNull())
    throw error(source + " " + key + ": expected a single value, got '" + one_line(value) + "'");
  if (!root || !root.IsMap()) root = YAML::Node(YAML::NodeType::Map);
  // Walk down, creating maps as needed; yaml-cpp nodes are handles, so assign in place.
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (!next.IsMap()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = YAML::Node(value);
}

std::string keys_markdown() {
  std::ostringstream o;
  o << "| key | default | type: allowed | unit | meaning | source |\n"
    << "|---|---|---|---|---|---|\n";
  const arch_spec arch;
  for (const auto& k : arch_keys()) o << key_markdown_row(k, k.write(arch), false);
  const chip_spec chip;
  for (const auto& k : chip_keys()) o << key_markdown_row(k, k.write(chip), true);
  return o.str();
}

}  // namespace rramft
