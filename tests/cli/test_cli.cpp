#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/spec.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "tests/support.h"

namespace {
const std::string src = RRAMFT_SOURCE_DIR;
const std::string exe = RRAMFT_EXE;

using rramft::test::slurp;
int run_cli(const std::string& args, const std::string& log) {
  return rramft::test::run_logged(exe + " " + args, log);
}
/// run_cli with @p dir as the working folder.
int run_cli_in(const std::string& dir, const std::string& args, const std::string& log) {
  return rramft::test::run_logged("cd '" + dir + "' && " + exe + " " + args, log);
}
/// The folder the command under test creates.
std::string tmpdir(const std::string& name) { return rramft::test::fresh_dir("cli", name, false); }
}  // namespace

TEST_CASE("rramft map writes what the library computes", "[cli][map]") {
  const std::string out = tmpdir("map_pruned");
  REQUIRE(run_cli("map --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                      "/configs/default.yaml --set fault.rate=0.001 --out " + out,
                  out + ".log") == 0);
  const auto j = nlohmann::json::parse(slurp(out + "/mapping.json"));
  // The same mapping through the library, from the arch the run wrote next to its result.
  const auto arch = rramft::load_arch(out + "/arch.yaml");
  CHECK(arch.fault.rate == 0.001);
  const auto cm =
      rramft::mapping::map_model(rramft::models::load_model(src + "/models/zoo/mlp-pruned"), arch);
  CHECK(j == cm.to_json());
  for (const char* k : {"crossbars_used", "crossbars_baseline", "storage_overhead_pct"})
    CHECK(j.contains(k));
  for (const auto& l : j["layers"])
    for (const char* k :
         {"name", "rows", "cols", "kept_rows", "kept_cols", "col_sparsity", "crossbars"})
      CHECK(l.contains(k));
  CHECK(j["storage_overhead_pct"] == 0.0);
  CHECK(j["crossbars_used"].get<int>() < j["crossbars_baseline"].get<int>());
  const std::string svg = slurp(out + "/occupancy.svg");
  CHECK(svg.find("<svg") != std::string::npos);
  CHECK(svg.find("</svg>") != std::string::npos);
  const std::string log = slurp(out + ".log");
  CHECK(log.find("storage overhead 0.00%") != std::string::npos);
}

TEST_CASE("rramft map writes a chip's fault map, and reads it back as the same chip",
          "[cli][map][fault_map]") {
  const std::string model = " --model " + src + "/models/zoo/lenet5-pruned --arch " + src +
                            "/configs/default.yaml --set mapping.fault_aware=true";
  const std::string seeded = tmpdir("fault_map_seeded");
  REQUIRE(run_cli("map" + model + " --set fault.rate=0.01 --set seed=5 --write-fault-map --out " +
                      seeded,
                  seeded + ".log") == 0);
  const std::string text = slurp(seeded + "/fault_map.csv");
  CHECK(text.rfind("# rramft fault map v1\n", 0) == 0);
  CHECK(text.find("\ncrossbar,row,col,type\n") != std::string::npos);
  // --write-fault-map FILE writes the same map to FILE instead of the output folder.
  const std::string named = tmpdir("fault_map_named");
  REQUIRE(run_cli("map" + model + " --set fault.rate=0.01 --set seed=5 --write-fault-map " + named +
                      ".csv --out " + named,
                  named + ".log") == 0);
  CHECK(slurp(named + ".csv") == text);
  CHECK_FALSE(std::filesystem::exists(named + "/fault_map.csv"));
  const std::string again = tmpdir("fault_map_read");
  REQUIRE(run_cli("map" + model + " --fault-map " + seeded +
                      "/fault_map.csv --write-fault-map --out " + again,
                  again + ".log") == 0);
  // The map written from the map lists the same cells, and the placement around them (and the
  // harmful cells it leaves) is the same as on the seeded chip.
  const auto cells = [](const std::string& t) { return t.substr(t.find("crossbar,row,col,type")); };
  CHECK(cells(slurp(again + "/fault_map.csv")) == cells(text));
  auto js = nlohmann::json::parse(slurp(seeded + "/mapping.json"));
  auto jr = nlohmann::json::parse(slurp(again + "/mapping.json"));
  CHECK(js["harmful_cells"] == jr["harmful_cells"]);
  CHECK(js["harmful_cells_blind"] == jr["harmful_cells_blind"]);
  CHECK(js["harmful_cells"].get<int64_t>() < js["harmful_cells_blind"].get<int64_t>());
  CHECK(js["harmful_cells"].get<int64_t>() > 0);
  // The library maps the chip of the arch.yaml the run wrote (with its fault.map) identically.
  const auto arch = rramft::load_arch(again + "/arch.yaml");
  CHECK(arch.fault.table != nullptr);
  CHECK(jr == rramft::mapping::map_model(
                  rramft::models::load_model(src + "/models/zoo/lenet5-pruned"), arch)
                  .to_json());
}

