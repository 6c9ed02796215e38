// Range checks in the accuracy engine: profiling on calibration data, and the check applied to
// every weight layer's outputs, against references computed here.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>
#include <random>

#include "core/error.h"
#include "engine/evaluate.h"
#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;

/// Keeps every output of every weight layer (the test's own record, independent of the engine's).
struct keep_all : models::linear_backend {
  models::linear_backend& inner;
  const models::model& m;
  std::vector<std::vector<float>> seen;
  keep_all(models::linear_backend& b, const models::model& mm)
      : inner(b), m(mm), seen(mm.layers.size()) {}
  void linear(size_t layer, const float* x, int n, float* y) override {
    inner.linear(layer, x, n, y);
    seen[layer].insert(seen[layer].end(), y, y + size_t(n) * m.layers[layer].cols);
  }
};

/// The same mapping with range checks switched off.
mapping::chip_mapping without_ranges(mapping::chip_mapping cm) {
  cm.arch.protection.range = false;
  for (auto& l : cm.layers) l.arch.protection.range = false;
  return cm;
}
}  // namespace

TEST_CASE("profiled ranges are the exact extremes of the calibration outputs", "[eval][range]") {
  const auto m = models::load_model(src + "/models/zoo/lenet5-pruned");
  const auto calib = models::load_dataset("fashion-mnist-train:64");
  for (const char* grain : {"layer", "output"}) {
    INFO(grain);
    arch_spec a = load_arch(
        src + "/configs/default.yaml",
        {"protection.scheme=vote+range", std::string("range_check.granularity=") + grain});
    mapping::chip_mapping cm = mapping::map_model(m, a);
    engine::profile_ranges(cm, m, calib, {}, 16);
    // Reference: every output of the fault-free chip without checks, batch of one at a time.
    const mapping::chip_mapping plain = without_ranges(cm);
    const fault_map clean(arch_spec::fault_spec{}, a.seed, a.cell_bits);
    engine::mapped_backend mb(plain, m, clean);
    keep_all rec(mb, m);
    const models::network net(m);
    std::vector<float> logits(size_t(calib.n) * 10);
    net.forward_images(calib.pixels.data(), calib.n, rec, logits.data());
    for (size_t li = 0; li < m.layers.size(); ++li) {
      const size_t cols = size_t(m.layers[li].cols);
      const auto& r = cm.layers[li].out_range;
      REQUIRE(r.lo.size() == (std::string(grain) == "layer" ? 1 : cols));
      for (size_t o = 0; o < r.lo.size(); ++o) {
        float lo = std::numeric_limits<float>::infinity(), hi = -lo;
        for (size_t i = 0; i < rec.seen[li].size(); ++i)
          if (r.lo.size() == 1 || i % cols == o) {
            lo = std::min(lo, rec.seen[li][i]);
            hi = std::max(hi, rec.seen[li][i]);
          }
        CHECK(r.lo[o] == lo);
        CHECK(r.hi[o] == hi);
      }
    }
    // So on the calibration images a fault-free chip with range checks changes nothing.
    engine::mapped_backend checked(cm, m, clean);
    std::vector<float> logits2(logits.size());
    net.forward_images(calib.pixels.data(), calib.n, checked, logits2.data());
    CHECK(std::memcmp(logits.data(), logits2.data(), logits.size() * sizeof(float)) == 0);
    CHECK(checked.out_of_range() == 0);
  }
}

