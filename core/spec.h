#pragma once
/// @file spec.h
/// @brief The architecture specification: every structural parameter of the modelled chip
/// that the functional core and the mapping compiler need, parsed from YAML (configs/),
/// overridable key by key (--set a.b=value) and validated with errors that name the key.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rramft {

struct stuck_table;  // core/faults.h

enum class scheme { none, vote, tmr };
enum class fault_scope { all, msb };
enum class copy_scope { row_block, crossbar };
/// @brief How weights are range-restricted before quantization (ZOBNN, arXiv 2407.04964).
enum class clip_mode { none, percentile, sigma };
/// @brief What a range check does to an output outside its profiled range (SAVE).
enum class range_action { clamp, zero };
/// @brief One profiled range per weight layer, or one per output of the layer.
enum class range_granularity { layer, output };

const char* to_string(scheme s);
const char* to_string(fault_scope s);
const char* to_string(copy_scope s);
const char* to_string(clip_mode m);
const char* to_string(range_action a);
const char* to_string(range_granularity g);

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

/// @brief The architecture of the chip and the protection applied to it.
struct arch_spec {
  struct crossbar_spec {
    int rows = 128;  ///< R: cells per column (word lines), count
    int cols = 128;  ///< C: cells per row (bit lines), count
  } crossbar;
  int cell_bits = 1;                       ///< bits stored per ReRAM cell, 1..4
  int weight_bits = 8;                     ///< n: sign + (n-1) magnitude bits, 2..16
  std::string weight_scale = "per_layer";  ///< per_layer | per_channel (one scale per output)
  int input_bits = 8;                      ///< a: activation bits fed to the DACs, 1..16
  bool input_signed = true;  ///< two's complement (true) or unsigned (false) activations
  std::string input_scale = "per_vector";  ///< per_vector | calibrated (see README)
  struct adc_spec {
    int bits = 8;     ///< ADC resolution, bits, 1..16
    int share = 128;  ///< columns multiplexed onto one ADC, count
    double range =
        0;  ///< full-scale input in column-sum units; 0 = R*(2^cell_bits-1)*(2^dac.bits-1)
  } adc;
  struct dac_spec {
    int bits = 1;  ///< bits per input slice (DAC resolution), 1..8
  } dac;
  struct fault_spec {
    double rate = 0;                       ///< probability that a cell is stuck (SA0 or SA1), 0..1
    double sa0 = 1.75, sa1 = 9.04;         ///< SA0:SA1 ratio (only the ratio matters)
    fault_scope scope = fault_scope::all;  ///< all cells, or only protected-plane cells and copies
    /// probability that a cell reads one bit flipped during one read (one input vector through
    /// its crossbar: every image, convolution position and token draws its own flips), 0..1
    double transient_rate = 0;
    /// Fault distributions beyond independent cells (docs/faults.md); all off by default.
    double wordline_rate = 0;  ///< probability that a word line (row) of a crossbar fails, 0..1
    double bitline_rate = 0;   ///< probability that a bit line (column) of a crossbar fails, 0..1
    int cluster = 1;    ///< stuck cells come in cluster x cluster squares (1: independent), 1..64
    double spread = 0;  ///< crossbar-to-crossbar spread of rate: coefficient of variation, 0..10
    /// a measured fault map (docs/faults.md): its stuck cells replace the ones rate draws; ""
    /// = none. Read (and checked against the crossbars and their size) when the spec is parsed.
    std::string map;
    std::shared_ptr<const stuck_table> table;  ///< map's cells, once read (null: no map)
    double sa0_fraction() const { return sa0 / (sa0 + sa1); }
    /// @brief The fault-free chip: no stuck cells, no transient flips (other keys kept).
    void clear() {
      rate = transient_rate = wordline_rate = bitline_rate = 0;
      table.reset();
    }
  } fault;
  struct quant_spec {
    clip_mode clip = clip_mode::none;  ///< none | percentile | sigma: weight range restriction
    double clip_value =
        0;  ///< percentile: percent of |w| kept unclipped, (0, 100]; sigma: k (clip at k sigma)
  } quant;
  struct protection_spec {
    rramft::scheme scheme = rramft::scheme::vote;
    bool range = false;  ///< range checks of every weight layer's outputs (scheme part "range")
    bool clip = false;   ///< the scheme name includes "clip" (needs quant.clip != none)
    int candidates = 3;  ///< T: copies of each protected plane (odd)
    int planes = 1;      ///< P: protected weight planes, counted from the MSB
    bool flip = true;    ///< store protected planes inverted (vote only)
    bool embed = true;   ///< place copies 2..T in columns freed by pruning
  } protection;
  struct range_check_spec {
    range_action action = range_action::clamp;  ///< clamp | zero: outputs outside the range
    range_granularity granularity = range_granularity::layer;  ///< bounds per layer or output
    double margin = 0;  ///< widening of the profiled [lo, hi] on each side, fraction of hi - lo
  } range_check;
  struct mapping_spec {
    rramft::copy_scope copy_scope = rramft::copy_scope::row_block;  ///< where copies may go
    bool strict = false;  ///< fail instead of adding crossbars when copies do not fit
    /// place column contents around the chip's known stuck cells (docs/faults.md)
    bool fault_aware = false;
  } mapping;
  uint64_t seed = 1;  ///< root of every fault map (chip identity)

