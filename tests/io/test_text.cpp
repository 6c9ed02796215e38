#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "io/text.h"
#include "tests/support.h"

using Catch::Contains;
using rramft::parse_json;
using rramft::parse_yaml;
using rramft::read_file;

TEST_CASE("inputs must be regular files: refused at once, never read or waited on",
          "[text][bad-input]") {
  const std::string d = rramft::test::fresh_dir("core", "inputs");
  // A FIFO nobody writes to: opening it for reading would block forever.
  const std::string fifo = d + "/arch.yaml";
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(
      read_file(fifo, "architecture file"),
      Contains("arch.yaml: the architecture file must be a regular file") && Contains("FIFO"));
  CHECK_THROWS_WITH(read_file(d, "architecture file"), Contains("this is a directory"));
  // An endless device: refused before a byte is read.
  CHECK_THROWS_WITH(read_file("/dev/zero", "YAML fragment"),
                    Contains("/dev/zero: the YAML fragment must be a regular file") &&
                        Contains("character device"));
  CHECK_THROWS_WITH(read_file(d + "/missing.yaml", "energy table"),
                    Contains("missing.yaml: cannot open the energy table: No such file"));
  // A symlink to a regular file is the file.
  std::ofstream(d + "/real.yaml") << "a: 1\n";
  std::filesystem::create_symlink(d + "/real.yaml", d + "/link.yaml");
  CHECK(read_file(d + "/link.yaml", "x") == "a: 1\n");
  // The size limit is checked before reading.
  std::ofstream(d + "/big.yaml") << std::string(1000, '#');
  CHECK_THROWS_WITH(read_file(d + "/big.yaml", "grid file", 999),
                    Contains("big.yaml: the grid file is 1000 bytes, more than the limit of 999"));
  CHECK(read_file(d + "/big.yaml", "grid file", 1000).size() == 1000);
}

TEST_CASE("YAML: a key given twice is refused with both lines, at any depth", "[text][bad-input]") {
  CHECK_THROWS_WITH(parse_yaml("adc:\n  bits: 6\n  share: 8\n  bits: 4\n", "a.yaml"),
                    Contains("a.yaml: key 'adc.bits' appears twice (lines 2 and 4)"));
  CHECK_THROWS_WITH(parse_yaml("seed: 1\nclock_mhz: 5\nseed: 2\n", "a.yaml"),
                    Contains("key 'seed' appears twice (lines 1 and 3)"));
  // Flow style, quoting, and a mapping inside a list.
  CHECK_THROWS_WITH(parse_yaml("actions: {dac.drive: {pj: 1}, 'dac.drive': {pj: 2}}\n", "e.yaml"),
                    Contains("key 'actions.dac.drive' appears twice"));
  CHECK_THROWS_WITH(parse_yaml("zip:\n  - {a: [1], b: [2], a: [3]}\n", "g.yaml"),
                    Contains("key 'zip.a' appears twice"));
  // Different mappings may use the same key; a list may repeat values.
  CHECK_NOTHROW(parse_yaml("a: {x: 1}\nb: {x: 1}\nc: [1, 1]\n", "ok.yaml"));
  // A second document would be ignored by YAML::Load.
  CHECK_THROWS_WITH(parse_yaml("a: 1\n---\na: 2\n", "two.yaml"),
                    Contains("two.yaml: holds more than one YAML document (a second one starts "
                             "at line 2)"));
  // What the tree keeps when not refused: the first of two (why it must be refused).
  const YAML::Node n = YAML::Load("a: 1\na: 2\n");
  CHECK(n["a"].as<int>() == 1);
}

TEST_CASE("JSON: a key given twice is refused with both places, at any depth",
          "[text][bad-input]") {
  CHECK_THROWS_WITH(parse_json("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}", "config.json"),
                    Contains("config.json: key 'a' appears twice (line 1, column 2 and line 3, "
                             "column 2)"));
  // A header on one line: columns tell them apart.
  CHECK_THROWS_WITH(parse_json(R"({"w":{"dtype":"F32"},"v":1,"w":{"dtype":"F16"}})", "h"),
                    Contains("key 'w' appears twice (line 1, column 2 and line 1, column 28)"));
  CHECK_THROWS_WITH(parse_json(R"({"t":{"dtype":"F32","shape":[1],"dtype":"F16"}})", "h"),
                    Contains("key 't.dtype' appears twice"));
  // Escapes: the same key spelled two ways is the same key.
  CHECK_THROWS_WITH(parse_json(R"({"a\"b":1,"a\u0022b":2})", "h"),
                    Contains("key 'a\"b' appears twice"));
  CHECK_NOTHROW(parse_json(R"({"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":1}]})", "ok"));
  CHECK_THROWS_WITH(parse_json("{\"a\": ", "c.json"), Contains("c.json: invalid JSON"));
  const auto j = parse_json(R"({"a":[1,2,{"b":null}],"c":"d"})", "ok");
  CHECK(j.dump() == R"({"a":[1,2,{"b":null}],"c":"d"})");
}
