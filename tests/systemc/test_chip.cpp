#include <tlm_utils/simple_initiator_socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <systemc>

#include "core/error.h"
#include "core/quant.h"
#include "energy/ert.h"
#include "engine/evaluate.h"
#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "testbenches/platform.h"
#include "testbenches/report.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;

struct fixture {
  full_spec arch;
  models::model m;
  models::image_set data;
  mapping::chip_mapping cm;
  fault_map chip;
  std::vector<std::vector<cell_error>> errors;
  fixture(const std::string& model, const std::vector<std::string>& sets, int n)
      : arch(load_arch(src + "/configs/default.yaml", sets)),
        m(models::load_model(src + "/" + model)),
        data(models::load_dataset("fashion-mnist:" + std::to_string(n))),
        cm(mapping::map_model(m, arch)),
        chip(arch.fault, arch.seed, arch.cell_bits) {
    // Range checks: bounds from a few training images, so that test images cross them.
    if (arch.protection.range)
      engine::profile_ranges(cm, m, models::load_dataset("fashion-mnist-train:20"), {});
    for (const auto& l : cm.layers) errors.push_back(read_errors(l, chip));
  }
};

/// Runs the fixture's images through the platform (one elaboration) and returns its report.
sc::run_report simulate_report(const fixture& f) {
  const energy::table ert = energy::table::load(f.arch.energy_table);
  sc::platform top("top", f.arch, f.cm, f.m, f.chip, {}, f.data.pixels.data(), f.data.n,
                   f.data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  return sc::make_report(f.arch, ert, f.cm, top, f.data);
}

/// Runs the images through the SystemC platform and through the accuracy engine on the same
/// chip, and requires identical logits.
void equivalence(const std::string& model, const std::vector<std::string>& sets, int n) {
  fixture f(model, sets, n);
  size_t wrong_cells = 0;
  for (const auto& e : f.errors) wrong_cells += e.size();
  if (f.arch.fault.rate > 0 || f.arch.fault.table) REQUIRE(wrong_cells > 0);
  sc::platform top("top", f.arch, f.cm, f.m, f.chip, {}, f.data.pixels.data(), f.data.n,
                   f.data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  REQUIRE(top.i_cpu->status == 2);
  const auto& chip_logits = top.i_acc->logits();
  REQUIRE(int(chip_logits.size()) == n);

  const models::network net(f.m);
  engine::mapped_backend mb(f.cm, f.m, f.chip);
  const engine::input_scope inputs(0, n);  // image i of the run is input i of the engine
  const int classes = net.num_classes();
  std::vector<float> logits(size_t(n) * classes);
  net.forward_images(f.data.pixels.data(), n, mb,
                     logits.data());  // batched, fast path when lossless
  const auto written = top.classes();
  for (int i = 0; i < n; ++i) {
    INFO("image " << i);
    REQUIRE(std::memcmp(chip_logits[size_t(i)].data(), &logits[size_t(i) * classes],
                        sizeof(float) * classes) == 0);
    uint32_t best = 0;
    for (int c = 1; c < classes; ++c)
      if (logits[size_t(i) * classes + c] > logits[size_t(i) * classes + best]) best = uint32_t(c);
    CHECK(written[size_t(i)] == best);  // what the accelerator wrote to system memory
  }
  if (f.arch.fault.transient_rate > 0) {
    // The per-read flips reached the logits: the same chip without them reads otherwise.
    full_spec st = f.arch;
    st.fault.transient_rate = 0;
    engine::mapped_backend stuck_only(f.cm, f.m, fault_map(st.fault, st.seed, st.cell_bits));
    std::vector<float> without(logits.size());
    net.forward_images(f.data.pixels.data(), n, stuck_only, without.data());
    CHECK(without != logits);
  }
  if (f.arch.fault.analog()) {
    // The analog noise reached the logits: the ideal chip (same stuck cells and flips) reads
    // otherwise.
    full_spec ideal = f.arch;
    ideal.fault.variation = ideal.fault.read_noise = 0;
    engine::mapped_backend quiet(f.cm, f.m, fault_map(ideal.fault, ideal.seed, ideal.cell_bits));
    std::vector<float> without(logits.size());
    net.forward_images(f.data.pixels.data(), n, quiet, without.data());
    CHECK(without != logits);
  }
  if (!f.arch.protection.range) return;
  // The special-function unit checked every output of every weight layer of every image, found
  // the same outputs outside their ranges as the engine, in ceil(outputs / lanes) cycles each.
  struct counting : models::linear_backend {
    models::linear_backend& inner;
    const models::model& m;
    std::vector<uint64_t> outputs;  // per layer, over all calls
    counting(models::linear_backend& b, const models::model& mm)
        : inner(b), m(mm), outputs(mm.layers.size()) {}
    void linear(size_t layer, const float* x, int k, float* y) override {
      inner.linear(layer, x, k, y);
      outputs[layer] += uint64_t(k) * uint64_t(m.layers[layer].cols);
    }
  };
  engine::mapped_backend again(f.cm, f.m, f.chip);
  counting cnt(again, f.m);
  net.forward_images(f.data.pixels.data(), n, cnt, logits.data());
  uint64_t outputs = 0;
  for (uint64_t v : cnt.outputs) outputs += v;
  const auto& sf = top.i_acc->special().st;
  CHECK(sf.range_checks == outputs);
  CHECK(top.i_acc->counters().at("top.i_acc.i_sfu/range.check") == outputs);
  REQUIRE(sf.out_of_range > 0);
  CHECK(sf.out_of_range == mb.out_of_range());
  CHECK(sf.out_of_range == again.out_of_range());
  const auto& steps = top.i_acc->ctrl().steps();
  int checks = 0;
  for (size_t k = 1; k < steps.size(); ++k) {
    if (steps[k].name != "sfu:range") continue;
    const size_t li = net.layer_index(steps[k - 1].name);  // the layer it checked
    const uint64_t count = cnt.outputs[li] / uint64_t(n);  // one image's outputs of that layer
    const uint64_t lanes = uint64_t(f.arch.sfu.ops_per_cycle);
    const double want = double((count + lanes - 1) / lanes) * f.arch.cycle_ns();
    CHECK(steps[k].end_ns - steps[k].start_ns == Approx(want).margin(0.001));
    CHECK(steps[k].actions.at("top.i_acc.i_sfu/range.check") == count);
    ++checks;
  }
  CHECK(checks == int(f.cm.layers.size()) * n);
}
}  // namespace

TEST_CASE("chip model equals the accuracy engine bit for bit: mlp, vote, faulty chip",
          "[systemc][equivalence]") {
  equivalence("models/zoo/mlp-pruned", {"fault.rate=0.01", "fault.transient_rate=0.001"}, 6);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: lenet5, transient flips per read",
          "[systemc][equivalence][transient]") {
  // Every output position of a convolution reads its crossbars once, with its own flips.
  equivalence("models/zoo/lenet5-pruned", {"fault.rate=0.005", "fault.transient_rate=0.002"}, 2);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: lenet5, tmr, transients, lossy ADC",
          "[systemc][equivalence][transient]") {
  equivalence("models/zoo/lenet5-pruned",
              {"fault.transient_rate=0.003", "protection.scheme=tmr", "adc.bits=6"}, 2);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: lenet5, variation, read noise",
          "[systemc][equivalence][noise]") {
  // Conductance variation per cell, read noise per read and slice, stuck cells and transients.
  equivalence("models/zoo/lenet5-pruned",
              {"fault.rate=0.005", "fault.transient_rate=0.001", "fault.variation=0.1",
               "fault.read_noise=0.05"},
              2);
}

TEST_CASE(
    "chip model equals the accuracy engine bit for bit: mlp, lognormal variation, ADC "
    "offset and gain error",
    "[systemc][equivalence][noise]") {
  equivalence("models/zoo/mlp-pruned",
              {"fault.rate=0.01", "fault.variation=0.2", "fault.variation_model=lognormal",
               "fault.read_noise=0.02", "adc.bits=6", "adc.offset=0.4", "adc.gain_error=0.03"},
              4);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: mlp, tmr, lossy ADC",
          "[systemc][equivalence]") {
  equivalence("models/zoo/mlp-pruned", {"fault.rate=0.005", "protection.scheme=tmr", "adc.bits=6"},
              4);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: mlp, none, 2-bit cells",
          "[systemc][equivalence]") {
  equivalence("models/zoo/mlp-dense", {"fault.rate=0.01", "protection.scheme=none", "cell_bits=2"},
              4);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: mlp, vote+range, faulty chip",
          "[systemc][equivalence][range]") {
  equivalence("models/zoo/mlp-pruned", {"fault.rate=0.02", "protection.scheme=vote+range"}, 6);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: lenet5, range (zero, per output)",
          "[systemc][equivalence][range]") {
  equivalence("models/zoo/lenet5-pruned",
              {"fault.rate=0.01", "protection.scheme=range", "range_check.action=zero",
               "range_check.granularity=output", "adc.bits=6"},
              2);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: mlp, clip+tmr+range",
          "[systemc][equivalence][range]") {
  equivalence("models/zoo/mlp-pruned",
              {"fault.rate=0.01", "quant.clip=percentile", "quant.clip_value=99",
               "protection.scheme=clip+tmr+range", "range_check.margin=0.05"},
              4);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: lenet5, vote, measured fault map",
          "[systemc][equivalence][fault_map]") {
  // The map a seeded chip draws (rate 1%), written and read back: the engine on the map reads
  // the same logits as on the seeded chip (and not those of a fault-free chip), and the chip
  // model on the map equals the engine on it.
  const std::string model = "models/zoo/lenet5-pruned";
  const int n = 2;
  const std::string file = (std::filesystem::temp_directory_path() /
                            ("rramft_test_map_" + std::to_string(::getpid()) + ".csv"))
                               .string();
  {
    fixture seeded(model, {"fault.rate=0.01", "protection.scheme=vote"}, n);
    std::ofstream o(file);
    write_stuck_table(o, seeded.chip, uint64_t(seeded.cm.crossbars_used()),
                      seeded.arch.crossbar.rows, seeded.arch.crossbar.cols, "");
    REQUIRE(o.good());
    fixture mapped(model, {"fault.map=" + file, "protection.scheme=vote"}, n);
    fixture clean(model, {"protection.scheme=vote"}, n);
    REQUIRE(mapped.errors.size() == seeded.errors.size());
    for (size_t l = 0; l < mapped.errors.size(); ++l) {
      REQUIRE(mapped.errors[l].size() == seeded.errors[l].size());
      for (size_t i = 0; i < mapped.errors[l].size(); ++i) {
        CHECK(mapped.errors[l][i].column == seeded.errors[l][i].column);
        CHECK(mapped.errors[l][i].row == seeded.errors[l][i].row);
        CHECK(mapped.errors[l][i].delta == seeded.errors[l][i].delta);
      }
    }
    const models::network net(seeded.m);
    const engine::input_scope inputs(0, n);
    std::vector<std::vector<float>> out;
    for (const fixture* f : {&seeded, &mapped, &clean}) {
      engine::mapped_backend mb(f->cm, f->m, f->chip);
      out.emplace_back(size_t(n) * net.num_classes());
      net.forward_images(f->data.pixels.data(), n, mb, out.back().data());
    }
    CHECK(out[1] == out[0]);
    CHECK(out[1] != out[2]);
  }
  equivalence(model, {"fault.map=" + file, "protection.scheme=vote"}, n);
  std::filesystem::remove(file);
}

TEST_CASE("chip model equals the accuracy engine bit for bit: lenet5, vote, fault-aware placement",
          "[systemc][equivalence][fault_aware]") {
  const std::vector<std::string> sets{"fault.rate=0.02", "mapping.fault_aware=true",
                                      "fault.transient_rate=0.001"};
  {
    // The placement left fewer stuck cells harmful than the blind layout on this chip.
    fixture f("models/zoo/lenet5-pruned", sets, 1);
    int64_t harmful = 0, blind = 0;
    for (const auto& r : f.cm.reports) {
      harmful += r.harmful;
      blind += r.harmful_blind;
      CHECK(r.harmful <= r.harmful_blind);
    }
    CHECK(harmful < blind);
    int64_t listed = 0;
    for (const auto& e : f.errors) listed += int64_t(e.size());
    CHECK(listed == harmful);
    // The row step moved inputs within row blocks: the engine and the chip model below read
    // them through the permuted kept_rows.
    bool permuted = false;
    for (const auto& l : f.cm.layers)
      permuted = permuted || !std::is_sorted(l.kept_rows.begin(), l.kept_rows.end());
    CHECK(permuted);
  }
  equivalence("models/zoo/lenet5-pruned", sets, 2);
}

namespace {
/// Sends one row-block job to a tile and keeps the annotated delay.
struct probe : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<probe> out{"out"};
  sc::block_job* job = nullptr;
  sc_core::sc_time delay = sc_core::SC_ZERO_TIME;
  explicit probe(sc_core::sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(probe);
    SC_THREAD(run);
  }
  void run() {
    tlm::tlm_generic_payload p;
    sc::attach(p, *job);
    out->b_transport(p, delay);
    REQUIRE(p.is_response_ok());
  }
};

/// One vector through one crossbar of a rows x cols layer of constant weights; returns the
/// tile's annotated latency in ns and checks the result against the integer reference.
double one_mvm_ns(const std::vector<std::string>& sets, int cols) {
  full_spec a = load_arch(src + "/configs/default.yaml", sets);
  models::weight_layer wl;
  wl.name = "fc";
  wl.kind = "linear";
  wl.rows = 128;
  wl.cols = cols;
  wl.w.assign(size_t(128) * cols, 0.5f);
  mapping::layer_report rep;
  const mapped_layer l = mapping::map_layer(wl, a, 0, rep);
  REQUIRE(l.xbars_per_block == 1);
  sc::tile t("tile", a, 0);
  t.i_xbar.program(0, l, 0, 0, {});
  std::vector<int32_t> x(128, 3);
  const std::vector<cell_error> none;
  sc::block_job j;
  j.layer = &l;
  j.errors = &none;
  j.xk = x.data();
  j.n = 1;
  probe pr("probe");
  pr.job = &j;
  pr.out.bind(t.noc2tile);
  sc_core::sc_start();
  for (int o = 0; o < cols; ++o)
    CHECK(j.result[size_t(o)] == 127 * 3 * 128);  // every weight quantizes to 127
  return pr.delay.to_seconds() * 1e9;
}
}  // namespace

