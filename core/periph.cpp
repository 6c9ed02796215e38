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
  gain_ = 1 + a.adc.gain_error;
  offset_ = a.adc.offset;
  transitions_ = a.adc.transitions;
}

int64_t adc_model::convert(int64_t sum) const {
  if (lossless_) return sum;
  return convert_real(double(sum));
}

int64_t adc_model::convert_real(double sum) const {
  if (lossless_) return std::llround(sum);  // as convert: every sum has its code
  int64_t code;
  if (!transitions_.empty()) {
    code = int64_t(std::upper_bound(transitions_.begin(), transitions_.end(), sum) -
                   transitions_.begin());
  } else {
    const double s = std::min(sum, range_);
    const double c = std::floor(s * gain_ / step_ + offset_ + 0.5);
    code = c <= 0 ? 0 : c >= double(max_code_) ? max_code_ : int64_t(c);
  }
  return std::llround(double(code) * step_);
}

int64_t median(int64_t* v, int n) {
  if (n % 2 == 0) throw error("median vote: even number of candidates (" + std::to_string(n) + ")");
  if (n == 3) return median3(v[0], v[1], v[2]);
  std::nth_element(v, v + n / 2, v + n);
  return v[n / 2];
}

}  // namespace rramft
