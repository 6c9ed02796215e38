/// @file fuzz_model.cpp
/// @brief A model folder (models/model.cpp: config.json of every family with its
/// model.safetensors) and, when it loads, the mapping compiler on the default chip.
/// Input: config.json, the line "#safetensors#", then model.safetensors.
#include "core/spec.h"
#include "fuzz/fuzz.h"
#include "mapping/mapping.h"
#include "models/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rramft;
  const auto parts = fuzz::split(data, size, "\n#safetensors#\n");
  const std::string &config = parts.first, &weights = parts.second;
  models::model m;
  if (!fuzz::accepts([&] { m = models::parse_model(config, weights, "fuzz"); })) return 0;
  fuzz::require(!m.layers.empty(), "a model without weight layers was accepted");
  for (const auto& l : m.layers) {
    fuzz::require(l.rows > 0 && l.cols > 0, "empty layer accepted");
    fuzz::require(l.w.size() == size_t(l.rows) * size_t(l.cols), "weights do not fill the layer");
    fuzz::require(l.bias.empty() || l.bias.size() == size_t(l.cols), "bias of the wrong size");
    fuzz::require(l.row_mask.empty() || l.row_mask.size() == size_t(l.rows), "row mask size");
    fuzz::require(l.col_mask.empty() || l.col_mask.size() == size_t(l.cols), "column mask size");
  }
  // Whatever loads must map (or be refused with an error naming why).
  static const arch_spec arch = arch_spec::load_text("", "default");
  fuzz::accepts([&] { mapping::map_model(m, arch); });
  return 0;
}
