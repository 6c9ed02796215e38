#include <catch2/catch.hpp>
#include <cmath>

#include "core/periph.h"
#include "core/quant.h"

using namespace rramft;

TEST_CASE("sign-magnitude weight quantization follows docs/design.md", "[quant]") {
  // max |w| = 1.27 -> q = 0.01 with 8 bits; round half away from zero.
  const float w[6] = {1.27f, -1.27f, 0.004f, 0.005001f, -0.635f, 0.0f};
  auto m = quantize_weights(w, 2, 3, 8, false);
  REQUIRE(m.scale.size() == 1);
  CHECK(m.scale[0] == Approx(0.01));
  CHECK(m.q == std::vector<int32_t>{127, -127, 0, 1, -64, 0});
}

TEST_CASE("per-channel scales give each output its own range", "[quant]") {
  const float w[4] = {1.0f, -0.5f, 0.01f, 0.02f};
  auto m = quantize_weights(w, 2, 2, 4, true);  // magnitudes 0..7
  REQUIRE(m.scale.size() == 2);
  CHECK(m.scale[0] == Approx(1.0 / 7));
  CHECK(m.scale[1] == Approx(0.02 / 7));
  CHECK(m.q == std::vector<int32_t>{7, -4, 4, 7});  // 0.5*7 = 3.5 -> 4, 0.01/0.02*7 = 3.5 -> 4
}

TEST_CASE("activation quantizers clip to their ranges", "[quant]") {
  activation_quantizer s{8, true}, u{8, false};
  const float x[4] = {-2.0f, -1.0f, 0.5f, 1.0f};
  CHECK(s.scale_for(x, 4) == Approx(2.0 / 127));
  CHECK(u.scale_for(x, 4) == Approx(1.0 / 255));
  int32_t q[4];
  s.quantize(x, 4, 1.0 / 127, q);
  CHECK(std::vector<int32_t>(q, q + 4) == std::vector<int32_t>{-127, -127, 64, 127});
  u.quantize(x, 4, 1.0 / 255, q);
  CHECK(std::vector<int32_t>(q, q + 4) == std::vector<int32_t>{0, 0, 128, 255});
}

TEST_CASE("input slices reassemble every activation", "[quant][dac]") {
  for (bool sgn : {true, false})
    for (int bits : {2, 5, 8})
      for (int d : {1, 2, 3}) {
        if (d > bits) continue;
        input_slicing sl{bits, d, sgn};
        activation_quantizer aq{bits, sgn};
        const int lo = sgn ? -(1 << (bits - 1)) : 0;  // the slicing handles -2^(a-1) as well
        for (int x = lo; x <= aq.qmax(); ++x) {
          int64_t sum = 0;
          for (int k = 0; k < sl.count(); ++k) {
            const int32_t dg = sl.digit(x, k);
            REQUIRE(dg >= 0);
            REQUIRE(dg < (1 << d));
            sum += sl.weight(k) * dg;
          }
          INFO("bits " << bits << " dac " << d << " signed " << sgn << " x " << x);
          REQUIRE(sum == x);
        }
      }
  CHECK(input_slicing{8, 1, true}.count() == 8);
  CHECK(input_slicing{8, 1, true}.weight(7) == -128);
  CHECK(input_slicing{8, 2, false}.count() == 4);
}

TEST_CASE("ADC is exact when lossless and a saturating uniform quantizer otherwise", "[adc]") {
  arch_spec a;  // 128 rows, 1-bit cells, 1-bit DAC: full scale 128
  a.adc.bits = 8;
  adc_model exact(a);
  CHECK(exact.lossless());
  for (int s = 0; s <= 128; ++s) CHECK(exact.convert(s) == s);

  a.adc.bits = 5;  // 31 codes over [0, 128]: step 128/31
  adc_model lossy(a);
  CHECK_FALSE(lossy.lossless());
  const double step = 128.0 / 31;
  for (int s = 0; s <= 128; ++s)
    CHECK(lossy.convert(s) == std::llround(std::floor(s / step + 0.5) * step));

  a.adc.range = 20;  // step 1, saturates above 20
  a.adc.bits = 5;
  adc_model clip(a);
  CHECK(clip.convert(7) == 7);
  CHECK(clip.convert(20) == 20);
  CHECK(clip.convert(100) == 20);
}

TEST_CASE("median vote", "[vote]") {
  int64_t v[5] = {9, -3, 4, 4, 100};
  CHECK(median(v, 5) == 4);
  int64_t w[3] = {7, 7, -1000};
  CHECK(median(w, 3) == 7);
  int64_t one[1] = {-5};
  CHECK(median(one, 1) == -5);
  int64_t even[2] = {1, 2};
  CHECK_THROWS_WITH(median(even, 2), Catch::Contains("even"));
}

TEST_CASE("OPC weights: place value, differential sign, flip inversion", "[opc]") {
  CHECK(opc_weight(0, false, false, 1) == 1);
  CHECK(opc_weight(6, false, false, 1) == 64);
  CHECK(opc_weight(6, true, false, 1) == -64);
  CHECK(opc_weight(6, false, true, 1) == -64);
  CHECK(opc_weight(6, true, true, 1) == 64);
  CHECK(opc_weight(3, false, false, 2) == 64);
}
