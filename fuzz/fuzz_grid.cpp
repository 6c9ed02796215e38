/// @file fuzz_grid.cpp
/// @brief The sweep grid (sweep/grid.cpp). What is accepted must expand consistently: the
/// point count within the limit, every point with one value per swept key, and its overrides
/// either a valid architecture over the defaults or refused with one line.
#include <algorithm>

#include "core/spec.h"
#include "fuzz/fuzz.h"
#include "io/arch_file.h"
#include "sweep/grid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rramft;
  const std::string text(reinterpret_cast<const char*>(data), size);
  sweep::grid g;
  if (!fuzz::accepts([&] { g = sweep::parse_grid(text, "fuzz.yaml", "base"); })) return 0;
  fuzz::require(!fuzz::yaml_has_duplicate_key(text), "a grid with a duplicate key was accepted");
  fuzz::require(g.points() >= 1 && g.points() <= sweep::max_points, "point count out of range");
  const size_t keys = g.swept_keys().size();
  // The first, last and a few points between: their values and overrides.
  for (size_t k = 0; k < 4; ++k) {
    const size_t i = std::min(g.points() - 1, k * (g.points() / 3));
    fuzz::require(g.point(i).size() == keys, "a point without one value per swept key");
    fuzz::accepts([&] { load_arch_text("{}", "base.yaml", g.overrides(i)); });
  }
  fuzz::accepts([&] { g.point(g.points()); });  // one past the end: refused, not a crash
  g.to_json().dump();
  return 0;
}
