// The energy and area reference table against its published sources: every action price from
// the closed form of ISAAC's Table 6 (Shafiee et al., ISCA 2016) or Accelergy's ISAAC library,
// and the ISAAC configuration's tile and chip against ISAAC's own totals.
#include <catch2/catch.hpp>

#include "core/spec.h"
#include "energy/ert.h"
#include "io/arch_file.h"

using namespace rramft;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;

energy::table isaac_table() { return energy::table::load(src + "/configs/ert/isaac.yaml"); }

full_spec isaac_chip() {
  return load_arch(src + "/configs/default.yaml", overrides_from_file(src + "/configs/isaac.yaml"));
}
}  // namespace

TEST_CASE("every action price is its source's closed form", "[energy][ert]") {
  const energy::table t = isaac_table();
  const full_spec a = load_arch(src + "/configs/default.yaml", {});
  // ISAAC Table 6, per IMA (8 crossbars): ADCs 16 mW for 8 ADCs at 1.28 GS/s; DACs 4 mW for
  // 8 x 128, one drive per 100 ns read; arrays 2.4 mW for 8, one read per 100 ns; shift-and-add
  // 0.2 mW, one add per ADC output. Per tile: 2 sigmoid units 0.52 mW at 1.2 GHz.
  CHECK(t.energy_pj("adc.convert", a) == Approx(16.0 / 8 / 1.28));  // mW / GHz = pJ
  CHECK(t.energy_pj("adc.convert", a) == Approx(1.5625));
  CHECK(t.energy_pj("dac.drive", a) == Approx(4.0 / (8 * 128) * 100));  // mW x ns = pJ
  CHECK(t.energy_pj("xbar.read", a) == Approx(2.4 / 8 * 100));
  CHECK(t.energy_pj("sa.add", a) == Approx(0.2 / (8 * 1.28)));
  CHECK(t.energy_pj("sfu.op", a) == Approx(0.52 / 2 / 1.2).epsilon(1e-3));
  CHECK(t.energy_pj("range.check", a) == Approx(2 * 0.2 / (8 * 1.28)));
  // Accelergy's ISAAC library (hwcomponents-library isaac.py): energy per 256-bit access =
  // power per IMA x the time to drain a 16 KB input buffer / accesses in that time.
  const double drain_s = 16384 / (128 * 8 * 1.2e7 * 100 / 128);
  CHECK(t.energy_pj("noc.hop", a) ==
        Approx(42e-3 / 4 / 12 * drain_s / ((16384 + 2048) / 256.0) * 1e12).epsilon(1e-3));
  CHECK(t.energy_pj("noc.hop", a) == Approx(20.74));
  CHECK(t.energy_pj("buffer.read", a) ==
        Approx(20.7e-3 / 12 * drain_s / ((16384 + 2048) * 2 / 256.0) * 1e12).epsilon(1e-3));
  CHECK(t.energy_pj("bus.transfer", a) ==
        Approx(7e-3 / 12 * drain_s / (16384 + 2048) * 1e12 * 256).epsilon(2e-3));
  // A price times its rate at full activity is the listed power of one instance.
  CHECK(t.energy_pj("adc.convert", a) * 1.28 == Approx(t.power_mw("adc", a)));
  CHECK(t.energy_pj("xbar.read", a) / 100 == Approx(t.power_mw("xbar", a)));
  CHECK(t.energy_pj("dac.drive", a) * 128 / 100 == Approx(t.power_mw("dac", a)));
  CHECK(t.energy_pj("sa.add", a) * 1.28 == Approx(t.power_mw("sa", a)));  // 1 add per conversion
}

TEST_CASE("the ISAAC configuration reproduces ISAAC's tile and chip within 5%", "[energy][area]") {
  const energy::table t = isaac_table();
  const full_spec a = isaac_chip();
  REQUIRE(a.tiles.count == 168);
  // One tile: the per-tile parts and every crossbar's parts, without the chip-level ones.
  std::map<std::string, double> tile = energy::instances(a, 1, false);
  tile.erase("gbuf_per_kib");
  const double area = energy::total(tile, [&](const std::string& c) { return t.area_mm2(c, a); });
  const double power = energy::total(tile, [&](const std::string& c) { return t.power_mw(c, a); });
  // ISAAC Table 6, "1 tile": 0.372 mm^2 and 330 mW.
  CHECK(area == Approx(0.372).epsilon(0.05));
  CHECK(power == Approx(330).epsilon(0.05));
  // The parts that were missing before: the eDRAM-to-IMA bus and the registers.
  CHECK(tile.at("bus") == 1);
  CHECK(tile.at("in_reg") == 96);
  CHECK(tile.at("out_reg") == 96);
  CHECK(tile.at("tile_out_reg") == 1);
  // Chip: 168 tiles and the HyperTransport links: 85.4 mm^2 and 65.8 W.
  const auto chip = energy::instances(a, a.tiles.count, true);
  CHECK(energy::total(chip, [&](const std::string& c) { return t.area_mm2(c, a); }) ==
        Approx(85.4).epsilon(0.05));
  CHECK(energy::total(chip, [&](const std::string& c) { return t.power_mw(c, a); }) ==
        Approx(65.8e3).epsilon(0.05));
}

TEST_CASE("voting units exist only in schemes that vote", "[energy][area]") {
  for (const auto& [scheme, votes] :
       std::vector<std::pair<std::string, bool>>{{"none", false},
                                                 {"vote", true},
                                                 {"tmr", true},
                                                 {"range", false},
                                                 {"vote+range", true}}) {
    INFO(scheme);
    const full_spec a = load_arch(src + "/configs/default.yaml", {"protection.scheme=" + scheme});
    const auto n = energy::instances(a, 3, false);
    CHECK(n.count("vote") == size_t(votes));
    if (votes) CHECK(n.at("vote") == 3);
    CHECK(n.count("range") == size_t(a.protection.range));
    CHECK(n.count("chip_io") == 0);
  }
}
