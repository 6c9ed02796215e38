// The recorders of traces/ attached to a platform: the VCD's busy intervals are the row-block
// jobs' spans, trace.json's spans add up to the controller's steps, energy.csv's bins add up to
// the report. Every TEST_CASE elaborates its own platform (its own ctest process).
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <systemc>

#include "core/quant.h"
#include "energy/ert.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "testbenches/platform.h"
#include "testbenches/report.h"
#include "tests/support.h"
#include "traces/energy_bins.h"
#include "traces/spans.h"
#include "traces/vcd.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;

struct run {
  full_spec arch;
  energy::table ert;
  models::model m;
  models::image_set data;
  mapping::chip_mapping cm;
  std::unique_ptr<sc::platform> top;
  run(const std::string& model, int n)
      : arch(load_arch(src + "/configs/default.yaml", {"fault.rate=0.01"})),
        ert(energy::table::load(arch.energy_table)),
        m(models::load_model(src + "/" + model)),
        data(models::load_dataset("fashion-mnist:" + std::to_string(n))),
        cm(mapping::map_model(m, arch)) {
    const fault_map chip(arch.fault, arch.seed, arch.cell_bits);
    top = std::make_unique<sc::platform>("top", arch, cm, m, chip, std::vector<double>{},
                                         data.pixels.data(), data.n, data.image_bytes());
    sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                            sc_core::SC_DO_NOTHING);
  }
};

using rramft::test::slurp;

/// Value changes of the one-bit signals of a VCD, by dotted name: (time in ps, value).
std::map<std::string, std::vector<std::pair<uint64_t, char>>> vcd_bits(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> scope;
  std::map<std::string, std::string> id_name;
  std::map<std::string, std::vector<std::pair<uint64_t, char>>> out;
  uint64_t now = 0;
  std::string tok;
  while (in >> tok) {
    if (tok == "$timescale") {
      std::string unit, end;
      in >> unit;
      if (unit == "1") in >> unit;  // "1 ps" or "1ps"
      REQUIRE((unit == "ps" || unit == "1ps"));
      in >> end;
    } else if (tok == "$scope") {
      std::string kind, name, end;
      in >> kind >> name >> end;
      scope.push_back(name);
    } else if (tok == "$upscope") {
      scope.pop_back();
    } else if (tok == "$var") {
      std::string type, width, id, name;
      in >> type >> width >> id >> name;
      std::string full;
      for (const auto& s : scope) full += s + ".";
      if (width == "1") id_name[id] = full + name;
      while (in >> tok && tok != "$end") {
      }
    } else if (tok[0] == '#') {
      now = std::stoull(tok.substr(1));
    } else if ((tok[0] == '0' || tok[0] == '1') && id_name.count(tok.substr(1))) {
      out[id_name[tok.substr(1)]].emplace_back(now, tok[0]);
    }
  }
  return out;
}
}  // namespace

TEST_CASE("the VCD shows each tile busy exactly while its row-block jobs run", "[traces][vcd]") {
  run r("models/zoo/mlp-pruned", 2);
  const std::string base = std::string(RRAMFT_BINARY_DIR) + "/tests/systemc/traces_waves";
  std::remove((base + ".vcd").c_str());
  traces::span_recorder spans(*r.top->i_acc);
  traces::vcd_recorder vcd("vcd", *r.top->i_acc, base);
  sc_core::sc_start();
  vcd.close();
  REQUIRE(r.top->i_cpu->status == 2);
  const std::string text = slurp(vcd.path());
  for (const char* v : {" busy ", " state ", " irq ", " adc_conversions ", " vote_compares "})
    CHECK(text.find(v) != std::string::npos);
  const auto bits = vcd_bits(text);
  REQUIRE(r.top->i_acc->tiles_used() >= 1);
  for (const auto& t : r.top->i_acc->tiles()) {
    const std::string name = std::string("SystemC.") + t->name() + ".busy";
    INFO(name);
    REQUIRE(bits.count(name));
    // Busy intervals from the VCD (after the initial dump), and the union of the tile's job
    // spans, in ps.
    std::vector<std::pair<uint64_t, uint64_t>> high, jobs;
    uint64_t rise = 0;
    for (const auto& [when, v] : bits.at(name)) {
      if (v == '1') rise = when;
      if (v == '0' && when > 0) high.emplace_back(rise, when);
    }
    for (const auto& j : spans.jobs()) {
      if (j.tile != t->id()) continue;
      const uint64_t a = std::llround(j.start_ns * 1e3),
                     b = std::llround((j.start_ns + j.dur_ns) * 1e3);
      if (!jobs.empty() && a <= jobs.back().second)
        jobs.back().second = std::max(jobs.back().second, b);
      else
        jobs.emplace_back(a, b);
    }
    REQUIRE(!jobs.empty());
    CHECK(high == jobs);
  }
  // The interrupt rises once, at the end.
  const auto& irq = bits.at("SystemC.top.i_acc.irq");
  CHECK(irq.back().second == '1');
}