// Path keys (adc.table relative to the arch file, fault.map relative to the working folder) are
// held as absolute paths once read: the arch.yaml a command writes into its output folder, read
// from another working folder, names the same files, even when the arch file was given without
// a folder part (adc.table used to be kept as "./levels.txt").
TEST_CASE("an arch.yaml written with path keys reads back from another folder as the same chip",
          "[cli][map][paths]") {
  namespace fs = std::filesystem;
  const std::string dir = rramft::test::fresh_dir("cli", "path_keys");
  fs::create_directories(dir + "/work");
  std::ofstream(dir + "/work/a.yaml") << "adc:\n  bits: 3\n  table: levels.txt\n";
  std::ofstream(dir + "/work/levels.txt") << "0.5\n1.5\n2.5\n3.5\n4.5\n5.5\n6.6\n";
  std::ofstream(dir + "/work/stuck.csv")
      << "# rramft fault map v1\ncrossbar,row,col,type\n0,0,0,SA1\n0,3,1,SA0\n";
  // energy_table's default, ert/isaac.yaml, is found next to a.yaml.
  fs::create_directories(dir + "/work/ert");
  fs::copy_file(src + "/configs/ert/isaac.yaml", dir + "/work/ert/isaac.yaml");
  const std::string model = " --model " + src + "/models/zoo/mlp-pruned";
  REQUIRE(run_cli_in(dir + "/work",
                     "map" + model + " --arch a.yaml --fault-map stuck.csv --out ../first",
                     dir + "/first.log") == 0);
  const rramft::full_spec first = rramft::load_arch(dir + "/first/arch.yaml");
  CHECK(first.adc.table == fs::canonical(dir + "/work/levels.txt").string());
  CHECK(first.energy_table == fs::canonical(dir + "/work/ert/isaac.yaml").string());
  CHECK(first.fault.map == fs::canonical(dir + "/work/stuck.csv").string());
  REQUIRE(first.adc.transitions.size() == 7);
  CHECK(first.adc.transitions[6] == 6.6);
  REQUIRE(first.fault.table);
  CHECK(first.fault.table->cells == 2);
  // Reloaded from the output folder's parent: the same effective architecture and mapping.
  REQUIRE(run_cli_in(dir, "map" + model + " --arch first/arch.yaml --out second",
                     dir + "/second.log") == 0);
  CHECK(slurp(dir + "/second/arch.yaml") == slurp(dir + "/first/arch.yaml"));
  CHECK(slurp(dir + "/second/mapping.json") == slurp(dir + "/first/mapping.json"));
  // The chip model runs from the output folder's arch.yaml, wherever it is started: the energy
  // table is the one next to a.yaml (not first/ert/isaac.yaml), and the report is the same.
  const std::string chip = model + " --data fashion-mnist:2";
  REQUIRE(run_cli_in(dir, "run" + chip + " --arch first/arch.yaml --out run1", dir + "/run1.log") ==
          0);
  REQUIRE(run_cli_in(dir + "/work", "run" + chip + " --arch ../first/arch.yaml --out ../run2",
                     dir + "/run2.log") == 0);
  CHECK(slurp(dir + "/run1/report.json") == slurp(dir + "/run2/report.json"));
  CHECK(slurp(dir + "/run1/arch.yaml") == slurp(dir + "/first/arch.yaml"));
}

