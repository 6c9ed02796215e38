#include "core/spec.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/faults.h"
#include "core/text.h"

namespace rramft {

const char* to_string(scheme s) {
  switch (s) {
    case scheme::none:
      return "none";
    case scheme::vote:
      return "vote";
    case scheme::tmr:
      return "tmr";
  }
  return "?";
}
const char* to_string(fault_scope s) { return s == fault_scope::all ? "all" : "msb"; }
const char* to_string(copy_scope s) {
  return s == copy_scope::row_block ? "row_block" : "crossbar";
}
const char* to_string(clip_mode m) {
  switch (m) {
    case clip_mode::none:
      return "none";
    case clip_mode::percentile:
      return "percentile";
    case clip_mode::sigma:
      return "sigma";
  }
  return "?";
}
const char* to_string(range_action a) { return a == range_action::clamp ? "clamp" : "zero"; }
const char* to_string(range_granularity g) {
  return g == range_granularity::layer ? "layer" : "output";
}

protection_parts parse_protection(const std::string& name) {
  const bool combined = name.find('+') != std::string::npos;
  const std::string where = combined ? "'" + name + "': part " : "";
  protection_parts p;
  std::vector<std::string> seen;
  bool has_base = false;
  std::string base_name;
  size_t start = 0;
  for (;;) {
    const size_t plus = name.find('+', start);
    const std::string part =
        name.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    if (part.empty()) throw error("'" + name + "': empty part (write parts as vote+range)");
    if (std::find(seen.begin(), seen.end(), part) != seen.end())
      throw error("'" + name + "': part '" + part + "' appears twice");
    seen.push_back(part);
    if (part == "none" || part == "vote" || part == "tmr") {
      if (has_base)
        throw error("'" + name + "': '" + base_name + "' and '" + part +
                    "' cannot be combined (one crossbar scheme per chip: none, vote or tmr)");
      has_base = true;
      base_name = part;
      p.base = part == "none" ? scheme::none : part == "vote" ? scheme::vote : scheme::tmr;
    } else if (part == "range") {
      p.range = true;
    } else if (part == "clip") {
      p.clip = true;
    } else {
      throw error(where + "'" + part +
                  "' is not one of none | vote | tmr | range | clip (parts combine with '+', "
                  "e.g. vote+range)");
    }
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  if (has_base && p.base == scheme::none && seen.size() > 1)
    throw error("'" + name + "': 'none' cannot be combined with other parts (write '" +
                protection_name(p) + "')");
  return p;
}

std::string protection_name(const protection_parts& p) {
  std::string s = p.clip ? "clip" : "";
  if (p.base != scheme::none || (!p.clip && !p.range))
    s += (s.empty() ? "" : "+") + std::string(to_string(p.base));
  if (p.range) s += s.empty() ? "range" : "+range";
  return s;
}

namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

std::string scalar_text(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  YAML::Emitter e;
  e << YAML::Flow << n;
  return e.c_str();
}

template <class T>
const char* type_name();
template <>
const char* type_name<int>() {
  return "an integer";
}
template <>
const char* type_name<uint64_t>() {
  return "a non-negative integer";
}
template <>
const char* type_name<double>() {
  return "a number";
}
template <>
const char* type_name<bool>() {
  return "true or false";
}
template <>
const char* type_name<std::string>() {
  return "a string";
}

/// Reads dotted keys from a YAML tree and remembers which keys the schema asked for,
/// so that anything else in the file can be reported as unknown.
class reader {
 public:
  reader(const YAML::Node& root, std::string origin,
         const std::map<std::string, std::string>* sources = nullptr)
      : root_(root), origin_(std::move(origin)), sources_(sources) {}

  /// Who gave @p key its value: an override's source, else the file.
  const std::string& origin_of(const std::string& key) const {
    if (sources_) {
      auto it = sources_->find(key);
      if (it != sources_->end()) return it->second;
    }
    return origin_;
  }

  template <class T>
  void get(const std::string& key, T& out) {
    seen_.insert(key);
    YAML::Node n = find(key);
    if (!n || n.IsNull()) return;
    if (!n.IsScalar()) fail(key, n, type_name<T>());
    try {
      out = n.as<T>();
    } catch (const YAML::Exception&) {
      fail(key, n, type_name<T>());
    }
  }

  template <class E, size_t N>
  void get_enum(const std::string& key, E& out, const std::pair<const char*, E> (&names)[N]) {
    std::string s;
    get(key, s);
    if (s.empty()) return;
    std::string allowed;
    for (auto& [name, value] : names) {
      if (s == name) {
        out = value;
        return;
      }
      allowed += (allowed.empty() ? "" : " | ") + std::string(name);
    }
    throw error(origin_of(key) + ": key '" + key + "': '" + s + "' is not one of " + allowed);
  }

  YAML::Node find(const std::string& key) const {
    YAML::Node n = YAML::Clone(root_);
    std::stringstream ss(key);
    std::string part;
    while (std::getline(ss, part, '.')) {
      if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
      n = n[part];
    }
    return n;
  }

  [[noreturn]] void fail(const std::string& key, const YAML::Node& n, const char* want) const {
    std::string got = scalar_text(n);
    if (got.size() > 80) got = got.substr(0, 77) + "...";
    throw error(origin_of(key) + ": key '" + key + "': expected " + want + ", got '" + got + "'");
  }

  /// Every leaf of the tree must be a key the schema read.
  void check_unknown() const { walk(root_, ""); }
  const std::set<std::string>& seen() const { return seen_; }

 private:
  void walk(const YAML::Node& n, const std::string& prefix) const {
    if (!n.IsMap()) {
      if (!prefix.empty() && !seen_.count(prefix))
        throw error(origin_ + ": unknown key '" + prefix + "'" +
                    error::did_you_mean(prefix, {seen_.begin(), seen_.end()}));
      return;
    }
    for (auto it = n.begin(); it != n.end(); ++it) {
      std::string k = it->first.Scalar();
      std::string path = prefix.empty() ? k : prefix + "." + k;
      if (seen_.count(path) && it->second.IsMap())
        throw error(origin_ + ": key '" + path + "': expected a value, got a mapping");
      walk(it->second, path);
    }
  }

  YAML::Node root_;
  std::string origin_;
  const std::map<std::string, std::string>* sources_;
  std::set<std::string> seen_;
};

void parse_ratio(const std::string& origin, const std::string& text, double& a, double& b) {
  const std::string key = "fault.sa0_to_sa1";
  auto bad = [&] {
    throw error(origin + ": key '" + key + "': expected 'a:b' with a, b >= 0 and a + b > 0, got '" +
                (text.size() > 80 ? text.substr(0, 77) + "..." : text) + "'");
  };
  try {
    size_t colon = text.find(':');
    size_t used = 0;
    if (colon == std::string::npos) {
      a = std::stod(text, &used);
      if (used != text.size()) bad();
      b = 1.0;
    } else {
      std::string l = text.substr(0, colon), r = text.substr(colon + 1);
      a = std::stod(l, &used);
      if (used != l.size()) bad();
      b = std::stod(r, &used);
      if (used != r.size()) bad();
    }
  } catch (const std::logic_error&) {
    bad();
  }
  if (!(a >= 0) || !(b >= 0) || !(a + b > 0) || !std::isfinite(a) || !std::isfinite(b)) bad();
}

/// Reads every key of the schema; called on a real tree or on an empty one (to list the schema).
arch_spec parse_with(reader& r) {
  arch_spec s;
  r.get("crossbar.rows", s.crossbar.rows);
  r.get("crossbar.cols", s.crossbar.cols);
  r.get("cell_bits", s.cell_bits);
  r.get("weight_bits", s.weight_bits);
  r.get("weight_scale", s.weight_scale);
  r.get("input_bits", s.input_bits);
  r.get("input_signed", s.input_signed);
  r.get("input_scale", s.input_scale);
  r.get("adc.bits", s.adc.bits);
  r.get("adc.share", s.adc.share);
  r.get("adc.range", s.adc.range);
  r.get("dac.bits", s.dac.bits);
  r.get("fault.rate", s.fault.rate);
  std::string ratio;
  r.get("fault.sa0_to_sa1", ratio);
  if (!ratio.empty()) parse_ratio(r.origin_of("fault.sa0_to_sa1"), ratio, s.fault.sa0, s.fault.sa1);
  static const std::pair<const char*, fault_scope> scopes[] = {{"all", fault_scope::all},
                                                               {"msb", fault_scope::msb}};
  r.get_enum("fault.scope", s.fault.scope, scopes);
  r.get("fault.transient_rate", s.fault.transient_rate);
  r.get("fault.wordline_rate", s.fault.wordline_rate);
  r.get("fault.bitline_rate", s.fault.bitline_rate);
  r.get("fault.cluster", s.fault.cluster);
  r.get("fault.spread", s.fault.spread);
  r.get("fault.map", s.fault.map);
  static const std::pair<const char*, clip_mode> clips[] = {{"none", clip_mode::none},
                                                            {"percentile", clip_mode::percentile},
                                                            {"sigma", clip_mode::sigma}};
  r.get_enum("quant.clip", s.quant.clip, clips);
  r.get("quant.clip_value", s.quant.clip_value);
  std::string name;
  r.get("protection.scheme", name);
  if (!name.empty()) {
    try {
      const protection_parts p = parse_protection(name);
      s.protection.scheme = p.base;
      s.protection.range = p.range;
      s.protection.clip = p.clip;
    } catch (const error& e) {
      throw error(r.origin_of("protection.scheme") + ": key 'protection.scheme': " + e.what());
    }
  }
  r.get("protection.candidates", s.protection.candidates);
  r.get("protection.planes", s.protection.planes);
  r.get("protection.flip", s.protection.flip);
  r.get("protection.embed", s.protection.embed);
  static const std::pair<const char*, copy_scope> cscopes[] = {{"row_block", copy_scope::row_block},
                                                               {"crossbar", copy_scope::crossbar}};
  r.get_enum("mapping.copy_scope", s.mapping.copy_scope, cscopes);
  static const std::pair<const char*, range_action> actions[] = {{"clamp", range_action::clamp},
                                                                 {"zero", range_action::zero}};
  r.get_enum("range_check.action", s.range_check.action, actions);
  static const std::pair<const char*, range_granularity> grains[] = {
      {"layer", range_granularity::layer}, {"output", range_granularity::output}};
  r.get_enum("range_check.granularity", s.range_check.granularity, grains);
  r.get("range_check.margin", s.range_check.margin);
  r.get("mapping.strict", s.mapping.strict);
  r.get("mapping.fault_aware", s.mapping.fault_aware);
  r.get("seed", s.seed);
  r.get("clock_mhz", s.clock_mhz);
  r.get("tiles.count", s.tiles.count);
  r.get("tiles.crossbars", s.tiles.crossbars);
  r.get("timing.xbar_read_ns", s.timing.xbar_read_ns);
  r.get("timing.adc_msps", s.timing.adc_msps);
  r.get("timing.opc_cycles", s.timing.opc_cycles);
  r.get("timing.vote_cycles", s.timing.vote_cycles);
  r.get("timing.vote_ii", s.timing.vote_ii);
  r.get("timing.accumulate_cycles", s.timing.accumulate_cycles);
  r.get("timing.pipeline", s.timing.pipeline);
  r.get("programming.verify_iterations", s.programming.verify_iterations);
  r.get("programming.write_pulse_ns", s.programming.write_pulse_ns);
  r.get("buffer.tile_kib", s.buffer.tile_kib);
  r.get("buffer.global_kib", s.buffer.global_kib);
  r.get("buffer.bytes_per_cycle", s.buffer.bytes_per_cycle);
  r.get("noc.topology", s.noc.topology);
  r.get("noc.hop_cycles", s.noc.hop_cycles);
  r.get("noc.bytes_per_cycle", s.noc.bytes_per_cycle);
  r.get("sfu.ops_per_cycle", s.sfu.ops_per_cycle);
  r.get("energy_table", s.energy_table);
  r.get("rtl.opc", s.rtl.opc);
  r.get("rtl.vote", s.rtl.vote);
  return s;
}

const std::set<std::string>& schema_keys() {
  static const std::set<std::string> keys = [] {
    reader r(YAML::Node(YAML::NodeType::Map), "schema");
    parse_with(r);
    return r.seen();
  }();
  return keys;
}

/// parse() with the sources of overridden keys; an error about a key blames its source.
arch_spec parse_from(const YAML::Node& node, const std::string& origin,
                     const std::map<std::string, std::string>& sources) {
  if (node && !node.IsNull() && !node.IsMap())
    throw error(origin + ": expected a mapping of keys at the top level");
  reader r(node, origin, &sources);
  arch_spec s = parse_with(r);
  r.check_unknown();
  // Values are checked against the place they came from: the key a message starts with.
  try {
    s.validate();
  } catch (const error& e) {
    const std::string what = e.what(), lead = "key '";
    std::string key;
    if (what.rfind(lead, 0) == 0)
      key = what.substr(lead.size(), what.find('\'', lead.size()) - lead.size());
    throw error(r.origin_of(key) + ": " + what);
  }
  if (!s.fault.map.empty()) s.fault.table = read_stuck_table(s.fault.map, s);
  return s;
}

}  // namespace

bool is_arch_key(const std::string& key) { return schema_keys().count(key) > 0; }

std::string arch_key_hint(const std::string& key) {
  return error::did_you_mean(key, {schema_keys().begin(), schema_keys().end()});
}

arch_spec arch_spec::parse(const YAML::Node& node, const std::string& origin) {
  return parse_from(node, origin, {});
}

std::string arch_spec::energy_table_path(const std::string& arch_file) const {
  if (!energy_table.empty() && energy_table[0] == '/') return energy_table;
  const size_t slash = arch_file.find_last_of('/');
  return (slash == std::string::npos ? std::string(".") : arch_file.substr(0, slash)) + "/" +
         energy_table;
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

std::vector<std::string> overrides_from_file(const std::string& path) {
  return overrides_from_text(read_file(path, "YAML fragment"), path);
}

std::vector<std::string> overrides_from_text(const std::string& text, const std::string& path) {
  const YAML::Node root = parse_yaml(text, path);
  std::vector<std::string> out;
  if (!root || root.IsNull())
    throw error(path + ": the YAML fragment holds no keys (empty, or only comments)");
  if (!root.IsMap()) throw error(path + ": expected a mapping of keys at the top level");
  // Depth first, in file order: a.b.c=value for every leaf.
  std::vector<std::pair<std::string, YAML::Node>> todo{{"", root}};
  while (!todo.empty()) {
    auto [prefix, n] = todo.back();
    todo.pop_back();
    if (n.IsMap()) {
      std::vector<std::pair<std::string, YAML::Node>> kids;
      for (auto it = n.begin(); it != n.end(); ++it)
        kids.emplace_back(prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar(),
                          it->second);
      todo.insert(todo.end(), kids.rbegin(), kids.rend());
    } else if (n.IsScalar()) {
      if (!schema_keys().count(prefix))
        throw error(path + ": unknown key '" + one_line(prefix) + "'" + arch_key_hint(prefix));
      out.push_back(prefix + "=" + n.Scalar());
    } else if (!n.IsNull()) {
      throw error(path + ": key '" + one_line(prefix) + "': expected a single value");
    }
  }
  return out;
}

arch_spec arch_spec::load(const std::string& path, const std::vector<std::string>& overrides,
                          const std::vector<std::string>& sources) {
  return load_text(read_file(path, "architecture file"), path, overrides, sources);
}

arch_spec arch_spec::load_text(const std::string& text, const std::string& path,
                               const std::vector<std::string>& overrides,
                               const std::vector<std::string>& sources) {
  YAML::Node root = parse_yaml(text, path);
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
  return parse_from(root, path, source_of);
}

void apply_scheme(arch_spec& a, const std::string& name) {
  protection_parts p;
  try {
    p = parse_protection(name);
  } catch (const error& e) {
    throw error(std::string("protection scheme ") + e.what());
  }
  a.protection.scheme = p.base;
  a.protection.range = p.range;
  a.protection.clip = p.clip;
  a.validate();
}

int arch_spec::protected_slices() const {
  if (protection.scheme == scheme::tmr) return weight_slices();
  return protection.planes;
}

int arch_spec::copies() const {
  switch (protection.scheme) {
    case scheme::none:
      return 1;
    case scheme::vote:
      return protection.candidates;
    case scheme::tmr:
      return 3;
  }
  return 1;
}

bool arch_spec::adc_lossless() const {
  const double levels = std::ldexp(1.0, adc.bits) - 1;  // highest code
  return adc_full_scale() >= double(column_full_scale()) && levels >= double(column_full_scale()) &&
         adc_full_scale() <= levels;
}

void arch_spec::validate() const {
  auto range = [](const char* key, double v, double lo, double hi) {
    if (!(v >= lo && v <= hi)) {
      std::ostringstream o;
      o << "key '" << key << "': " << v << " is out of range [" << lo << ", " << hi << "]";
      throw error(o.str());
    }
  };
  range("crossbar.rows", crossbar.rows, 1, 65535);
  range("crossbar.cols", crossbar.cols, 1, 65535);
  range("cell_bits", cell_bits, 1, 4);
  range("weight_bits", weight_bits, 2, 16);
  range("input_bits", input_bits, 1, 16);
  range("adc.bits", adc.bits, 1, 16);
  range("adc.share", adc.share, 1, 65535);  // more than C: one ADC serves the whole crossbar
  range("adc.range", adc.range, 0, 1e12);
  range("dac.bits", dac.bits, 1, 8);
  range("fault.rate", fault.rate, 0, 1);
  range("fault.transient_rate", fault.transient_rate, 0, 1);
  range("fault.wordline_rate", fault.wordline_rate, 0, 1);
  range("fault.bitline_rate", fault.bitline_rate, 0, 1);
  range("fault.cluster", fault.cluster, 1, 64);
  range("fault.spread", fault.spread, 0, 10);
  if (weight_scale != "per_layer" && weight_scale != "per_channel")
    throw error("key 'weight_scale': '" + weight_scale + "' is not one of per_layer | per_channel");
  if (input_scale != "per_vector" && input_scale != "calibrated")
    throw error("key 'input_scale': '" + input_scale + "' is not one of per_vector | calibrated");
  if (input_signed && input_bits < 2)
    throw error("key 'input_bits': signed inputs need at least 2 bits, got " +
                std::to_string(input_bits));
  if (dac.bits > input_bits)
    throw error("key 'dac.bits': " + std::to_string(dac.bits) + " exceeds input_bits " +
                std::to_string(input_bits));
  if (protection.scheme == scheme::vote) {
    range("protection.candidates", protection.candidates, 1, 15);
    if (protection.candidates % 2 == 0)
      throw error("key 'protection.candidates': T = " + std::to_string(protection.candidates) +
                  " is even; the median vote needs an odd number of candidates");
  }
  range("protection.planes", protection.planes, 0, weight_slices());
  if (protection.scheme == scheme::vote && protection.planes < 1)
    throw error("key 'protection.planes': the vote scheme needs at least one protected plane");
  if (quant.clip == clip_mode::percentile && !(quant.clip_value > 0 && quant.clip_value <= 100)) {
    std::ostringstream o;
    o << "key 'quant.clip_value': percentile clipping needs a percent in (0, 100], got "
      << quant.clip_value;
    throw error(o.str());
  }
  if (quant.clip == clip_mode::sigma && !(quant.clip_value > 0 && quant.clip_value <= 1000)) {
    std::ostringstream o;
    o << "key 'quant.clip_value': sigma clipping needs k in (0, 1000] (clip |w| at k standard "
         "deviations), got "
      << quant.clip_value;
    throw error(o.str());
  }
  if (protection.clip && quant.clip == clip_mode::none)
    throw error("key 'protection.scheme': '" + scheme_name() +
                "' names clip, but quant.clip is none (set quant.clip to percentile or sigma and "
                "quant.clip_value)");
  range("range_check.margin", range_check.margin, 0, 100);
  range("clock_mhz", clock_mhz, 1e-3, 1e6);
  range("tiles.count", tiles.count, 1, 1 << 20);
  range("tiles.crossbars", tiles.crossbars, 1, 1 << 16);
  range("timing.xbar_read_ns", timing.xbar_read_ns, 1e-3, 1e9);
  range("timing.adc_msps", timing.adc_msps, 1e-3, 1e6);
  range("timing.opc_cycles", timing.opc_cycles, 0, 1 << 20);
  range("timing.vote_cycles", timing.vote_cycles, 0, 1 << 20);
  range("timing.vote_ii", timing.vote_ii, 1, 1 << 20);
  range("timing.accumulate_cycles", timing.accumulate_cycles, 0, 1 << 20);
  range("programming.verify_iterations", programming.verify_iterations, 1, 1 << 20);
  range("programming.write_pulse_ns", programming.write_pulse_ns, 1e-3, 1e9);
  range("buffer.tile_kib", buffer.tile_kib, 1, 1 << 24);
  range("buffer.global_kib", buffer.global_kib, 1, 1 << 24);
  range("buffer.bytes_per_cycle", buffer.bytes_per_cycle, 1, 1 << 16);
  range("noc.hop_cycles", noc.hop_cycles, 0, 1 << 20);
  range("noc.bytes_per_cycle", noc.bytes_per_cycle, 1, 1 << 16);
  range("sfu.ops_per_cycle", sfu.ops_per_cycle, 1, 1 << 20);
  if (noc.topology != "mesh" && noc.topology != "bus")
    throw error("key 'noc.topology': '" + noc.topology + "' is not one of mesh | bus");
  // Column sums are computed in float GEMMs, exact only below 2^24.
  if (column_full_scale() >= (int64_t(1) << 24))
    throw error("key 'crossbar.rows': " + std::to_string(crossbar.rows) + " rows of " +
                std::to_string(cell_bits) + "-bit cells with " + std::to_string(dac.bits) +
                "-bit DACs give column sums of 2^24 or more");
  if (2 * weight_slices() > crossbar.cols)
    throw error("key 'crossbar.cols': " + std::to_string(crossbar.cols) +
                " columns cannot hold one output's " + std::to_string(2 * weight_slices()) +
                " bit columns (differential pair x weight slices)");
}

YAML::Node arch_spec::to_yaml() const {
  YAML::Node n;
  n["crossbar"]["rows"] = crossbar.rows;
  n["crossbar"]["cols"] = crossbar.cols;
  n["cell_bits"] = cell_bits;
  n["weight_bits"] = weight_bits;
  n["weight_scale"] = weight_scale;
  n["input_bits"] = input_bits;
  n["input_signed"] = input_signed;
  n["input_scale"] = input_scale;
  n["adc"]["bits"] = adc.bits;
  n["adc"]["share"] = adc.share;
  n["adc"]["range"] = adc.range;
  n["dac"]["bits"] = dac.bits;
  n["fault"]["rate"] = fault.rate;
  // The shortest text that reads back as the same double, so that arch.yaml reproduces the run.
  auto exact = [](double v) {
    std::string t;
    for (int digits = 6; digits <= std::numeric_limits<double>::max_digits10; ++digits) {
      std::ostringstream o;
      o.precision(digits);
      o << v;
      t = o.str();
      if (std::stod(t) == v) break;
    }
    return t;
  };
  n["fault"]["sa0_to_sa1"] = exact(fault.sa0) + ":" + exact(fault.sa1);
  n["fault"]["scope"] = to_string(fault.scope);
  n["fault"]["transient_rate"] = fault.transient_rate;
  n["fault"]["wordline_rate"] = fault.wordline_rate;
  n["fault"]["bitline_rate"] = fault.bitline_rate;
  n["fault"]["cluster"] = fault.cluster;
  n["fault"]["spread"] = fault.spread;
  n["fault"]["map"] = fault.map;
  n["quant"]["clip"] = to_string(quant.clip);
  n["quant"]["clip_value"] = quant.clip_value;
  n["protection"]["scheme"] = scheme_name();
  n["protection"]["candidates"] = protection.candidates;
  n["protection"]["planes"] = protection.planes;
  n["protection"]["flip"] = protection.flip;
  n["protection"]["embed"] = protection.embed;
  n["range_check"]["action"] = to_string(range_check.action);
  n["range_check"]["granularity"] = to_string(range_check.granularity);
  n["range_check"]["margin"] = range_check.margin;
  n["mapping"]["copy_scope"] = to_string(mapping.copy_scope);
  n["mapping"]["strict"] = mapping.strict;
  n["mapping"]["fault_aware"] = mapping.fault_aware;
  n["seed"] = seed;
  n["clock_mhz"] = clock_mhz;
  n["tiles"]["count"] = tiles.count;
  n["tiles"]["crossbars"] = tiles.crossbars;
  n["timing"]["xbar_read_ns"] = timing.xbar_read_ns;
  n["timing"]["adc_msps"] = timing.adc_msps;
  n["timing"]["opc_cycles"] = timing.opc_cycles;
  n["timing"]["vote_cycles"] = timing.vote_cycles;
  n["timing"]["vote_ii"] = timing.vote_ii;
  n["timing"]["accumulate_cycles"] = timing.accumulate_cycles;
  n["timing"]["pipeline"] = timing.pipeline;
  n["programming"]["verify_iterations"] = programming.verify_iterations;
  n["programming"]["write_pulse_ns"] = programming.write_pulse_ns;
  n["buffer"]["tile_kib"] = buffer.tile_kib;
  n["buffer"]["global_kib"] = buffer.global_kib;
  n["buffer"]["bytes_per_cycle"] = buffer.bytes_per_cycle;
  n["noc"]["topology"] = noc.topology;
  n["noc"]["hop_cycles"] = noc.hop_cycles;
  n["noc"]["bytes_per_cycle"] = noc.bytes_per_cycle;
  n["sfu"]["ops_per_cycle"] = sfu.ops_per_cycle;
  n["energy_table"] = energy_table;
  n["rtl"]["opc"] = rtl.opc;
  n["rtl"]["vote"] = rtl.vote;
  return n;
}

}  // namespace rramft