// Closed forms for one input vector (8-bit, 1-bit DACs: 8 reads of r = 100 ns) through one
// 128 x 128 crossbar whose single ADC (adc.share 128, 1.28 GS/s) converts the u used columns
// in u / 1.28 ns, then 1 OPC cycle: c = u / 1.28 + 1 ns. Pipelined (sample-and-hold):
// r + 7 max(r, c) + c; not pipelined: 8 (r + c). Then the vote (T = 3: vote_cycles + (outputs
// - 1) x vote_ii cycles), the accumulator (1 cycle) and the tile buffer (ceil(128 input bytes /
// 32) + ceil(4 x outputs / 32) accesses of one cycle). 1 GHz: 1 cycle = 1 ns. SystemC time
// resolution is 1 ps, hence the 1 ps margin.
TEST_CASE("one MVM takes the closed-form time: no protection, pipelined", "[systemc][timing]") {
  const double c = 126 / 1.28 + 1;  // 9 outputs x 14 bit columns
  CHECK(one_mvm_ns({"protection.scheme=none"}, 9) ==
        Approx(100 + 7 * 100 + c + 1 + 4 + 2).margin(0.001));
}

TEST_CASE("one MVM takes the closed-form time: no protection, not pipelined", "[systemc][timing]") {
  const double c = 126 / 1.28 + 1;
  CHECK(one_mvm_ns({"protection.scheme=none", "timing.pipeline=false"}, 9) ==
        Approx(8 * (100 + c) + 1 + 4 + 2).margin(0.001));
}

