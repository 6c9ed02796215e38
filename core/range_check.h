#pragma once
/// @file range_check.h
/// @brief Range checks of a weight layer's outputs (SAVE, "Software-Implemented Fault Tolerance
/// for Model Inference against GPU Memory Bit Flips"): every output outside the range profiled on
/// calibration data is clamped into it, or zeroed. The accuracy engine and the SystemC model's
/// special-function unit both call range_check(); nothing else computes it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/spec.h"

namespace rramft {

/// @brief The profiled range of one weight layer's outputs (bias included), in the layer's float
/// output units: the bound registers of the special-function unit. One [lo, hi] for the whole
/// layer, or one per output (column).
struct output_range {
  std::vector<float> lo, hi;  ///< size 1 (per layer) or the layer's outputs (per output)
  bool set() const { return !lo.empty(); }
  float lo_of(size_t o) const { return lo.size() == 1 ? lo[0] : lo[o]; }
  float hi_of(size_t o) const { return hi.size() == 1 ? hi[0] : hi[o]; }
};

/// @brief Every [lo[i], hi[i]] widened by @p margin x (hi[i] - lo[i]) on each side.
output_range widen(const std::vector<float>& lo, const std::vector<float>& hi, double margin);

/// @brief Checks @p n vectors of @p cols outputs in place: a value below its lo or above its hi
/// (or NaN) becomes that lo or hi (clamp; NaN becomes 0) or 0 (zero). Returns how many values
/// were outside.
size_t range_check(float* y, size_t n, size_t cols, const output_range& r, range_action action);

}  // namespace rramft
