#include "energy/ert.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "io/text.h"

namespace rramft::energy {

std::string component_of(const std::string& action) { return action.substr(0, action.find('.')); }

namespace {
double number(const YAML::Node& n, const std::string& path, const std::string& key) {
  try {
    const double v = n.as<double>();
    // Bounded, so that no price times any scaling of a valid chip overflows to infinity.
    if (!std::isfinite(v) || v < 0 || v > 1e15)
      throw YAML::Exception(YAML::Mark::null_mark(), "out of range");
    return v;
  } catch (const YAML::Exception&) {
    throw error(path + ": key '" + key + "': expected a number in [0, 1e15]");
  }
}
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

/// A scalar's text; anything else is an error naming the key.
std::string text_of(const YAML::Node& n, const std::string& path, const std::string& key) {
  if (!n.IsScalar()) throw error(path + ": key '" + key + "': expected a string");
  return n.Scalar();
}

/// A mapping key under @p section: a plain name.
std::string key_name(const YAML::Node& n, const std::string& path, const std::string& section) {
  if (!n.IsScalar() || n.Scalar().empty())
    throw error(path + ": key under '" + section + "': expected a name");
  return one_line(n.Scalar());
}

}  // namespace

table table::load(const std::string& path) {
  return parse_text(read_file(path, "energy table"), path);
}

table table::parse_text(const std::string& text, const std::string& path) {
  const YAML::Node root = parse_yaml(text, path);
  table t;
  t.origin_ = path;
  if (!root.IsMap() || !root["actions"] || !root["actions"].IsMap() || !root["components"] ||
      !root["components"].IsMap())
    throw error(path + ": expected the mappings 'actions' and 'components'");
  for (auto it : root["actions"]) {
    const std::string name = key_name(it.first, path, "actions");
    const YAML::Node v = it.second;
    const std::string key = "actions." + name;
    if (!v.IsMap() || !v["pj"])
      throw error(path + ": key '" + key + "': expected a mapping with 'pj'");
    action_price p;
    p.pj = number(v["pj"], path, key + ".pj");
    if (v["scaling"]) p.scaling = text_of(v["scaling"], path, key + ".scaling");
    if (v["ref"]) p.ref = number(v["ref"], path, key + ".ref");
    if (v["source"]) p.source = text_of(v["source"], path, key + ".source");
    t.actions_[name] = p;
  }
  for (auto it : root["components"]) {
    const std::string name = key_name(it.first, path, "components");
    const YAML::Node v = it.second;
    const std::string key = "components." + name;
    if (!v.IsMap()) throw error(path + ": key '" + key + "': expected a mapping");
    component_cost c;
    if (v["area_mm2"]) c.area_mm2 = number(v["area_mm2"], path, key + ".area_mm2");
    if (v["leakage_mw"]) c.leakage_mw = number(v["leakage_mw"], path, key + ".leakage_mw");
    if (v["power_mw"]) c.power_mw = number(v["power_mw"], path, key + ".power_mw");
    if (v["scaling"]) c.scaling = text_of(v["scaling"], path, key + ".scaling");
    if (v["ref"]) c.ref = number(v["ref"], path, key + ".ref");
    if (v["source"]) c.source = text_of(v["source"], path, key + ".source");
    t.components_[name] = c;
  }
  for (const auto& [name, p] : t.actions_)
    t.scale(p.scaling, p.ref, full_spec{});  // validates scaling names
  for (const auto& [name, c] : t.components_) t.scale(c.scaling, c.ref, full_spec{});
  return t;
}

double table::scale(const std::string& how, double ref, const full_spec& a) const {
  if (how.empty() || how == "none") return 1.0;
  if (!(ref >= 1e-6))
    throw error(origin_ + ": scaling '" + how + "' needs a 'ref' of at least 1e-6");
  if (how == "adc_bits_sar") return a.adc.bits / ref;               // SAR: one comparison per bit
  if (how == "adc_bits_flash") return std::exp2(a.adc.bits - ref);  // comparators: 2^bits
  if (how == "cells") return double(a.crossbar.rows) * a.crossbar.cols / ref;  // array size
  if (how == "rows") return double(a.crossbar.rows) / ref;
  if (how == "dac_bits") return std::exp2(a.dac.bits - ref);
  if (how == "tile_kib") return double(a.buffer.tile_kib) / ref;
  throw error(origin_ + ": unknown scaling '" + how +
              "' (none | adc_bits_sar | adc_bits_flash | cells | rows | dac_bits | tile_kib)");
}

double table::energy_pj(const std::string& action, const full_spec& a) const {
  auto it = actions_.find(action);
  if (it == actions_.end()) throw error(origin_ + ": no price for action '" + action + "'");
  return it->second.pj * scale(it->second.scaling, it->second.ref, a);
}

double table::area_mm2(const std::string& component, const full_spec& a) const {
  auto it = components_.find(component);
  if (it == components_.end()) throw error(origin_ + ": no area for component '" + component + "'");
  return it->second.area_mm2 * scale(it->second.scaling, it->second.ref, a);
}

double table::leakage_mw(const std::string& component, const full_spec& a) const {
  auto it = components_.find(component);
  if (it == components_.end())
    throw error(origin_ + ": no leakage for component '" + component + "'");
  return it->second.leakage_mw * scale(it->second.scaling, it->second.ref, a);
}

double table::power_mw(const std::string& component, const full_spec& a) const {
  auto it = components_.find(component);
  if (it == components_.end())
    throw error(origin_ + ": no power for component '" + component + "'");
  return it->second.power_mw * scale(it->second.scaling, it->second.ref, a);
}

std::map<std::string, double> instances(const full_spec& a, int tiles, bool off_chip_links) {
  const double xbars = double(tiles) * a.tiles.crossbars;
  const double adcs_per_xbar = double((a.crossbar.cols + a.adc.share - 1) / a.adc.share);
  std::map<std::string, double> n;
  for (const char* c : {"xbar", "dac", "sh", "sa", "in_reg", "out_reg"}) n[c] = xbars;
  n["adc"] = xbars * adcs_per_xbar;
  for (const char* c : {"buffer", "bus", "router", "sfu", "tile_sa", "maxpool", "tile_out_reg"})
    n[c] = tiles;
  if (a.copies() > 1) n["vote"] = tiles;  // a scheme without candidates has no voting unit
  n["gbuf_per_kib"] = a.buffer.global_kib;
  if (a.protection.range) n["range"] = a.sfu.ops_per_cycle;
  if (off_chip_links) n["chip_io"] = 1;
  return n;
}

}  // namespace rramft::energy
