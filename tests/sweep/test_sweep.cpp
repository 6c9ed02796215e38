#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "tests/support.h"

namespace fs = std::filesystem;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;
const std::string exe = RRAMFT_EXE;

using rramft::test::slurp;
std::string tmpdir(const std::string& name) { return rramft::test::fresh_dir("sweep", name); }
int sh(const std::string& cmd, const std::string& log) {
  return rramft::test::run_logged(cmd, log);
}
/// A grid for mlp-pruned on a few images, with @p body appended.
std::string write_grid(const std::string& dir, const std::string& body) {
  const std::string g = dir + "/grid.yaml";
  std::ofstream(g) << "model: " << src << "/models/zoo/mlp-pruned\narch: " << src
                   << "/configs/default.yaml\n"
                   << body;
  return g;
}
/// results.csv as rows of column -> text.
std::vector<std::map<std::string, std::string>> read_csv(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::vector<std::string> head;
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::string cell;
    bool q = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (q && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        q = !q;
      } else if (c == ',' && !q) {
        cells.push_back(cell);
        cell.clear();
      } else {
        cell += c;
      }
    }
    cells.push_back(cell);
    if (head.empty()) {
      head = cells;
      continue;
    }
    REQUIRE(cells.size() == head.size());
    std::map<std::string, std::string> r;
    for (size_t i = 0; i < head.size(); ++i) r[head[i]] = cells[i];
    rows.push_back(r);
  }
  return rows;
}
double num(const std::map<std::string, std::string>& row, const std::string& col) {
  INFO(col);
  REQUIRE(row.count(col));
  REQUIRE(!row.at(col).empty());
  return std::stod(row.at(col));
}
size_t finished_points(const std::string& out) {
  size_t n = 0;
  if (fs::exists(out + "/points"))
    for (const auto& d : fs::directory_iterator(out + "/points"))
      n += fs::exists(d.path() / "point.json");
  return n;
}
}  // namespace

TEST_CASE("a sweep's rows equal rramft eval and rramft run of the same point", "[sweep][cli]") {
  const std::string dir = tmpdir("oracle"), out = dir + "/out";
  const std::string grid = write_grid(
      dir,
      "eval: {data: 'fashion-mnist:60', rates: [0.2, 0.02], trials: 2, protect: [none, vote]}\n"
      "run: {data: 'fashion-mnist:1'}\n"
      "sweep:\n  crossbar.rows: [128, 256]\n  adc.bits: [9, 10]\n");
  REQUIRE(sh(exe + " sweep --grid " + grid + " --out " + out, dir + "/sweep.log") == 0);
  const auto rows = read_csv(out + "/results.csv");
  REQUIRE(rows.size() == 4);
  const auto& r = rows[2];  // crossbar.rows=256, adc.bits=9 (the last key runs fastest)
  CHECK(r.at("point") == "2");
  CHECK(r.at("status") == "ok");
  CHECK(r.at("crossbar.rows") == "256");
  CHECK(r.at("adc.bits") == "9");
  // The oracles: the same point through the two commands, by hand.
  const std::string sets = " --set crossbar.rows=256 --set adc.bits=9";
  REQUIRE(sh(exe + " eval --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                 "/configs/default.yaml --data fashion-mnist:60 --rates 0.02,0.2 --trials 2 "
                 "--protect none,vote" +
                 sets + " --out " + dir + "/eval",
             dir + "/eval.log") == 0);
  const auto ev = nlohmann::json::parse(slurp(dir + "/eval/accuracy.json"));
  const auto mine = nlohmann::json::parse(slurp(out + "/points/000002/accuracy.json"));
  CHECK(mine["points"] == ev["points"]);
  CHECK(mine["schemes"] == ev["schemes"]);
  CHECK(mine["float_accuracy"] == ev["float_accuracy"]);
  for (const auto& p : ev["points"]) {
    const std::string s = p["protect"], at = p["rate"] == 0.2 ? "@0.2" : "@0.02";
    double mean = 0;
    for (double a : p["accuracies"]) mean += a / 2;
    CHECK(num(r, s + ".acc_mean" + at) == Approx(mean).epsilon(1e-9));
  }
  for (const char* s : {"none", "vote"}) {
    REQUIRE(sh(exe + " run --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                   "/configs/default.yaml --data fashion-mnist:1 --protect " + s + sets +
                   " --out " + dir + "/run-" + s,
               dir + "/run.log") == 0);
    const auto rep = nlohmann::json::parse(slurp(dir + "/run-" + s + "/report.json"));
    const std::string c = s;
    const double lat = rep["latency_ns_per_image"];
    CHECK(num(r, c + ".latency_ns_per_image") == Approx(lat).epsilon(1e-9));
    CHECK(num(r, c + ".cycles_per_image") == Approx(double(rep["cycles"])).epsilon(1e-9));
    CHECK(num(r, c + ".energy_pj_per_image") ==
          Approx(double(rep["energy_pj"]["total"])).epsilon(1e-9));
    CHECK(num(r, c + ".energy_pj_per_image.adc") ==
          Approx(double(rep["energy_pj"]["by_component"]["adc"])).epsilon(1e-9));
    CHECK(num(r, c + ".area_mm2") == Approx(double(rep["area_mm2"]["total"])).epsilon(1e-9));
    // SAVE's AccurateLatency: latency x (1 + error rate), error rate = 1 - accuracy.
    const double acc = num(r, c + ".acc_mean@0.2");
    CHECK(num(r, c + ".accurate_latency_ns@0.2") == Approx(lat * (1 + (1 - acc))).epsilon(1e-9));
  }
  for (const char* f : {"accuracy_vs_rate.png", "energy_accuracy.png", "heatmap.png", "pareto.csv",
                        "timings.csv", "progress.json"})
    CHECK(fs::exists(out + "/" + f));
  const auto prog = nlohmann::json::parse(slurp(out + "/progress.json"));
  CHECK(prog["done"] == 4);
  CHECK(prog["failed"] == 0);
}

