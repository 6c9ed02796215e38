#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "core/error.h"
#include "core/faults.h"
#include "core/layer.h"
#include "core/mvm.h"
#include "engine/evaluate.h"
#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;
}

TEST_CASE("summaries use the sample deviation and Student's t", "[eval][stats]") {
  engine::eval_point p;
  p.acc = {0.5, 0.6, 0.7};
  engine::summarize(p);
  CHECK(p.mean == Approx(0.6));
  CHECK(p.std == Approx(0.1));
  // t(0.975, 2 dof) = 4.302652729911275
  CHECK(p.ci95_high - p.mean == Approx(4.302652729911275 * 0.1 / std::sqrt(3.0)));
  p.acc = {0.9};
  engine::summarize(p);
  CHECK(p.ci95_low == p.ci95_high);
}

TEST_CASE("intervals stay inside [0, 1]; the test-set interval is the binomial one",
          "[eval][stats]") {
  engine::eval_point p;
  p.acc = {0.10, 0.95};  // two chips far apart: mean +- 12.7 x 0.6 / sqrt(2) leaves [0, 1]
  engine::summarize(p, 1000);
  CHECK(p.ci95_low == 0);
  CHECK(p.ci95_high == 1);
  // Clopper-Pearson, 525 of 1000: [0.493514, 0.556338], the 2.5% and 97.5% quantiles of Beta(525,
  // 476) and Beta(526, 475) (R: binom.test(525, 1000)$conf.int).
  CHECK(p.test_ci95_low == Approx(0.493514).epsilon(1e-5));
  CHECK(p.test_ci95_high == Approx(0.556338).epsilon(1e-5));
  // All right on 100 images: the exact interval is [0.9638, 1] (1 - 0.025^(1/100) below 1).
  p.acc = {1.0, 1.0};
  engine::summarize(p, 100);
  CHECK(p.test_ci95_high == 1);
  CHECK(p.test_ci95_low == Approx(std::pow(0.025, 1.0 / 100)).epsilon(1e-9));
  CHECK(p.ci95_low == 1);
  CHECK(p.ci95_high == 1);
}

TEST_CASE("eval is deterministic and its references are consistent", "[eval][determinism]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  const auto data = models::load_dataset("fashion-mnist:300");
  arch_spec a = load_arch(src + "/configs/default.yaml");
  engine::eval_options opt;
  opt.protect = {"none", "vote"};
  opt.rates = {0.05, 0.01};
  opt.trials = 2;
  opt.batch = 128;
  const auto r1 = engine::evaluate(m, a, data, opt);
  const auto r2 = engine::evaluate(m, a, data, opt);
  CHECK(r1.to_json() == r2.to_json());
  REQUIRE(r1.points.size() == 4);
  CHECK(r1.points[0].rate == 0.01);  // rates are sorted
  // Fault-free mapped accuracy equals a direct run with a clean chip.
  const auto cm = mapping::map_model(m, a);
  const fault_map clean(arch_spec::fault_spec{}, 1, 1);
  engine::mapped_backend mb(cm, m, clean);
  const models::network net(m);
  CHECK(engine::accuracy(net, mb, data) == r1.schemes[1].fault_free);
  // Trial k of a point is the chip trial_seed(seed, k): recompute one by hand.
  arch_spec af = a;
  af.fault.rate = 0.05;
  apply_scheme(af, "none");
  const auto cmn = mapping::map_model(m, af);
  engine::mapped_backend one(cmn, m, fault_map(af.fault, engine::trial_seed(a.seed, 1), 1));
  CHECK(engine::accuracy(net, one, data) == r1.points[1].acc[1]);
  CHECK(r1.points[1].acc[0] != r1.points[1].acc[1]);  // different chips
}

TEST_CASE("eval refuses nonsense before working", "[eval][bad-input]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  const auto data = models::load_dataset("fashion-mnist:10");
  arch_spec a;
  engine::eval_options opt;
  opt.trials = 0;
  CHECK_THROWS_WITH(engine::evaluate(m, a, data, opt), Catch::Contains("--trials"));
  opt.trials = 1;
  opt.protect = {"ecc"};
  CHECK_THROWS_WITH(engine::evaluate(m, a, data, opt), Catch::Contains("'ecc' is not one of"));
}

