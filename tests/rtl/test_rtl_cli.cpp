// The co-simulation from the command line: `rramft run --rtl vote,opc` writes the report of the
// TLM run (every number that depends on the data path, and time), plus what the RTL did;
// `--rtl-vcd` writes the RTL's own signals; `rramft rtl-timing` writes the RTL's latency and II
// as timing keys that `--set-from` applies, and they equal configs/default.yaml's.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/spec.h"
#include "io/arch_file.h"
#include "tests/support.h"

namespace {
const std::string src = RRAMFT_SOURCE_DIR;
const std::string exe = RRAMFT_EXE;

using rramft::test::slurp;
int run_cli(const std::string& args, const std::string& log) {
  return rramft::test::run_logged(exe + " " + args, log);
}
std::string tmpdir(const std::string& name) { return rramft::test::fresh_dir("rtl", name); }
std::string run_args(const std::string& model, const std::string& out) {
  return "run --model " + src + "/models/zoo/" + model + " --arch " + src +
         "/configs/default.yaml --data fashion-mnist:1 --fault-rate 0.01 --out " + out;
}
}  // namespace

TEST_CASE("rramft run --rtl vote,opc reports what the TLM run reports", "[rtl][cli]") {
  const std::string d = tmpdir("run_rtl");
  REQUIRE(run_cli(run_args("mlp-pruned", d + "/tlm"), d + "/tlm.log") == 0);
  REQUIRE(run_cli(run_args("mlp-pruned", d + "/rtl") + " --rtl vote,opc --rtl-vcd",
                  d + "/rtl.log") == 0);
  nlohmann::json a = nlohmann::json::parse(slurp(d + "/tlm/report.json"));
  nlohmann::json b = nlohmann::json::parse(slurp(d + "/rtl/report.json"));
  REQUIRE(b.contains("rtl"));
  const nlohmann::json r = b["rtl"];
  for (auto* j : {&a, &b}) {
    j->erase("wall_seconds");
    j->erase("rtl");
  }
  CHECK(a == b);  // accuracy, classes, cycles, energy by component and layer, actions, overheads
  for (const char* kind : {"vote", "opc"}) {
    INFO(kind);
    REQUIRE(r.contains(kind));
    CHECK(r[kind]["results_checked"].get<uint64_t>() > 0);
    CHECK(r[kind]["results_checked"] == r[kind]["output_beats"]);
    CHECK(r[kind]["cycles"].get<uint64_t>() >= r[kind]["input_beats"].get<uint64_t>());
  }
  CHECK(r["vote"]["timing_mismatches"] == 0);
  CHECK(r["vote"]["rtl"]["T"] == 3);
  // The arch written next to the result records the co-simulation.
  const auto arch = rramft::load_arch(d + "/rtl/arch.yaml");
  CHECK(arch.rtl.vote);
  CHECK(arch.rtl.opc);
  // The VCD holds the RTL's own signals on its own time base.
  const std::string vcd = slurp(d + "/rtl/rtl.vcd");
  CHECK(vcd.find("$timescale 1ps $end") != std::string::npos);
  for (const char* sig : {"i_tile_0.i_vote.i_rtl", "i_tile_0.i_opc.i_rtl", " in_cand_i ",
                          " out_sum_o ", " in_shift_i ", " out_acc_o ", " in_ready_o "})
    CHECK(vcd.find(sig) != std::string::npos);
  CHECK(vcd.find("#1000\n") != std::string::npos);  // the first rising edge, at 1 GHz
  CHECK(!std::filesystem::exists(d + "/rtl/rtl.vcd.tmp"));
}

TEST_CASE("rramft rtl-timing writes the RTL's timing, which equals the architecture's",
          "[rtl][cli][timing]") {
  const std::string d = tmpdir("rtl_timing");
  REQUIRE(run_cli("rtl-timing --arch " + src + "/configs/default.yaml --out " + d + "/t.yaml",
                  d + "/log") == 0);
  // The measured keys override deliberately wrong values; they must give configs/default.yaml's.
  const auto from = rramft::overrides_from_file(d + "/t.yaml");
  CHECK(from.size() == 3);
  const auto def = rramft::load_arch(src + "/configs/default.yaml");
  std::vector<std::string> sets = {"timing.opc_cycles=99", "timing.vote_cycles=99",
                                   "timing.vote_ii=99"};
  sets.insert(sets.end(), from.begin(), from.end());
  const auto measured = rramft::load_arch(src + "/configs/default.yaml", sets);
  CHECK(measured.timing.vote_cycles == def.timing.vote_cycles);
  CHECK(measured.timing.vote_ii == def.timing.vote_ii);
  CHECK(measured.timing.opc_cycles == def.timing.opc_cycles);
  // For T = 7 the RTL needs a longer pipeline; --set-from carries it into a run.
  REQUIRE(run_cli("rtl-timing --arch " + src +
                      "/configs/default.yaml --set protection.candidates=7 --out " + d + "/t7.yaml",
                  d + "/log7") == 0);
  REQUIRE(run_cli("run --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                      "/configs/default.yaml --data fashion-mnist:1 --set protection.candidates=7 "
                      "--set-from " +
                      d + "/t7.yaml --rtl vote --out " + d + "/run7",
                  d + "/run7.log") == 0);
  const auto j = nlohmann::json::parse(slurp(d + "/run7/report.json"));
  CHECK(j["rtl"]["vote"]["timing_mismatches"] == 0);
  const auto used = rramft::load_arch(d + "/run7/arch.yaml");
  CHECK(used.timing.vote_cycles == 5);  // ceil(7 / 2) network stages + the add stage
  CHECK(slurp(d + "/run7.log").find("warning") == std::string::npos);
  // Without it, the run warns that the TLM's timing is not the RTL's.
  REQUIRE(run_cli("run --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                      "/configs/default.yaml --data fashion-mnist:1 --set protection.candidates=7 "
                      "--rtl vote --out " +
                      d + "/run7b",
                  d + "/run7b.log") == 0);
  CHECK(slurp(d + "/run7b.log").find("warning: the TLM voting unit's timing") != std::string::npos);
}