TEST_CASE("the dense model needs extra crossbars for its copies", "[cli][map]") {
  const std::string out = tmpdir("map_dense");
  REQUIRE(run_cli("map --model " + src + "/models/zoo/mlp-dense --arch " + src +
                      "/configs/default.yaml --out " + out,
                  out + ".log") == 0);
  const auto j = nlohmann::json::parse(slurp(out + "/mapping.json"));
  CHECK(j["storage_overhead_pct"].get<double>() > 0);
  CHECK(j["all_embedded"] == false);
  const std::string none = tmpdir("map_dense_none");
  REQUIRE(run_cli("map --model " + src + "/models/zoo/mlp-dense --arch " + src +
                      "/configs/default.yaml --set protection.scheme=none --out " + none,
                  none + ".log") == 0);
  const auto n = nlohmann::json::parse(slurp(none + "/mapping.json"));
  CHECK(n["crossbars_used"] == n["crossbars_baseline"]);
  CHECK(n["storage_overhead_pct"] == 0.0);
}

TEST_CASE("map and eval apply --set-from before --set, eval draws what it can and says so",
          "[cli][map][eval]") {
  // A fragment sets two keys; --set overrides one of them. The arch.yaml each command writes
  // must hold the fragment's other key and the --set value.
  const std::string d = tmpdir("set_from");
  std::filesystem::create_directories(d);
  {
    std::ofstream f(d + "/frag.yaml");
    f << "adc:\n  bits: 6\nfault:\n  rate: 0.002\n";
  }
  const std::string arch = " --arch " + src + "/configs/default.yaml --set-from " + d +
                           "/frag.yaml --set fault.rate=0.003 --out ";
  REQUIRE(run_cli("map --model " + src + "/models/zoo/mlp-pruned" + arch + d + "/map",
                  d + "/map.log") == 0);
  REQUIRE(run_cli("eval --model " + src +
                      "/models/zoo/mlp-pruned --data fashion-mnist:20 --rates 0 --trials 1 "
                      "--protect none,vote --set fault.scope=msb" +
                      arch + d + "/eval",
                  d + "/eval.log") == 0);
  for (const char* step : {"map", "eval"}) {
    INFO(step);
    const auto a = rramft::load_arch(d + "/" + step + "/arch.yaml");
    CHECK(a.adc.bits == 6);
    CHECK(a.fault.rate == 0.003);
  }
  // Rate 0 alone cannot go on the log rate axis: no picture, and the log does not claim one.
  CHECK_FALSE(std::filesystem::exists(d + "/eval/accuracy.png"));
  const std::string log0 = slurp(d + "/eval.log");
  CHECK(log0.find("accuracy.png not drawn: no failure rate above 0") != std::string::npos);
  CHECK(log0.find("accuracy.csv, arch.yaml") != std::string::npos);
  REQUIRE(run_cli("eval --model " + src +
                      "/models/zoo/mlp-pruned --data fashion-mnist:20 --rates 0,0.01 --trials 1 "
                      "--protect none,vote --set fault.scope=msb" +
                      arch + d + "/eval",
                  d + "/eval.log") == 0);
  // The picture says which setting it shows, and is there when gnuplot is.
  const std::string gp = slurp(d + "/eval/accuracy.gp");
  // Its title names exactly the keys that differ from the defaults (the --set-from fragment's
  // adc.bits, and fault.scope), not the rate and scheme that the axes and legend show.
  CHECK(gp.find("settings: adc.bits=6, fault.scope=msb'") != std::string::npos);
  CHECK(gp.find("fault.rate=") == std::string::npos);
  CHECK(gp.find("strcol(1) eq 'vote'") != std::string::npos);
  CHECK(std::filesystem::exists(d + "/eval/accuracy.png") ==
        (std::system("gnuplot --version > /dev/null 2>&1") == 0));
}

