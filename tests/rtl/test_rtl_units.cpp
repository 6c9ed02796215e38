// The verilated RTL blocks against the functional core, bit for bit, through the same
// transactors the chip model uses: the voting unit for every odd T from 1 to 7 over corner and
// random cases, the OPC over random mapped layers and extreme values, both with random stalls
// on their handshakes; saturation of the widest sums; latency and II against the architecture.
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <random>
#include <systemc>

#include "../mapping/layer_fixtures.h"
#include "core/datapath.h"
#include "core/error.h"
#include "core/quant.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "peripherals/job.h"
#include "rtl/cosim.h"
#include "testbenches/simulate.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;
const int W = rtl::built().width;
const int64_t wmax = W >= 64 ? INT64_MAX : (int64_t(1) << (W - 1)) - 1;
const int64_t wmin = -wmax - 1;

/// Runs @p body in an SC_THREAD (the transactors wait on delta cycles) and the simulation.
struct driver : sc_core::sc_module {
  std::function<void()> body;
  explicit driver(sc_core::sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(driver);
    SC_THREAD(run);
  }
  void run() { body(); }
};

/// A TLM initiator bound to one block's target socket.
struct initiator : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<initiator> out{"out"};
  explicit initiator(sc_core::sc_module_name n) : sc_module(n) {}
  void send(sc::block_job& j) {
    tlm::tlm_generic_payload p;
    sc::attach(p, j);
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    out->b_transport(p, d);
    REQUIRE(p.is_response_ok());
  }
};

void simulate(const std::function<void()>& body) {
  driver d("driver");
  d.body = body;
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc::simulate();
}

full_spec arch_with(const std::vector<std::string>& sets) {
  return load_arch(src + "/configs/default.yaml", sets);
}

/// A layer that only gives the voting unit its outputs (kept_cols) and a name.
mapped_layer outputs_only(int O) {
  mapped_layer l;
  l.name = "vote_test";
  for (int o = 0; o < O; ++o) l.kept_cols.push_back(o);
  return l;
}

/// Candidate sets of the corner cases for T candidates, one output each.
std::vector<std::vector<int64_t>> corner_cases(int T, std::mt19937_64& g) {
  std::vector<std::vector<int64_t>> c;
  std::uniform_int_distribution<int64_t> any(wmin, wmax);
  const int64_t v = any(g);
  c.push_back(std::vector<int64_t>(size_t(T), v));     // all equal
  c.push_back(std::vector<int64_t>(size_t(T), 0));     // all zero
  c.push_back(std::vector<int64_t>(size_t(T), wmax));  // all at the top
  c.push_back(std::vector<int64_t>(size_t(T), wmin));  // all at the bottom
  for (int a = 0; a < T; ++a)                          // exactly two equal, everywhere
    for (int b = a + 1; b < T; ++b) {
      std::vector<int64_t> s(static_cast<size_t>(T));
      for (auto& x : s) x = any(g);
      s[size_t(b)] = s[size_t(a)];
      c.push_back(s);
    }
  for (int lo = 0; lo <= T; ++lo) {  // extremes mixed: lo at the bottom, the rest at the top
    std::vector<int64_t> s(size_t(T), wmax);
    for (int i = 0; i < lo; ++i) s[size_t(i)] = wmin;
    std::shuffle(s.begin(), s.end(), g);
    c.push_back(s);
  }
  std::vector<int64_t> s(static_cast<size_t>(T));  // ascending, descending, and around zero
  for (int i = 0; i < T; ++i) s[size_t(i)] = i - T / 2;
  c.push_back(s);
  std::reverse(s.begin(), s.end());
  c.push_back(s);
  for (int i = 0; i < T; ++i) s[size_t(i)] = i % 2 ? wmax - i : wmin + i;
  c.push_back(s);
  return c;
}

