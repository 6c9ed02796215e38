#include "engine/mapped_backend.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace rramft::engine {

void calibrating_backend::linear(size_t layer, const float* x, int n, float* y) {
  const size_t count = size_t(n) * size_t(m_.layers[layer].rows);
  float mx = 0;
  for (size_t i = 0; i < count; ++i) mx = std::max(mx, std::fabs(x[i]));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    max_[layer] = std::max(max_[layer], mx);
  }
  inner_.linear(layer, x, n, y);
}

std::vector<double> calibrating_backend::scales(const arch_spec& a) const {
  const activation_quantizer aq{a.input_bits, a.input_signed};
  std::vector<double> s;
  for (float mx : max_) s.push_back(mx > 0 ? double(mx) / aq.qmax() : 1.0);
  return s;
}

mapped_backend::mapped_backend(const mapping::chip_mapping& cm, const models::model& m,
                               const fault_map& chip, uint64_t epoch, std::vector<double> scales,
                               mvm_path path)
    : cm_(cm), m_(m), scales_(std::move(scales)), path_(path) {
  if (cm.layers.size() != m.layers.size())
    throw error(m.dir + ": the mapping holds " + std::to_string(cm.layers.size()) +
                " layers, the model " + std::to_string(m.layers.size()));
  if (!scales_.empty() && scales_.size() != m.layers.size())
    throw error("calibration: one activation scale per layer is needed");
  errors_.reserve(cm.layers.size());
  for (const mapped_layer& l : cm.layers) errors_.push_back(read_errors(l, chip, epoch));
}

void mapped_backend::linear(size_t layer, const float* x, int n, float* y) {
  const mapped_layer& l = cm_.layers[layer];
  const models::weight_layer& wl = m_.layers[layer];
  std::vector<int32_t> xq(size_t(n) * size_t(l.rows));
  std::vector<double> sx(static_cast<size_t>(n));
  quantize_inputs(l, x, n, scales_.empty() ? 0.0 : scales_[layer], xq.data(), sx.data());
  std::vector<int64_t> yq(size_t(n) * size_t(l.cols));
  mvm(l, errors_[layer], xq.data(), n, yq.data(), path_);
  dequantize_outputs(l, yq.data(), n, sx.data(), wl.bias.empty() ? nullptr : wl.bias.data(), y);
}

}  // namespace rramft::engine
