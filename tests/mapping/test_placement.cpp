// Fault-aware placement (mapping.fault_aware): each crossbar's column contents rearranged
// around the chip's known stuck cells.
#include <algorithm>
#include <catch2/catch.hpp>
#include <memory>
#include <numeric>
#include <tuple>
#include <utility>

#include "chipspec/chip_spec.h"
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
  fs.table = std::make_shared<const stuck_table>(
      parse_stuck_table(map_text, "hand.csv", a, chip_spec{}.crossbars()));
  return fault_map(fs, seed, a.cell_bits);
}

/// A linear layer with one output over the inputs' weights @p w (the hand-made cases).
models::weight_layer one_output(std::vector<float> w) {
  models::weight_layer wl;
  wl.name = "fc";
  wl.kind = "linear";
  wl.rows = int(w.size());
  wl.cols = 1;
  wl.w = std::move(w);
  return wl;
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
  const models::weight_layer wl = one_output({7, 4, 2, 1});
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
  int improved = 0, improved_rows = 0;
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
        mapped_layer columns_only = blind, placed = blind;
        const int64_t before = int64_t(read_errors(blind, chip).size());
        const int64_t cols_after = mapping::place_around_faults(columns_only, chip, false);
        CHECK(cols_after == int64_t(read_errors(columns_only, chip).size()));
        CHECK(cols_after <= before);
        CHECK(columns_only.kept_rows == blind.kept_rows);  // no row moves without rows
        CHECK(columns_only.w.q == blind.w.q);
        const int64_t after = mapping::place_around_faults(placed, chip);
        CHECK(after == int64_t(read_errors(placed, chip).size()));
        CHECK(after <= cols_after);  // rows on top of columns never add harm
        improved += after < before;
        improved_rows += after < cols_after;
        // Each row block holds the same inputs, with their weights, in some order.
        for (int b = 0; b < blind.row_blocks; ++b) {
          const int base = b * a.crossbar.rows, n = blind.block_rows(b);
          std::vector<std::pair<int, std::vector<int32_t>>> p, o;
          for (int r = base; r < base + n; ++r) {
            std::vector<int32_t> wp, wo;
            for (size_t c = 0; c < blind.kept_cols.size(); ++c) {
              wp.push_back(placed.w.q[c * placed.w.in + size_t(r)]);
              wo.push_back(blind.w.q[c * blind.w.in + size_t(r)]);
            }
            p.emplace_back(placed.kept_rows[size_t(r)], wp);
            o.emplace_back(blind.kept_rows[size_t(r)], wo);
          }
          std::sort(p.begin(), p.end());
          REQUIRE(p == o);  // blind's kept rows are ascending
        }
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
  CHECK(improved >= 24);      // of 36 chips: placement is not a no-op
  CHECK(improved_rows >= 6);  // nor is the row step on top of the column step (7 of 36)
}

TEST_CASE(
    "row permutation on a hand-made map: 1 harmful stuck cell after column placement, 0 "
    "with rows",
    "[mapping][fault_aware]") {
  arch_spec a;
  a.protection.scheme = scheme::none;
  a.crossbar.rows = 4;
  a.crossbar.cols = 2;  // one output per crossbar: its + and - columns, no free column
  a.weight_bits = 2;    // sign + 1 magnitude bit: one slice (1-bit cells)
  a.adc.share = 2;
  a.validate();
  // One output over 4 inputs with weights +1, +1, +1, -1: the + column holds 1, 1, 1, 0, the
  // - column 0, 0, 0, 1.
  const models::weight_layer wl = one_output({1, 1, 1, -1});
  mapping::layer_report rep;
  const mapped_layer l = mapping::map_layer(wl, a, 0, rep);
  REQUIRE(l.xbars_per_block == 1);
  REQUIRE(l.row_blocks == 1);
  REQUIRE(fixtures::column_of(l, 0, 0, 0, 0) == 0);
  REQUIRE(fixtures::column_of(l, 0, 0, 1, 0) == 1);
  const fault_map chip = chip_of(a,
                                 "# rramft fault map v1\ncrossbar,row,col,type\n"
                                 "0,3,0,SA1\n"    // + holds 0 (input 3): harmful
                                 "0,0,1,SA0\n"    // - holds 0 (input 0): harmless
                                 "0,1,1,SA0\n");  // - holds 0 (input 1): harmless
  // Blind: 1 harmful. Swapping the two columns: + over column 1 holds 1s on rows 0 and 1 (2
  // harmful SA0), - over column 0 holds 1 on row 3 (SA1 harmless): 2. Columns alone keep 1.
  CHECK(read_errors(l, chip).size() == 1);
  mapped_layer columns_only = l;
  CHECK(mapping::place_around_faults(columns_only, chip, false) == 1);
  CHECK(columns_only.columns[0].neg == 0);
  // Rows: input 3 (the -1 weight) is the only input that any of the three cells can hurt;
  // row 2 has no stuck cell. Inputs 2 and 3 trade word lines (+ holds 1 on row 3: SA1
  // harmless; row 2 holds input 3 over healthy cells): 0 harmful, two rows moved.
  mapped_layer placed = l;
  CHECK(mapping::place_around_faults(placed, chip) == 0);
  CHECK(read_errors(placed, chip).empty());
  CHECK(placed.kept_rows == std::vector<int>{0, 1, 3, 2});
  CHECK(placed.w.q == std::vector<int32_t>{1, 1, -1, 1});
  CHECK(placed.columns[0].neg == 0);  // the columns stayed
  const std::vector<int32_t> x = fixtures::random_inputs(a, 5, 4, 3);
  const auto want = product(l, {}, x, 5);
  CHECK(want == fixtures::reference(l, x, 5));
  CHECK(product(placed, {}, x, 5) == want);
  CHECK(product(placed, read_errors(placed, chip), x, 5) == want);
  CHECK(product(l, read_errors(l, chip), x, 5) != want);  // blind, the stuck cell is seen
}

