// Range restriction (quant.clip) against a brute-force reference, range checks against a
// reference, and the grammar of combined protection schemes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/error.h"
#include "core/quant.h"
#include "core/range_check.h"
#include "core/spec.h"
#include "io/arch_file.h"

using namespace rramft;

namespace {

/// Weights of one of a few shapes: Gaussian, heavy-tailed (a few large outliers, as trained
/// layers have), uniform; about a fifth exact zeros (pruned or dead weights).
std::vector<float> random_weights(std::mt19937& g, size_t n, int shape) {
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  std::bernoulli_distribution zero(0.2), outlier(0.01);
  std::vector<float> w(n);
  for (auto& v : w) {
    v = shape == 2 ? uni(g) : normal(g);
    if (shape == 1 && outlier(g)) v *= 20.0f;
    if (zero(g)) v = 0.0f;
  }
  return w;
}

/// The clip value by brute force: for the percentile, the smallest non-zero |w| such that at
/// least p% of the non-zero |w| are at or below it, counted exactly (p given in tenths of a
/// percent, so the comparison is in integers); for sigma, k times the root mean square.
double reference_clip(const std::vector<float>& w, size_t from, size_t n, clip_mode mode,
                      int p_tenths, double k) {
  std::vector<double> mags;
  for (size_t i = from; i < from + n; ++i)
    if (w[i] != 0.0f) mags.push_back(std::fabs(double(w[i])));
  if (mags.empty()) return 0;
  double mx = 0;
  for (double v : mags) mx = std::max(mx, v);
  if (mode == clip_mode::none) return mx;
  if (mode == clip_mode::sigma) {
    double sq = 0;
    for (double v : mags) sq += v * v;
    return std::min(mx, k * std::sqrt(sq / double(mags.size())));
  }
  double best = std::numeric_limits<double>::infinity();
  for (double cand : mags) {
    long long at_or_below = 0;
    for (double v : mags) at_or_below += v <= cand;
    if (at_or_below * 1000 >= (long long)p_tenths * (long long)mags.size())
      best = std::min(best, cand);
  }
  return best;
}

}  // namespace

TEST_CASE("clipped quantization equals a brute-force clip-then-quantize", "[quant][clip]") {
  std::mt19937 g(7);
  int checked = 0;
  for (int shape = 0; shape < 3; ++shape)
    for (bool per_channel : {false, true})
      for (int bits : {4, 8}) {
        const int out = 7, in = 53;
        const std::vector<float> w = random_weights(g, size_t(out) * in, shape);
        const int mmax = (1 << (bits - 1)) - 1;
        struct setting {
          clip_mode mode;
          int p_tenths;  // percentile, tenths of a percent
          double k;
        };
        const setting settings[] = {
            {clip_mode::none, 0, 0},         {clip_mode::percentile, 500, 0},
            {clip_mode::percentile, 900, 0}, {clip_mode::percentile, 990, 0},
            {clip_mode::percentile, 999, 0}, {clip_mode::percentile, 1000, 0},
            {clip_mode::percentile, 125, 0}, {clip_mode::sigma, 0, 0.5},
            {clip_mode::sigma, 0, 2},        {clip_mode::sigma, 0, 3},
            {clip_mode::sigma, 0, 100}};
        for (const setting& s : settings) {
          const double value = s.mode == clip_mode::percentile ? s.p_tenths / 10.0 : s.k;
          const quantized_matrix m =
              quantize_weights(w.data(), out, in, bits, per_channel, s.mode, value);
          INFO("shape " << shape << " per_channel " << per_channel << " bits " << bits << " mode "
                        << to_string(s.mode) << " value " << value);
          REQUIRE(m.scale.size() == size_t(per_channel ? out : 1));
          for (int o = 0; o < out; ++o) {
            const size_t from = per_channel ? size_t(o) * in : 0;
            const size_t n = per_channel ? size_t(in) : w.size();
            const double c = reference_clip(w, from, n, s.mode, s.p_tenths, s.k);
            const double scale = c > 0 ? c / mmax : 1.0;
            REQUIRE(m.scale_of(o) == Approx(scale).epsilon(1e-12));
            for (int i = 0; i < in; ++i) {
              const double v = w[size_t(o) * in + i];
              const double mag = std::round(std::min(std::fabs(v), c) / scale);
              const int32_t want = int32_t(v < 0 ? -mag : mag);
              REQUIRE(m.q[size_t(o) * in + i] == want);
              ++checked;
            }
          }
          if (s.mode == clip_mode::percentile && !per_channel) {
            // At least p% of the non-zero weights are quantized below the top code, or at it
            // only when they sit exactly at the clip value.
            size_t nz = 0, below = 0;
            for (size_t i = 0; i < w.size(); ++i)
              if (w[i] != 0.0f) {
                ++nz;
                below += std::fabs(double(w[i])) <=
                         reference_clip(w, 0, w.size(), s.mode, s.p_tenths, s.k);
              }
            CHECK(below * 1000 >= size_t(s.p_tenths) * nz);
          }
        }
      }
  CHECK(checked > 10000);
}

