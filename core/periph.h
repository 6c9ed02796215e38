#pragma once
/// @file periph.h
/// @brief The arithmetic of the crossbar periphery: ADC conversion, the OPC's weight of each
/// bit column, and the voting unit's median. The SystemC modules and the batched engine both
/// call these; nothing else computes them.
#include <cstdint>
#include <vector>

#include "core/spec.h"

namespace rramft {

/// @brief Uniform ADC over [0, range] with 2^bits codes and saturation. The step is
/// range / (2^bits - 1), never below one column-sum unit; the result is the reconstructed
/// level code x step rounded to an integer, so the whole datapath stays in integers (the
/// digital side reconstructs as if the ADC were ideal). Non-idealities (issue 20): the code of
/// a sum s is floor(min(s, range) x (1 + gain_error) / step + offset + 0.5), clamped to
/// [0, 2^bits - 1], or, with a transfer table, the number of transition levels T_k <= s.
/// Analog sums (device noise on) are real numbers and convert the same way; a lossless ADC
/// (ideal, a code for every integer sum) rounds them to the nearest integer, half away from 0.
class adc_model {
 public:
  explicit adc_model(const arch_spec& a);
  /// @brief convert_real of an integer sum (identical on every integer).
  int64_t convert(int64_t sum) const;
  /// @brief The reconstructed value of the analog column sum @p sum.
  int64_t convert_real(double sum) const;
  bool lossless() const { return lossless_; }
  double step() const { return step_; }  ///< column-sum units per code

 private:
  double range_ = 0, step_ = 1, gain_ = 1, offset_ = 0;
  int64_t max_code_ = 0;
  bool lossless_ = false;
  std::vector<double> transitions_;  ///< transfer table, ascending; empty: parametric
};

/// @brief What the OPC multiplies a bit column's (slice-combined) value by: its place value
/// 2^(slice*cell_bits), minus for the negative array, minus again for a flipped plane.
inline int64_t opc_weight(int slice, bool negative, bool flipped_plane, int cell_bits) {
  int64_t w = int64_t(1) << (slice * cell_bits);
  if (negative) w = -w;
  if (flipped_plane) w = -w;
  return w;
}

/// @brief Median of three values (the voting unit's common case, by min/max so that batches
/// of medians vectorize).
template <class T>
inline T median3(T a, T b, T c) {
  const T lo = a < b ? a : b, hi = a < b ? b : a;
  return lo > (hi < c ? hi : c) ? lo : (hi < c ? hi : c);
}

/// @brief Median of @p n values (n odd); may reorder @p v.
int64_t median(int64_t* v, int n);

}  // namespace rramft
