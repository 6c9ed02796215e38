#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "apps/output.h"
#include "core/error.h"

namespace {
std::string outdir(const std::string& name) {
  const std::string d = std::string(RRAMFT_BINARY_DIR) + "/tests/cli/" + name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}
}  // namespace

TEST_CASE("write_atomically leaves the whole file or nothing", "[output][bad-input]") {
  const std::string d = outdir("atomic");
  const std::string path = d + "/result.json";
  rramft::app::write_atomically(path, [](std::ostream& o) { o << "first\n"; });
  // A writer that fails half-way: the old file stays as it was and no temporary is left.
  CHECK_THROWS_AS(rramft::app::write_atomically(path,
                                                [](std::ostream& o) {
                                                  o << "half of a new fi";
                                                  throw std::runtime_error("writer died");
                                                }),
                  std::runtime_error);
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  CHECK(line == "first");
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  // A name that cannot be replaced (a folder of that name): a one-line error, no temporary.
  std::filesystem::create_directories(d + "/taken.json");
  CHECK_THROWS_WITH(
      rramft::app::write_atomically(d + "/taken.json", [](std::ostream& o) { o << "x"; }),
      Catch::Contains("taken.json: cannot rename into place"));
  CHECK_FALSE(std::filesystem::exists(d + "/taken.json.tmp"));
}