TEST_CASE("a point that fails mid-sweep becomes a failed row and the sweep goes on",
          "[sweep][cli]") {
  const std::string dir = tmpdir("failing"), out = dir + "/out";
  // 2048-row crossbars: one input vector no longer fits a 1 KiB tile buffer, which only the
  // chip model finds out (when it elaborates).
  const std::string grid =
      write_grid(dir,
                 "set: {crossbar.rows: 2048, adc.bits: 12}\n"
                 "eval: {data: 'fashion-mnist:20', rates: [0.01], trials: 1, protect: [vote]}\n"
                 "run: {data: 'fashion-mnist:1'}\n"
                 "sweep: {buffer.tile_kib: [1, 64]}\n");
  REQUIRE(sh(exe + " sweep --grid " + grid + " --out " + out, dir + "/sweep.log") == 0);
  const auto rows = read_csv(out + "/results.csv");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].at("status") == "failed");
  CHECK(rows[0].at("error").find("1 KiB cannot hold one vector") != std::string::npos);
  CHECK(rows[0].at("vote.fault_free").empty());
  CHECK(rows[1].at("status") == "ok");
  CHECK(rows[1].at("error").empty());
  CHECK(slurp(dir + "/sweep.log").find("1 points failed") != std::string::npos);
}

TEST_CASE("serial, mpirun -np 2 and killed-and-resumed sweeps write the same results.csv",
          "[sweep][cli][mpi]") {
  const std::string dir = tmpdir("same");
  const std::string grid =
      write_grid(dir,
                 "eval: {data: 'fashion-mnist:30', rates: [0.05, 0.2], trials: 2}\n"
                 "run: {data: 'fashion-mnist:1'}\n"
                 "sweep:\n  seed: [1, 2]\n  crossbar.cols: [64, 128]\n");
  const std::string serial = dir + "/serial";
  REQUIRE(sh(exe + " sweep --grid " + grid + " --out " + serial, dir + "/serial.log") == 0);
  const std::string want = slurp(serial + "/results.csv");
  REQUIRE(read_csv(serial + "/results.csv").size() == 4);

  {  // mpirun -np 2
    const std::string out = dir + "/mpi";
    // Open MPI leaves allocations in components it has unloaded by then, which LeakSanitizer
    // cannot name (so no suppression matches them): leak checks are off for this run alone in
    // a sanitizer build; every other check stays on (ASAN_OPTIONS adds to the built-in options).
    REQUIRE(sh("ASAN_OPTIONS=detect_leaks=0 OMPI_ALLOW_RUN_AS_ROOT=1 "
               "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
               "OMPI_MCA_btl_vader_single_copy_mechanism=none mpirun "
               "--oversubscribe -np 2 " +
                   exe + " sweep --grid " + grid + " --out " + out,
               dir + "/mpi.log") == 0);
    CHECK(slurp(out + "/results.csv") == want);
    // Both ranks worked (timings.csv: session,point,task,rank,...).
    std::set<std::string> ranks;
    std::ifstream t(out + "/timings.csv");
    std::string line;
    std::getline(t, line);
    while (std::getline(t, line)) {
      std::stringstream ss(line);
      std::string f;
      for (int i = 0; i < 4; ++i) std::getline(ss, f, ',');
      ranks.insert(f);
    }
    CHECK(ranks == std::set<std::string>{"0", "1"});
  }

  {  // kill -9, then the same command again
    const std::string out = dir + "/killed";
    const std::string log = dir + "/killed.log";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    std::vector<std::string> args{exe, "sweep", "--grid", grid, "--out", out};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    REQUIRE(posix_spawn(&pid, exe.c_str(), &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    const auto t0 = std::chrono::steady_clock::now();
    while (finished_points(out) < 1 &&
           std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    const size_t before = finished_points(out);
    REQUIRE(before >= 1);
    REQUIRE(before < 4);  // killed mid-way, or the test proves nothing
    std::map<std::string, fs::file_time_type> kept;
    for (const auto& d : fs::directory_iterator(out + "/points"))
      if (fs::exists(d.path() / "point.json"))
        kept[d.path().string()] = fs::last_write_time(d.path() / "point.json");
    REQUIRE(sh(exe + " sweep --grid " + grid + " --out " + out, dir + "/resumed.log") == 0);
    CHECK(slurp(out + "/results.csv") == want);
    CHECK(slurp(dir + "/resumed.log").find("already finished") != std::string::npos);
    for (const auto& [p, t] : kept) CHECK(fs::last_write_time(p + "/point.json") == t);
  }
}

TEST_CASE("a sweep folder refuses another grid", "[sweep][cli]") {
  const std::string dir = tmpdir("other"), out = dir + "/out";
  std::string grid = write_grid(
      dir, "eval: {data: 'fashion-mnist:10', rates: [0.01], trials: 1}\nrun: {enabled: false}\n");
  REQUIRE(sh(exe + " sweep --grid " + grid + " --out " + out, dir + "/a.log") == 0);
  grid = write_grid(
      dir, "eval: {data: 'fashion-mnist:10', rates: [0.02], trials: 1}\nrun: {enabled: false}\n");
  CHECK(sh(exe + " sweep --grid " + grid + " --out " + out, dir + "/b.log") != 0);
  CHECK(slurp(dir + "/b.log").find("holds a sweep of another grid") != std::string::npos);
}