/// Fills a job's partials with @p cands (T per output) and bases, sends it to @p vote and
/// compares the result with the functional core's vote_accumulate.
void vote_against_core(initiator& ini, const rtl::block& blk, int T,
                       const std::vector<std::vector<int64_t>>& cands,
                       const std::vector<int64_t>& bases) {
  const int O = int(cands.size());
  const mapped_layer l = outputs_only(O);
  sc::block_job j;
  j.layer = &l;
  j.n = 1;
  j.partials.reset(1, O, T);
  for (int o = 0; o < O; ++o) {
    j.partials.plain[size_t(o)] = bases[size_t(o)];
    if (T > 1)
      for (int t = 0; t < T; ++t) j.partials.cand[size_t(o) * T + t] = cands[size_t(o)][size_t(t)];
  }
  ini.send(j);
  std::vector<int64_t> ref(size_t(O), 0);
  vote_accumulate(j.partials, ref.data());
  for (int o = 0; o < O; ++o) {
    INFO("T " << T << ", output " << o << ", base " << bases[size_t(o)]);
    REQUIRE(j.result[size_t(o)] == ref[size_t(o)]);
    REQUIRE(blk.saturated()[size_t(o)] == 0);
  }
}
}  // namespace

TEST_CASE("voting unit RTL equals the functional core: every odd T from 1 to 7", "[rtl][vote]") {
  std::vector<std::unique_ptr<rtl::vote_cosim>> units;
  std::vector<std::unique_ptr<initiator>> inis;
  for (int T : {1, 3, 5, 7}) {
    const full_spec a = arch_with({"protection.candidates=" + std::to_string(T)});
    REQUIRE(a.copies() == T);
    units.push_back(std::make_unique<rtl::vote_cosim>(("vote_t" + std::to_string(T)).c_str(), a));
    inis.push_back(std::make_unique<initiator>(("ini_t" + std::to_string(T)).c_str()));
    inis.back()->out.bind(units.back()->opc2vote);
    units.back()->check = false;  // this test is the comparison
  }
  uint64_t compared = 0;
  simulate([&] {
    std::mt19937_64 g(7);
    for (size_t u = 0; u < units.size(); ++u) {
      const int T = int(u) * 2 + 1;
      rtl::vote_cosim& v = *units[u];
      double cycles_per_result[2] = {0, 0};
      for (uint64_t stalls : {uint64_t(0), uint64_t(11)}) {
        v.stall_seed = stalls;
        const uint64_t c0 = v.rtl().cycles, r0 = v.rtl().results;
        // Corner cases with base 0 (the median alone; for T = 1 the candidate is not voted,
        // so it goes in as the base), then with a base that keeps the sum in range.
        std::vector<std::vector<int64_t>> c = corner_cases(T, g);
        std::vector<int64_t> base(c.size(), 0);
        if (T == 1)
          for (size_t i = 0; i < c.size(); ++i) std::swap(base[i], c[i][0]);
        vote_against_core(*inis[u], v, T, c, base);
        compared += c.size();
        std::uniform_int_distribution<int64_t> small(-1000, 1000);
        for (size_t i = 0; i < c.size(); ++i) {
          std::vector<int64_t> s = c[i];
          std::sort(s.begin(), s.end());
          const int64_t med = s[size_t(T) / 2];
          base[i] = med > wmax - 1000   ? -std::abs(small(g))
                    : med < wmin + 1000 ? std::abs(small(g))
                                        : small(g);
        }
        if (T > 1) {
          vote_against_core(*inis[u], v, T, c, base);
          compared += c.size();
        }
        // Random: 300 outputs, candidates over the whole width, small bases; then realistic
        // partial sums (±2^20) where candidates often agree.
        std::uniform_int_distribution<int64_t> any(wmin / 2, wmax / 2), ps(-(1 << 20), 1 << 20);
        for (int round = 0; round < 2; ++round) {
          std::vector<std::vector<int64_t>> r(300, std::vector<int64_t>(size_t(T)));
          std::vector<int64_t> b(300);
          for (size_t i = 0; i < r.size(); ++i) {
            const int64_t agreed = ps(g);
            for (auto& x : r[i]) x = round == 0 ? any(g) : (g() % 3 ? agreed : ps(g));
            b[i] = round == 0 ? small(g) : ps(g);
          }
          vote_against_core(*inis[u], v, T, r, b);
          compared += r.size();
        }
        cycles_per_result[stalls ? 1 : 0] =
            double(v.rtl().cycles - c0) / double(v.rtl().results - r0);
      }
      // The stalls happened: they cost cycles (valid and ready each low a quarter of the time).
      INFO("T " << T << ": cycles per result " << cycles_per_result[0] << ", with stalls "
                << cycles_per_result[1]);
      CHECK(cycles_per_result[1] > 1.2 * cycles_per_result[0]);
    }
  });
  CHECK(compared > 2000);
}

