#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "core/error.h"
#include "io/output.h"
#include "tests/support.h"

namespace {
std::string outdir(const std::string& name) { return rramft::test::fresh_dir("core", name); }

/// Every entry of @p dir (files, folders, links; hidden ones too).
std::set<std::string> entries(const std::string& dir) {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    out.insert(e.path().filename().string());
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}
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
  CHECK(slurp(path) == "first\n");
  CHECK(entries(d) == std::set<std::string>{"result.json"});
  // A name that cannot be replaced (a folder of that name): a one-line error, no temporary.
  std::filesystem::create_directories(d + "/taken.json");
  CHECK_THROWS_WITH(rramft::write_atomically(d + "/taken.json", [](std::ostream& o) { o << "x"; }),
                    Catch::Contains("taken.json: is a directory"));
  CHECK(entries(d) == std::set<std::string>{"result.json", "taken.json"});
}

TEST_CASE("write_atomically never writes through a planted symlink", "[output][bad-input]") {
  const std::string d = outdir("symlink");
  const std::string victim = d + "/victim.txt";
  rramft::write_atomically(victim, "precious\n");
  // The old fixed temporary name, and the result's own name, planted as links to the victim.
  std::filesystem::create_symlink(victim, d + "/mapping.json.tmp");
  std::filesystem::create_symlink(victim, d + "/mapping.json");
  rramft::write_atomically(d + "/mapping.json", "result\n");
  CHECK(slurp(victim) == "precious\n");
  CHECK_FALSE(std::filesystem::is_symlink(d + "/mapping.json"));  // the link was replaced
  CHECK(slurp(d + "/mapping.json") == "result\n");
}

TEST_CASE("result_set commits all its files together, or none", "[output][bad-input]") {
  const std::string d = outdir("result_set");
  {
    rramft::result_set out(d);
    out.write("a.json", "old a\n");
    out.write("b.csv", "old b\n");
    out.write("extra.png", "old picture\n");
    out.commit();
  }
  CHECK(entries(d) == std::set<std::string>{"a.json", "b.csv", "extra.png"});
  {
    // A run that fails after writing its first file changes nothing.
    rramft::result_set out(d);
    out.write("a.json", "new a\n");
    CHECK_THROWS(out.write("b.csv", [](std::ostream& o) {
      o << "half";
      throw rramft::error("the writer failed");
    }));
  }
  CHECK(entries(d) == std::set<std::string>{"a.json", "b.csv", "extra.png"});
  CHECK(slurp(d + "/a.json") == "old a\n");
  {
    // A run without the optional picture: the old one does not stay beside the new files.
    rramft::result_set out(d);
    out.write("a.json", "new a\n");
    out.write("b.csv", "new b\n");
    out.drop("extra.png");
    // Nothing is visible before commit.
    CHECK(slurp(d + "/a.json") == "old a\n");
    out.commit();
  }
  CHECK(entries(d) == std::set<std::string>{"a.json", "b.csv"});
  CHECK(slurp(d + "/b.csv") == "new b\n");
  // A file a library writes by name (a VCD writer) is committed with the rest.
  {
    rramft::result_set out(d);
    std::ofstream(out.staged("waves.vcd")) << "$end\n";
    out.write("a.json", "third a\n");
    out.commit();
  }
  CHECK(slurp(d + "/waves.vcd") == "$end\n");
  // Staged but never written: nothing, and an old one goes.
  {
    rramft::result_set out(d);
    out.staged("waves.vcd");
    out.commit();
  }
  CHECK_FALSE(std::filesystem::exists(d + "/waves.vcd"));
}

TEST_CASE("an output folder is locked for one run at a time", "[output][bad-input]") {
  const std::string d = outdir("lock") + "/out";
  {
    rramft::output_lock first(d);
    CHECK(std::filesystem::is_directory(d));
    // flock locks belong to the open file: a second lock in this process is refused as well.
    CHECK_THROWS_WITH(rramft::output_lock(d),
                      Catch::Contains("another rramft run is writing this folder"));
  }
  // Released with its holder; the folder the first lock created, still empty, went with it.
  CHECK_FALSE(std::filesystem::exists(d));
  {
    rramft::output_lock again(d);
    rramft::result_set out(d);
    out.write("r.txt", "x\n");
    out.commit();
  }
  CHECK(std::filesystem::exists(d + "/r.txt"));  // not removed: it holds results
}

TEST_CASE("gnuplot_quoted doubles quotes; result_set::plot draws or warns, never half a picture",
          "[output]") {
  CHECK(rramft::gnuplot_quoted("a'b") == "'a''b'");
  CHECK(rramft::gnuplot_quoted("") == "''");
  // A folder whose name has a quote and a space: gnuplot runs in the staging folder on
  // relative names, so the folder's name never enters a script.
  const std::string d = outdir("it's plots");
  const bool have_gnuplot = std::system("gnuplot --version > /dev/null 2>&1") == 0;
  {
    rramft::result_set out(d);
    out.write("data.csv", "1,2\n2,4\n");
    CHECK(out.plot("ok.gp", "p.png",
                   "set terminal pngcairo size 200,100\n" + rramft::gnuplot_output("p.png") +
                       "set datafile separator ','\nplot 'data.csv' using 1:2 title " +
                       rramft::gnuplot_quoted("it's") + " lc rgb '" + rramft::plot_colours[0] +
                       "'\n") == have_gnuplot);
    out.commit();
  }
  CHECK(std::filesystem::exists(d + "/p.png") == have_gnuplot);
  if (have_gnuplot) {
    std::ifstream f(d + "/p.png", std::ios::binary);
    char magic[4] = {};
    f.read(magic, 4);
    CHECK(std::string(magic + 1, 3) == "PNG");
  }
  // A script that fails half-way after opening its output: false, no picture, and the old
  // picture of that name goes (it would not match the new data).
  {
    rramft::result_set out(d);
    CHECK_FALSE(out.plot("bad.gp", "p.png",
                         "set terminal pngcairo\n" + rramft::gnuplot_output("p.png") +
                             "plot 'no such file.csv' using 1:2\n"));
    out.commit();
  }
  CHECK_FALSE(std::filesystem::exists(d + "/p.png"));
  for (const auto& e : entries(d)) CHECK(e.rfind(".rramft-", 0) != 0);  // no staging left
}
