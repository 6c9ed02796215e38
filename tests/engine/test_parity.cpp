/// @file test_parity.cpp
/// @brief Float mode against PyTorch, and the mapped engine against float mode.
/// The models and PyTorch's logits come from tests/engine/torch_parity.py, run by the ctest
/// fixture engine:torch_export into RRAMFT_PARITY_DIR (see tests/engine/CMakeLists.txt).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "core/faults.h"
#include "core/spec.h"
#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/model.h"
#include "models/network.h"

using namespace rramft;
using models::safetensors;

namespace {

/// One exported family: the model, its test inputs and PyTorch's logits.
struct exported {
  models::model m;
  safetensors in;
  int n = 0, classes = 0;
  const std::vector<float>& torch_logits() const { return in.get("logits").data; }
};

exported load_family(const std::string& family) {
  const std::string dir = std::string(RRAMFT_PARITY_DIR) + "/" + family;
  INFO("model folder " << dir);
  if (!std::filesystem::exists(dir + "/inputs.safetensors"))
    FAIL(dir << " holds no export: it is written by the ctest fixture engine:torch_export "
                "(ctest -R test_parity pulls it in), or by hand with\n  "
             << RRAMFT_TORCH_PYTHON << " " << RRAMFT_SOURCE_DIR << "/tests/engine/torch_parity.py "
             << RRAMFT_PARITY_DIR);
  exported e{models::load_model(dir), safetensors::load(dir + "/inputs.safetensors")};
  const models::tensor& l = e.in.get("logits");
  REQUIRE(l.shape.size() == 2);
  e.n = int(l.shape[0]);
  e.classes = int(l.shape[1]);
  REQUIRE(e.n > 0);
  return e;
}

/// Logits of the exported inputs through @p be.
std::vector<float> run(const exported& e, const models::network& net, models::linear_backend& be) {
  REQUIRE(net.num_classes() == e.classes);
  std::vector<float> out(size_t(e.n) * e.classes, std::nanf(""));
  const engine::input_scope inputs(0, int(e.n));  // transient faults are drawn per input
  if (net.takes_images()) {
    const models::tensor& px = e.in.get("pixels");
    const size_t per = size_t(net.image_channels()) * net.image_size() * net.image_size();
    REQUIRE(px.shape ==
            std::vector<int64_t>{e.n, net.image_channels(), net.image_size(), net.image_size()});
    std::vector<uint8_t> pixels(size_t(e.n) * per);
    size_t bad = 0;
    for (size_t i = 0; i < pixels.size(); ++i) {
      const float v = px.data[i];
      bad += !(v >= 0 && v <= 255 && v == std::floor(v));
      pixels[i] = uint8_t(std::clamp(v, 0.0f, 255.0f));
    }
    INFO("pixels must be integers 0..255 stored as F32");
    REQUIRE(bad == 0);
    net.forward_images(pixels.data(), e.n, be, out.data());
  } else {
    const models::tensor& ids = e.in.get("input_ids");
    const models::tensor& types = e.in.get("token_type_ids");
    REQUIRE(ids.shape.size() == 2);
    REQUIRE(ids.shape[0] == e.n);
    REQUIRE(types.shape == ids.shape);
    const int seq = int(ids.shape[1]);
    std::vector<int32_t> id(ids.data.begin(), ids.data.end()),
        ty(types.data.begin(), types.data.end());
    net.forward_tokens(id.data(), ty.data(), e.n, seq, be, out.data());
  }
  REQUIRE(std::all_of(out.begin(), out.end(), [](float v) { return std::isfinite(v); }));
  return out;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

/// ||a - b|| / ||b|| over the whole batch.
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += double(a[i] - b[i]) * double(a[i] - b[i]);
    den += double(b[i]) * double(b[i]);
  }
  return std::sqrt(num / den);
}

/// Inputs whose argmax (first maximum, as torch.argmax) agrees.
int argmax_agreement(const std::vector<float>& a, const std::vector<float>& b, int classes) {
  int same = 0;
  const int n = int(a.size()) / classes;
  for (int i = 0; i < n; ++i) {
    const float* x = &a[size_t(i) * classes];
    const float* y = &b[size_t(i) * classes];
    same += std::max_element(x, x + classes) - x == std::max_element(y, y + classes) - y;
  }
  return same;
}

void check_float_parity(const std::string& family) {
  const exported e = load_family(family);
  const models::network net(e.m);
  models::float_backend be(e.m);
  const std::vector<float> ours = run(e, net, be);
  const std::vector<float>& ref = e.torch_logits();
  const float d = max_abs_diff(ours, ref);
  std::printf("%s: float mode vs PyTorch, max |logit difference| = %.3g over %zu logits\n",
              family.c_str(), double(d), ours.size());
  INFO(family << ": max |logit difference| " << d);
  for (size_t i = 0; i < ours.size(); ++i) {
    INFO("input " << i / e.classes << " class " << i % e.classes);
    CHECK(ours[i] == Approx(ref[i]).margin(1e-4).epsilon(0));
  }
}

arch_spec default_arch() {
  return load_arch(std::string(RRAMFT_SOURCE_DIR) + "/configs/default.yaml");
}

