/// @file fuzz_model.cpp
/// @brief A model folder (models/model.cpp: config.json of every family with its
/// model.safetensors) and, when it loads, the mapping compiler on the default chip.
/// Input: config.json, the line "#safetensors#", then model.safetensors.
#include <set>

#include "core/spec.h"
#include "fuzz/fuzz.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rramft;
  const auto parts = fuzz::split(data, size, "\n#safetensors#\n");
  const std::string &config = parts.first, &weights = parts.second;
  models::model m;
  if (!fuzz::accepts([&] { m = models::parse_model(config, weights, "fuzz"); })) return 0;
  fuzz::require(!m.layers.empty(), "a model without weight layers was accepted");
  fuzz::require(!fuzz::json_has_duplicate_key(config),
                "a config with a duplicate key was accepted");
  // The keys the engines read are in range whatever the config held.
  fuzz::require(m.layer_norm_eps > 0 && m.layer_norm_eps <= 0.1f, "layer_norm_eps out of range");
  fuzz::require(m.input_std >= 1e-3f && m.input_std <= 1e3f, "input_std out of range");
  fuzz::require(m.input_mean >= -1 && m.input_mean <= 2, "input_mean out of range");
  // No tensor of the file is ignored: in the families without other parameters, each one is a
  // layer's weight, bias or mask.
  if (m.family == "mlp" || m.family == "lenet5") {
    std::set<std::string> parts;
    for (const auto& l : m.layers)
      for (const char* s : {".weight", ".bias", ".in_mask", ".out_mask"}) parts.insert(l.name + s);
    for (const auto& n : m.weights.names())
      fuzz::require(parts.count(n) == 1, "a tensor that belongs to no layer was accepted");
  }
  for (const auto& l : m.layers) {
    fuzz::require(l.rows > 0 && l.cols > 0, "empty layer accepted");
    fuzz::require(l.w.size() == size_t(l.rows) * size_t(l.cols), "weights do not fill the layer");
    fuzz::require(l.bias.empty() || l.bias.size() == size_t(l.cols), "bias of the wrong size");
    fuzz::require(l.row_mask.empty() || l.row_mask.size() == size_t(l.rows), "row mask size");
    fuzz::require(l.col_mask.empty() || l.col_mask.size() == size_t(l.cols), "column mask size");
  }
  // Whatever loads must map (or be refused with an error naming why).
  static const arch_spec arch = load_arch_text("{}", "default");
  fuzz::accepts([&] { mapping::map_model(m, arch); });
  return 0;
}