TEST_CASE("one MVM takes the closed-form time: vote, slow ADC", "[systemc][timing]") {
  // 6 outputs x (14 + 2 copies x 2) = 108 columns; a 640 MS/s ADC makes conversion the bottleneck.
  const double c = 108 / 0.64 + 1;
  CHECK(one_mvm_ns({"timing.adc_msps=640"}, 6) ==
        Approx(100 + 7 * c + c + (3 + 5) + 1 + 4 + 1).margin(0.001));
}

TEST_CASE("the accelerator's registers behave as documented", "[systemc][mmio]") {
  fixture f("models/zoo/mlp-pruned", {}, 3);
  sc::platform top("top", f.arch, f.cm, f.m, f.chip, {}, f.data.pixels.data(), 3,
                   f.data.image_bytes());
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  CHECK(top.i_cpu->status == 2);  // done, not busy, no error
  CHECK(top.i_acc->s_irq.read());
  CHECK(top.i_mem.st.reads == 3 * 784);
  CHECK(top.i_mem.st.writes == 3 * 4);
  CHECK(top.i_cpu->finished > sc_core::SC_ZERO_TIME);
}

// The report prices two independent records: the instances' action counters (the totals) and
// the controller's per-step deltas (the per-layer entries). Every action must belong to a
// step, so the layers must add up to the totals, per component too; leakage per component
// adds up to the leakage; dynamic plus leakage is the total.
TEST_CASE("the energy breakdown adds up to the total", "[systemc][energy]") {
  fixture f("models/zoo/lenet5-pruned", {"fault.rate=0.01"}, 3);
  const sc::run_report r = simulate_report(f);
  const auto& e = r.json.at("energy_pj");
  const double dynamic = e.at("dynamic").get<double>(), leakage = e.at("leakage").get<double>();
  REQUIRE(dynamic > 0);
  REQUIRE(leakage > 0);
  CHECK(e.at("total").get<double>() == Approx(dynamic + leakage).epsilon(1e-12));
  double by_comp = 0, leak = 0, layers = 0;
  std::map<std::string, double> layer_comp;
  for (const auto& [c, v] : e.at("by_component").items()) by_comp += v.get<double>();
  for (const auto& [c, v] : e.at("leakage_by_component").items()) leak += v.get<double>();
  for (const auto& l : r.json.at("layers")) {
    double parts = 0;
    for (const auto& [c, v] : l.at("energy_pj_by_component").items()) {
      parts += v.get<double>();
      layer_comp[c] += v.get<double>();
    }
    CHECK(l.at("energy_pj").get<double>() == Approx(parts).epsilon(1e-12));
    layers += l.at("energy_pj").get<double>();
  }
  CHECK(by_comp == Approx(dynamic).epsilon(1e-12));
  CHECK(leak == Approx(leakage).epsilon(1e-12));
  CHECK(layers == Approx(dynamic).epsilon(1e-9));
  REQUIRE(layer_comp.size() == e.at("by_component").size());
  for (const auto& [c, v] : layer_comp) {
    INFO(c);
    CHECK(v == Approx(e.at("by_component").at(c).get<double>()).epsilon(1e-9));
  }
  // And the latency: the steps of the layers tile the run (one after another, no gaps
  // beyond the DMA of the images in and the classes out).
  double step_ns = 0;
  for (const auto& l : r.json.at("layers")) step_ns += l.at("latency_ns").get<double>();
  CHECK(step_ns <= r.latency_ns * (1 + 1e-12));
  CHECK(step_ns > 0.5 * r.latency_ns);
}

