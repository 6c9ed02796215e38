#pragma once
/// @file mapped_backend.h
/// @brief Runs every weight layer of a model through the functional crossbar core, on one
/// chip (stuck-at fault map, transient flips per read): the accuracy engine's linear_backend.
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "core/faults.h"
#include "core/layer.h"
#include "core/mvm.h"
#include "mapping/mapping.h"
#include "models/network.h"

namespace rramft::engine {

/// @brief Smallest and largest output of every weight layer seen through another backend.
class range_recorder : public models::linear_backend {
 public:
  range_recorder(models::linear_backend& inner, const models::model& m);
  void linear(size_t layer, const float* x, int n, float* y) override;
  /// @brief The ranges seen (per layer or per output), widened by @p margin; error naming a
  /// layer whose outputs were never seen.
  std::vector<output_range> ranges(const mapping::chip_mapping& cm, range_granularity g,
                                   double margin) const;

 private:
  models::linear_backend& inner_;
  const models::model& m_;
  std::mutex mutex_;
  std::vector<std::vector<float>> lo_, hi_;  // per layer, per output
};

/// @brief Largest |x| seen at each weight layer's input over calibration data, in float.
class calibrating_backend : public models::linear_backend {
 public:
  explicit calibrating_backend(const models::model& m)
      : m_(m), inner_(m), max_(m.layers.size(), 0.0f) {}
  void linear(size_t layer, const float* x, int n, float* y) override;
  /// @brief Activation scale per layer for @p a's input quantizer.
  std::vector<double> scales(const arch_spec& a) const;

 private:
  const models::model& m_;
  models::float_backend inner_;
  std::mutex mutex_;  // batches may run in parallel
  std::vector<float> max_;
};

/// @brief The inputs of the forward pass running on this thread, for transient faults, which
/// are drawn per read from the inputs' indices in the data (read_window): while it lives,
/// the calls of this thread's passes carry inputs @p first .. @p first + @p count - 1, each
/// call input-major (vectors of the first input, then of the next, ...). accuracy(), logits()
/// and the per-layer error set it; code that calls network::forward_* on a mapped_backend with
/// a transient rate sets it around the call (the backend refuses to run without it).
class input_scope {
 public:
  input_scope(uint64_t first, int count);
  ~input_scope();
  input_scope(const input_scope&) = delete;
  input_scope& operator=(const input_scope&) = delete;

 private:
  uint64_t saved_first_;
  int saved_count_;
};

/// @brief y = dequantize(mvm(quantize(x))) + bias through the mapped layers, then, when the
/// scheme has range checks, range_check() against each layer's profiled out_range.
class mapped_backend : public models::linear_backend {
 public:
  /// @param chip the chip's faults: stuck-at cells, and transient flips drawn per read from
  /// the inputs of the thread's input_scope
  /// @param scales per-layer activation scales (input_scale: calibrated); empty = per vector
  mapped_backend(const mapping::chip_mapping& cm, const models::model& m, const fault_map& chip,
                 std::vector<double> scales = {}, mvm_path path = mvm_path::automatic);
  void linear(size_t layer, const float* x, int n, float* y) override;
  /// @brief Cells that read wrong at every read, per layer (stuck-at; transients are per read).
  const std::vector<std::vector<cell_error>>& errors() const { return errors_; }
  /// @brief Outputs the range checks found outside their range so far, count.
  uint64_t out_of_range() const { return out_of_range_; }

 private:
  std::atomic<uint64_t> out_of_range_{0};
  const mapping::chip_mapping& cm_;
  const models::model& m_;
  fault_map chip_;
  std::vector<std::vector<cell_error>> errors_;
  std::vector<double> scales_;
  mvm_path path_;
  std::vector<std::unique_ptr<fast_product>> fast_;      ///< per layer, lossless ADC; else null
  std::vector<std::unique_ptr<serial_product>> serial_;  ///< per layer, lossy ADC; else null
};

}  // namespace rramft::engine
