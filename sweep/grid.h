#pragma once
/// @file grid.h
/// @brief The sweep grid: which model, data and base architecture, which keys take which
/// values (a cartesian product of axes, an axis being one key or a zipped group of keys), and
/// how each point is evaluated. Parsing is pure (no file is touched besides the grid itself in
/// load_grid), so that parse_grid() can be fuzzed on its own.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace rramft::sweep {

/// @brief One axis of the product: a single key, or a zipped group whose keys vary together.
struct axis {
  std::vector<std::string> keys;
  std::vector<std::vector<std::string>> values;  ///< values[i][j]: setting i of keys[j], as text
};

/// @brief A parsed, validated grid (every key checked against the architecture schema).
struct grid {
  std::string origin;  ///< the grid file, named in messages
  std::string model;   ///< model folder (resolved against the grid's folder)
  std::string arch;    ///< base architecture YAML (resolved against the grid's folder)
  std::vector<std::pair<std::string, std::string>> fixed;  ///< `set:` overrides of every point

  // eval: accuracy under faults (the engine), per scheme and rate, Monte Carlo over chips
  std::string data = "fashion-mnist:1000";           ///< images for accuracy
  std::string calib = "fashion-mnist-train:1000";    ///< for input_scale: calibrated
  std::vector<std::string> protect{"none", "vote"};  ///< schemes every point evaluates
  std::vector<double> rates;                         ///< cell failure rates, ascending
  int trials = 5;                                    ///< chips per (scheme, rate)
  int batch = 500;                                   ///< images per forward pass
  int trials_per_task = 1;                           ///< trials in one unit of work
  double drop = 0.10;                                ///< accuracy drop of the tolerated rate

  // run: the SystemC chip model, one child process per scheme
  bool run = true;                           ///< false: accuracy only
  std::string run_data = "fashion-mnist:2";  ///< images through the chip model
  double run_timeout_s = 1800;               ///< a chip run that takes longer fails its point

  // plots
  double plot_rate = -1;  ///< rate of the energy-accuracy picture; -1: the middle rate
  std::string heat_x = "crossbar.rows", heat_y = "adc.bits";  ///< heat-map axes

  std::vector<axis> axes;  ///< the product, first axis slowest

  /// @brief Number of points (product of the axes' lengths; 1 with no axis).
  size_t points() const;
  /// @brief Every swept key, in column order (axes in order, a group's keys in order).
  std::vector<std::string> swept_keys() const;
  /// @brief Point @p i's swept keys and value texts, in swept_keys() order.
  std::vector<std::pair<std::string, std::string>> point(size_t i) const;
  /// @brief "key=value" overrides of point @p i: the fixed ones, then the swept ones.
  std::vector<std::string> overrides(size_t i) const;
  /// @brief Everything parsed, canonically (a sweep folder remembers its grid by it).
  nlohmann::json to_json() const;
};

/// @brief Largest number of points a grid may expand to.
constexpr size_t max_points = 100000;

/// @brief Parses grid YAML @p text; @p origin names it in errors; relative model, arch and data
/// folders are resolved against @p base_dir (unchanged when it is empty). Throws rramft::error
/// naming the file and key: unknown keys (of the grid or of the architecture), empty value
/// lists, zipped lists of unequal length, a key given twice, wrong types, too many points.
grid parse_grid(const std::string& text, const std::string& origin,
                const std::string& base_dir = "");

/// @brief Reads and parses the grid file @p path (paths resolved against its folder).
grid load_grid(const std::string& path);

/// @brief The text of a rate in column names ("1e-03" style is avoided: shortest %g form).
std::string rate_text(double rate);

}  // namespace rramft::sweep
