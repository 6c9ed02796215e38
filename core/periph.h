#pragma once
/// @file periph.h
/// @brief The arithmetic of the crossbar periphery: ADC conversion, the OPC's weight of each
/// bit column, and the voting unit's median. The SystemC modules and the batched engine both
/// call these; nothing else computes them.
#include <cstdint>

#include "core/spec.h"

namespace rramft {

/// @brief Ideal uniform ADC over [0, range] with 2^bits codes and saturation. The step is
/// range / (2^bits - 1), never below one column-sum unit; the result is the reconstructed
/// level rounded to an integer, so the whole datapath stays in integers.
class adc_model {
 public:
  explicit adc_model(const arch_spec& a);
  int64_t convert(int64_t sum) const;
  bool lossless() const { return lossless_; }
  double step() const { return step_; }  ///< column-sum units per code

 private:
  double range_ = 0, step_ = 1;
  int64_t max_code_ = 0;
  bool lossless_ = false;
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
