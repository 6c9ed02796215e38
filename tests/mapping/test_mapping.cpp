#include <catch2/catch.hpp>
#include <map>
#include <tuple>

#include "core/error.h"
#include "layer_fixtures.h"

using namespace rramft;
using rramft::mapping::layer_report;

namespace {
arch_spec chip(int rows, int cols) {
  arch_spec a;
  a.crossbar.rows = rows;
  a.crossbar.cols = cols;
  a.validate();
  return a;
}
}  // namespace

TEST_CASE("every bit column of every kept output is placed exactly once", "[mapping]") {
  for (auto cs : {copy_scope::row_block, copy_scope::crossbar})
    for (int T : {1, 3, 5}) {
      arch_spec a = chip(64, 128);
      a.protection.candidates = T;
      a.mapping.copy_scope = cs;
      const auto wl = fixtures::random_layer(150, 60, 25, 10, 3);
      layer_report rep;
      const mapped_layer l = mapping::map_layer(wl, a, 17, rep);
      std::map<std::tuple<int, int, int, int>, int> seen;
      for (const auto& c : l.columns)
        if (c.used()) ++seen[{c.out, c.slice, c.neg, c.cand}];
      const int S = a.weight_slices();
      size_t expect = 0;
      for (int o = 0; o < 35; ++o)
        for (int s = 0; s < S; ++s)
          for (int neg = 0; neg < 2; ++neg)
            for (int t = 0; t < (s == S - 1 ? T : 1); ++t) {
              ++expect;
              REQUIRE(seen[{o, s, neg, t}] == 1);
            }
      CHECK(seen.size() == expect);
      CHECK(l.kept_cols.size() == 35);
      CHECK(l.kept_rows.size() == 140);
      CHECK(l.row_blocks == 3);
      CHECK(l.first_xbar == 17);
      CHECK(rep.crossbars == l.row_blocks * l.xbars_per_block);
    }
}

TEST_CASE("crossbar counts follow the closed form", "[mapping]") {
  // 8-bit weights: 7 slices, 14 bit columns per output; 128 columns hold 9 outputs.
  arch_spec a = chip(128, 128);
  a.protection.scheme = scheme::none;
  const auto wl = fixtures::random_layer(300, 100, 40, 0, 1);
  layer_report rep;
  const mapped_layer l = mapping::map_layer(wl, a, 0, rep);
  CHECK(rep.crossbars_baseline == 3 * 12);  // ceil(300/128) x ceil(100/9)
  CHECK(rep.crossbars == 3 * 7);            // 60 kept outputs: ceil(60/9)
  CHECK(rep.crossbars_pruned == rep.crossbars);
  CHECK(rep.cells_used == int64_t(60) * 14 * 300);
  CHECK(rep.col_sparsity == Approx(0.4));
  CHECK(rep.threshold == 0);
  CHECK(rep.embedded);
}

TEST_CASE("copies embed at zero space cost above the threshold and cost crossbars below it",
          "[mapping][embed]") {
  // One row block, 288 outputs: 32 baseline crossbars of 9 outputs = 4096 columns.
  // A kept output needs 14 + 2*2 = 18 columns, so at most floor(4096/18) = 227 fit:
  // threshold = 1 - 227/288.
  arch_spec a = chip(128, 128);
  const double threshold = 1.0 - 227.0 / 288.0;
  for (int pruned : {61, 62, 100}) {
    layer_report rep;
    mapping::map_layer(fixtures::random_layer(100, 288, pruned, 0, 2), a, 0, rep);
    INFO("pruned " << pruned);
    CHECK(rep.threshold == Approx(threshold));
    CHECK(rep.embedded == (pruned >= 61));
    CHECK(rep.extra_crossbars == (pruned >= 61 ? 0 : 1));
    CHECK(rep.crossbars <= rep.crossbars_baseline + rep.extra_crossbars);
  }
  layer_report under;
  mapping::map_layer(fixtures::random_layer(100, 288, 60, 0, 2), a, 0, under);
  CHECK_FALSE(under.embedded);
  CHECK(under.extra_crossbars == 1);

  // Without embedding the copies always take crossbars of their own.
  a.protection.embed = false;
  layer_report sep;
  mapping::map_layer(fixtures::random_layer(100, 288, 100, 0, 2), a, 0, sep);
  CHECK(sep.crossbars == 21 + 6);  // ceil(188/9) primaries + ceil(188*4/128) for copies
}

TEST_CASE("copy_scope crossbar keeps outputs in place and fragments free space",
          "[mapping][embed]") {
  // 9 outputs per crossbar; each kept output needs 4 copy columns; a crossbar with k kept
  // outputs fits iff 18k <= 128, k <= 7. Same overall sparsity, two pruning patterns.
  arch_spec a = chip(128, 128);
  a.mapping.copy_scope = copy_scope::crossbar;
  auto layer_with = [](const std::vector<int>& pruned_outputs) {
    auto wl = fixtures::random_layer(64, 90, 0, 0, 4);
    for (int o : pruned_outputs)
      for (int r = 0; r < 64; ++r) wl.w[size_t(o) * 64 + r] = 0;
    return wl;
  };
  std::vector<int> spread, clustered;
  for (int x = 0; x < 10; ++x) spread.insert(spread.end(), {9 * x, 9 * x + 1});  // 2 per crossbar
  for (int o = 0; o < 20; ++o) clustered.push_back(o);  // crossbars 0-2 empty, others full
  layer_report rs, rc;
  mapping::map_layer(layer_with(spread), a, 0, rs);
  mapping::map_layer(layer_with(clustered), a, 0, rc);
  CHECK(rs.col_sparsity == Approx(rc.col_sparsity));
  CHECK(rs.embedded);
  CHECK_FALSE(rc.embedded);
  CHECK(rs.threshold == Approx(2.0 / 9));
}

TEST_CASE("strict mode fails below the threshold and passes above it", "[mapping][strict]") {
  arch_spec a = chip(128, 128);
  a.mapping.strict = true;
  models::model m;
  m.family = "mlp";
  m.layers.push_back(fixtures::random_layer(100, 288, 62, 0, 2));
  m.layers[0].name = "enc.fc";
  CHECK_NOTHROW(mapping::map_model(m, a));
  m.layers[0] = fixtures::random_layer(100, 288, 30, 0, 2);
  m.layers[0].name = "enc.fc";
  CHECK_THROWS_WITH(mapping::map_model(m, a),
                    Catch::Contains("layer 'enc.fc': column sparsity 10.4% is below the 21.2%"));
  a.mapping.strict = false;
  const auto cm = mapping::map_model(m, a);
  CHECK(cm.storage_overhead_pct() > 0);
  CHECK(cm.to_json()["layers"][0]["embedded"] == false);
}

TEST_CASE("masks stored with the model decide what is pruned", "[mapping]") {
  auto wl = fixtures::random_layer(20, 10, 0, 0, 6);
  wl.col_mask.assign(10, 1);
  wl.row_mask.assign(20, 1);
  wl.col_mask[4] = 0;
  wl.row_mask[7] = 0;
  for (int r = 0; r < 20; ++r) wl.w[4 * 20 + r] = 0;
  for (int o = 0; o < 10; ++o) wl.w[size_t(o) * 20 + 7] = 0;
  std::vector<int> rows, cols;
  mapping::kept_indices(wl, rows, cols);
  CHECK(cols.size() == 9);
  CHECK(rows.size() == 19);
  CHECK(std::find(cols.begin(), cols.end(), 4) == cols.end());
}
