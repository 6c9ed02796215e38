#pragma once
/// @file keys.h
/// @brief The table of architecture keys: one entry per parameter of arch_spec, with its type,
/// unit, allowed values, source and one-line documentation. Everything that handles keys is
/// driven by this table: parsing (arch_spec::parse), the per-key range checks of validate(),
/// the effective arch.yaml (to_yaml), --set / --set-from and the sweep grid's key check
/// (is_arch_key), the "did you mean" suggestions (arch_key_hint) and the key reference in
/// docs/keys.md (`rramft keys --markdown`). The default of a key is the initializer of its
/// arch_spec member; the table reads it from a default-constructed arch_spec.
///
/// Adding a key: a member in arch_spec (core/spec.h) and one line in core/keys.cpp.
#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

#include "core/spec.h"

namespace rramft {

/// @brief One architecture key.
struct key_def {
  std::string name;        ///< dotted key, e.g. "adc.bits"
  std::string type;        ///< integer | number | boolean | one of | ratio | scheme | path
  std::string allowed;     ///< allowed range or values, as documented ("1..16", "all | msb")
  std::string unit;        ///< unit ("bits", "ns", "count", "fraction", ...), "" when none
  std::string doc;         ///< one line: what the key means
  std::string source;      ///< where the default comes from (citation), "" when it is a choice
  bool chip_only = false;  ///< read only by the SystemC chip model (timing, structure, energy)
  /// Sets the key from a scalar YAML node; rramft::error "<origin>: key '<name>': ..." otherwise.
  std::function<void(const YAML::Node&, arch_spec&, const std::string& origin)> read;
  /// The value as a typed YAML node (what arch.yaml writes).
  std::function<YAML::Node(const arch_spec&)> write;
  /// The key's own range check (empty when the type says everything); rramft::error
  /// "key '<name>': ..." otherwise. Checks that involve several keys live in validate().
  std::function<void(const arch_spec&)> check;
};

/// @brief Every key, in the order arch.yaml and the documentation list them.
const std::vector<key_def>& arch_keys();

/// @brief The key table as a Markdown table (docs/keys.md holds it between markers).
std::string keys_markdown();

}  // namespace rramft