TEST_CASE("the same inputs give byte-identical results", "[cli][determinism]") {
  const std::string a = tmpdir("det_a"), b = tmpdir("det_b");
  const std::string args = "map --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                           "/configs/default.yaml --set fault.rate=0.01 --set seed=7 --out ";
  REQUIRE(run_cli(args + a, a + ".log") == 0);
  REQUIRE(run_cli(args + b, b + ".log") == 0);
  CHECK(slurp(a + "/mapping.json") == slurp(b + "/mapping.json"));
  CHECK(slurp(a + "/occupancy.svg") == slurp(b + "/occupancy.svg"));
  CHECK(slurp(a + "/arch.yaml") == slurp(b + "/arch.yaml"));
}

TEST_CASE("rramft run writes the traces asked for, and none unasked", "[cli][run][traces]") {
  const std::string out = tmpdir("run_traces");
  const std::string args = "run --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                           "/configs/default.yaml --data fashion-mnist:3 --out ";
  REQUIRE(run_cli(args + out + " --vcd --trace --energy-csv", out + ".log") == 0);
  const auto rep = nlohmann::json::parse(slurp(out + "/report.json"));
  const int tiles = rep["tiles_used"].get<int>();
  REQUIRE(tiles >= 1);

  // trace.json: one named thread per tile in use, each with spans; the controller's spans of a
  // layer add up to its latency in the report.
  const auto tr = nlohmann::json::parse(slurp(out + "/trace.json"));
  REQUIRE(tr.contains("traceEvents"));
  std::map<int, std::string> threads;
  std::map<int, int> spans;
  std::map<std::string, double> step_us;
  int controller = -1;
  for (const auto& e : tr["traceEvents"])
    if (e["ph"] == "M" && e["name"] == "thread_name") {
      threads[e["tid"].get<int>()] = e["args"]["name"].get<std::string>();
      if (e["args"]["name"] == "controller") controller = e["tid"].get<int>();
    }
  REQUIRE(controller >= 0);
  for (const auto& e : tr["traceEvents"]) {
    if (e["ph"] != "X") continue;
    for (const char* k : {"name", "ts", "dur", "pid", "tid"}) CHECK(e.contains(k));
    ++spans[e["tid"].get<int>()];
    if (e["tid"] == controller) step_us[e["name"].get<std::string>()] += e["dur"].get<double>();
  }
  int tile_threads = 0;
  for (const auto& [tid, name] : threads)
    if (name.rfind("tile ", 0) == 0) {
      ++tile_threads;
      CHECK(spans[tid] > 0);
    }
  CHECK(tile_threads == tiles);
  int weight_layers = 0;
  for (const auto& l : rep["layers"]) {
    const std::string name = l["name"].get<std::string>();
    INFO(name);
    REQUIRE(step_us.count(name));
    CHECK(step_us[name] * 1e3 == Approx(l["latency_ns"].get<double>()).epsilon(1e-9));
    weight_layers += name.rfind("sfu:", 0) != 0;
  }
  CHECK(weight_layers > 0);

  // waves.vcd: the tile busy and controller state signals, and value changes.
  const std::string vcd = slurp(out + "/waves.vcd");
  CHECK(vcd.find("$enddefinitions") != std::string::npos);
  CHECK(vcd.find(" busy ") != std::string::npos);
  CHECK(vcd.find(" state ") != std::string::npos);
  size_t stamps = 0;
  for (size_t p = vcd.find("\n#"); p != std::string::npos; p = vcd.find("\n#", p + 1)) ++stamps;
  CHECK(stamps > 10);
  CHECK(!std::filesystem::exists(out + "/waves.tmp.vcd"));

  // energy.csv: per component, the bins add up to the report's dynamic energy; leakage too.
  std::istringstream csv(slurp(out + "/energy.csv"));
  std::string line;
  REQUIRE(std::getline(csv, line));
  std::vector<std::string> cols;
  {
    std::istringstream h(line);
    for (std::string c; std::getline(h, c, ',');) cols.push_back(c);
  }
  REQUIRE(cols.size() >= 4);
  CHECK(cols[0] == "t_start_ns");
  CHECK(cols[1] == "t_end_ns");
  CHECK(cols.back() == "leakage_pj");
  std::vector<double> sum(cols.size(), 0.0);
  int bins = 0;
  double last_end = 0;
  while (std::getline(csv, line)) {
    std::istringstream row(line);
    size_t i = 0;
    for (std::string v; std::getline(row, v, ','); ++i) {
      REQUIRE(i < cols.size());
      if (i == 1) last_end = std::stod(v);
      if (i >= 2) sum[i] += std::stod(v);
    }
    CHECK(i == cols.size());
    ++bins;
  }
  CHECK(bins >= 100);
  CHECK(bins <= 200);
  CHECK(last_end ==
        Approx(rep["start_ns"].get<double>() + rep["latency_ns"].get<double>()).epsilon(1e-12));
  const auto& by = rep["energy_pj"]["by_component"];
  CHECK(by.size() == cols.size() - 3);
  for (size_t i = 2; i + 1 < cols.size(); ++i) {
    INFO(cols[i]);
    REQUIRE(cols[i].size() > 3);
    REQUIRE(cols[i].substr(cols[i].size() - 3) == "_pj");  // headers carry their unit
    const std::string c = cols[i].substr(0, cols[i].size() - 3);
    REQUIRE(by.contains(c));
    CHECK(sum[i] == Approx(by[c].get<double>()).epsilon(1e-6));
  }
  CHECK(sum.back() == Approx(rep["energy_pj"]["leakage"].get<double>()).epsilon(1e-6));

  // A given bin width; and no trace file at all without the flags.
  const std::string plain = tmpdir("run_no_traces");
  REQUIRE(run_cli(args + plain, plain + ".log") == 0);
  CHECK(std::filesystem::exists(plain + "/report.json"));
  for (const char* f : {"waves.vcd", "trace.json", "energy.csv", "waves.tmp.vcd"})
    CHECK(!std::filesystem::exists(plain + "/" + f));
  const std::string wide = tmpdir("run_bin_ns");
  REQUIRE(run_cli(args + wide + " --energy-csv --bin-ns 1000", wide + ".log") == 0);
  std::istringstream w(slurp(wide + "/energy.csv"));
  int rows = -1;
  while (std::getline(w, line)) ++rows;
  const auto wrep = nlohmann::json::parse(slurp(wide + "/report.json"));
  CHECK(rows ==
        int(std::ceil((wrep["start_ns"].get<double>() + wrep["latency_ns"].get<double>()) / 1000 -
                      1e-9)));
  CHECK(!std::filesystem::exists(wide + "/trace.json"));
  CHECK(run_cli(args + wide + " --energy-csv --bin-ns 0", wide + ".bad.log") != 0);
}

