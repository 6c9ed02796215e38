// The settings a picture's title names: the keys that differ from the defaults, and nothing else.
#include <algorithm>
#include <catch2/catch.hpp>

#include "io/settings.h"

using namespace rramft;

TEST_CASE("non_default_settings names exactly the keys that differ", "[settings]") {
  const full_spec defaults;
  CHECK(non_default_settings(defaults).empty());
  CHECK(settings_lines(defaults) == std::vector<std::string>{"settings: all defaults"});

  full_spec a;
  a.crossbar.rows = 256;
  a.adc.bits = 6;
  a.fault.scope = fault_scope::msb;
  const auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  CHECK(sorted(non_default_settings(a)) ==
        std::vector<std::string>{"adc.bits=6", "crossbar.rows=256", "fault.scope=msb"});
  // Keys a picture shows on an axis or in its legend are left out.
  CHECK(sorted(non_default_settings(a, {"adc.bits"})) ==
        std::vector<std::string>{"crossbar.rows=256", "fault.scope=msb"});
  // The energy table is held as an absolute path once read: the default table next to any arch
  // file is the default, another table is not.
  full_spec e;
  e.energy_table = "/some/configs/ert/isaac.yaml";
  CHECK(non_default_settings(e).empty());
  e.energy_table = "/some/configs/ert/other.yaml";
  CHECK(non_default_settings(e) ==
        std::vector<std::string>{"energy_table=/some/configs/ert/other.yaml"});
  e.energy_table = "/some/configs/xert/isaac.yaml";
  CHECK(non_default_settings(e).size() == 1);
  // Lines never exceed the width when every item fits in one.
  a.clock_mhz = 1234.5;
  a.seed = 99;
  const std::vector<std::string> lines = settings_lines(a, {}, 32);
  CHECK(lines.size() >= 3);
  for (const std::string& l : lines) CHECK(l.size() <= 32);
}
