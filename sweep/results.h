#pragma once
/// @file results.h
/// @brief A finished point (its file, point.json) and its row of results.csv. The row is a pure
/// function of the grid and the point's file, so a resumed or parallel sweep writes the same
/// bytes as an uninterrupted serial one.
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sweep/grid.h"

namespace rramft::sweep {

/// @brief A point's task results, gathered as they come back from any rank.
struct point_parts {
  nlohmann::json reference;                           ///< the reference task's result
  std::vector<std::vector<std::vector<double>>> acc;  ///< [scheme][rate][trial]
  std::map<std::string, nlohmann::json> chips;        ///< scheme -> chip task's result
  /// @brief Sizes acc for @p g (trials filled as they arrive).
  void init(const grid& g);
  /// @brief Files a trial task's result ({"k0", "acc"}).
  void add_trials(const nlohmann::json& r);
};

/// @brief point.json of a finished point: its keys, the eval report (as accuracy.json) and the
/// chip model's numbers per scheme.
nlohmann::json finished_point(const grid& g, size_t p, const point_parts& parts);
/// @brief point.json of a point that failed with @p why.
nlohmann::json failed_point(const grid& g, size_t p, const std::string& why);

/// @brief The columns of results.csv. @p components: energy components of the chip runs.
std::vector<std::string> columns(const grid& g, const std::vector<std::string>& components);
/// @brief The row of point file @p pt, one text per column (empty where there is no value).
std::vector<std::string> row(const grid& g, const std::vector<std::string>& components,
                             const nlohmann::json& pt);
/// @brief One CSV line (RFC 4180 quoting where a field needs it), with the newline.
std::string csv_line(const std::vector<std::string>& fields);
/// @brief A number as results.csv writes it ("%.10g").
std::string number_text(double v);

/// @brief Error-rate-adjusted latency (SAVE's AccurateLatency): latency x (1 + (1 - accuracy)).
inline double accurate_latency(double latency, double accuracy) {
  return latency * (2.0 - accuracy);
}

}  // namespace rramft::sweep
