#include "core/spec.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

/// @p path through @p read; refused when there is no reader.
std::string read_file(const file_reader& read, const std::string& path, const std::string& what,
                      uint64_t max_bytes) {
  if (!read) throw error(path + ": " + what + ": this parser reads no files");
  return read(path, what, max_bytes);
}

}  // namespace

void arch_spec::read_keys(key_tree& t) { t.read(arch_keys(), *this); }

void arch_spec::read_adc_table(const key_tree& t, const std::string& arch_folder,
                               const file_reader& read) {
  if (adc.table.empty()) return;
  // The ADC's transfer table: code transition levels, one number a line ('#' comments),
  // relative to the architecture file like energy_table.
  std::string text;
  try {
    adc.table = absolute_file(arch_folder, adc.table);
    text = read_file(read, adc.table, "ADC transfer table", 0);
  } catch (const error& e) {
    throw error(t.origin_of("adc.table") + ": key 'adc.table': " + e.what());
  }
  adc.transitions.clear();
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
      throw error(adc.table + ":" + std::to_string(line_no) +
                  ": expected one code transition level (a number), got '" + one_line(body) + "'");
    adc.transitions.push_back(v);
  }
}

void arch_spec::read_fault_map(const key_tree& t, const file_reader& read,
                               uint64_t chip_crossbars) {
  if (fault.map.empty()) return;
  try {
    fault.map = absolute_file(".", fault.map);  // a path from the working folder
  } catch (const error& e) {
    throw error(t.origin_of("fault.map") + ": key 'fault.map': " + e.what());
  }
  fault.table = std::make_shared<const stuck_table>(
      parse_stuck_table(read_file(read, fault.map, "fault map", uint64_t{1} << 30), fault.map,
                        *this, chip_crossbars));
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
  check_keys(arch_keys(), *this);
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
  write_keys(arch_keys(), *this, root);
  return root;
}

}  // namespace rramft
