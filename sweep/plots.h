#pragma once
/// @file plots.h
/// @brief The sweep's pictures (gnuplot, PNG), from the finished points' files: accuracy
/// against failure rate per configuration, energy against accuracy with the Pareto front
/// (and pareto.csv listing it), and heat maps of storage overhead and tolerance ratio over two
/// swept keys (crossbar size x ADC bits by default).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sweep/grid.h"

namespace rramft::sweep {

/// @brief One design on the energy-accuracy plane.
struct design {
  size_t point = 0;
  std::string scheme;
  double energy = 0;    ///< pJ per image
  double accuracy = 0;  ///< mean accuracy at the chosen rate
};

/// @brief The designs that no other design beats in both energy (lower) and accuracy (higher),
/// by increasing energy.
std::vector<design> pareto_front(std::vector<design> all);

/// @brief The rate of the energy-accuracy picture: plots.rate, else the middle of eval.rates.
double plot_rate(const grid& g);

/// @brief Writes the pictures and their data into @p out; returns the names written. A
/// picture that cannot be drawn (gnuplot missing, a heat-map key not swept) is reported on
/// stderr and skipped.
std::vector<std::string> write_plots(const grid& g, const std::vector<nlohmann::json>& points,
                                     const std::string& out);

}  // namespace rramft::sweep