TEST_CASE("clipping spends the MSB on more weights", "[quant][clip]") {
  // A layer with one outlier at 1.0 and the rest within 0.1: unclipped, the scale is set by the
  // outlier and every other weight's MSB (magnitude >= 64 of 127) is 0; clipped at the 90th
  // percentile, the top tenth saturates at 127 and weights above half the clip value set it.
  std::vector<float> w(100, 0.0f);
  for (int i = 1; i < 99; ++i) w[size_t(i)] = 0.001f * float(i) + 0.0002f;  // 0.0012 .. 0.0982
  w[99] = 1.0f;
  auto msb_ones = [](const quantized_matrix& m) {
    int n = 0;
    for (int32_t q : m.q) n += (std::abs(q) >> 6) & 1;
    return n;
  };
  const quantized_matrix plain = quantize_weights(w.data(), 1, 100, 8, false);
  CHECK(msb_ones(plain) == 1);
  const quantized_matrix clipped =
      quantize_weights(w.data(), 1, 100, 8, false, clip_mode::percentile, 90);
  // Non-zero |w|: 98 values 0.0012 .. 0.0982 and 1.0; rank ceil(0.9 x 99) = 90 is 0.0902.
  CHECK(clipped.scale[0] == Approx(0.0902 / 127));
  // MSB set when round(|w| / scale) >= 64, i.e. |w| >= 63.5/127 x 0.0902 = 0.0451: the 54
  // weights 0.0452 .. 0.0982 and the outlier.
  CHECK(msb_ones(clipped) == 55);
  CHECK(clipped.q[99] == 127);
  CHECK(clipped.q[95] == 127);
}

TEST_CASE("clip values: nearest-rank percentile, root-mean-square sigma", "[quant][clip]") {
  const float w[6] = {0.0f, -4.0f, 1.0f, 2.0f, -3.0f, 0.0f};  // non-zero |w| 1 2 3 4
  CHECK(clip_value(w, 6, clip_mode::none, 0) == 4.0);
  CHECK(clip_value(w, 6, clip_mode::percentile, 50) == 2.0);    // rank 2 of 4
  CHECK(clip_value(w, 6, clip_mode::percentile, 50.1) == 3.0);  // rank ceil(2.004) = 3
  CHECK(clip_value(w, 6, clip_mode::percentile, 1) == 1.0);
  CHECK(clip_value(w, 6, clip_mode::percentile, 100) == 4.0);
  CHECK(clip_value(w, 6, clip_mode::sigma, 1) == Approx(std::sqrt(30.0 / 4)));
  CHECK(clip_value(w, 6, clip_mode::sigma, 10) == 4.0);  // never above max |w|
  const float zeros[3] = {0.0f, 0.0f, 0.0f};
  CHECK(clip_value(zeros, 3, clip_mode::sigma, 2) == 0.0);
  const quantized_matrix m = quantize_weights(zeros, 1, 3, 8, false, clip_mode::percentile, 50);
  CHECK(m.scale[0] == 1.0);
  CHECK(m.q == std::vector<int32_t>{0, 0, 0});
}

TEST_CASE("range checks clamp or zero exactly the values outside their bounds", "[range]") {
  std::mt19937 g(11);
  std::normal_distribution<float> d(0.0f, 3.0f);
  const size_t n = 40, cols = 9;
  for (bool per_output : {false, true})
    for (range_action act : {range_action::clamp, range_action::zero}) {
      std::vector<float> lo, hi;
      for (size_t o = 0; o < (per_output ? cols : 1); ++o) {
        const float a = d(g), b = d(g);
        lo.push_back(std::min(a, b));
        hi.push_back(std::max(a, b));
      }
      const output_range r = widen(lo, hi, 0.0);
      std::vector<float> y(n * cols);
      for (auto& v : y) v = d(g);
      y[3] = std::numeric_limits<float>::quiet_NaN();
      y[5] = r.hi_of(5);  // on the bound: inside
      y[7] = std::numeric_limits<float>::infinity();
      std::vector<float> want = y;
      size_t outside = 0;
      for (size_t i = 0; i < n; ++i)
        for (size_t o = 0; o < cols; ++o) {
          float& v = want[i * cols + o];
          const float l = per_output ? lo[o] : lo[0], h = per_output ? hi[o] : hi[0];
          if (std::isnan(v)) {
            v = 0;
            ++outside;
          } else if (v < l || v > h) {
            v = act == range_action::zero ? 0.0f : std::clamp(v, l, h);
            ++outside;
          }
        }
      INFO("per_output " << per_output << " action " << to_string(act));
      CHECK(range_check(y.data(), n, cols, r, act) == outside);
      CHECK(outside > 10);
      CHECK(std::memcmp(y.data(), want.data(), y.size() * sizeof(float)) == 0);
    }
  // Margins widen each side by a share of the width; bounds must fit the outputs.
  const output_range w = widen({-1.0f, 2.0f}, {3.0f, 2.0f}, 0.25);
  CHECK(w.lo == std::vector<float>{-2.0f, 2.0f});
  CHECK(w.hi == std::vector<float>{4.0f, 2.0f});
  std::vector<float> y(6, 0.0f);
  CHECK_THROWS_WITH(range_check(y.data(), 2, 3, w, range_action::clamp),
                    Catch::Contains("2 bounds for 3 outputs"));
}

