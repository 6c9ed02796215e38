/// The SystemC chip model runs an ONNX network (the graph interpreter as the controller's
/// schedule) and gives the accuracy engine's logits bit for bit, on the same faulty chip.
/// The networks are the ones make_cases.py exported (the onnx_cases fixture).
#include <catch2/catch.hpp>
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

void equivalence(const std::string& name, const std::vector<std::string>& sets) {
  const std::string dir = std::string(RRAMFT_BINARY_DIR) + "/tests/onnx/cases/" + name;
  const full_spec arch = load_arch(std::string(RRAMFT_SOURCE_DIR) + "/configs/default.yaml", sets);
  models::model m = models::load_model(dir + "/model.onnx");
  models::image_set data = models::load_dataset(dir + "/data.npz");
  models::bind_data(m, data);
  const mapping::chip_mapping cm = mapping::map_model(m, arch);
  const fault_map chip(arch.fault, arch.seed, arch.cell_bits);
  std::vector<std::vector<cell_error>> errors;
  size_t wrong = 0;
  for (const auto& l : cm.layers) {
    errors.push_back(read_errors(l, chip));
    wrong += errors.back().size();
  }
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
  const engine::input_scope inputs(0, data.n);
  net.forward_images(data.pixels.data(), data.n, mb, logits.data());  // batched engine
  for (int i = 0; i < data.n; ++i) {
    INFO("sample " << i);
    REQUIRE(chip_logits[size_t(i)].size() == size_t(classes));
    REQUIRE(std::memcmp(chip_logits[size_t(i)].data(), &logits[size_t(i) * classes],
                        sizeof(float) * size_t(classes)) == 0);
  }
}

}  // namespace

TEST_CASE("chip model equals the engine bit for bit: residual CNN (depthwise, batch norm)") {
  equivalence("rescnn", {"fault.rate=0.002", "protection.scheme=vote"});
}

TEST_CASE("chip model equals the engine bit for bit: transformer encoder") {
  equivalence("encoder", {"fault.rate=0.002"});
}

TEST_CASE("chip model equals the engine bit for bit: text transformer (token ids)") {
  equivalence("textnet", {"fault.rate=0.002", "protection.scheme=vote"});
}

TEST_CASE("chip model equals the engine bit for bit: dynamic batch dimension") {
  equivalence("rescnn_dynamic_batch", {"fault.rate=0.002"});
}

// libsystemc.so defines main and needs sc_main; Catch2 provides the main that runs here.
int sc_main(int, char**) { return 0; }
