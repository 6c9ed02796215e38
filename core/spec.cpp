#include "core/spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/faults.h"
#include "core/keys.h"

namespace rramft {

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

  /// Sets every key of the table that the tree holds; remembers them all as known keys.
  void read(arch_spec& s) {
    for (const key_def& k : arch_keys()) {
      seen_.insert(k.name);
      const YAML::Node n = find(k.name);
      if (!n || n.IsNull()) continue;
      k.read(n, s, origin_of(k.name));
    }
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

const std::set<std::string>& schema_keys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> names;
    for (const key_def& k : arch_keys()) names.insert(k.name);
    return names;
  }();
  return keys;
}

/// @p path through @p read; refused when there is no reader.
std::string read_file(const file_reader& read, const std::string& path, const std::string& what,
                      uint64_t max_bytes) {
  if (!read) throw error(path + ": " + what + ": this parser reads no files");
  return read(path, what, max_bytes);
}

/// The file a path key names, as an absolute path: @p p joined onto the folder @p base when
/// relative. Stored so, the effective arch.yaml a command writes into its output folder names the
/// same file wherever it is read from.
std::string absolute_file(const std::string& base, const std::string& p) {
  namespace fs = std::filesystem;
  try {
    fs::path q(p);
    if (q.is_relative()) q = fs::path(base) / q;
    return fs::absolute(q).lexically_normal().string();
  } catch (const fs::filesystem_error& e) {
    throw error(p + ": cannot resolve the path (" + e.code().message() + ")");
  }
}

/// parse() with the sources of overridden keys; an error about a key blames its source.
arch_spec parse_from(const YAML::Node& node, const std::string& origin,
                     const std::map<std::string, std::string>& sources, const file_reader& read) {
  if (node && !node.IsNull() && !node.IsMap())
    throw error(origin + ": expected a mapping of keys at the top level");
  reader r(node, origin, &sources);
  arch_spec s;
  r.read(s);
  r.check_unknown();
  if (!s.adc.table.empty()) {
    // The ADC's transfer table: code transition levels, one number a line ('#' comments),
    // relative to the architecture file like energy_table.
    const std::string where = r.origin_of("adc.table");
    std::string text;
    try {
      s.adc.table =
          absolute_file(std::filesystem::path(origin).parent_path().string(), s.adc.table);
      text = read_file(read, s.adc.table, "ADC transfer table", 0);
    } catch (const error& e) {
      throw error(where + ": key 'adc.table': " + e.what());
    }
    std::istringstream in(text);
    int line_no = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      const std::string body = line.substr(0, line.find('#'));
      if (body.find_first_not_of(" \t\r,") == std::string::npos) continue;
      size_t used = 0;
      double v = 0;
      try {
        v = std::stod(body, &used);
      } catch (const std::logic_error&) {
        used = 0;
      }
      if (used == 0 || body.find_first_not_of(" \t\r,", used) != std::string::npos ||
          !std::isfinite(v))
        throw error(s.adc.table + ":" + std::to_string(line_no) +
                    ": expected one code transition level (a number), got '" + one_line(body) +
                    "'");
      s.adc.transitions.push_back(v);
    }
  }
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
  if (!s.fault.map.empty()) {
    try {
      s.fault.map = absolute_file(".", s.fault.map);  // a path from the working folder
    } catch (const error& e) {
      throw error(r.origin_of("fault.map") + ": key 'fault.map': " + e.what());
    }
    s.fault.table = std::make_shared<const stuck_table>(parse_stuck_table(
        read_file(read, s.fault.map, "fault map", uint64_t{1} << 30), s.fault.map, s));
  }
  return s;
}

}  // namespace

bool is_arch_key(const std::string& key) { return schema_keys().count(key) > 0; }

std::string arch_key_hint(const std::string& key) {
  return error::did_you_mean(key, {schema_keys().begin(), schema_keys().end()});
}

arch_spec arch_spec::parse(const YAML::Node& node, const std::string& origin,
                           const file_reader& read) {
  return parse_from(node, origin, {}, read);
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

arch_spec arch_spec::from_yaml(YAML::Node root, const std::string& path,
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
  return parse_from(root, path, source_of, read);
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
  if (!adc.ideal()) return false;  // offset, gain error or a transfer table: never exact
  const double levels = std::ldexp(1.0, adc.bits) - 1;  // highest code
  return adc_full_scale() >= double(column_full_scale()) && levels >= double(column_full_scale()) &&
         adc_full_scale() <= levels;
}

void arch_spec::validate() const {
  for (const key_def& k : arch_keys())
    if (k.check) k.check(*this);
  // Checks that involve several keys; each names the key a user would change.
  if (!adc.table.empty()) {
    const size_t codes = (size_t(1) << adc.bits) - 1;
    if (adc.transitions.size() != codes)
      throw error("key 'adc.table': " + adc.table + " holds " +
                  std::to_string(adc.transitions.size()) + " transition levels; a " +
                  std::to_string(adc.bits) +
                  "-bit ADC needs 2^bits - 1 = " + std::to_string(codes));
    for (size_t k = 1; k < codes; ++k)
      if (!(adc.transitions[k] >= adc.transitions[k - 1]))
        throw error("key 'adc.table': " + adc.table + ": transition level " +
                    std::to_string(k + 1) + " is below level " + std::to_string(k) +
                    " (the levels must ascend)");
    if (adc.offset != 0 || adc.gain_error != 0)
      throw error(
          "key 'adc.table': a transfer table already holds the offset and gain; set "
          "adc.offset and adc.gain_error to 0");
  }
  if (input_signed && input_bits < 2)
    throw error("key 'input_bits': signed inputs need at least 2 bits, got " +
                std::to_string(input_bits));
  if (dac.bits > input_bits)
    throw error("key 'dac.bits': " + std::to_string(dac.bits) + " exceeds input_bits " +
                std::to_string(input_bits));
  if (protection.clip && quant.clip == clip_mode::none)
    throw error("key 'protection.scheme': '" + scheme_name() +
                "' names clip, but quant.clip is none (set quant.clip to percentile or sigma and "
                "quant.clip_value)");
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
  YAML::Node root(YAML::NodeType::Map);
  for (const key_def& k : arch_keys()) {
    // Walk down "a.b", creating maps; yaml-cpp nodes are handles, so assign in place.
    YAML::Node node = root;
    size_t start = 0;
    for (size_t dot; (dot = k.name.find('.', start)) != std::string::npos; start = dot + 1) {
      const std::string part = k.name.substr(start, dot - start);
      if (!node[part].IsMap()) node[part] = YAML::Node(YAML::NodeType::Map);
      node.reset(node[part]);
    }
    node[k.name.substr(start)] = k.write(*this);
  }
  return root;
}

}  // namespace rramft