TEST_CASE("protection schemes combine with '+' and name themselves canonically",
          "[spec][schemes]") {
  struct ok {
    const char* in;
    scheme base;
    bool range, clip;
    const char* name;
  };
  const ok cases[] = {{"none", scheme::none, false, false, "none"},
                      {"vote", scheme::vote, false, false, "vote"},
                      {"tmr", scheme::tmr, false, false, "tmr"},
                      {"range", scheme::none, true, false, "range"},
                      {"vote+range", scheme::vote, true, false, "vote+range"},
                      {"range+vote", scheme::vote, true, false, "vote+range"},
                      {"tmr+range", scheme::tmr, true, false, "tmr+range"},
                      {"clip", scheme::none, false, true, "clip"},
                      {"vote+clip", scheme::vote, false, true, "clip+vote"},
                      {"range+clip+tmr", scheme::tmr, true, true, "clip+tmr+range"},
                      {"clip+range", scheme::none, true, true, "clip+range"}};
  for (const ok& c : cases) {
    INFO(c.in);
    const protection_parts p = parse_protection(c.in);
    CHECK(p.base == c.base);
    CHECK(p.range == c.range);
    CHECK(p.clip == c.clip);
    CHECK(protection_name(p) == c.name);
    CHECK(parse_protection(protection_name(p)).base == c.base);
  }
  auto fails = [](const std::string& in, const std::string& needle) {
    INFO(in);
    CHECK_THROWS_WITH(parse_protection(in), Catch::Contains(needle));
  };
  fails("ecc", "'ecc' is not one of none | vote | tmr | range | clip");
  fails("vote+ecc", "'vote+ecc': part 'ecc' is not one of");
  fails("vote+tmr", "'vote' and 'tmr' cannot be combined");
  fails("none+range", "'none' cannot be combined with other parts (write 'range')");
  fails("vote+vote", "part 'vote' appears twice");
  fails("vote+", "empty part");
  fails("+range", "empty part");
  fails("Vote", "'Vote' is not one of");
}

TEST_CASE("clip and range keys are validated and round-trip", "[spec][schemes]") {
  const std::string yaml = std::string(RRAMFT_SOURCE_DIR) + "/configs/default.yaml";
  auto fails = [&](const std::vector<std::string>& sets, const std::string& needle) {
    INFO(needle);
    CHECK_THROWS_WITH(load_arch(yaml, sets), Catch::Contains(needle));
  };
  fails({"quant.clip=percentile"},
        "'quant.clip_value': percentile clipping needs a percent in "
        "(0, 100], got 0");
  fails({"quant.clip=percentile", "quant.clip_value=100.5"}, "got 100.5");
  fails({"quant.clip=sigma", "quant.clip_value=-1"}, "'quant.clip_value': sigma clipping needs k");
  fails({"quant.clip=sigma", "quant.clip_value=nan"}, "'quant.clip_value'");
  fails({"quant.clip=max"}, "'quant.clip': 'max' is not one of none | percentile | sigma");
  fails({"protection.scheme=clip+vote"}, "names clip, but quant.clip is none");
  fails({"protection.scheme=vote+tmr"}, "key 'protection.scheme': 'vote+tmr': 'vote' and 'tmr'");
  fails({"range_check.action=drop"}, "'range_check.action': 'drop' is not one of clamp | zero");
  fails({"range_check.granularity=row"}, "'row' is not one of layer | output");
  fails({"range_check.margin=-0.1"}, "'range_check.margin': -0.1 is out of range");
  const full_spec a =
      load_arch(yaml, {"quant.clip=sigma", "quant.clip_value=2.5", "protection.scheme=vote+clip",
                       "range_check.action=zero", "range_check.granularity=output"});
  CHECK(a.scheme_name() == "clip+vote");
  CHECK(a.copies() == 3);
  const full_spec b = full_spec::parse(a.to_yaml(), "roundtrip");
  CHECK(YAML::Dump(b.to_yaml()) == YAML::Dump(a.to_yaml()));
  CHECK(b.quant.clip == clip_mode::sigma);
  CHECK(b.quant.clip_value == 2.5);
  CHECK(b.range_check.action == range_action::zero);
  arch_spec c = a;
  apply_scheme(c, "tmr+range");
  CHECK(c.protection.scheme == scheme::tmr);
  CHECK(c.protection.range);
  CHECK_FALSE(c.protection.clip);
  CHECK_THROWS_WITH(apply_scheme(c, "ecc"),
                    Catch::Contains("protection scheme 'ecc' is not one of"));
}