TEST_CASE("voting unit RTL saturates the widest sums and flags them", "[rtl][vote]") {
  // base + median beyond W bits: the RTL clamps to the W-bit range and raises sat; the
  // functional core (int64) gives the exact sum, which the clamp must equal where it fits.
  const full_spec a = arch_with({"protection.candidates=3"});
  rtl::vote_cosim v("vote", a);
  initiator ini("ini");
  ini.out.bind(v.opc2vote);
  v.check = false;
  v.stop_on_saturation = false;
  simulate([&] {
    const mapped_layer l = outputs_only(8);
    sc::block_job j;
    j.layer = &l;
    j.n = 1;
    j.partials.reset(1, 8, 3);
    const int64_t cands[8][3] = {{wmax, wmax, wmax},   {wmax, wmax, 0},    {wmin, wmin, wmin},
                                 {wmin, 0, wmin},      {wmax, wmin, wmax}, {wmax - 1, 5, wmax},
                                 {wmin + 1, -5, wmin}, {wmax, wmin, 0}};
    const int64_t bases[8] = {wmax, 1, wmin, -1, 0, 1, -2, wmax};
    for (int o = 0; o < 8; ++o) {
      j.partials.plain[size_t(o)] = bases[o];
      for (int t = 0; t < 3; ++t) j.partials.cand[size_t(o) * 3 + t] = cands[o][t];
    }
    ini.send(j);
    std::vector<int64_t> ref(8, 0);
    vote_accumulate(j.partials, ref.data());  // exact in int64 (W = 48 leaves room)
    REQUIRE(W <= 62);
    for (int o = 0; o < 8; ++o) {
      INFO("output " << o << ": core " << ref[size_t(o)] << ", RTL " << j.result[size_t(o)]);
      CHECK(j.result[size_t(o)] == std::clamp(ref[size_t(o)], wmin, wmax));
      CHECK(bool(v.saturated()[size_t(o)]) == (ref[size_t(o)] > wmax || ref[size_t(o)] < wmin));
    }
    // The default stops at the first saturation and names the output.
    v.stop_on_saturation = true;
    REQUIRE_THROWS_WITH(ini.send(j), Catch::Contains("output 0") && Catch::Contains("saturated"));
  });
}

TEST_CASE("voting unit RTL's latency and II are what the architecture's TLM timing says",
          "[rtl][vote][timing]") {
  // configs/default.yaml's timing.vote_cycles and vote_ii are the TLM voting unit's annotation;
  // they must equal the latency and II measured on the RTL for the default T.
  const full_spec a = arch_with({});
  rtl::vote_cosim v("vote", a);
  initiator ini("ini");
  ini.out.bind(v.opc2vote);
  rtl::rtl_timing t;
  simulate([&] { t = v.measure(); });
  INFO("RTL: latency " << t.latency << ", II " << t.ii << " for T = " << a.copies());
  CHECK(t.latency == a.timing.vote_cycles);
  CHECK(t.ii == a.timing.vote_ii);
}

TEST_CASE("voting unit RTL's latency follows its pipeline for every T", "[rtl][vote][timing]") {
  // rtl/vote_unit.sv: ceil(T / CE_PER_STAGE) network stages (none for T = 1) and one add stage.
  std::vector<std::unique_ptr<rtl::vote_cosim>> units;
  std::vector<std::unique_ptr<initiator>> inis;
  for (int T : {1, 3, 5, 7}) {
    units.push_back(std::make_unique<rtl::vote_cosim>(
        ("vote_t" + std::to_string(T)).c_str(),
        arch_with({"protection.candidates=" + std::to_string(T)})));
    inis.push_back(std::make_unique<initiator>(("ini_t" + std::to_string(T)).c_str()));
    inis.back()->out.bind(units.back()->opc2vote);
  }
  std::vector<rtl::rtl_timing> t;
  simulate([&] {
    for (auto& u : units) t.push_back(u->measure());
  });
  const int cps = rtl::built().vote_ce_per_stage;
  for (size_t u = 0; u < units.size(); ++u) {
    const int T = int(u) * 2 + 1;
    INFO("T " << T);
    CHECK(t[u].latency == (T == 1 ? 0 : (T + cps - 1) / cps) + 1);
    CHECK(t[u].ii == 1);
  }
}

