#include "core/quant.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace rramft {

double clip_value(const float* w, size_t n, clip_mode mode, double value) {
  std::vector<double> mag;
  mag.reserve(n);
  for (size_t i = 0; i < n; ++i)
    if (w[i] != 0.0f) mag.push_back(std::fabs(double(w[i])));
  if (mag.empty()) return 0;
  const double mx = *std::max_element(mag.begin(), mag.end());
  switch (mode) {
    case clip_mode::none:
      return mx;
    case clip_mode::percentile: {
      // Nearest rank: the k-th smallest |w|, k = ceil(p/100 N), at least 1.
      const double exact = value / 100.0 * double(mag.size());
      size_t k = size_t(std::ceil(exact - 1e-9 * exact));  // 99.9% of 1000 is rank 999, not 1000
      k = std::clamp<size_t>(k, 1, mag.size());
      std::nth_element(mag.begin(), mag.begin() + std::ptrdiff_t(k - 1), mag.end());
      return mag[k - 1];
    }
    case clip_mode::sigma: {
      double sq = 0;
      for (double v : mag) sq += v * v;
      return std::min(mx, value * std::sqrt(sq / double(mag.size())));
    }
  }
  return mx;
}

quantized_matrix quantize_weights(const float* w, int out, int in, int bits, bool per_channel,
                                  clip_mode mode, double value) {
  quantized_matrix m;
  m.out = out;
  m.in = in;
  m.q.resize(size_t(out) * in);
  const int32_t mmax = (1 << (bits - 1)) - 1;
  auto scale_of = [&](const float* p, size_t n) {
    const double c = clip_value(p, n, mode, value);
    return c > 0 ? c / mmax : 1.0;
  };
  if (per_channel) {
    for (int o = 0; o < out; ++o) m.scale.push_back(scale_of(w + size_t(o) * in, size_t(in)));
  } else {
    m.scale.push_back(scale_of(w, size_t(out) * in));
  }
  for (int o = 0; o < out; ++o) {
    const double s = m.scale_of(o);
    for (int i = 0; i < in; ++i) {
      const double v = w[size_t(o) * in + i];
      // Values beyond the clip value saturate at mmax: min(|w|, c) / s rounds to mmax as well.
      int32_t mag = int32_t(std::min<double>(mmax, std::round(std::fabs(v) / s)));
      m.q[size_t(o) * in + i] = v < 0 ? -mag : mag;
    }
  }
  return m;
}

double activation_quantizer::scale_for(const float* x, size_t n) const {
  // Eigen's reductions are vectorized; max is exact, so the order cannot change the result.
  const Eigen::Map<const Eigen::ArrayXf> a(x, Eigen::Index(n));
  const float mx = n == 0 ? 0.0f : is_signed ? a.abs().maxCoeff() : std::max(0.0f, a.maxCoeff());
  return mx > 0 ? double(mx) / qmax() : 1.0;
}

namespace {
/// Round half away from zero, as std::round, but vectorizable: trunc(v + copysign(0.5 - 2^-54,
/// v)) is exact for every double (the addend keeps v = k + 0.5 - 2^-54 from rounding up); the
/// clamp is two selects on doubles.
void quantize_loop(const float* __restrict x, size_t n, double inv, double lo, double hi,
                   int32_t* __restrict q) {
  for (size_t i = 0; i < n; ++i) {
    const double v = double(x[i]) * inv;
    double r = std::trunc(v + std::copysign(0.49999999999999994, v));
    r = r < lo ? lo : r;
    r = r > hi ? hi : r;
    q[i] = int32_t(r);
  }
}
}  // namespace

void activation_quantizer::quantize(const float* x, size_t n, double scale, int32_t* q) const {
  quantize_loop(x, n, 1.0 / scale, qmin(), qmax(), q);
}

int input_slicing::count() const {
  if (!is_signed) return (bits + dac_bits - 1) / dac_bits;
  return (bits - 1 + dac_bits - 1) / dac_bits + 1;
}

int64_t input_slicing::weight(int k) const {
  if (is_signed && k == count() - 1) return -(int64_t(1) << (bits - 1));
  return int64_t(1) << (k * dac_bits);
}

int32_t input_slicing::digit(int32_t x, int k) const {
  const uint32_t u = uint32_t(x) & ((uint32_t(1) << bits) - 1);  // two's complement bits
  if (is_signed && k == count() - 1) return int32_t((u >> (bits - 1)) & 1u);
  const int magnitude_bits = is_signed ? bits - 1 : bits;
  const int lo = k * dac_bits;
  const int width = std::min(dac_bits, magnitude_bits - lo);
  return int32_t((u >> lo) & ((uint32_t(1) << width) - 1));
}

}  // namespace rramft
