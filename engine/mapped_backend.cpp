#include "engine/mapped_backend.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/quant.h"

namespace rramft::engine {

void calibrating_backend::linear(size_t layer, const float* x, int n, float* y) {
  const size_t count = size_t(n) * size_t(m_.layers[layer].rows);
  float mx = max_[layer];
  for (size_t i = 0; i < count; ++i) mx = std::max(mx, std::fabs(x[i]));
  max_[layer] = mx;
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
  const activation_quantizer aq{l.arch.input_bits, l.arch.input_signed};
  const size_t rows = size_t(l.rows), cols = size_t(l.cols);
  std::vector<int32_t> xq(size_t(n) * rows);
  std::vector<double> sx(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const float* xi = x + size_t(i) * rows;
    sx[size_t(i)] = scales_.empty() ? aq.scale_for(xi, rows) : scales_[layer];
    aq.quantize(xi, rows, sx[size_t(i)], &xq[size_t(i) * rows]);
  }
  std::vector<int64_t> yq(size_t(n) * cols);
  mvm(l, errors_[layer], xq.data(), n, yq.data(), path_);
  // Output o of the logical layer is kept output k when l.kept_cols[k] == o.
  std::vector<double> ws(cols, 0.0);
  for (size_t k = 0; k < l.kept_cols.size(); ++k) ws[size_t(l.kept_cols[k])] = l.w.scale_of(int(k));
  for (int i = 0; i < n; ++i)
    for (size_t o = 0; o < cols; ++o) {
      const size_t at = size_t(i) * cols + o;
      y[at] = float(double(yq[at]) * ws[o] * sx[size_t(i)]) + (wl.bias.empty() ? 0.0f : wl.bias[o]);
    }
}

}  // namespace rramft::engine