namespace {

/// @p l with its column contents at column_perm (content i to column column_perm[i]) and its
/// inputs at row_perm (kept row i to word line row_perm[i]): one row block, one crossbar.
mapped_layer arranged(const mapped_layer& l, const std::vector<int>& column_perm,
                      const std::vector<int>& row_perm) {
  mapped_layer m = l;
  for (size_t i = 0; i < column_perm.size(); ++i) m.columns[size_t(column_perm[i])] = l.columns[i];
  for (size_t i = 0; i < row_perm.size(); ++i) {
    m.kept_rows[size_t(row_perm[i])] = l.kept_rows[i];
    for (int o = 0; o < l.w.out; ++o)
      m.w.q[size_t(o) * l.w.in + size_t(row_perm[i])] = l.w.q[size_t(o) * l.w.in + i];
  }
  return m;
}

}  // namespace

TEST_CASE("fault-aware placement against brute force over every row and column arrangement",
          "[mapping][fault_aware]") {
  // A 5 x 6 crossbar holding one output (2 slices: 4 columns, + 2 free): 5! x 6! = 86,400
  // arrangements, each counted by read_errors.
  arch_spec a;
  a.protection.scheme = scheme::none;
  a.crossbar.rows = 5;
  a.crossbar.cols = 6;
  a.weight_bits = 3;
  a.adc.share = 6;
  a.validate();
  int rows_helped = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    INFO("seed " << seed);
    const auto wl = fixtures::random_layer(5, 1, 0, 0, 40 + seed);
    mapping::layer_report rep;
    const mapped_layer l = mapping::map_layer(wl, a, 0, rep);
    REQUIRE(l.crossbars() == 1);
    REQUIRE(l.block_rows(0) == 5);
    a.fault.rate = 0.25;
    const fault_map chip(a.fault, seed, a.cell_bits);
    std::vector<int> cp(6), rp(5);
    std::iota(cp.begin(), cp.end(), 0);
    int64_t best_columns = 1 << 30, best = 1 << 30;
    do {
      best_columns = std::min<int64_t>(best_columns, read_errors(arranged(l, cp, {}), chip).size());
      std::iota(rp.begin(), rp.end(), 0);
      do {
        best = std::min<int64_t>(best, read_errors(arranged(l, cp, rp), chip).size());
      } while (std::next_permutation(rp.begin(), rp.end()));
    } while (std::next_permutation(cp.begin(), cp.end()));
    mapped_layer columns_only = l, placed = l;
    // The column step alone is exact: the best of the 720 column arrangements.
    CHECK(mapping::place_around_faults(columns_only, chip, false) == best_columns);
    // The alternation is a local search over both: between the joint optimum and columns alone.
    const int64_t h = mapping::place_around_faults(placed, chip);
    CHECK(h >= best);
    CHECK(h <= best_columns);
    rows_helped += h < best_columns;
  }
  CHECK(rows_helped >= 1);  // rows beat columns alone on 1 of these 6 chips
}
