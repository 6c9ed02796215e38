#include "core/periph.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace rramft {

adc_model::adc_model(const arch_spec& a) {
  range_ = a.adc_full_scale();
  max_code_ = (int64_t(1) << a.adc.bits) - 1;
  step_ = std::max(1.0, range_ / double(max_code_));
  lossless_ = a.adc_lossless();
}

int64_t adc_model::convert(int64_t sum) const {
  if (lossless_) return sum;
  const double s = std::min(double(sum), range_);
  const int64_t code = std::min<int64_t>(max_code_, int64_t(std::floor(s / step_ + 0.5)));
  return std::llround(double(code) * step_);
}

int64_t median(int64_t* v, int n) {
  if (n % 2 == 0) throw error("median vote: even number of candidates (" + std::to_string(n) + ")");
  if (n == 3) return median3(v[0], v[1], v[2]);
  std::nth_element(v, v + n / 2, v + n);
  return v[n / 2];
}

}  // namespace rramft
