#pragma once
/// @file spec.h
/// @brief The architecture specification: every parameter of the modelled chip that the
/// functional core, the mapping compiler and the accuracy engine need, parsed from YAML (configs/),
/// overridable key by key (--set a.b=value) and validated with errors that name the key. The
/// chip model's own keys (clock, tiles, timing, buffers, NoC, energy table, RTL) are chip_spec's
/// (chipspec/chip_spec.h), which this core never sees; io/arch_file.h loads both.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/keys.h"

namespace rramft {

struct stuck_table;  // core/faults.h

/// @brief How the spec's parser gets the files that keys name (adc.table, fault.map): the whole
/// file @p path as bytes, at most @p max_bytes (0: the reader's limit for text files), @p what
/// naming it in errors. The core opens no file itself: io/arch_file.h passes io's checked
/// reader (read_file); an empty reader refuses every file.
using file_reader = std::function<std::string(const std::string& path, const std::string& what,
                                              uint64_t max_bytes)>;

enum class scheme { none, vote, tmr };
enum class fault_scope { all, msb };
enum class copy_scope { row_block, crossbar };
/// @brief How weights are range-restricted before quantization (ZOBNN, arXiv 2407.04964).
enum class clip_mode { none, percentile, sigma };
/// @brief What a range check does to an output outside its profiled range (SAVE).
enum class range_action { clamp, zero };
/// @brief One profiled range per weight layer, or one per output of the layer.
enum class range_granularity { layer, output };
/// @brief One weight quantization scale per layer, or one per output (channel).
enum class weight_scale_mode { per_layer, per_channel };
/// @brief Activation scale from each input vector's max |x|, or one per layer from calibration.
enum class input_scale_mode { per_vector, calibrated };
/// @brief Distribution of a programmed cell's conductance around its target (issue 20).
enum class variation_model { gaussian, lognormal };

/// The names of each enum's values (enum_names, core/keys.h).
RRAMFT_ENUM_NAMES(scheme, {{"none", scheme::none}, {"vote", scheme::vote}, {"tmr", scheme::tmr}});
RRAMFT_ENUM_NAMES(fault_scope, {{"all", fault_scope::all}, {"msb", fault_scope::msb}});
RRAMFT_ENUM_NAMES(copy_scope,
                  {{"row_block", copy_scope::row_block}, {"crossbar", copy_scope::crossbar}});
RRAMFT_ENUM_NAMES(clip_mode, {{"none", clip_mode::none},
                              {"percentile", clip_mode::percentile},
                              {"sigma", clip_mode::sigma}});
RRAMFT_ENUM_NAMES(range_action, {{"clamp", range_action::clamp}, {"zero", range_action::zero}});
RRAMFT_ENUM_NAMES(range_granularity,
                  {{"layer", range_granularity::layer}, {"output", range_granularity::output}});
RRAMFT_ENUM_NAMES(weight_scale_mode, {{"per_layer", weight_scale_mode::per_layer},
                                      {"per_channel", weight_scale_mode::per_channel}});
RRAMFT_ENUM_NAMES(input_scale_mode, {{"per_vector", input_scale_mode::per_vector},
                                     {"calibrated", input_scale_mode::calibrated}});
RRAMFT_ENUM_NAMES(variation_model, {{"gaussian", variation_model::gaussian},
                                    {"lognormal", variation_model::lognormal}});

/// @brief The parts of a protection scheme name such as "vote+range" or "clip+tmr": at most one
/// of none | vote | tmr (the crossbar scheme), plus range (range checks of every weight layer's
/// outputs in the special-function unit) and clip (weights range-restricted as quant.clip says).
struct protection_parts {
  rramft::scheme base = rramft::scheme::none;
  bool range = false;
  bool clip = false;
};
/// @brief Parses a scheme name; rramft::error naming the offending part otherwise (unknown part,
/// a part twice, two crossbar schemes, none combined with anything).
protection_parts parse_protection(const std::string& name);
/// @brief The canonical name: [clip+]base[+range], with "none" dropped when combined.
std::string protection_name(const protection_parts& p);

/// @brief The architecture of the chip and the protection applied to it. Each member's initializer
/// is the key's default; its unit, range, source and meaning are its line in the key table
/// (core/keys.cpp, docs/keys.md).
struct arch_spec {
  struct crossbar_spec {
    int rows = 128;
    int cols = 128;
  } crossbar;
  int cell_bits = 1;
  int weight_bits = 8;
  weight_scale_mode weight_scale = weight_scale_mode::per_layer;
  int input_bits = 8;
  bool input_signed = true;
  input_scale_mode input_scale = input_scale_mode::per_vector;
  struct adc_spec {
    int bits = 8;
    int share = 128;
    double range = 0;  ///< 0 = the column full scale, R*(2^cell_bits-1)*(2^dac.bits-1)
    double offset = 0;
    double gain_error = 0;
    std::string table;                ///< resolved against the arch file when loaded
    std::vector<double> transitions;  ///< adc.table's levels, loaded with the spec (not a key)
    bool ideal() const { return offset == 0 && gain_error == 0 && table.empty(); }
  } adc;
  struct dac_spec {
    int bits = 1;
  } dac;
  struct fault_spec {
    double rate = 0;
    double sa0 = 1.75, sa1 = 9.04;  ///< fault.sa0_to_sa1 (only the ratio matters)
    fault_scope scope = fault_scope::all;
    double transient_rate = 0;
    double variation = 0;
    variation_model variation_dist = variation_model::gaussian;  ///< key fault.variation_model
    double read_noise = 0;
    bool analog() const { return variation > 0 || read_noise > 0; }
    double wordline_rate = 0, bitline_rate = 0;  ///< failed lines (docs/faults.md)
    int cluster = 1;                             ///< side of a cluster of stuck cells
    double spread = 0;                           ///< crossbar-to-crossbar spread of rate
    std::string map;                             ///< measured fault map ("" = none)
    std::shared_ptr<const stuck_table> table;    ///< map's cells, once read (null: no map)
    double sa0_fraction() const { return sa0 / (sa0 + sa1); }
    /// @brief The fault-free, ideal chip: no stuck cells, no transient flips, no conductance
    /// variation or read noise (other keys kept).
    void clear() {
      rate = transient_rate = wordline_rate = bitline_rate = 0;
      variation = read_noise = 0;  // the ideal chip: no analog non-idealities either
      table.reset();
    }
  } fault;
  struct quant_spec {
    clip_mode clip = clip_mode::none;
    double clip_value = 0;
  } quant;
  /// protection.scheme is parsed into scheme, range and clip (parse_protection).
  struct protection_spec {
    rramft::scheme scheme = rramft::scheme::vote;
    bool range = false;
    bool clip = false;
    int candidates = 3;
    int planes = 1;
    bool flip = true;
    bool embed = true;
  } protection;
  struct range_check_spec {
    range_action action = range_action::clamp;
    range_granularity granularity = range_granularity::layer;
    double margin = 0;
  } range_check;
  struct mapping_spec {
    rramft::copy_scope copy_scope = rramft::copy_scope::row_block;
    bool strict = false;
    bool fault_aware = false;      ///< place columns around the chip's known stuck cells
    bool fault_aware_rows = true;  ///< with fault_aware: also permute inputs within row blocks
  } mapping;
  uint64_t seed = 1;