// The per-layer error against its closed form. One 768 x 768 layer of integer weights in
// [-127, 127] on 256 x 256 crossbars of 1-bit cells, no protection, a lossless 9-bit ADC, and a
// fault rate p = 0.1% with SA0:SA1 = 1:1 (the setting in which CrossSim and MNSIM report a
// relative error of 3.1e-2). With integer inputs the layer output is the exact integer product,
// so a stuck cell holding bit b of plane j (weight 2^j) of input i changes output o by
// +-x_i 2^j (SA1 on a stored 0: +1; SA0 on a stored 1: -1; negative array: opposite sign). Cells
// fail independently, so E[(y_o - y_clean_o)^2] = sum over cells of a^2 E[e^2] + (sum a E[e])^2
// with a = +-x_i 2^j, E[e^2] = p/2 and E[e] = +p/2 (stored 0) or -p/2 (stored 1).
TEST_CASE("a layer's relative RMS error under stuck cells matches its closed form",
          "[eval][layer_error]") {
  arch_spec a =
      load_arch(src + "/configs/default.yaml",
                {"crossbar.rows=256", "crossbar.cols=256", "adc.bits=9", "protection.scheme=none",
                 "fault.rate=0.001", "fault.sa0_to_sa1=1:1", "seed=11"});
  const int N = 768, V = 16;
  models::weight_layer wl;
  wl.name = "fc";
  wl.kind = "linear";
  wl.rows = wl.cols = N;
  wl.w.resize(size_t(N) * N);
  uint64_t h = 12345;
  auto next = [&h] {
    h = mix64(h);
    return h;
  };
  for (float& w : wl.w) w = float(int(next() % 255) - 127);
  wl.w[0] = 127;  // the largest |w| is 127: the weight scale is 1 and m = |w|
  std::vector<int32_t> x(size_t(V) * N);
  for (int32_t& v : x) v = int32_t(next() % 255) - 127;
  mapping::layer_report rep;
  const mapped_layer l = mapping::map_layer(wl, a, 0, rep);
  REQUIRE(l.kept_rows.size() == size_t(N));
  REQUIRE(l.kept_cols.size() == size_t(N));
  REQUIRE(a.adc_lossless());
  const fault_map chip(a.fault, a.seed, a.cell_bits);
  arch_spec clean_a = a;
  clean_a.fault.rate = 0;
  const fault_map clean(clean_a.fault, a.seed, a.cell_bits);
  std::vector<int64_t> y(size_t(V) * N), y0(size_t(V) * N);
  mvm(l, read_errors(l, chip), x.data(), V, y.data());
  mvm(l, read_errors(l, clean), x.data(), V, y0.data());
  double err2 = 0, ref2 = 0, want_err2 = 0;
  const double p = 0.001;
  for (int v = 0; v < V; ++v)
    for (int o = 0; o < N; ++o) {
      const size_t k = size_t(v) * N + o;
      const int64_t exact = [&] {
        int64_t s = 0;
        for (int i = 0; i < N; ++i) s += int64_t(wl.w[size_t(o) * N + i]) * x[size_t(v) * N + i];
        return s;
      }();
      REQUIRE(y0[k] == exact);
      err2 += double(y[k] - y0[k]) * double(y[k] - y0[k]);
      ref2 += double(exact) * double(exact);
      double var = 0, mean = 0;
      for (int i = 0; i < N; ++i) {
        const int w = int(wl.w[size_t(o) * N + i]), m = std::abs(w);
        const double xi = x[size_t(v) * N + i];
        for (int j = 0; j < 7; ++j)
          for (int neg = 0; neg < 2; ++neg) {
            const int bit = (neg ? w < 0 : w > 0) ? (m >> j) & 1 : 0;
            const double amp = (neg ? -1.0 : 1.0) * xi * double(1 << j);
            var += amp * amp * (p / 2 - (p / 2) * (p / 2));
            mean += amp * (bit ? -p / 2 : p / 2);
          }
      }
      want_err2 += var + mean * mean;
    }
  const double rel = std::sqrt(err2 / ref2), want = std::sqrt(want_err2 / ref2);
  INFO("measured " << rel << ", closed form " << want);
  CHECK(rel == Approx(want).epsilon(0.10));  // one chip: ~2,400 stuck MSB-plane cells
}