  // Structure and timing of the chip (used by the SystemC model; the functional core ignores them).
  double clock_mhz = 1000;  ///< digital periphery clock, MHz
  struct tiles_spec {
    int count = 128;     ///< tiles on the chip, count
    int crossbars = 96;  ///< crossbars per tile, count (ISAAC: 12 IMAs x 8)
  } tiles;
  struct timing_spec {
    double xbar_read_ns =
        100;                 ///< one crossbar read: DAC drive, settle, sample-and-hold, ns (ISAAC)
    double adc_msps = 1280;  ///< ADC sample rate, MS/s (ISAAC: 1.28 GS/s)
    int opc_cycles = 1;      ///< OPC shift-add latency per slice result, cycles
    int vote_cycles = 3;     ///< voting unit latency (median of T), cycles
    int vote_ii = 1;         ///< voting unit initiation interval, cycles per output
    int accumulate_cycles = 1;  ///< tile accumulator latency per row block, cycles
    bool pipeline = true;       ///< overlap crossbar reads with ADC conversions (sample-and-hold)
  } timing;
  /// @brief Programming the weights into the crossbars (write-verify), reported apart from
  /// inference: every used cell gets verify_iterations write pulses, each row a verify read.
  struct programming_spec {
    int verify_iterations = 3;   ///< write-verify iterations per cell (mean), count
    double write_pulse_ns = 10;  ///< one write pulse, ns (NeuroSim's ideal RRAM: 10 ns)
  } programming;
  struct buffer_spec {
    int tile_kib = 64;         ///< input/output buffer per tile, KiB (ISAAC eDRAM: 64 KB)
    int global_kib = 2048;     ///< global buffer, KiB
    int bytes_per_cycle = 32;  ///< buffer port width, bytes per cycle (ISAAC: 256-bit)
  } buffer;
  struct noc_spec {
    std::string topology = "mesh";  ///< mesh | bus
    int hop_cycles = 2;             ///< router + link latency per hop, cycles
    int bytes_per_cycle = 32;       ///< link width, bytes per cycle
  } noc;
  struct sfu_spec {
    int ops_per_cycle = 16;  ///< digital special-function unit throughput, element ops per cycle
  } sfu;
  std::string energy_table =
      "ert/isaac.yaml";  ///< energy and area reference table, relative to the arch file
  /// @brief The energy table's path: energy_table as it is when absolute, else joined onto the
  /// folder of @p arch_file.
  std::string energy_table_path(const std::string& arch_file) const;
  /// @brief Blocks the SystemC model runs as verilated RTL instead of their TLM model
  /// (co-simulation, rtl/; needs a build with Verilator). The numbers do not change: the RTL
  /// must compute what the functional core computes, and the TLM timing stays in charge.
  struct rtl_spec {
    bool opc = false;   ///< output peripheral component: rtl/opc_unit.sv
    bool vote = false;  ///< voting unit: rtl/vote_unit.sv
  } rtl;
  double cycle_ns() const { return 1e3 / clock_mhz; }

  /// @brief Parses @p node; @p origin names the file in errors. Unknown keys are errors.
  static arch_spec parse(const YAML::Node& node, const std::string& origin);
  /// @brief Loads @p path, applies "a.b=value" overrides, parses and validates. A file without
  /// keys (empty, or only comments) is an error: "{}" says "every default" on purpose.
  /// @p sources names where each override came from ("--set", a --set-from file, a grid); an
  /// error about an overridden key blames that source instead of the file (default "--set").
  static arch_spec load(const std::string& path, const std::vector<std::string>& overrides = {},
                        const std::vector<std::string>& sources = {});
  /// @brief load() on the file's content @p text (the fuzzers use it); @p path names it in errors.
  static arch_spec load_text(const std::string& text, const std::string& path,
                             const std::vector<std::string>& overrides = {},
                             const std::vector<std::string>& sources = {});
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

/// @brief The keys of the YAML fragment @p path as "a.b=value" overrides (for --set-from), in
/// file order; rramft::error naming the file for unreadable YAML or a value that is a list.
std::vector<std::string> overrides_from_file(const std::string& path);

/// @brief overrides_from_file() on the fragment's text; @p origin names it in errors.
std::vector<std::string> overrides_from_text(const std::string& text, const std::string& origin);

}  // namespace rramft
