/// @file fuzz_ert.cpp
/// @brief The energy/area reference table (energy/ert.cpp), priced on the default chip.
#include <cmath>

#include "energy/ert.h"
#include "fuzz/fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rramft;
  const std::string text(reinterpret_cast<const char*>(data), size);
  energy::table t;
  if (!fuzz::accepts([&] { t = energy::table::parse_text(text, "fuzz.yaml"); })) return 0;
  // A second price of the same action would silently replace the first.
  fuzz::require(!fuzz::yaml_has_duplicate_key(text), "a table with a duplicate key was accepted");
  static const full_spec arch;
  for (const auto& [name, price] : t.actions())
    fuzz::accepts(
        [&, n = name] { fuzz::require(std::isfinite(t.energy_pj(n, arch)), "non-finite energy"); });
  for (const auto& [name, cost] : t.components())
    fuzz::accepts([&, n = name] {
      fuzz::require(std::isfinite(t.area_mm2(n, arch)) && std::isfinite(t.leakage_mw(n, arch)) &&
                        std::isfinite(t.power_mw(n, arch)),
                    "non-finite area, leakage or power");
    });
  return 0;
}