TEST_CASE("rramft run reports AccurateLatency and its range checks", "[cli][run][range]") {
  const std::string out = tmpdir("run_vote_range");
  const int n = 8;
  REQUIRE(run_cli("run --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                      "/configs/default.yaml --data fashion-mnist:" + std::to_string(n) +
                      " --fault-rate 0.03 --protect range+vote --out " + out,
                  out + ".log") == 0);
  const auto rep = nlohmann::json::parse(slurp(out + "/report.json"));
  CHECK(rep["scheme"] == "vote+range");
  // The error rate against the labels of the idx file, counted here.
  const auto data = rramft::models::load_dataset("fashion-mnist:" + std::to_string(n));
  int wrong = 0;
  for (int i = 0; i < n; ++i)
    wrong += rep["predicted"][size_t(i)].get<int>() != data.labels[size_t(i)];
  const double err = double(wrong) / n;
  CHECK(rep["error_rate"].get<double>() == Approx(err));
  CHECK(rep["accurate_latency_ns"].get<double>() ==
        Approx(rep["latency_ns"].get<double>() * (1 + err)));
  CHECK(rep["accurate_latency_ns_per_image"].get<double>() ==
        Approx(rep["latency_ns"].get<double>() / n * (1 + err)));
  CHECK(rep["baseline_none"].contains("accurate_latency_ns"));
  // Every output of the three layers (256 + 128 + 10) of every image was checked and priced.
  CHECK(rep["range_check"]["values_checked"].get<int>() == n * (256 + 128 + 10));
  CHECK(rep["range_check"]["layers"].size() == 3);
  CHECK(rep["energy_pj"]["by_component"]["range"].get<double>() > 0);
  CHECK(rep["overhead_vs_none_pct"]["latency"].get<double>() > 0);
}

