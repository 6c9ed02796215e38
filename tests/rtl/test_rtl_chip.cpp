// The chip model with the verilated OPC and voting unit swapped in (rtl.opc, rtl.vote) against
// the same chip on the TLM models, in one elaboration, on the shipped pruned models: the same
// logits bit for bit, the same classes written to memory, the same action counts and the same
// simulated time; every RTL result checked against the functional core on the way, and the
// voting unit's RTL cycles per job equal to the TLM's annotation.
#include <catch2/catch.hpp>
#include <cstring>
#include <systemc>

#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "models/network.h"
#include "rtl/cosim.h"
#include "testbenches/platform.h"
#include "testbenches/simulate.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;

/// Counters keyed "instance/action" without the platform's name (top. / top_rtl.).
sc::action_counts strip(const sc::action_counts& c) {
  sc::action_counts out;
  for (const auto& [k, v] : c) out[k.substr(k.find('.') + 1)] = v;
  return out;
}

void rtl_equals_tlm(const std::string& model, std::vector<std::string> sets, int n,
                    const std::string& blocks) {
  const full_spec a = load_arch(src + "/configs/default.yaml", sets);
  if (blocks.find("opc") != std::string::npos) sets.push_back("rtl.opc=true");
  if (blocks.find("vote") != std::string::npos) sets.push_back("rtl.vote=true");
  const full_spec ar = load_arch(src + "/configs/default.yaml", sets);
  const models::model m = models::load_model(src + "/" + model);
  const models::image_set data = models::load_dataset("fashion-mnist:" + std::to_string(n));
  const mapping::chip_mapping cm = mapping::map_model(m, a), cmr = mapping::map_model(m, ar);
  const fault_map chip(a.fault, a.seed, a.cell_bits);
  sc::platform top("top", a, cm, m, chip, {}, data.pixels.data(), n, data.image_bytes());
  sc::platform top_rtl("top_rtl", ar, cmr, m, chip, {}, data.pixels.data(), n, data.image_bytes());
  const std::vector<rtl::block*> blocks_found = rtl::find_blocks(top_rtl);
  REQUIRE(int(blocks_found.size()) ==
          top_rtl.i_acc->tiles_used() * (ar.rtl.opc + ar.rtl.vote));  // one of each per tile
  REQUIRE(rtl::find_blocks(top).empty());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc::simulate();
  REQUIRE(top.i_cpu->status == 2);
  REQUIRE(top_rtl.i_cpu->status == 2);

  // Logits bit for bit, and the classes the accelerators wrote to memory.
  const auto& lt = top.i_acc->logits();
  const auto& lr = top_rtl.i_acc->logits();
  REQUIRE(int(lr.size()) == n);
  for (int i = 0; i < n; ++i) {
    INFO("image " << i);
    REQUIRE(lr[size_t(i)].size() == lt[size_t(i)].size());
    REQUIRE(std::memcmp(lr[size_t(i)].data(), lt[size_t(i)].data(),
                        sizeof(float) * lt[size_t(i)].size()) == 0);
  }
  CHECK(top_rtl.classes() == top.classes());
  // And the accuracy engine on the same chip (a second, independent driver of the core).
  const models::network net(m);
  engine::mapped_backend mb(cm, m, chip);
  std::vector<float> logits(size_t(n) * net.num_classes());
  const engine::input_scope inputs(0, n);
  net.forward_images(data.pixels.data(), n, mb, logits.data());
  for (int i = 0; i < n; ++i)
    CHECK(std::memcmp(lr[size_t(i)].data(), &logits[size_t(i) * net.num_classes()],
                      sizeof(float) * net.num_classes()) == 0);
  // The data-path numbers of the report: actions (hence energy) and time.
  CHECK(strip(top_rtl.i_acc->counters()) == strip(top.i_acc->counters()));
  CHECK(top_rtl.i_cpu->finished == top.i_cpu->finished);
  // What the RTL did.
  uint64_t checked = 0;
  for (rtl::block* b : blocks_found) {
    INFO(b->rtl_name());
    CHECK(b->rtl().jobs > 0);
    CHECK(b->rtl().results == b->rtl().checked);  // every result compared with the core
    CHECK(b->rtl().timing_mismatches == 0);
    CHECK(b->rtl().job_cycles == b->rtl().tlm_cycles);
    checked += b->rtl().checked;
  }
  CHECK(checked > 0);
}
}  // namespace

TEST_CASE("RTL co-simulation equals the TLM chip: mlp-pruned, vote, faulty chip", "[rtl][chip]") {
  rtl_equals_tlm("models/zoo/mlp-pruned", {"fault.rate=0.01", "fault.transient_rate=0.001"}, 2,
                 "vote,opc");
}

TEST_CASE("RTL co-simulation equals the TLM chip: mlp-pruned, tmr, lossy ADC", "[rtl][chip]") {
  rtl_equals_tlm("models/zoo/mlp-pruned",
                 {"fault.rate=0.005", "protection.scheme=tmr", "adc.bits=6"}, 1, "vote,opc");
}

TEST_CASE("RTL co-simulation equals the TLM chip: mlp-pruned, T = 5, voting unit only",
          "[rtl][chip]") {
  // The RTL's network for T = 5 has one stage more than for T = 3: 4 cycles (rtl-timing).
  rtl_equals_tlm("models/zoo/mlp-pruned",
                 {"fault.rate=0.02", "protection.candidates=5", "timing.vote_cycles=4"}, 2, "vote");
}

TEST_CASE("RTL co-simulation equals the TLM chip: lenet5-pruned, vote, faulty chip",
          "[rtl][chip]") {
  rtl_equals_tlm("models/zoo/lenet5-pruned", {"fault.rate=0.01"}, 1, "vote,opc");
}

namespace {
/// Runs mlp-pruned with both blocks co-simulated, one RTL result corrupted on its way out of
/// @p which block (the n-th), and returns the error the run stopped with.
std::string stopped_by(const std::string& which, uint64_t nth) {
  const full_spec a = load_arch(src + "/configs/default.yaml",
                                {"rtl.vote=true", "rtl.opc=true", "fault.rate=0.01"});
  const models::model m = models::load_model(src + "/models/zoo/mlp-pruned");
  const models::image_set data = models::load_dataset("fashion-mnist:1");
  const mapping::chip_mapping cm = mapping::map_model(m, a);
  const fault_map chip(a.fault, a.seed, a.cell_bits);
  sc::platform top("top", a, cm, m, chip, {}, data.pixels.data(), 1, data.image_bytes());
  for (rtl::block* b : rtl::find_blocks(top))
    if (b->rtl_name().find(which) != std::string::npos) b->corrupt_result = nth;
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  try {
    sc::simulate();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("RTL co-simulation stops at the first OPC result that differs from the core",
          "[rtl][chip]") {
  const std::string e = stopped_by("i_tile_0.i_opc", 1000);
  INFO(e);
  CHECK_THAT(e, Catch::Contains("i_tile_0.i_opc") && Catch::Contains("layer 'fc") &&
                    Catch::Contains("RTL ") && Catch::Contains("functional core"));
}

TEST_CASE("RTL co-simulation stops at the first vote result that differs from the core",
          "[rtl][chip]") {
  const std::string e = stopped_by("i_tile_0.i_vote", 7);
  INFO(e);
  CHECK_THAT(e, Catch::Contains("i_tile_0.i_vote") && Catch::Contains("output ") &&
                    Catch::Contains("candidates") && Catch::Contains("functional core"));
}

// libsystemc.so defines main and needs sc_main; Catch2 provides the main that runs here.
int sc_main(int, char**) { return 0; }