namespace {
/// A whole network's latency derived in closed form from the timing keys (docs/chip.md "Latency of
/// a run"), independently of the chip model's code: per image, the DMA read of the image and the
/// write of its class (one system-memory access each), and the steps one after another. A
/// weight layer of n = 1 vector takes the slowest of its row blocks, each = the NoC transfer
/// ((2 h hop_cycles + flits) cycles, h = 1 + x + y hops on the mesh) + the tile's job (the
/// slowest crossbar's pipelined reads and conversions, the vote, the accumulator, the tile
/// buffer), then the global buffer (its input read and output written, one port width per
/// cycle) and the adds of the row-block partial sums; an SFU step ceil(elements / lanes) cycles.
double closed_form_latency_ns(const fixture& f, int images) {
  const full_spec& a = f.arch;
  const double cyc = 1e3 / a.clock_mhz, r = a.timing.xbar_read_ns;
  const int S = a.input_bits / a.dac.bits, in_bytes = (a.input_bits + 7) / 8;
  const int port = a.buffer.bytes_per_cycle, link = a.noc.bytes_per_cycle;
  auto ceil_div = [](long long x, long long y) { return double((x + y - 1) / y); };
  // Placement: row blocks fill tiles of tiles.crossbars crossbars in order.
  int tiles = 1, free = a.tiles.crossbars;
  std::vector<std::vector<int>> tile_of;
  for (const auto& l : f.cm.layers) {
    tile_of.emplace_back();
    for (int b = 0; b < l.row_blocks; ++b) {
      if (free < l.xbars_per_block) {
        ++tiles;
        free = a.tiles.crossbars;
      }
      free -= l.xbars_per_block;
      tile_of.back().push_back(tiles - 1);
    }
  }
  const int side = int(std::ceil(std::sqrt(double(tiles))));
  double per_image = 0;
  for (size_t li = 0; li < f.cm.layers.size(); ++li) {
    const mapped_layer& l = f.cm.layers[li];
    const int O = int(l.kept_cols.size());
    double slowest_block = 0;
    for (int b = 0; b < l.row_blocks; ++b) {
      const int rows = std::min(a.crossbar.rows, int(l.kept_rows.size()) - b * a.crossbar.rows);
      const int t = tile_of[li][size_t(b)];
      const int h = 1 + t % side + t / side;
      const double noc =
          (2.0 * h * a.noc.hop_cycles + ceil_div(rows * in_bytes + 4 * O, link)) * cyc;
      double slowest_xbar = 0;
      for (int x = 0; x < l.xbars_per_block; ++x) {
        int busiest = 0;  // the ADC with the most used columns of this crossbar
        for (int g = 0; g * a.adc.share < a.crossbar.cols; ++g) {
          int used = 0;
          for (int c = g * a.adc.share; c < std::min(a.crossbar.cols, (g + 1) * a.adc.share); ++c)
            used += l.columns[size_t(x) * a.crossbar.cols + c].out >= 0;
          busiest = std::max(busiest, used);
        }
        const double c = busiest * 1e3 / a.timing.adc_msps + a.timing.opc_cycles * cyc;
        slowest_xbar = std::max(slowest_xbar,
                                a.timing.pipeline ? r + (S - 1) * std::max(r, c) + c : S * (r + c));
      }
      const double vote =
          a.copies() > 1 ? (a.timing.vote_cycles + (O - 1) * a.timing.vote_ii) * cyc : 0;
      const double buffer = (ceil_div(rows * in_bytes, port) + ceil_div(4 * O, port)) * cyc;
      slowest_block = std::max(
          slowest_block, noc + slowest_xbar + vote + a.timing.accumulate_cycles * cyc + buffer);
    }
    const double gbuf =
        (ceil_div(l.rows * in_bytes, port) + ceil_div(l.cols * in_bytes, port)) * cyc;
    per_image += slowest_block + gbuf + (l.row_blocks - 1) * a.timing.accumulate_cycles * cyc;
    if (li + 1 < f.cm.layers.size()) {  // the MLP's activation after every hidden layer
      per_image += ceil_div(l.cols, a.sfu.ops_per_cycle) * cyc;
    }
  }
  return images * (per_image + 2 * sc::platform::memory_latency_ns);
}

void network_latency_is_closed_form(const std::vector<std::string>& sets) {
  fixture f("models/zoo/mlp-pruned", sets, 2);
  const energy::table ert = energy::table::load(f.arch.energy_table);
  const sc::run_report rep = simulate_report(f);
  const double want = closed_form_latency_ns(f, f.data.n);
  CHECK(rep.latency_ns == Approx(want).margin(0.001 * 20));  // 1 ps resolution, ~20 roundings
  // The steps of the report tile the run: only the DMA of images and classes lies between.
  double steps = 0;
  for (const auto& l : rep.json.at("layers")) steps += l.at("latency_ns").get<double>();
  CHECK(rep.latency_ns - steps ==
        Approx(2 * f.data.n * sc::platform::memory_latency_ns).margin(0.02));
  // Leakage is integrated over that same latency, not a padded one.
  double leak_mw = 0;
  for (const auto& [c, pj] : rep.json.at("energy_pj").at("leakage_by_component").items())
    leak_mw += pj.get<double>();
  CHECK(rep.json.at("energy_pj").at("leakage").get<double>() == Approx(leak_mw));
  CHECK(rep.json.at("energy_pj").at("leakage_mw").get<double>() * rep.latency_ns ==
        Approx(rep.json.at("energy_pj").at("leakage").get<double>()).epsilon(1e-12));
  // Programming: every kept weight occupies 2 (n - 1) bit columns (magnitude planes in the
  // positive and negative arrays), plus 2 (T - 1) per protected plane for the voting copies
  // (docs/design.md), over all its kept rows; each cell gets verify_iterations write pulses.
  const full_spec& a = f.arch;
  const int bitcols =
      2 * (a.weight_bits - 1) + (a.copies() - 1) * 2 * (a.copies() > 1 ? a.protection.planes : 0);
  double cells = 0;
  for (const auto& l : f.cm.layers)
    cells += double(l.kept_rows.size()) * double(l.kept_cols.size()) * bitcols;
  const auto& prog = rep.json.at("programming");
  CHECK(prog.at("cells").get<double>() == cells);
  CHECK(prog.at("energy_pj").get<double>() >=
        cells * a.programming.verify_iterations * ert.energy_pj("xbar.write", a));
}
}  // namespace

TEST_CASE("a whole network's latency is the closed-form sum of its steps: vote, pipelined",
          "[systemc][timing][latency]") {
  network_latency_is_closed_form({});
}

TEST_CASE("a whole network's latency is the closed-form sum of its steps: none, not pipelined",
          "[systemc][timing][latency]") {
  network_latency_is_closed_form({"protection.scheme=none", "timing.pipeline=false"});
}

TEST_CASE(
    "a whole network's latency is the closed-form sum of its steps: slow shared ADCs, "
    "several tiles",
    "[systemc][timing][latency]") {
  network_latency_is_closed_form({"timing.adc_msps=320", "tiles.crossbars=48", "noc.hop_cycles=3",
                                  "adc.share=32", "sfu.ops_per_cycle=5"});
}

// libsystemc.so defines main and needs sc_main; Catch2 provides the main that runs here.
int sc_main(int, char**) { return 0; }