TEST_CASE(
    "rramft run reports area in use, chip and arrays, efficiency, and leakage in the "
    "energy picture; voting units only when voting",
    "[cli][run][area]") {
  const std::string out = tmpdir("run_area");
  REQUIRE(run_cli("run --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                      "/configs/default.yaml --data fashion-mnist:2 --out " + out,
                  out + ".log") == 0);
  const auto rep = nlohmann::json::parse(slurp(out + "/report.json"));
  const auto& area = rep["area_mm2"];
  CHECK(area["total"] == area["tiles_in_use"]);
  CHECK(area["chip"].get<double>() > area["tiles_in_use"].get<double>());
  CHECK(area["voting_units"].get<double>() > 0);
  CHECK(area["crossbar_arrays"].get<double>() ==
        Approx(rep["crossbars_used"].get<double>() * area["by_component"]["xbar"].get<double>() /
               (rep["tiles_used"].get<double>() * 96)));
  // Against none on the same chip: the voting units and the extra arrays cost area; the
  // crossbar-array overhead is the crossbar-count overhead.
  const auto& ovh = rep["overhead_vs_none_pct"];
  CHECK(ovh["area"].get<double>() > 0);
  CHECK(ovh["crossbar_area"].get<double>() == Approx(ovh["crossbars"].get<double>()));
  // Efficiency: ops = 2 x (784 x 256 + 256 x 128 + 128 x 10) per image.
  const double ops = 2.0 * 2 * (784 * 256 + 256 * 128 + 128 * 10);
  CHECK(rep["efficiency"]["ops"].get<double>() == ops);
  CHECK(rep["efficiency"]["tops_per_w"].get<double>() ==
        Approx(ops / rep["energy_pj"]["total"].get<double>()));
  CHECK(rep["efficiency"]["tops_per_mm2"].get<double>() ==
        Approx(ops / (rep["latency_ns"].get<double>() * 1e3) / area["total"].get<double>()));
  // energy_layers.csv (the picture's data): with its leakage column it adds up to the total.
  std::istringstream csv(slurp(out + "/energy_layers.csv"));
  std::string line;
  std::getline(csv, line);
  CHECK(line.substr(line.rfind(',') + 1) == "leakage_nj");
  double sum_nj = 0;
  while (std::getline(csv, line)) {
    std::istringstream row(line);
    std::string v;
    std::getline(row, v, ',');  // the layer's name
    while (std::getline(row, v, ',')) sum_nj += std::stod(v);
  }
  CHECK(sum_nj * 1e3 == Approx(rep["energy_pj"]["total"].get<double>()).epsilon(1e-4));  // 6 digits
  // Without voting there is no voting unit.
  const std::string none = tmpdir("run_area_none");
  REQUIRE(run_cli("run --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                      "/configs/default.yaml --data fashion-mnist:1 --protect none --out " + none,
                  none + ".log") == 0);
  const auto rn = nlohmann::json::parse(slurp(none + "/report.json"));
  CHECK(!rn["area_mm2"].contains("voting_units"));
  CHECK(!rn["area_mm2"]["by_component"].contains("vote"));
}

