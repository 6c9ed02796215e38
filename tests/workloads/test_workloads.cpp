/// The zoo's workload models (models/zoo/resnet-pruned, bert-pruned; models/train/workloads.py),
/// through the ONNX and the folder front ends: their float logits through rramft equal PyTorch's
/// (reference_logits.npy, written by the exporter from torch on the CPU), and the SystemC chip
/// model gives the accuracy engine's logits bit for bit on a faulty chip with voting.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <systemc>

#include "core/faults.h"
#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "models/network.h"
#include "testbenches/platform.h"

using namespace rramft;

namespace {

std::string zoo(const std::string& name) {
  return std::string(RRAMFT_SOURCE_DIR) + "/models/zoo/" + name;
}

/// The model's 8 reference inputs with their labels, at most @p n of them.
models::image_set reference_data(const std::string& name, int n = 0) {
  const std::string d = zoo(name);
  std::string spec = d + "/reference_inputs.npy," + d + "/reference_labels.npy";
  if (n > 0) spec += ":" + std::to_string(n);
  return models::load_dataset(spec);
}

/// A family folder reads 8-bit pixels and normalises them itself ((p / 255 - input_mean) /
/// input_std); the reference inputs are the ONNX graph's pixel / 255. Converted back to the
/// pixels they came from (exactly: every value is some p / 255 in float32).
void as_pixels(const models::model& m, models::image_set& data) {
  if (m.family == "onnx" || data.type != models::sample_type::f32) return;
  const size_t n = data.pixels.size() / 4;
  std::vector<uint8_t> u(n);
  for (size_t i = 0; i < n; ++i) {
    float x;
    std::memcpy(&x, &data.pixels[i * 4], 4);
    const long p = std::lround(double(x) * 255.0);
    REQUIRE(p >= 0);
    REQUIRE(p <= 255);
    REQUIRE(float(p) / 255.0f == x);
    u[i] = uint8_t(p);
  }
  const std::vector<int64_t> dims = data.sample_dims();
  REQUIRE(dims.size() == 3);
  data.pixels = std::move(u);
  data.type = models::sample_type::u8;
  data.channels = int(dims[0]);
  data.rows = int(dims[1]);
  data.cols = int(dims[2]);
  data.dims.clear();
}

/// rramft's float pass (float32 products, the engine's digital operators) against PyTorch's
/// logits: max |rramft - torch| <= 1e-4 * max(1, max |torch|), as tests/onnx requires.
void float_matches_torch(const std::string& name, const std::string& model_path) {
  models::model m = models::load_model(model_path);
  models::image_set data = reference_data(name);
  as_pixels(m, data);
  models::bind_data(m, data);
  const models::network net(m);
  const models::npy_array ref =
      models::parse_npy(models::read_data_file(zoo(name) + "/reference_logits.npy"), name);
  REQUIRE(ref.shape.size() == 2);
  REQUIRE(ref.shape[0] == data.n);
  REQUIRE(ref.shape[1] == net.num_classes());
  REQUIRE(data.n == 8);
  models::float_backend fb(m);
  std::vector<float> got(size_t(data.n) * size_t(net.num_classes()));
  net.forward_images(data.pixels.data(), data.n, fb, got.data());
  double scale = 1, err = 0;
  for (float r : ref.f) scale = std::max(scale, double(std::fabs(r)));
  for (size_t i = 0; i < got.size(); ++i) err = std::max(err, std::fabs(double(got[i]) - ref.f[i]));
  INFO(model_path << ": max |rramft - torch| = " << err << ", max |torch| = " << scale);
  CHECK(err <= 1e-4 * scale);
  // The logits are not trivially small: the bound above is not met by zeros.
  CHECK(scale > 1);
  // The float model classifies the reference examples as PyTorch did (same argmax).
  for (int i = 0; i < data.n; ++i) {
    const float* g = &got[size_t(i) * size_t(net.num_classes())];
    const float* r = &ref.f[size_t(i) * size_t(net.num_classes())];
    CHECK(std::max_element(g, g + net.num_classes()) - g ==
          std::max_element(r, r + net.num_classes()) - r);
  }
}

/// The chip model (controller executing the network, tiles, voting units) against the batched
/// engine on the same faulty chip, on the first @p n reference inputs.
void chip_equals_engine(const std::string& name, const std::string& model_path, int n,
                        const std::vector<std::string>& sets) {
  const full_spec arch = load_arch(std::string(RRAMFT_SOURCE_DIR) + "/configs/default.yaml", sets);
  models::model m = models::load_model(model_path);
  models::image_set data = reference_data(name, n);
  as_pixels(m, data);
  models::bind_data(m, data);
  const mapping::chip_mapping cm = mapping::map_model(m, arch);
  const fault_map chip(arch.fault, arch.seed, arch.cell_bits);
  size_t wrong = 0;
  for (const auto& l : cm.layers) wrong += read_errors(l, chip).size();
  REQUIRE(wrong > 0);  // the chip has faults that reach the outputs
  sc::platform top("top", arch, cm, m, chip, {}, data.pixels.data(), data.n, data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  REQUIRE(top.i_cpu->status == 2);
  const auto& chip_logits = top.i_acc->logits();
  REQUIRE(int(chip_logits.size()) == data.n);
  const models::network net(m);
  engine::mapped_backend mb(cm, m, chip);
  const int classes = net.num_classes();
  std::vector<float> logits(size_t(data.n) * size_t(classes));
  net.forward_images(data.pixels.data(), data.n, mb, logits.data());
  // The faults change the logits: the comparison is not between two fault-free passes.
  full_spec::fault_spec none = arch.fault;
  none.rate = 0;
  const fault_map fault_free(none, arch.seed, arch.cell_bits);
  engine::mapped_backend clean(cm, m, fault_free);
  std::vector<float> clean_logits(logits.size());
  net.forward_images(data.pixels.data(), data.n, clean, clean_logits.data());
  CHECK(std::memcmp(clean_logits.data(), logits.data(), sizeof(float) * logits.size()) != 0);
  for (int i = 0; i < data.n; ++i) {
    INFO("sample " << i);
    REQUIRE(chip_logits[size_t(i)].size() == size_t(classes));
    REQUIRE(std::memcmp(chip_logits[size_t(i)].data(), &logits[size_t(i) * classes],
                        sizeof(float) * size_t(classes)) == 0);
  }
}

}  // namespace

TEST_CASE("float logits equal PyTorch's: resnet-pruned (ONNX)", "[workloads]") {
  float_matches_torch("resnet-pruned", zoo("resnet-pruned") + "/model.onnx");
}

TEST_CASE("float logits equal PyTorch's: resnet-dense (ONNX)", "[workloads]") {
  float_matches_torch("resnet-dense", zoo("resnet-dense") + "/model.onnx");
}

TEST_CASE("float logits equal PyTorch's: resnet-pruned (folder layout)", "[workloads]") {
  float_matches_torch("resnet-pruned", zoo("resnet-pruned"));
}

TEST_CASE("float logits equal PyTorch's: resnet-dense (folder layout)", "[workloads]") {
  float_matches_torch("resnet-dense", zoo("resnet-dense"));
}

// The resnet family folds each batch norm into its convolution as torch.onnx.export does: the
// folder's crossbar layers are the ONNX file's, weights and biases bit for bit, in the same order
// (so a mapping, a fault map and every mapped result agree between the two front ends).
TEST_CASE("resnet folder: the crossbar layers of model.onnx bit for bit", "[workloads]") {
  for (const char* name : {"resnet-dense", "resnet-pruned"}) {
    INFO(name);
    const models::model folder = models::load_model(zoo(name));
    const models::model onnx = models::load_model(zoo(name) + "/model.onnx");
    REQUIRE(folder.family == "resnet");
    REQUIRE(folder.layers.size() == onnx.layers.size());
    REQUIRE(folder.layers.size() == 10);
    for (size_t k = 0; k < folder.layers.size(); ++k) {
      const auto &a = folder.layers[k], &b = onnx.layers[k];
      INFO(a.name << " / " << b.name);
      CHECK(a.rows == b.rows);
      CHECK(a.cols == b.cols);
      REQUIRE(a.w.size() == b.w.size());
      REQUIRE(a.bias.size() == b.bias.size());
      CHECK(std::memcmp(a.w.data(), b.w.data(), sizeof(float) * a.w.size()) == 0);
      CHECK(std::memcmp(a.bias.data(), b.bias.data(), sizeof(float) * a.bias.size()) == 0);
    }
  }
}

TEST_CASE("float logits equal PyTorch's: bert-pruned (ONNX)", "[workloads]") {
  float_matches_torch("bert-pruned", zoo("bert-pruned") + "/model.onnx");
}

TEST_CASE("float logits equal PyTorch's: bert-pruned (folder layout)", "[workloads]") {
  float_matches_torch("bert-pruned", zoo("bert-pruned"));
}

TEST_CASE("float logits equal PyTorch's: bert-dense (folder layout)", "[workloads]") {
  float_matches_torch("bert-dense", zoo("bert-dense"));
}

TEST_CASE("chip model equals the engine bit for bit: resnet-pruned with msb faults and vote",
          "[workloads]") {
  chip_equals_engine("resnet-pruned", zoo("resnet-pruned") + "/model.onnx", 2,
                     {"fault.rate=0.05", "fault.scope=msb", "protection.scheme=vote"});
}

TEST_CASE("chip model equals the engine bit for bit: resnet-pruned with all cells faulty and vote",
          "[workloads]") {
  chip_equals_engine("resnet-pruned", zoo("resnet-pruned") + "/model.onnx", 2,
                     {"fault.rate=0.01", "protection.scheme=vote"});
}

TEST_CASE(
    "chip model equals the engine bit for bit: resnet-pruned (folder) with msb faults and vote",
    "[workloads]") {
  chip_equals_engine("resnet-pruned", zoo("resnet-pruned"), 2,
                     {"fault.rate=0.05", "fault.scope=msb", "protection.scheme=vote"});
}

TEST_CASE("chip model equals the engine bit for bit: bert-pruned (ONNX) with msb faults and vote",
          "[workloads]") {
  chip_equals_engine("bert-pruned", zoo("bert-pruned") + "/model.onnx", 2,
                     {"fault.rate=0.05", "fault.scope=msb", "protection.scheme=vote"});
}

TEST_CASE(
    "chip model equals the engine bit for bit: bert-pruned (folder) with all cells faulty and vote",
    "[workloads]") {
  chip_equals_engine("bert-pruned", zoo("bert-pruned"), 2,
                     {"fault.rate=0.01", "protection.scheme=vote"});
}

// libsystemc.so defines main and needs sc_main; Catch2 provides the main that runs here.
int sc_main(int, char**) { return 0; }
