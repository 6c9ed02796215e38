#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "core/error.h"
#include "sweep/grid.h"
#include "sweep/plots.h"
#include "sweep/results.h"
#include "sweep/sweep.h"

using namespace rramft;
using Catch::Contains;

namespace {
const std::string head = "model: m\narch: a.yaml\neval: {rates: [0.01]}\n";
sweep::grid parse(const std::string& body) { return sweep::parse_grid(head + body, "g.yaml"); }
}  // namespace

TEST_CASE("the grid is the cartesian product of its axes, zipped groups as one axis",
          "[sweep][grid]") {
  const auto g = parse(
      "sweep:\n  adc.bits: [6, 8]\n  seed: [1, 2, 3]\n"
      "zip:\n  - crossbar.rows: [64, 128]\n    crossbar.cols: [32, 256]\n");
  REQUIRE(g.points() == 12);
  CHECK(g.swept_keys() ==
        std::vector<std::string>{"adc.bits", "seed", "crossbar.rows", "crossbar.cols"});
  // Brute force: nested loops, the first axis slowest.
  std::vector<std::vector<std::string>> want;
  for (const char* b : {"6", "8"})
    for (const char* s : {"1", "2", "3"})
      for (auto [r, c] : {std::pair{"64", "32"}, std::pair{"128", "256"}})
        want.push_back({b, s, r, c});
  for (size_t i = 0; i < g.points(); ++i) {
    std::vector<std::string> got;
    for (const auto& kv : g.point(i)) got.push_back(kv.second);
    CHECK(got == want[i]);
  }
  CHECK_THROWS_WITH(g.point(12), Contains("does not exist"));
}

TEST_CASE("overrides put the fixed keys first, and paths resolve against the grid folder",
          "[sweep][grid]") {
  const auto g = sweep::parse_grid(
      "model: ../zoo/m\narch: /abs/a.yaml\nset: {fault.scope: msb}\n"
      "eval: {rates: [0.1, 1e-3, 0.01], protect: [none, tmr], data: mydata:5, trials: 3}\n"
      "sweep: {adc.bits: 7}\n",
      "dir/g.yaml", "dir");
  CHECK(g.model == "dir/../zoo/m");
  CHECK(g.arch == "/abs/a.yaml");
  CHECK(g.data == "dir/mydata:5");
  CHECK(g.rates == std::vector<double>{1e-3, 0.01, 0.1});  // ascending
  CHECK(g.protect == std::vector<std::string>{"none", "tmr"});
  CHECK(g.points() == 1);
  CHECK(g.overrides(0) == std::vector<std::string>{"fault.scope=msb", "adc.bits=7"});
  const auto none = parse("");
  CHECK(none.points() == 1);
  CHECK(none.overrides(0).empty());
  CHECK(none.data == "fashion-mnist:1000");  // data specs of the package are not paths
}

TEST_CASE("schemes with clip are left to the points' quant.clip", "[sweep][grid]") {
  // The grid alone cannot know whether a point clips (set, sweep or the base architecture
  // may set quant.clip): the parser checks the names, preflight checks every point.
  const auto g = sweep::parse_grid(
      "model: m\narch: a.yaml\nset: {quant.clip: sigma, quant.clip_value: 3}\n"
      "eval: {rates: [0.1], protect: [none, clip+vote, vote+range]}\n",
      "g.yaml");
  CHECK(g.protect == std::vector<std::string>{"none", "clip+vote", "vote+range"});
  const auto h = sweep::parse_grid(
      "model: m\narch: a.yaml\neval: {rates: [0.1], protect: [clip+tmr]}\n"
      "sweep: {quant.clip: [percentile, sigma], quant.clip_value: [3]}\n",
      "g.yaml");
  CHECK(h.points() == 2);
}