TEST_CASE("map, eval and run say in one line when the ADC is lossy", "[cli][adc]") {
  const std::string out = rramft::test::fresh_dir("cli", "lossy_adc");
  const std::string arch = " --arch " + src + "/configs/default.yaml";
  const std::string lossy = " --set crossbar.rows=256 --set crossbar.cols=256 --set adc.bits=6";
  const std::string want = "a lossless conversion needs adc.bits 9, given 6";
  REQUIRE(run_cli("map --model " + src + "/models/zoo/mlp-pruned" + arch + lossy + " --out " + out +
                      "/map",
                  out + "/map.log") == 0);
  CHECK(slurp(out + "/map.log").find(want) != std::string::npos);
  REQUIRE(run_cli("eval --model " + src + "/models/zoo/mlp-pruned" + arch + lossy +
                      " --data fashion-mnist:20 --rates 0.01 --trials 1 --protect none --out " +
                      out + "/eval",
                  out + "/eval.log") == 0);
  CHECK(slurp(out + "/eval.log").find(want) != std::string::npos);
  REQUIRE(run_cli("run --model " + src + "/models/zoo/mlp-pruned" + arch + lossy +
                      " --data fashion-mnist:1 --protect none --out " + out + "/run",
                  out + "/run.log") == 0);
  CHECK(slurp(out + "/run.log").find(want) != std::string::npos);
  // A lossless ADC says nothing.
  REQUIRE(
      run_cli("map --model " + src + "/models/zoo/mlp-pruned" + arch + " --out " + out + "/quiet",
              out + "/quiet.log") == 0);
  CHECK(slurp(out + "/quiet.log").find("lossy ADC") == std::string::npos);
}

TEST_CASE("rramft --version prints the project version and the commit", "[cli][version]") {
  const std::string out = rramft::test::fresh_dir("cli", "version");
  REQUIRE(run_cli("--version", out + "/version.log") == 0);
  const std::string got = slurp(out + "/version.log");
  // The version as the top-level CMakeLists.txt declares it, read here from the file.
  const std::string cml = slurp(src + "/CMakeLists.txt");
  const size_t at = cml.find("VERSION ", cml.find("project(rramft"));
  REQUIRE(at != std::string::npos);
  const std::string version = cml.substr(at + 8, cml.find_first_of(" )", at + 8) - at - 8);
  INFO(got);
  CHECK(got.rfind("rramft " + version, 0) == 0);
  CHECK(std::count(got.begin(), got.end(), '\n') == 1);
  const size_t git = got.find(" (git ");
  if (git != std::string::npos) {
    // 12 hex digits, "-dirty" when the tree differed from the commit at configure time.
    const std::string id = got.substr(git + 6, got.find(')', git) - git - 6);
    CHECK((id.size() == 12 || id == id.substr(0, 12) + "-dirty"));
    CHECK(id.find_first_not_of("0123456789abcdef") >= 12);
  }
}

TEST_CASE("every command's --help marks its required options", "[cli][help]") {
  const std::string out = rramft::test::fresh_dir("cli", "help");
  const std::map<std::string, std::vector<std::string>> required = {
      {"map", {"--model", "--arch", "--out"}},
      {"eval", {"--model", "--arch", "--out"}},  // --rates: unless the chip has a fault map
      {"infer", {"--model", "--arch", "--data", "--out"}},
      {"run", {"--model", "--arch", "--out"}}};
  for (const auto& [cmd, names] : required) {
    REQUIRE(run_cli(cmd + " --help", out + "/" + cmd + ".log") == 0);
    std::istringstream help(slurp(out + "/" + cmd + ".log"));
    int marked = 0;
    for (std::string line; std::getline(help, line);) {
      if (line.rfind("  --", 0) != 0) continue;
      const std::string name = line.substr(2, line.find(' ', 2) - 2);
      const bool must = std::find(names.begin(), names.end(), name) != names.end();
      INFO(cmd << ": " << line);
      CHECK((line.find("(required)") != std::string::npos) == must);
      marked += must;
    }
    CHECK(marked == int(names.size()));
  }
}