TEST_CASE("the engine clamps or zeroes a layer's outputs as the reference does", "[eval][range]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  std::mt19937 g(3);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (const char* act : {"clamp", "zero"})
    for (const char* grain : {"layer", "output"}) {
      INFO(act << " " << grain);
      const arch_spec a = load_arch(src + "/configs/default.yaml",
                                    {"protection.scheme=vote+range", "fault.rate=0.02",
                                     std::string("range_check.action=") + act,
                                     std::string("range_check.granularity=") + grain});
      mapping::chip_mapping cm = mapping::map_model(m, a);
      // Tight bounds of our own, so that many outputs fall outside.
      for (auto& l : cm.layers) {
        const size_t k = std::string(grain) == "layer" ? 1 : size_t(l.cols);
        l.out_range.lo.assign(k, 0.0f);
        l.out_range.hi.assign(k, 0.0f);
        for (size_t o = 0; o < k; ++o) {
          l.out_range.lo[o] = -0.5f - 0.1f * float(o % 3);
          l.out_range.hi[o] = 0.4f + 0.1f * float(o % 5);
        }
      }
      const mapping::chip_mapping plain = without_ranges(cm);
      const fault_map chip(a.fault, a.seed, a.cell_bits);
      engine::mapped_backend with(cm, m, chip), without(plain, m, chip);
      REQUIRE(!with.errors()[0].empty());
      const int n = 5;
      const size_t rows = size_t(m.layers[0].rows), cols = size_t(m.layers[0].cols);
      std::vector<float> x(n * rows);
      for (auto& v : x) v = d(g);
      std::vector<float> y(n * cols), ref(n * cols);
      with.linear(0, x.data(), n, y.data());
      without.linear(0, x.data(), n, ref.data());
      uint64_t outside = 0;
      for (size_t i = 0; i < ref.size(); ++i) {
        const size_t o = std::string(grain) == "layer" ? 0 : i % cols;
        const float lo = cm.layers[0].out_range.lo[o], hi = cm.layers[0].out_range.hi[o];
        if (ref[i] < lo || ref[i] > hi) {
          ++outside;
          ref[i] = std::string(act) == "zero" ? 0.0f : std::min(std::max(ref[i], lo), hi);
        }
      }
      CHECK(outside > cols);
      CHECK(with.out_of_range() == outside);
      CHECK(std::memcmp(y.data(), ref.data(), y.size() * sizeof(float)) == 0);
    }
}

TEST_CASE("range checks need profiled bounds and calibration images", "[eval][range][bad-input]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  const arch_spec a = load_arch(src + "/configs/default.yaml", {"protection.scheme=range"});
  const mapping::chip_mapping cm = mapping::map_model(m, a);
  const fault_map clean(arch_spec::fault_spec{}, 1, 1);
  CHECK_THROWS_WITH(engine::mapped_backend(cm, m, clean),
                    Catch::Contains("layer 'fc1': scheme 'range' checks output ranges, but none "
                                    "was profiled"));
  const auto data = models::load_dataset("fashion-mnist:10");
  engine::eval_options opt;
  opt.protect = {"none", "vote+range"};
  opt.trials = 1;
  opt.rates = {0.01};
  CHECK_THROWS_WITH(
      engine::evaluate(m, a, data, opt),
      Catch::Contains("protection 'vote+range': range checks need calibration images"));
}

TEST_CASE("a protect list with clip compares clipped and unclipped weights", "[eval][clip]") {
  const auto m = models::load_model(src + "/models/zoo/lenet5-pruned");
  const auto data = models::load_dataset("fashion-mnist:50");
  const arch_spec a =
      load_arch(src + "/configs/default.yaml", {"quant.clip=sigma", "quant.clip_value=2"});
  engine::eval_options opt;
  opt.protect = {"none", "clip", "clip+vote"};
  opt.trials = 1;
  opt.rates = {0.0};
  const auto rep = engine::evaluate(m, a, data, opt);
  arch_spec unclipped = a;
  unclipped.quant.clip = clip_mode::none;
  apply_scheme(unclipped, "none");
  arch_spec clipped = a;
  apply_scheme(clipped, "clip");
  CHECK(rep.schemes[0].clip == "none");
  CHECK(rep.schemes[0].msb_zero_fraction == mapping::map_model(m, unclipped).msb_zero_fraction());
  CHECK(rep.schemes[1].clip == "sigma 2");
  CHECK(rep.schemes[1].msb_zero_fraction == mapping::map_model(m, clipped).msb_zero_fraction());
  CHECK(rep.schemes[1].msb_zero_fraction < rep.schemes[0].msb_zero_fraction);
  // The share counted here from the programmed integers (8-bit weights: bit 6 is the MSB).
  const mapping::chip_mapping cc = mapping::map_model(m, clipped);
  size_t zero = 0, all = 0;
  for (const auto& l : cc.layers)
    for (int32_t q : l.w.q) {
      zero += ((std::abs(q) >> 6) & 1) == 0;
      ++all;
    }
  CHECK(cc.msb_zero_fraction() == Approx(double(zero) / double(all)).epsilon(1e-12));
  CHECK(rep.schemes[2].msb_zero_fraction == rep.schemes[1].msb_zero_fraction);
  // Without clip in the list, quant.clip applies to every scheme.
  opt.protect = {"none"};
  CHECK(engine::evaluate(m, a, data, opt).schemes[0].clip == "sigma 2");
}