TEST_CASE("trace spans add up to the steps, energy bins to the report", "[traces][energy]") {
  run r("models/zoo/mlp-pruned", 3);
  traces::span_recorder spans(*r.top->i_acc);
  sc_core::sc_start();
  const sc::run_report rep = sc::make_report(r.arch, r.ert, r.cm, *r.top, r.data);
  const nlohmann::json t = traces::chrome_trace(*r.top->i_acc, spans, r.ert, r.arch);
  // One named track per tile in use, each with spans.
  std::map<int, std::string> threads;
  std::map<int, int> spans_on;
  std::map<std::string, double> layer_us;
  for (const auto& e : t.at("traceEvents")) {
    if (e.at("ph") == "M" && e.at("name") == "thread_name")
      threads[e.at("tid").get<int>()] = e.at("args").at("name").get<std::string>();
    if (e.at("ph") != "X") continue;
    ++spans_on[e.at("tid").get<int>()];
    CHECK(e.at("dur").get<double>() >= 0);
    if (e.at("tid") == traces::controller_tid)
      layer_us[e.at("name").get<std::string>()] += e.at("dur").get<double>();
  }
  for (int k = 0; k < r.top->i_acc->tiles_used(); ++k) {
    CHECK(threads.at(traces::tile_tid + k) == "tile " + std::to_string(k));
    CHECK(spans_on[traces::tile_tid + k] > 0);
  }
  CHECK(spans_on[traces::noc_tid] == int(spans.transfers().size()));
  CHECK(spans.jobs().size() == r.top->i_acc->ctrl().st.jobs);
  for (const auto& l : rep.json.at("layers")) {
    INFO(l.at("name"));
    CHECK(layer_us.at(l.at("name").get<std::string>()) * 1e3 ==
          Approx(l.at("latency_ns").get<double>()).epsilon(1e-9));
  }
  // Energy over time: bins add up to the report per component and for leakage.
  const double leakage_mw = rep.json["energy_pj"]["leakage"].get<double>() / rep.latency_ns;
  const traces::energy_bins b = traces::bin_energy(r.top->i_acc->ctrl().steps(), r.ert, r.arch,
                                                   rep.latency_ns, 0, leakage_mw, rep.start_ns);
  CHECK(b.bins() >= 100);
  CHECK(b.bins() <= 200);
  CHECK(b.t_end(b.bins() - 1) == rep.start_ns + rep.latency_ns);
  const auto& by = rep.json["energy_pj"]["by_component"];
  REQUIRE(b.components.size() == by.size());
  for (size_t c = 0; c < b.components.size(); ++c) {
    double sum = 0;
    for (size_t i = 0; i < b.bins(); ++i) sum += b.pj[i][c];
    INFO(b.components[c]);
    CHECK(sum == Approx(by.at(b.components[c]).get<double>()).epsilon(1e-9));
  }
  double leak = 0;
  for (double v : b.leakage_pj) leak += v;
  CHECK(leak == Approx(rep.json["energy_pj"]["leakage"].get<double>()).epsilon(1e-9));
  // A given width: the bins are that wide, the sums unchanged.
  const traces::energy_bins b7 = traces::bin_energy(r.top->i_acc->ctrl().steps(), r.ert, r.arch,
                                                    rep.latency_ns, 7, 0, rep.start_ns);
  CHECK(b7.bins() == size_t(std::ceil((rep.start_ns + rep.latency_ns) / 7 * (1 - 1e-12))));
  double dyn = 0;
  for (const auto& row : b7.pj)
    for (double v : row) dyn += v;
  CHECK(dyn == Approx(rep.json["energy_pj"]["dynamic"].get<double>()).epsilon(1e-9));
  CHECK_THROWS(traces::bin_energy(r.top->i_acc->ctrl().steps(), r.ert, r.arch, rep.latency_ns, 1e-6,
                                  0));  // too many bins
}

TEST_CASE("the automatic bin width is round and gives 100 to 200 bins", "[traces][energy]") {
  for (double total : {1.0, 37.0, 999.0, 1000.0, 12345.6, 2.5e6, 7.77e9}) {
    const double w = traces::auto_bin_ns(total);
    INFO(total << " ns: " << w << " ns bins");
    const double bins = std::ceil(total / w * (1 - 1e-12));
    CHECK(bins >= 100);
    CHECK(bins <= 200);
    const double mant = w / std::pow(10.0, std::floor(std::log10(w) + 1e-12));
    CHECK((std::abs(mant - 1) < 1e-9 || std::abs(mant - 2) < 1e-9 || std::abs(mant - 2.5) < 1e-9 ||
           std::abs(mant - 5) < 1e-9));
  }
}

// libsystemc.so defines main and needs sc_main; Catch2 provides the main that runs here.
int sc_main(int, char**) { return 0; }
