#pragma once
/// @file spec.h
/// @brief The architecture specification: every structural parameter of the modelled chip
/// that the functional core and the mapping compiler need, parsed from YAML (configs/),
/// overridable key by key (--set a.b=value) and validated with errors that name the key.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

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
/// @brief The chip's interconnect between tiles.
enum class noc_topology { mesh, bus };
/// @brief Distribution of a programmed cell's conductance around its target (issue 20).
enum class variation_model { gaussian, lognormal };

/// @brief The names of an enumerated key's values, declared once per enum (parsing, arch.yaml,
/// the documentation and to_string all read this list).
template <class E>
struct enum_names;
#define RRAMFT_ENUM_NAMES(E, ...)                                    \
  template <>                                                        \
  struct enum_names<E> {                                             \
    static constexpr std::pair<const char*, E> list[] = __VA_ARGS__; \
  }
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
RRAMFT_ENUM_NAMES(noc_topology, {{"mesh", noc_topology::mesh}, {"bus", noc_topology::bus}});
RRAMFT_ENUM_NAMES(variation_model, {{"gaussian", variation_model::gaussian},
                                    {"lognormal", variation_model::lognormal}});
#undef RRAMFT_ENUM_NAMES

/// @brief The name of an enumerated value (enum_names).
template <class E, class = decltype(enum_names<E>::list)>
const char* to_string(E e) {
  for (const auto& entry : enum_names<E>::list)
    if (entry.second == e) return entry.first;
  return "?";
}

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

  // Structure and timing of the chip (read by the SystemC model only; key_def::chip_only).
  double clock_mhz = 1000;
  struct tiles_spec {
    int count = 128;
    int crossbars = 96;
  } tiles;
  struct timing_spec {
    double xbar_read_ns = 100;
    double adc_msps = 1280;
    int opc_cycles = 1;
    int vote_cycles = 3;
    int vote_ii = 1;
    int accumulate_cycles = 1;
    bool pipeline = true;
  } timing;
  struct programming_spec {
    int verify_iterations = 3;
    double write_pulse_ns = 10;
  } programming;
  struct buffer_spec {
    int tile_kib = 64;
    int global_kib = 2048;
    int bytes_per_cycle = 32;
  } buffer;
  struct noc_spec {
    noc_topology topology = noc_topology::mesh;
    int hop_cycles = 2;
    int bytes_per_cycle = 32;
  } noc;
  struct sfu_spec {
    int ops_per_cycle = 16;
  } sfu;
  std::string energy_table = "ert/isaac.yaml";  ///< relative to the arch file
  /// @brief The energy table's path: energy_table as it is when absolute, else joined onto the
  /// folder of @p arch_file.
  std::string energy_table_path(const std::string& arch_file) const;
  /// Blocks the SystemC model runs as verilated RTL instead of their TLM model (rtl/).
  struct rtl_spec {
    bool opc = false;
    bool vote = false;
  } rtl;
  double cycle_ns() const { return 1e3 / clock_mhz; }

  /// @brief Parses @p node; @p origin names the file in errors. Unknown keys are errors. The
  /// files that keys name (adc.table, resolved against @p origin's folder; fault.map) are read
  /// through @p read.
  static arch_spec parse(const YAML::Node& node, const std::string& origin,
                         const file_reader& read = {});
  /// @brief The architecture file's YAML tree @p root (file @p path): applies "a.b=value"
  /// overrides, parses and validates. A file without keys (empty, or only comments) is an
  /// error: "{}" says "every default" on purpose. @p sources names where each override came
  /// from ("--set", a --set-from file, a grid); an error about an overridden key blames that
  /// source instead of the file (default "--set"). Loading from a file: io/arch_file.h.
  static arch_spec from_yaml(YAML::Node root, const std::string& path,
                             const std::vector<std::string>& overrides = {},
                             const std::vector<std::string>& sources = {},
                             const file_reader& read = {});
  /// @brief Throws rramft::error naming the first offending key and value.
  void validate() const;
  /// @brief The effective configuration, every key, as YAML (written next to results).
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

/// @brief True if @p key ("a.b") is a key of the architecture schema.
bool is_arch_key(const std::string& key);

/// @brief " (did you mean crossbar.rows?)": the schema key nearest to the unknown @p key
/// (error::did_you_mean), or "" when none is near.
std::string arch_key_hint(const std::string& key);

/// @brief Sets "a.b=value" in @p root; the key must exist in the schema. @p source names the
/// assignment in errors ("--set", a fragment's file name).
void apply_override(YAML::Node& root, const std::string& assignment,
                    const std::string& source = "--set");

/// @brief The key of "a.b=value" ("a.b"; the whole text without '=').
std::string override_key(const std::string& assignment);

}  // namespace rramft
