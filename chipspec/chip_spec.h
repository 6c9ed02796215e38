#pragma once
/// @file chip_spec.h
/// @brief The chip model's own keys (chip_spec: clock, tiles, timing, programming, buffers, NoC,
/// special-function unit, energy table, RTL stand-ins), which the functional core and the
/// accuracy engine never see (the test layers:include_graph keeps core/ and engine/ from
/// including this header); full_spec, everything an architecture file says (arch_spec and
/// chip_spec, loaded by io/arch_file.h); and what handles the keys of both tables together:
/// --set (apply_override), the key checks and "did you mean" of --set-from and sweep grids
/// (is_arch_key, arch_key_hint) and docs/keys.md (keys_markdown).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/keys.h"
#include "core/spec.h"

namespace rramft {

/// @brief The chip's interconnect between tiles.
enum class noc_topology { mesh, bus };
RRAMFT_ENUM_NAMES(noc_topology, {{"mesh", noc_topology::mesh}, {"bus", noc_topology::bus}});

/// @brief Structure, timing and energy of the chip, read by the SystemC chip model (and by the
/// sweep's and the energy table's figures) only. Each member's initializer is the key's default;
/// its unit, range, source and meaning are its line in the key table (chipspec/chip_keys.cpp,
/// docs/keys.md).
struct chip_spec {
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
  /// Relative to the arch file; held as an absolute path once loaded (full_spec::from_yaml), so
  /// that an output folder's arch.yaml names the same table wherever it is read from.
  std::string energy_table = "ert/isaac.yaml";
  /// Blocks the SystemC model runs as verilated RTL instead of their TLM model (rtl/).
  struct rtl_spec {
    bool opc = false;
    bool vote = false;
  } rtl;

  double cycle_ns() const { return 1e3 / clock_mhz; }
  /// @brief Crossbars on the chip: tiles.count x tiles.crossbars (the bound of a fault map's ids).
  uint64_t crossbars() const { return uint64_t(tiles.count) * uint64_t(tiles.crossbars); }

  /// @brief Sets the keys of chip_spec's table that the tree @p t holds (full_spec's parser).
  void read_keys(key_tree& t);
  /// @brief Throws rramft::error "key '<name>': ..." naming the first offending key and value.
  void validate() const;
};

/// @brief The table of chip_spec's keys (chipspec/chip_keys.cpp); docs/keys.md lists them after
/// arch_spec's, marked "(chip)".
const std::vector<key_def<chip_spec>>& chip_keys();

/// @brief Everything an architecture file says: the functional keys (arch_spec, for the core,
/// the mapping compiler and the accuracy engine, which take it as arch_spec) and the chip
/// model's (chip_spec). io/arch_file.h loads it from files; the chip model takes it whole.
struct full_spec : arch_spec, chip_spec {
  /// @brief The architecture file's YAML tree @p root (file @p path): applies "a.b=value"
  /// overrides, parses both tables' keys and validates. A file without keys (empty, or only
  /// comments) is an error: "{}" says "every default" on purpose. @p sources names where each
  /// override came from ("--set", a --set-from file, a grid); an error about an overridden key
  /// blames that source instead of the file (default "--set"). The files that keys name
  /// (adc.table and energy_table, resolved against @p path's folder; fault.map, against the
  /// working folder) are held as absolute paths; adc.table and fault.map are read through
  /// @p read. Loading from a file: io/arch_file.h.
  static full_spec from_yaml(YAML::Node root, const std::string& path,
                             const std::vector<std::string>& overrides = {},
                             const std::vector<std::string>& sources = {},
                             const file_reader& read = {});
  /// @brief from_yaml() without overrides, an empty tree meaning every default (@p origin names
  /// it in errors).
  static full_spec parse(const YAML::Node& node, const std::string& origin,
                         const file_reader& read = {});
  /// @brief Both specs' checks; rramft::error naming the first offending key and value.
  void validate() const;
  /// @brief The effective configuration, every key of both tables in their order, as YAML
  /// (arch.yaml, written next to results).
  YAML::Node to_yaml() const;
};

/// @brief True if @p key ("a.b") is a key of either table.
bool is_arch_key(const std::string& key);

/// @brief " (did you mean crossbar.rows?)": the key of either table nearest to the unknown
/// @p key (error::did_you_mean), or "" when none is near.
std::string arch_key_hint(const std::string& key);

/// @brief Sets "a.b=value" in @p root; the key must be in either table. @p source names the
/// assignment in errors ("--set", a fragment's file name).
void apply_override(YAML::Node& root, const std::string& assignment,
                    const std::string& source = "--set");

/// @brief The key of "a.b=value" ("a.b"; the whole text without '=').
std::string override_key(const std::string& assignment);

/// @brief Both key tables as one Markdown table (docs/keys.md holds it between markers).
std::string keys_markdown();

}  // namespace rramft