namespace {

/// Sends every (crossbar, slice) of one row block of @p l to the OPC, with converted values
/// from @p value(i, x, k, c), and compares the partial sums with opc_accumulate's.
void opc_against_core(initiator& ini, rtl::opc_cosim& opc, const mapped_layer& l, int n,
                      const std::function<int64_t(int, int, int, int)>& value) {
  const input_slicing sl{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed};
  const int C = l.C(), O = int(l.kept_cols.size()), T = l.copies();
  sc::block_job j;
  j.layer = &l;
  j.n = n;
  j.partials.reset(n, O, T);
  block_partials ref;
  ref.reset(n, O, T);
  int64_t adds = 0;
  const uint64_t adds_before = opc.st.adds;
  for (int x = 0; x < l.xbars_per_block; ++x)
    for (int k = 0; k < sl.count(); ++k) {
      j.crossbar = x;
      j.slice = k;
      j.converted.assign(size_t(n) * C, 0);
      for (int i = 0; i < n; ++i)
        for (int c = 0; c < C; ++c)
          if (l.columns[size_t(x) * C + c].used())
            j.converted[size_t(i) * C + c] = value(i, x, k, c);
      adds += opc_accumulate(l, x, k, j.converted.data(), n, ref);
      ini.send(j);
    }
  REQUIRE(j.partials.plain == ref.plain);
  REQUIRE(j.partials.cand == ref.cand);
  CHECK(int64_t(opc.st.adds - adds_before) == adds);  // the same sa.add actions
  for (uint8_t s : opc.saturated()) REQUIRE(s == 0);
}

mapped_layer map_random(const full_spec& a, int rows, int cols, int pruned_cols, uint64_t seed) {
  models::weight_layer wl = fixtures::random_layer(rows, cols, pruned_cols, 0, seed);
  mapping::layer_report rep;
  return mapping::map_layer(wl, a, 0, rep);
}

}  // namespace

TEST_CASE("OPC RTL equals the functional core on random mapped layers", "[rtl][opc]") {
  // Layers of one row block (the OPC sees one row block per job) under different slicings,
  // schemes and cell sizes; converted values at random over the ADC's range, then all at full
  // scale (the widest sums the chip can make, which must fit without saturating).
  struct cfg {
    std::vector<std::string> sets;
    int cols, pruned;
  };
  const std::vector<cfg> cfgs = {
      {{}, 40, 14},
      {{"protection.candidates=5", "crossbar.cols=64"}, 30, 12},
      {{"protection.scheme=tmr"}, 20, 4},
      {{"protection.scheme=none", "cell_bits=2", "dac.bits=2"}, 24, 0},
      {{"input_signed=false", "protection.planes=2", "protection.candidates=3"}, 36, 16},
      {{"weight_bits=16", "input_bits=16", "protection.candidates=7", "crossbar.cols=256"}, 12, 4},
  };
  std::vector<full_spec> archs;
  std::vector<mapped_layer> layers;
  std::vector<std::unique_ptr<rtl::opc_cosim>> units;
  std::vector<std::unique_ptr<initiator>> inis;
  for (size_t i = 0; i < cfgs.size(); ++i) {
    archs.push_back(arch_with(cfgs[i].sets));
    layers.push_back(map_random(archs.back(), 100, cfgs[i].cols, cfgs[i].pruned, 40 + i));
    REQUIRE(layers.back().row_blocks == 1);
    units.push_back(
        std::make_unique<rtl::opc_cosim>(("opc" + std::to_string(i)).c_str(), archs.back()));
    inis.push_back(std::make_unique<initiator>(("ini" + std::to_string(i)).c_str()));
    inis.back()->out.bind(units.back()->adc2opc);
    units.back()->check = false;
  }
  simulate([&] {
    std::mt19937_64 g(3);
    for (size_t u = 0; u < units.size(); ++u) {
      INFO("configuration " << u);
      const full_spec& a = archs[u];
      const int64_t full = a.column_full_scale();
      std::uniform_int_distribution<int64_t> d(0, full);
      units[u]->stall_seed = u % 2 ? 5 : 0;
      const uint64_t c0 = units[u]->rtl().cycles, b0 = units[u]->rtl().beats;
      opc_against_core(*inis[u], *units[u], layers[u], 3, [&](int, int, int, int) { return d(g); });
      opc_against_core(*inis[u], *units[u], layers[u], 1, [&](int, int, int, int) { return full; });
      opc_against_core(*inis[u], *units[u], layers[u], 1, [&](int, int, int, int) { return 0; });
      CHECK(units[u]->rtl().jobs == 3);
      // With stalls (odd configurations) the beats take visibly more cycles.
      const double per_beat =
          double(units[u]->rtl().cycles - c0) / double(units[u]->rtl().beats - b0);
      if (u % 2)
        CHECK(per_beat > 1.2);
      else
        CHECK(per_beat < 1.1);
    }
  });
}

