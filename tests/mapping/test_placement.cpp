// Fault-aware placement (mapping.fault_aware): each crossbar's column contents rearranged
// around the chip's known stuck cells.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <tuple>

#include "core/mvm.h"
#include "layer_fixtures.h"

using namespace rramft;

namespace {

std::vector<int64_t> product(const mapped_layer& l, const std::vector<cell_error>& e,
                             const std::vector<int32_t>& x, int n) {
  std::vector<int64_t> y(size_t(n) * l.cols);
  mvm(l, e, x.data(), n, y.data(), mvm_path::bit_serial);
  return y;
}

fault_map chip_of(const arch_spec& a, const std::string& map_text, uint64_t seed = 1) {
  arch_spec::fault_spec fs = a.fault;
  fs.table = std::make_shared<const stuck_table>(parse_stuck_table(map_text, "hand.csv", a));
  return fault_map(fs, seed, a.cell_bits);
}

}  // namespace

TEST_CASE("fault-aware placement on a hand-made map: 3 harmful stuck cells blind, 0 placed",
          "[mapping][fault_aware]") {
  arch_spec a;
  a.crossbar.rows = 4;
  a.crossbar.cols = 16;
  a.weight_bits = 4;  // sign + 3 magnitude bits: slices 0, 1, 2 (1-bit cells)
  a.adc.share = 16;
  a.validate();
  // One output over 4 inputs with magnitudes 7 (111), 4 (100), 2 (010), 1 (001).
  models::weight_layer wl;
  wl.name = "fc";
  wl.kind = "linear";
  wl.rows = 4;
  wl.cols = 1;
  wl.w = {7, 4, 2, 1};
  mapping::layer_report rep;
  mapped_layer l = mapping::map_layer(wl, a, 0, rep);
  REQUIRE(l.xbars_per_block == 1);
  // Blind layout: columns 0..5 = (slice 0 +, slice 0 -, slice 1 +, slice 1 -, slice 2 +,
  // slice 2 -), 6..9 the two copies of slice 2 (+, -), 10..15 free. Slice 2 is stored flipped.
  REQUIRE(fixtures::column_of(l, 0, 0, 0, 0) == 0);
  REQUIRE(fixtures::column_of(l, 0, 2, 0, 0) == 4);
  REQUIRE(fixtures::column_of(l, 0, 2, 1, 0) == 5);
  REQUIRE(fixtures::column_of(l, 0, 2, 1, 2) == 9);
  // Levels by row: slice 0 + holds 1,0,0,1; slice 0 - holds 0s; slice 2 + holds the flipped
  // MSBs 0,0,1,1; slice 2 - holds flipped 0s, 1s.
  const fault_map chip = chip_of(a,
                                 "# rramft fault map v1\ncrossbar,row,col,type\n"
                                 "0,0,0,SA0\n"     // slice 0 +, holds 1: harmful
                                 "0,1,0,SA1\n"     // slice 0 +, holds 0: harmful
                                 "0,0,1,SA0\n"     // slice 0 -, holds 0: harmless
                                 "0,2,5,SA1\n"     // slice 2 - (flipped), holds 1: harmless
                                 "0,3,4,SA0\n"     // slice 2 + (flipped), holds 1: harmful
                                 "0,0,12,SA1\n");  // free column: harmless
  CHECK(read_errors(l, chip).size() == 3);
  mapped_layer placed = l;
  CHECK(mapping::place_around_faults(placed, chip) == 0);
  CHECK(read_errors(placed, chip).empty());
  // The contents moved off columns 0 and 4; the rest stayed where they were.
  CHECK_FALSE(placed.columns[0].used());
  int moved = 0;
  for (int c = 0; c < 16; ++c) {
    const auto& p = placed.columns[size_t(c)];
    const auto& o = l.columns[size_t(c)];
    moved += p.out != o.out || p.slice != o.slice || p.neg != o.neg || p.cand != o.cand;
  }
  CHECK(moved == 4);  // two contents to free columns, and those two free columns' places
  // The placed layer computes what the blind one does on a fault-free chip, and on this chip
  // it computes the fault-free result.
  const std::vector<int32_t> x = fixtures::random_inputs(a, 5, 4, 3);
  const auto want = product(l, {}, x, 5);
  CHECK(want == fixtures::reference(l, x, 5));
  CHECK(product(placed, {}, x, 5) == want);
  CHECK(product(placed, read_errors(placed, chip), x, 5) == want);
}

TEST_CASE("fault-aware placement never changes the fault-free result and never adds harm",
          "[mapping][fault_aware]") {
  int improved = 0;
  for (int variant = 0; variant < 4; ++variant) {
    arch_spec a;
    a.crossbar.rows = 32;
    a.crossbar.cols = 64;
    if (variant == 1) a.protection.scheme = scheme::none;
    if (variant == 2) a.cell_bits = 2;
    if (variant == 3) a.protection.flip = false;
    a.validate();
    const auto wl = fixtures::random_layer(80, 40, 20, 10, 11 + uint64_t(variant));
    mapping::layer_report rep;
    const mapped_layer blind = mapping::map_layer(wl, a, 3, rep);
    const std::vector<int32_t> x = fixtures::random_inputs(a, 4, 80, 5);
    const auto clean = product(blind, {}, x, 4);
    REQUIRE(clean == fixtures::reference(blind, x, 4));
    for (double rate : {0.002, 0.02, 0.1})
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        INFO("variant " << variant << " rate " << rate << " seed " << seed);
        a.fault.rate = rate;
        const fault_map chip(a.fault, seed, a.cell_bits);
        mapped_layer placed = blind;
        const int64_t before = int64_t(read_errors(blind, chip).size());
        const int64_t after = mapping::place_around_faults(placed, chip);
        CHECK(after == int64_t(read_errors(placed, chip).size()));
        CHECK(after <= before);
        improved += after < before;
        // The same contents, rearranged within each crossbar.
        for (int k = 0; k < blind.xbars_per_block; ++k) {
          std::vector<std::tuple<int, int, int, int>> p, o;
          for (int c = 0; c < a.crossbar.cols; ++c) {
            const auto& pc = placed.columns[size_t(k) * a.crossbar.cols + c];
            const auto& oc = blind.columns[size_t(k) * a.crossbar.cols + c];
            p.emplace_back(pc.out, pc.slice, pc.neg, pc.cand);
            o.emplace_back(oc.out, oc.slice, oc.neg, oc.cand);
          }
          std::sort(p.begin(), p.end());
          std::sort(o.begin(), o.end());
          REQUIRE(p == o);
        }
        CHECK(product(placed, {}, x, 4) == clean);
      }
  }
  CHECK(improved >= 24);  // of 36 chips: placement is not a no-op
}