TEST_CASE("bad grids are refused with one line naming the file and key", "[sweep][grid]") {
  auto bad = [](const std::string& text, const std::string& msg) {
    CAPTURE(text);
    CHECK_THROWS_WITH(sweep::parse_grid(text, "g.yaml"), Contains("g.yaml: ") && Contains(msg));
  };
  bad(head + "sweep: {adc.bitz: [1]}",
      "unknown architecture key 'adc.bitz' (did you mean adc.bits?)");
  bad(head + "sweep: {adc.bits: []}", "key 'sweep.adc.bits': empty value list");
  bad(head + "sweep: {adc.bits: [6, [7]]}", "every value must be a single value");
  bad(head + "sweep: {adc.bits: [6]}\nset: {adc.bits: 7}", "'adc.bits' is given twice");
  bad(head + "zip: [{crossbar.rows: [1, 2], crossbar.cols: [1]}]", "equal lengths");
  bad(head + "sweep: {protection.scheme: [none, vote]}", "eval.protect");
  bad(head + "sweep: {fault.rate: [0.1]}", "eval.rates");
  bad(head + "colour: red", "unknown key 'colour'");
  bad(head + "run: {images: 3}", "unknown key 'run.images'");
  bad("model: m\narch: a\neval: {rates: [2]}", "key 'eval.rates': 2 is not in [0, 1]");
  bad("model: m\narch: a\neval: {rates: [0.1, 0.1]}", "listed twice");
  bad("model: m\narch: a\neval: {rates: [0.1], trials: 0}", "key 'eval.trials'");
  bad("model: m\narch: a\neval: {rates: [0.1], protect: [ecc]}", "'ecc' is not one of");
  bad("model: m\narch: a\neval: {rates: [0.1], protect: [vote+range, range+vote]}",
      "'range+vote' names scheme 'vote+range' a second time");
  bad("model: m\narch: a\neval: {rates: [0.1], protect: [vote+tmr]}", "vote+tmr");
  bad("model: m\narch: a\n", "'eval.rates' is missing");
  bad("arch: a\neval: {rates: [0.1]}", "'model' is missing");
  bad("[1, 2]", "expected a mapping");
  bad("model: [unclosed", "invalid YAML at line 1");
  bad(head + "plots: {rate: 0.5}", "not in eval.rates");
  bad(head + "plots: {heatmap: [crossbar.rows]}", "expected two keys");
  // Ten axes of ten values: 10^10 points, refused before anything is expanded.
  std::string big = head + "sweep:\n";
  for (const char* k : {"adc.bits", "seed", "crossbar.rows", "crossbar.cols", "cell_bits",
                        "input_bits", "dac.bits", "adc.share", "tiles.count", "clock_mhz"})
    big += std::string("  ") + k + ": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n";
  bad(big, "more than 100000 points");
}

TEST_CASE("the Pareto front is exactly the undominated designs", "[sweep][pareto]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> e(0, 20), a(0, 20);
  for (int rep = 0; rep < 50; ++rep) {
    std::vector<sweep::design> all;
    for (size_t i = 0; i < 30; ++i) all.push_back({i, "vote", double(e(rng)), double(a(rng))});
    const auto front = sweep::pareto_front(all);
    // Brute force: a design is on the front unless another is at least as good in both and
    // better in one; among exact ties the lowest point id stands for the group.
    std::set<size_t> want;
    for (const auto& d : all) {
      bool dominated = false, tie_first = true;
      for (const auto& o : all) {
        if (o.energy <= d.energy && o.accuracy >= d.accuracy &&
            (o.energy < d.energy || o.accuracy > d.accuracy))
          dominated = true;
        if (o.energy == d.energy && o.accuracy == d.accuracy && o.point < d.point)
          tie_first = false;
      }
      if (!dominated && tie_first) want.insert(d.point);
    }
    std::set<size_t> got;
    for (const auto& d : front) got.insert(d.point);
    CHECK(got == want);
    for (size_t i = 1; i < front.size(); ++i) CHECK(front[i].energy > front[i - 1].energy);
  }
}

TEST_CASE("CSV fields are quoted where they must be, and AccurateLatency", "[sweep][results]") {
  CHECK(sweep::csv_line({"a", "b,c", "say \"hi\"", ""}) == "a,\"b,c\",\"say \"\"hi\"\"\",\n");
  CHECK(sweep::number_text(0.1) == "0.1");
  CHECK(sweep::rate_text(1e-3) == "0.001");
  // SAVE: latency x (1 + error rate), error rate = 1 - accuracy.
  CHECK(sweep::accurate_latency(1000.0, 0.75) == Approx(1250.0));
}

TEST_CASE("the shipped example grid parses and passes the checks before work", "[sweep][grid]") {
  const auto g = sweep::load_grid(std::string(RRAMFT_SOURCE_DIR) + "/configs/sweeps/example.yaml");
  CHECK(g.points() == 6);
  CHECK(g.swept_keys() == std::vector<std::string>{"crossbar.rows", "crossbar.cols", "adc.bits"});
  const auto comps = sweep::preflight(g);
  for (const char* c : {"adc", "dac", "xbar", "vote"})
    CHECK(std::find(comps.begin(), comps.end(), c) != comps.end());
}

// The sweep library checks chip fit with the SystemC model's placement (libsystemc.so defines
// main and needs sc_main); Catch2 provides the main that runs here.
extern "C" int sc_main(int, char**) { return 0; }
