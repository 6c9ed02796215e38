#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/error.h"
#include "core/output.h"
#include "tests/support.h"

namespace {
std::string outdir(const std::string& name) { return rramft::test::fresh_dir("core", name); }
}  // namespace

TEST_CASE("write_atomically leaves the whole file or nothing", "[output][bad-input]") {
  const std::string d = outdir("atomic");
  const std::string path = d + "/result.json";
  rramft::write_atomically(path, [](std::ostream& o) { o << "first\n"; });
  // A writer that fails half-way: the old file stays as it was and no temporary is left.
  CHECK_THROWS_AS(rramft::write_atomically(path,
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
  CHECK_THROWS_WITH(rramft::write_atomically(d + "/taken.json", [](std::ostream& o) { o << "x"; }),
                    Catch::Contains("taken.json: cannot rename into place"));
  CHECK_FALSE(std::filesystem::exists(d + "/taken.json.tmp"));
}

TEST_CASE(
    "gnuplot_quoted doubles quotes, render_gnuplot draws or warns and never leaves half a picture",
    "[output]") {
  CHECK(rramft::gnuplot_quoted("a'b") == "'a''b'");
  CHECK(rramft::gnuplot_quoted("") == "''");
  // A folder whose name has a quote and a space: the script and the picture names survive both
  // the shell and gnuplot's quoting.
  const std::string d = outdir("it's plots");
  const std::string png = d + "/p.png";
  rramft::write_atomically(d + "/ok.gp", "set terminal pngcairo size 200,100\nset output " +
                                             rramft::gnuplot_quoted(png + ".tmp") +
                                             "\nplot x title " + rramft::gnuplot_quoted("it's") +
                                             " lc rgb '" + rramft::plot_colours[0] + "'\n");
  const bool have_gnuplot = std::system("gnuplot --version > /dev/null 2>&1") == 0;
  CHECK(rramft::render_gnuplot(d + "/ok.gp", png) == have_gnuplot);
  CHECK(std::filesystem::exists(png) == have_gnuplot);
  CHECK_FALSE(std::filesystem::exists(png + ".tmp"));
  if (have_gnuplot) {
    std::ifstream f(png, std::ios::binary);
    char magic[4] = {};
    f.read(magic, 4);
    CHECK(std::string(magic + 1, 3) == "PNG");
  }
  // A script that fails half-way after opening its output: false, no picture, no temporary.
  const std::string bad = d + "/bad.png";
  rramft::write_atomically(d + "/bad.gp", "set terminal pngcairo\nset output " +
                                              rramft::gnuplot_quoted(bad + ".tmp") +
                                              "\nplot 'no such file.csv' using 1:2\n");
  CHECK_FALSE(rramft::render_gnuplot(d + "/bad.gp", bad));
  CHECK_FALSE(std::filesystem::exists(bad));
  CHECK_FALSE(std::filesystem::exists(bad + ".tmp"));
}