void check_mapped_close_to_float(const std::string& family) {
  const exported e = load_family(family);
  const models::network net(e.m);
  models::float_backend fb(e.m);
  const std::vector<float> ref = run(e, net, fb);

  const arch_spec a = default_arch();
  REQUIRE(a.fault.rate == 0);
  REQUIRE(a.fault.transient_rate == 0);
  const mapping::chip_mapping cm = mapping::map_model(e.m, a);
  const fault_map chip(a.fault, a.seed, a.cell_bits);
  engine::mapped_backend mb(cm, e.m, chip);
  for (const auto& errs : mb.errors()) REQUIRE(errs.empty());
  const std::vector<float> got = run(e, net, mb);

  const double rel = relative_error(got, ref);
  const int agree = argmax_agreement(got, ref, e.classes);
  std::printf(
      "%s: mapped (default arch, no faults) vs float: relative error %.4f, "
      "max |diff| %.4f, argmax agrees on %d/%d\n",
      family.c_str(), rel, double(max_abs_diff(got, ref)), agree, e.n);
  INFO(family << ": relative error " << rel << ", argmax agreement " << agree << "/" << e.n);
  CHECK(rel > 0);     // the crossbars quantize: exact equality would mean float ran
  CHECK(rel < 0.03);  // 8-bit weights and activations
  CHECK(agree >= e.n - 1);
}

void check_paths_bit_identical(const std::string& family) {
  const exported e = load_family(family);
  const models::network net(e.m);
  for (const char* protect : {"none", "vote", "tmr"}) {
    arch_spec a = default_arch();
    apply_scheme(a, protect);
    a.fault.rate = 0.01;
    a.fault.transient_rate = 0.002;
    a.validate();
    REQUIRE(a.adc_lossless());  // the fast path applies to the default ADC
    INFO(family << ", protection " << protect);
    const mapping::chip_mapping cm = mapping::map_model(e.m, a);
    const fault_map chip(a.fault, 7, a.cell_bits);
    engine::mapped_backend slow(cm, e.m, chip, {}, mvm_path::bit_serial);
    engine::mapped_backend fast(cm, e.m, chip, {}, mvm_path::fast);
    size_t errors = 0;
    for (const auto& errs : slow.errors()) errors += errs.size();
    REQUIRE(errors > 0);  // the chip is faulty where the layers sit
    const std::vector<float> ys = run(e, net, slow);
    const std::vector<float> yf = run(e, net, fast);
    REQUIRE(ys.size() == yf.size());
    CHECK(std::memcmp(ys.data(), yf.data(), ys.size() * sizeof(float)) == 0);
    for (size_t i = 0; i < ys.size(); ++i) {
      INFO("input " << i / e.classes << " class " << i % e.classes);
      CHECK(ys[i] == yf[i]);
    }
    // The faults reached the logits (so the comparison is not between two fault-free runs).
    models::float_backend fb(e.m);
    const std::vector<float> ref = run(e, net, fb);
    std::printf(
        "%s: %s, fault rate 0.01: %zu faulty cells read, bit-serial == fast, "
        "relative error vs float %.3f\n",
        family.c_str(), protect, errors, relative_error(ys, ref));
    CHECK(relative_error(ys, ref) > 0);
  }
}

/// The prepared bit-serial path (serial_product, what the engine runs for a lossy ADC) against
/// the slice-by-slice reference, on a faulty chip, through the whole network.
void check_lossy_paths_bit_identical(const std::string& family) {
  const exported e = load_family(family);
  const models::network net(e.m);
  for (const char* protect : {"none", "vote"}) {
    arch_spec a = default_arch();
    apply_scheme(a, protect);
    a.adc.bits = 6;
    a.fault.rate = 0.01;
    a.fault.transient_rate = 0.002;
    a.validate();
    REQUIRE_FALSE(a.adc_lossless());
    INFO(family << ", protection " << protect << ", 6-bit ADC");
    const mapping::chip_mapping cm = mapping::map_model(e.m, a);
    const fault_map chip(a.fault, 11, a.cell_bits);
    engine::mapped_backend slow(cm, e.m, chip, {}, mvm_path::bit_serial);
    engine::mapped_backend prepared(cm, e.m, chip, {}, mvm_path::automatic);
    const std::vector<float> ys = run(e, net, slow);
    const std::vector<float> yp = run(e, net, prepared);
    REQUIRE(ys.size() == yp.size());
    CHECK(std::memcmp(ys.data(), yp.data(), ys.size() * sizeof(float)) == 0);
    // The lossy ADC moved the logits away from the lossless chip's.
    arch_spec lossless = a;
    lossless.adc.bits = 8;
    const mapping::chip_mapping cm8 = mapping::map_model(e.m, lossless);
    engine::mapped_backend exact(cm8, e.m, chip);
    CHECK(run(e, net, exact) != ys);
  }
}

}  // namespace

TEST_CASE("float mode matches PyTorch: mlp", "[parity][float]") { check_float_parity("mlp"); }
TEST_CASE("float mode matches PyTorch: lenet5", "[parity][float]") { check_float_parity("lenet5"); }
TEST_CASE("float mode matches PyTorch: vit", "[parity][float]") { check_float_parity("vit"); }
TEST_CASE("float mode matches PyTorch: bert", "[parity][float]") { check_float_parity("bert"); }

TEST_CASE("fault-free mapped engine is close to float: mlp", "[parity][mapped]") {
  check_mapped_close_to_float("mlp");
}
TEST_CASE("fault-free mapped engine is close to float: vit", "[parity][mapped]") {
  check_mapped_close_to_float("vit");
}

TEST_CASE("bit-serial and fast paths give bit-identical logits on a faulty chip: mlp",
          "[parity][mapped][fast]") {
  check_paths_bit_identical("mlp");
}
TEST_CASE("bit-serial and fast paths give bit-identical logits on a faulty chip: vit",
          "[parity][mapped][fast]") {
  check_paths_bit_identical("vit");
}

TEST_CASE("prepared and slice-by-slice lossy-ADC paths give bit-identical logits: mlp",
          "[parity][mapped][adc]") {
  check_lossy_paths_bit_identical("mlp");
}
TEST_CASE("prepared and slice-by-slice lossy-ADC paths give bit-identical logits: vit",
          "[parity][mapped][adc]") {
  check_lossy_paths_bit_identical("vit");
}