namespace {
/// One crossbar whose used columns all add with a positive place value (unsigned inputs, the
/// positive array, no flipped planes): the sum over slices and planes only grows.
mapped_layer positive_layer(const full_spec& a, int outputs) {
  mapped_layer l;
  l.name = "widest";
  l.arch = a;
  l.rows = l.cols = outputs;
  for (int o = 0; o < outputs; ++o) l.kept_cols.push_back(o);
  l.row_blocks = 1;
  l.xbars_per_block = 1;
  l.columns.assign(size_t(a.crossbar.cols), column_content{});
  int c = 0;
  for (int o = 0; o < outputs; ++o)
    for (int s = 0; s < a.weight_slices(); ++s) l.columns[size_t(c++)] = {o, int16_t(s), 0, 0};
  return l;
}
}  // namespace

TEST_CASE("OPC RTL saturates the widest sums and flags them", "[rtl][opc]") {
  // 16-bit unsigned inputs and 16-bit weights: place values up to 2^(15 + 14); converted values
  // up to 2^VAL_W - 1 overflow a W-bit accumulator. The functional core's exact int64 sums
  // grow monotonically, so the RTL's saturating sums must equal their clamp.
  const full_spec a = arch_with(
      {"weight_bits=16", "input_bits=16", "input_signed=false", "protection.scheme=none"});
  const mapped_layer l = positive_layer(a, 3);
  rtl::opc_cosim opc("opc", a);
  initiator ini("ini");
  ini.out.bind(opc.adc2opc);
  opc.check = false;
  opc.stop_on_saturation = false;
  const int64_t vmax = (int64_t(1) << rtl::built().opc_val_bits) - 1;
  simulate([&] {
    const input_slicing sl{a.input_bits, a.dac.bits, a.input_signed};
    sc::block_job j;
    j.layer = &l;
    j.n = 1;
    j.partials.reset(1, 3, 1);
    block_partials ref;
    ref.reset(1, 3, 1);
    for (int k = 0; k < sl.count(); ++k) {
      j.crossbar = 0;
      j.slice = k;
      // Output 0: every value at the top; output 1: small; output 2: top in the low slices only.
      j.converted.assign(size_t(l.C()), 0);
      for (int c = 0; c < l.C(); ++c) {
        const int o = l.columns[size_t(c)].out;
        j.converted[size_t(c)] = o == 0 ? vmax : o == 1 ? 3 : (k < 4 ? vmax : 0);
      }
      opc_accumulate(l, 0, k, j.converted.data(), 1, ref);
      ini.send(j);
    }
    REQUIRE(ref.plain[0] > wmax);  // the test reaches beyond the width
    for (int o = 0; o < 3; ++o) {
      INFO("output " << o << ": core " << ref.plain[size_t(o)]);
      CHECK(j.partials.plain[size_t(o)] == std::clamp(ref.plain[size_t(o)], wmin, wmax));
      CHECK(bool(opc.saturated()[size_t(o)]) == (ref.plain[size_t(o)] > wmax));
    }
  });
}

TEST_CASE("OPC RTL's latency and II are what the architecture's TLM timing says",
          "[rtl][opc][timing]") {
  const full_spec a = arch_with({});
  rtl::opc_cosim opc("opc", a);
  initiator ini("ini");
  ini.out.bind(opc.adc2opc);
  rtl::rtl_timing t;
  simulate([&] { t = opc.measure(); });
  CHECK(t.latency == a.timing.opc_cycles);
  CHECK(t.ii == 1);
}

TEST_CASE("co-simulation refuses a T the RTL was not built for", "[rtl][vote]") {
  const full_spec a = arch_with({"protection.candidates=9"});
  REQUIRE_THROWS_WITH(rtl::vote_cosim("vote", a),
                      Catch::Contains("protection.candidates") && Catch::Contains("9"));
}

// libsystemc.so defines main and needs sc_main; Catch2 provides the main that runs here.
int sc_main(int, char**) { return 0; }
