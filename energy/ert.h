#pragma once
/// @file ert.h
/// @brief Energy and area reference table (Accelergy's ERT idea): components count named
/// actions, and the prices are applied afterwards from a YAML table whose every entry cites
/// its source. Plain C++: no SystemC.
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "chipspec/chip_spec.h"

namespace rramft::energy {

/// @brief One priced action: energy per occurrence, scaled to the configured design.
struct action_price {
  double pj = 0;        ///< energy per action at the reference design, pJ
  std::string scaling;  ///< none | adc_bits_sar | adc_bits_flash | cells | dac_bits
  double ref = 0;       ///< reference value of the scaled quantity (bits, cells)
  std::string source;   ///< citation
};

/// @brief One component's area and leakage, per instance.
struct component_cost {
  double area_mm2 = 0;    ///< per instance at the reference design, mm^2
  double leakage_mw = 0;  ///< static power per instance, mW
  double power_mw = 0;    ///< published power per instance at full activity, mW (reference)
  std::string scaling;    ///< how area scales (as action_price)
  double ref = 0;
  std::string source;
};

class table {
 public:
  /// @brief Loads the table; errors name the file and the key.
  static table load(const std::string& path);
  /// @brief load() on the file's content @p text (the fuzzers use it); @p path names it.
  static table parse_text(const std::string& text, const std::string& path);
  /// @brief Energy of one @p action (e.g. "adc.convert") on chip @p a, pJ; error if unknown.
  double energy_pj(const std::string& action, const full_spec& a) const;
  /// @brief Area of one instance of @p component on chip @p a, mm^2.
  double area_mm2(const std::string& component, const full_spec& a) const;
  double leakage_mw(const std::string& component, const full_spec& a) const;
  /// @brief Published power of one instance at full activity on chip @p a, mW.
  double power_mw(const std::string& component, const full_spec& a) const;
  const std::map<std::string, action_price>& actions() const { return actions_; }
  const std::map<std::string, component_cost>& components() const { return components_; }
  const std::string& origin() const { return origin_; }

 private:
  double scale(const std::string& how, double ref, const full_spec& a) const;
  std::string origin_;
  std::map<std::string, action_price> actions_;
  std::map<std::string, component_cost> components_;
};

/// @brief Instances of each component in @p tiles tiles of chip @p a plus the chip-level parts:
/// per crossbar (tiles.crossbars per tile) xbar, dac, sh, sa, in_reg, out_reg and
/// ceil(crossbar.cols / adc.share) adc; per tile buffer, bus, router, sfu, tile_sa, maxpool,
/// tile_out_reg, and vote only when the scheme has T > 1 copies (vote, tmr); per chip the
/// global buffer (gbuf_per_kib x buffer.global_kib), sfu.ops_per_cycle range lanes when the
/// scheme has range, and with @p off_chip_links the chip's off-chip links (chip_io).
std::map<std::string, double> instances(const full_spec& a, int tiles, bool off_chip_links);

/// @brief Sum over @p inst of count x @p per(component), e.g. the area of a region.
template <class F>
double total(const std::map<std::string, double>& inst, F per) {
  double t = 0;
  for (const auto& [c, n] : inst) t += n * per(c);
  return t;
}

/// @brief The component an action belongs to: the text before the first '.' ("adc.convert" ->
/// "adc").
std::string component_of(const std::string& action);

}  // namespace rramft::energy
