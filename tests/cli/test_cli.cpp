#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/spec.h"
#include "mapping/mapping.h"

namespace {
const std::string src = RRAMFT_SOURCE_DIR;
const std::string exe = RRAMFT_EXE;

int run_cli(const std::string& args, const std::string& log) {
  return std::system((exe + " " + args + " > " + log + " 2>&1").c_str());
}
std::string slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
std::string tmpdir(const std::string& name) {
  const std::string d = std::string(RRAMFT_BINARY_DIR) + "/tests/cli/" + name;
  std::filesystem::remove_all(d);
  return d;
}
}  // namespace

TEST_CASE("rramft map writes what the library computes", "[cli][map]") {
  const std::string out = tmpdir("map_pruned");
  REQUIRE(run_cli("map --model " + src + "/models/zoo/mlp-pruned --arch " + src +
                      "/configs/default.yaml --set fault.rate=0.001 --out " + out,
                  out + ".log") == 0);
  const auto j = nlohmann::json::parse(slurp(out + "/mapping.json"));
  // The same mapping through the library, from the arch the run wrote next to its result.
  const auto arch = rramft::arch_spec::load(out + "/arch.yaml");
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
