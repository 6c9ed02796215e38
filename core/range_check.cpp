#include "core/range_check.h"

#include <cmath>

#include "core/error.h"

namespace rramft {

output_range widen(const std::vector<float>& lo, const std::vector<float>& hi, double margin) {
  output_range r;
  for (size_t i = 0; i < lo.size(); ++i) {
    const double pad = margin * (double(hi[i]) - double(lo[i]));
    r.lo.push_back(float(double(lo[i]) - pad));
    r.hi.push_back(float(double(hi[i]) + pad));
  }
  return r;
}

size_t range_check(float* y, size_t n, size_t cols, const output_range& r, range_action action) {
  if (r.lo.size() != 1 && r.lo.size() != cols)
    throw error("range check: " + std::to_string(r.lo.size()) + " bounds for " +
                std::to_string(cols) + " outputs");
  size_t outside = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t o = 0; o < cols; ++o) {
      float& v = y[i * cols + o];
      const float lo = r.lo_of(o), hi = r.hi_of(o);
      if (v >= lo && v <= hi) continue;  // NaN fails both comparisons
      ++outside;
      if (action == range_action::zero || std::isnan(v))
        v = 0.0f;
      else
        v = v < lo ? lo : hi;
    }
  return outside;
}

}  // namespace rramft