TEST_CASE("eval reports each layer's relative RMS error, zero on a fault-free chip",
          "[eval][layer_error]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  const auto data = models::load_dataset("fashion-mnist:60");
  arch_spec a = load_arch(src + "/configs/default.yaml");
  engine::eval_options opt;
  opt.protect = {"none", "vote"};
  opt.rates = {0, 0.01};
  opt.trials = 2;
  opt.batch = 30;
  opt.layer_error_images = 20;
  const auto r1 = engine::evaluate(m, a, data, opt);
  const auto r2 = engine::evaluate(m, a, data, opt);
  CHECK(r1.to_json() == r2.to_json());  // fixed summation order: bit for bit
  REQUIRE(r1.layer_names.size() == m.layers.size());
  CHECK(r1.layer_error_images == 20);
  for (const auto& p : r1.points) {
    INFO(p.protect << " " << p.rate);
    REQUIRE(p.layer_rel_rms.size() == m.layers.size());
    for (double e : p.layer_rel_rms) {
      if (p.rate == 0)
        CHECK(e == 0);
      else
        CHECK(e > 0);
    }
  }
  // Voting corrects most of what stuck cells do to a layer.
  const auto& none = r1.points[1];
  const auto& vote = r1.points[3];
  REQUIRE(none.protect == "none");
  REQUIRE(vote.protect == "vote");
  CHECK(vote.layer_rel_rms[0] < none.layer_rel_rms[0]);
  const std::string csv = r1.layer_error_csv();
  CHECK(csv.rfind("protect,rate,layer,rel_rms,images\n", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 4 * int(m.layers.size()));
}

TEST_CASE("transient flips are drawn per image and per read, static faults are not",
          "[eval][transient]") {
  const auto m = models::load_model(src + "/models/zoo/mlp-pruned");
  const models::network net(m);
  const auto data = models::load_dataset("fashion-mnist:4");
  const int classes = net.num_classes();
  // The first image twice in one batch.
  std::vector<uint8_t> twice(2 * data.image_bytes());
  std::copy_n(data.pixels.begin(), data.image_bytes(), twice.begin());
  std::copy_n(data.pixels.begin(), data.image_bytes(), twice.begin() + data.image_bytes());
  auto same_twice = [&](const std::vector<std::string>& sets) {
    const arch_spec a = load_arch(src + "/configs/default.yaml", sets);
    const auto cm = mapping::map_model(m, a);
    engine::mapped_backend mb(cm, m, fault_map(a.fault, 5, a.cell_bits));
    std::vector<float> y(2 * size_t(classes));
    const engine::input_scope inputs(0, 2);
    net.forward_images(twice.data(), 2, mb, y.data());
    return std::equal(y.begin(), y.begin() + classes, y.begin() + classes);
  };
  CHECK(same_twice({"fault.rate=0.05"}));                  // stuck cells: the same read every time
  CHECK_FALSE(same_twice({"fault.transient_rate=0.01"}));  // each image its own flips

  // Same seed, same bits; batches of any size give each image the same flips (its index in the
  // data, not its place in a batch, keys them); the backend needs to know the inputs.
  const arch_spec a =
      load_arch(src + "/configs/default.yaml", {"fault.rate=0.01", "fault.transient_rate=0.005"});
  for (const char* model : {"mlp-pruned", "lenet5-pruned"}) {
    INFO(model);
    const auto mm = models::load_model(src + "/models/zoo/" + model);
    const models::network nn(mm);
    const auto cm = mapping::map_model(mm, a);
    const fault_map chip(a.fault, 9, a.cell_bits);
    engine::mapped_backend mb(cm, mm, chip), again(cm, mm, chip);
    const auto all = engine::logits(nn, mb, data, 4);
    CHECK(engine::logits(nn, again, data, 4) == all);
    CHECK(engine::logits(nn, mb, data, 3) == all);
    CHECK(engine::logits(nn, mb, data, 1) == all);
    std::vector<float> one(static_cast<size_t>(classes));
    const engine::input_scope inputs(2, 1);
    nn.forward_images(&data.pixels[2 * data.image_bytes()], 1, mb, one.data());
    CHECK(std::equal(one.begin(), one.end(), all.begin() + 2 * classes));
    // Without transients the same chip reads otherwise.
    arch_spec st = a;
    st.fault.transient_rate = 0;
    engine::mapped_backend stuck_only(cm, mm, fault_map(st.fault, 9, st.cell_bits));
    CHECK(engine::logits(nn, stuck_only, data, 4) != all);
  }
  {
    const auto cm = mapping::map_model(m, a);
    engine::mapped_backend mb(cm, m, fault_map(a.fault, 9, a.cell_bits));
    std::vector<float> y(static_cast<size_t>(classes));
    CHECK_THROWS_WITH(net.forward_images(data.pixels.data(), 1, mb, y.data()),
                      Catch::Contains("no input_scope names the inputs"));
  }
}
