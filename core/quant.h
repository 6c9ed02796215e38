#pragma once
/// @file quant.h
/// @brief Quantization of weights (sign-magnitude, docs/design.md) and activations
/// (two's complement or unsigned), and the bit slicing of both.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/spec.h"

namespace rramft {

/// @brief Integer weights with their scales: w ~= q * scale(o).
struct quantized_matrix {
  int out = 0, in = 0;  ///< shape, PyTorch layout (out x in)
  std::vector<int32_t>
      q;  ///< out x in, row-major; |q| <= 2^(n-1)-1, sign carried separately in hardware
  std::vector<double> scale;  ///< one per layer (size 1) or one per output (size out)
  double scale_of(int o) const { return scale.size() == 1 ? scale[0] : scale[size_t(o)]; }
};

/// @brief Deliberate range restriction (ZOBNN): the clip value c of one group of weights (a layer,
/// or an output with per-channel scales), from its non-zero weights (n values at @p w).
/// percentile: the nearest-rank @p value-th percentile of |w| (the smallest |w| with at least
/// value% of the |w| at or below it); sigma: @p value x sqrt(mean(w^2)), at most max|w|.
/// none: max|w|. 0 when every weight is zero.
double clip_value(const float* w, size_t n, clip_mode mode, double value);

/// @brief Symmetric sign-magnitude quantization with @p bits bits (one sign, bits-1 magnitude):
/// q = c / (2^(bits-1) - 1), m = round(min(|w|, c) / q) (half away from zero), where c = max|W|,
/// or the clip value of @p mode / @p value (clip_value). @p per_channel gives one scale per
/// output row instead of one per layer.
quantized_matrix quantize_weights(const float* w, int out, int in, int bits, bool per_channel,
                                  clip_mode mode = clip_mode::none, double value = 0);

/// @brief Activation quantizer: signed is symmetric two's complement in
/// [-(2^(a-1)-1), 2^(a-1)-1]; unsigned is [0, 2^a-1] with negative values clipped to 0.
struct activation_quantizer {
  int bits = 8;
  bool is_signed = true;
  int32_t qmax() const { return is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1; }
  int32_t qmin() const { return is_signed ? -qmax() : 0; }
  /// @brief Scale that maps the largest magnitude of @p x (n values) onto qmax; 1 if all zero.
  double scale_for(const float* x, size_t n) const;
  /// @brief q = clamp(round(x * (1 / scale))) for n values, rounding half away from zero.
  void quantize(const float* x, size_t n, double scale, int32_t* q) const;
};

/// @brief How an integer activation is cut into DAC slices. Unsigned: digits of dac_bits
/// bits. Signed: digits of the low a-1 bits, then the sign bit alone, weighted -2^(a-1).
struct input_slicing {
  int bits = 8, dac_bits = 1;
  bool is_signed = true;
  int count() const;            ///< number of slices
  int64_t weight(int k) const;  ///< value of one unit of slice k (negative for the sign slice)
  int32_t digit(int32_t x, int k) const;  ///< the DAC level of slice k for activation x
};

}  // namespace rramft
