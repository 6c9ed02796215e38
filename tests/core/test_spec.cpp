#include <catch2/catch.hpp>
#include <fstream>

#include "core/error.h"
#include "core/spec.h"
#include "io/arch_file.h"
#include "io/text.h"

using namespace rramft;

namespace {
const std::string default_yaml = std::string(RRAMFT_SOURCE_DIR) + "/configs/default.yaml";

std::string write_tmp(const std::string& name, const std::string& text) {
  const std::string p = std::string(RRAMFT_BINARY_DIR) + "/" + name;
  std::ofstream(p) << text;
  return p;
}
}  // namespace

TEST_CASE("the shipped default architecture parses to the documented defaults", "[spec]") {
  arch_spec a = load_arch(default_yaml);
  CHECK(a.crossbar.rows == 128);
  CHECK(a.crossbar.cols == 128);
  CHECK(a.weight_bits == 8);
  CHECK(a.weight_slices() == 7);
  CHECK(a.protection.scheme == scheme::vote);
  CHECK(a.protection.candidates == 3);
  CHECK(a.fault.sa0_fraction() == Approx(1.75 / 10.79));
  CHECK(a.adc_lossless());
}

TEST_CASE("overrides (--set) reach any schema key and round-trips through to_yaml", "[spec]") {
  full_spec a = load_arch(default_yaml, {"adc.bits=6", "crossbar.rows=256", "fault.scope=msb",
                                         "protection.scheme=tmr", "fault.sa0_to_sa1=1:1"});
  CHECK(a.adc.bits == 6);
  CHECK(a.crossbar.rows == 256);
  CHECK(a.fault.scope == fault_scope::msb);
  CHECK(a.copies() == 3);
  CHECK(a.protected_slices() == 7);
  CHECK(a.fault.sa0_fraction() == Approx(0.5));
  CHECK_FALSE(a.adc_lossless());
  full_spec b = full_spec::parse(a.to_yaml(), "roundtrip");
  CHECK(YAML::Dump(b.to_yaml()) == YAML::Dump(a.to_yaml()));
}

TEST_CASE("bad architecture input gets one line naming the key", "[spec][bad-input]") {
  auto fails = [](const std::vector<std::string>& sets, const std::string& needle) {
    INFO(needle);
    CHECK_THROWS_WITH(load_arch(default_yaml, sets), Catch::Contains(needle));
  };
  fails({"protection.candidates=4"}, "'protection.candidates': T = 4 is even");
  fails({"crossbar.rows=0"}, "'crossbar.rows': 0 is out of range");
  fails({"crossbar.cols=-8"}, "'crossbar.cols': -8 is out of range");
  fails({"cell_bits=5"}, "'cell_bits': 5 is out of range");
  fails({"adc.bits=0"}, "'adc.bits'");
  fails({"adc.bits=abc"}, "'adc.bits': expected an integer, got 'abc'");
  fails({"adc.bits=3.5"}, "'adc.bits': expected an integer");
  fails({"protection.flip=maybe"}, "'protection.flip': expected true or false");
  fails({"protection.scheme=ecc"}, "'ecc' is not one of none | vote | tmr");
  fails({"fault.rate=1.5"}, "'fault.rate'");
  fails({"fault.sa0_to_sa1=1:x"}, "'fault.sa0_to_sa1'");
  fails({"adc.bitz=3"}, "--set: unknown key 'adc.bitz' (did you mean adc.bits?)");
  fails({"crossbar.row=3"}, "(did you mean crossbar.rows?)");
  fails({"rows=3"}, "--set: unknown key 'rows' (did you mean crossbar.rows?)");
  fails({"adc.bits"}, "expected key=value");
  fails({"crossbar.cols=8"}, "'crossbar.cols': 8 columns cannot hold");

  const std::string typo = write_tmp("typo.yaml", "crossbar:\n  rowz: 64\n");
  CHECK_THROWS_WITH(load_arch(typo),
                    Catch::Contains("typo.yaml: unknown key 'crossbar.rowz' (did you mean "
                                    "crossbar.rows?)"));
  const std::string wrong = write_tmp("wrong.yaml", "crossbar: 7\n");
  CHECK_THROWS_WITH(load_arch(wrong), Catch::Contains("wrong.yaml: unknown key 'crossbar'"));
  const std::string broken = write_tmp("broken.yaml", "crossbar: [1, 2\n");
  CHECK_THROWS_WITH(load_arch(broken), Catch::Contains("broken.yaml: invalid YAML"));
  CHECK_THROWS_WITH(load_arch("/nonexistent.yaml"),
                    Catch::Contains("/nonexistent.yaml: cannot open"));
  const std::string list = write_tmp("list.yaml", "- 1\n- 2\n");
  CHECK_THROWS_WITH(load_arch(list), Catch::Contains("list.yaml: expected a mapping"));
}

TEST_CASE("text checks name the first byte that is not UTF-8 or a forbidden control character",
          "[spec][text]") {
  // Well-formed: ASCII, 2-, 3- and 4-byte forms at the edges of Unicode's Table 3-7.
  for (const std::string ok :
       {"plain", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80",
        "\xef\xbf\xbf", "\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "tab\tand\r\nlines"}) {
    CHECK(invalid_utf8_at(ok) == std::string::npos);
    CHECK(control_char_at(ok) == std::string::npos);
    CHECK_NOTHROW(require_text(ok, "f.yaml"));
  }
  // Ill-formed, each after a 2-byte prefix "ab": the index is that of the offending lead byte.
  for (const std::string bad :
       {"\x80", "\xc0\xaf", "\xc1\xbf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xe2\x82", "\xc3"}) {
    CHECK(invalid_utf8_at("ab" + bad) == 2);
    CHECK_THROWS_WITH(require_text("ab" + bad, "f.yaml"),
                      Catch::Matchers::StartsWith("f.yaml: not UTF-8 text (byte 2 is 0x"));
  }
  CHECK(control_char_at(std::string("ab\0c", 4)) == 2);
  CHECK(control_char_at("ab\x7f") == 2);
  CHECK_THROWS_WITH(require_text(std::string("ab\0c", 4), "f.yaml"),
                    "f.yaml: not text (byte 2 is the control character 0x00)");
}

TEST_CASE("did you mean: the nearest name within a third of the word's edits", "[spec][hint]") {
  const std::vector<std::string> opts{"--rates", "--trials", "--protect", "--set", "--set-from"};
  CHECK(rramft::error::did_you_mean("--rate", opts) == " (did you mean --rates?)");
  CHECK(rramft::error::did_you_mean("--trails", opts) == " (did you mean --trials?)");  // swap
  CHECK(rramft::error::did_you_mean("--prot", opts) == " (did you mean --protect?)");   // prefix
  CHECK(rramft::error::did_you_mean("--sets", opts) == " (did you mean --set?)");
  CHECK(rramft::error::did_you_mean("--colour", opts).empty());
  CHECK(rramft::error::did_you_mean("--rates", opts).empty());  // not unknown
  CHECK(rramft::arch_key_hint("adc.bit") == " (did you mean adc.bits?)");
  CHECK(rramft::arch_key_hint("weight_bit") == " (did you mean weight_bits?)");
  CHECK(rramft::arch_key_hint("frobnicate").empty());
}