  /// @brief The steps of parsing arch_spec's keys from an architecture file's tree @p t, for the
  /// loader that reads them together with the chip model's keys (full_spec::from_yaml,
  /// chipspec/chip_spec.h), in this order. read_keys: the keys the tree holds.
  void read_keys(key_tree& t);
  /// @brief adc.table's levels, the file resolved against @p arch_folder (the arch file's folder)
  /// and held as an absolute path; read through @p read.
  void read_adc_table(const key_tree& t, const std::string& arch_folder, const file_reader& read);
  /// @brief fault.map's stuck cells (the path from the working folder, held absolute), once
  /// validated; crossbar ids must lie below @p chip_crossbars (the chip's crossbars).
  void read_fault_map(const key_tree& t, const file_reader& read, uint64_t chip_crossbars);
  /// @brief Throws rramft::error naming the first offending key and value.
  void validate() const;
  /// @brief arch_spec's keys, as YAML (arch.yaml writes them with the chip model's).
  YAML::Node to_yaml() const;

  // Derived quantities.
  int cell_levels() const { return (1 << cell_bits) - 1; }  ///< highest level of a cell
  int weight_slices() const { return (weight_bits - 1 + cell_bits - 1) / cell_bits; }  ///< S
  int magnitude_max() const { return (1 << (weight_bits - 1)) - 1; }
  /// @brief Protected slices: the top P of S (vote, and the msb fault scope); all for tmr.
  int protected_slices() const;
  /// @brief Candidates stored per protected slice: T for vote, 3 for tmr, 1 for none.
  int copies() const;
  bool flipped() const { return protection.scheme == scheme::vote && protection.flip; }
  /// @brief The protection scheme's full name, e.g. "vote+range".
  std::string scheme_name() const {
    return protection_name({protection.scheme, protection.range, protection.clip});
  }
  /// @brief Largest analog column sum one input slice can produce.
  int64_t column_full_scale() const {
    return int64_t(crossbar.rows) * cell_levels() * ((1 << dac.bits) - 1);
  }
  double adc_full_scale() const { return adc.range > 0 ? adc.range : double(column_full_scale()); }
  /// @brief True when every integer column sum converts exactly (fast path allowed).
  bool adc_lossless() const;
};

/// @brief Sets the protection scheme from a name (none | vote | tmr, range, clip, combined with
/// '+', see parse_protection) and validates; rramft::error otherwise.
void apply_scheme(arch_spec& a, const std::string& name);

/// @brief The table of arch_spec's keys (core/keys.cpp), in the order arch.yaml and docs/keys.md
/// list them.
const std::vector<key_def<arch_spec>>& arch_keys();

}  // namespace rramft
