#include "engine/mapped_backend.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

range_recorder::range_recorder(models::linear_backend& inner, const models::model& m)
    : inner_(inner), m_(m), lo_(m.layers.size()), hi_(m.layers.size()) {
  for (size_t i = 0; i < m.layers.size(); ++i) {
    lo_[i].assign(size_t(m.layers[i].cols), std::numeric_limits<float>::infinity());
    hi_[i].assign(size_t(m.layers[i].cols), -std::numeric_limits<float>::infinity());
  }
}

void range_recorder::linear(size_t layer, const float* x, int n, float* y) {
  inner_.linear(layer, x, n, y);
  const size_t cols = size_t(m_.layers[layer].cols);
  std::vector<float> lo(cols, std::numeric_limits<float>::infinity()), hi(cols, -lo[0]);
  for (size_t i = 0; i < size_t(n); ++i)
    for (size_t o = 0; o < cols; ++o) {
      lo[o] = std::min(lo[o], y[i * cols + o]);
      hi[o] = std::max(hi[o], y[i * cols + o]);
    }
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t o = 0; o < cols; ++o) {
    lo_[layer][o] = std::min(lo_[layer][o], lo[o]);
    hi_[layer][o] = std::max(hi_[layer][o], hi[o]);
  }
}

std::vector<output_range> range_recorder::ranges(const mapping::chip_mapping& cm,
                                                 range_granularity g, double margin) const {
  std::vector<output_range> r;
  for (size_t i = 0; i < lo_.size(); ++i) {
    std::vector<float> lo = lo_[i], hi = hi_[i];
    for (size_t o = 0; o < lo.size(); ++o)
      if (!(lo[o] <= hi[o]) || !std::isfinite(lo[o]) || !std::isfinite(hi[o]))
        throw error("layer '" + cm.layers[i].name + "': output " + std::to_string(o) +
                    " saw no finite value while its range was profiled");
    if (g == range_granularity::layer && !lo.empty()) {
      lo = {*std::min_element(lo.begin(), lo.end())};
      hi = {*std::max_element(hi.begin(), hi.end())};
    }
    r.push_back(widen(lo, hi, margin));
  }
  return r;
}

std::vector<double> calibrating_backend::scales(const arch_spec& a) const {
  const activation_quantizer aq{a.input_bits, a.input_signed};
  std::vector<double> s;
  for (float mx : max_) s.push_back(mx > 0 ? double(mx) / aq.qmax() : 1.0);
  return s;
}

namespace {
/// The inputs of this thread's forward pass (input_scope); count 0: none set.
thread_local uint64_t scope_first = 0;
thread_local int scope_count = 0;
}  // namespace

input_scope::input_scope(uint64_t first, int count)
    : saved_first_(scope_first), saved_count_(scope_count) {
  scope_first = first;
  scope_count = count;
}

input_scope::~input_scope() {
  scope_first = saved_first_;
  scope_count = saved_count_;
}

mapped_backend::mapped_backend(const mapping::chip_mapping& cm, const models::model& m,
                               const fault_map& chip, std::vector<double> scales, mvm_path path)
    : cm_(cm), m_(m), chip_(chip), scales_(std::move(scales)), path_(path) {
  if (cm.layers.size() != m.layers.size())
    throw error(m.dir + ": the mapping holds " + std::to_string(cm.layers.size()) +
                " layers, the model " + std::to_string(m.layers.size()));
  if (!scales_.empty() && scales_.size() != m.layers.size())
    throw error("calibration: one activation scale per layer is needed");
  for (const mapped_layer& l : cm.layers)
    if (l.arch.protection.range && !l.out_range.set())
      throw error("layer '" + l.name + "': scheme '" + l.arch.scheme_name() +
                  "' checks output ranges, but none was profiled (engine::profile_ranges)");
  errors_.reserve(cm.layers.size());
  for (const mapped_layer& l : cm.layers) errors_.push_back(read_errors(l, chip));
  // Programming the chip for the prepared paths: once per chip, not once per batch. A forced
  // path (fast on a lossy ADC, bit_serial) stays with mvm(), which refuses or follows it.
  for (size_t i = 0; i < cm.layers.size(); ++i) {
    // Analog column sums (variation, read noise) need the reference path: mvm() takes it.
    const bool lossless = cm.layers[i].arch.adc_lossless() && !chip.analog();
    fast_.push_back(path_ != mvm_path::bit_serial && lossless
                        ? std::make_unique<fast_product>(cm.layers[i], errors_[i])
                        : nullptr);
    serial_.push_back(path_ == mvm_path::automatic && !lossless && !chip.analog()
                          ? std::make_unique<serial_product>(cm.layers[i], errors_[i])
                          : nullptr);
  }
}

namespace {
/// A buffer of at least @p n elements, grown but never shrunk or cleared: batches run in
/// parallel (one per thread), and fresh zeroed vectors per call cost page faults and memsets.
template <class T>
T* scratch(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}
}  // namespace

void mapped_backend::linear(size_t layer, const float* x, int n, float* y) {
  const mapped_layer& l = cm_.layers[layer];
  const models::weight_layer& wl = m_.layers[layer];
  thread_local std::vector<int32_t> x_buf;
  thread_local std::vector<int64_t> y_buf;
  thread_local std::vector<double> sx_buf;
  double* sx = scratch(sx_buf, size_t(n));
  const double fixed = scales_.empty() ? 0.0 : scales_[layer];
  const float* bias = wl.bias.empty() ? nullptr : wl.bias.data();
  const fast_product* fp = fast_[layer].get();
  const serial_product* sp = serial_[layer].get();
  transient_reads t;
  if (chip_.has_transients() || chip_.has_read_noise()) {
    if (scope_count <= 0)
      throw error("layer '" + l.name +
                  "': transient faults are drawn per input, but no input_scope names the inputs");
    if (n % scope_count != 0)
      throw error("layer '" + l.name + "': " + std::to_string(n) + " vectors for " +
                  std::to_string(scope_count) + " inputs: transient faults need whole inputs");
    t = {&chip_, {scope_first, n / scope_count}};
  } else if (chip_.analog()) {
    t = {&chip_, {}};  // conductance variation: a property of the cells, not of a read
  }
  if (fp || sp) {
    int32_t* xk = scratch(x_buf, size_t(n) * l.kept_rows.size());
    int64_t* yk = scratch(y_buf, size_t(n) * l.kept_cols.size());
    quantize_kept_inputs(l, x, n, fixed, xk, sx);
    if (fp)
      fp->run(xk, n, yk, t);
    else
      sp->run(xk, n, yk, t);
    dequantize_kept_outputs(l, yk, n, sx, bias, y);
  } else {
    int32_t* xq = scratch(x_buf, size_t(n) * size_t(l.rows));
    int64_t* yq = scratch(y_buf, size_t(n) * size_t(l.cols));
    quantize_inputs(l, x, n, fixed, xq, sx);
    mvm(l, errors_[layer], xq, n, yq, path_, t);
    dequantize_outputs(l, yq, n, sx, bias, y);
  }
  if (l.arch.protection.range)
    out_of_range_ +=
        range_check(y, size_t(n), size_t(l.cols), l.out_range, l.arch.range_check.action);
}

}  // namespace rramft::engine
