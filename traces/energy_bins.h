#pragma once
/// @file energy_bins.h
/// @brief Energy over time (energy.csv): the controller's step records (actions each weight
/// layer or SFU operation caused, and its interval) priced with the energy reference table,
/// each step's energy spread uniformly over [start, end) into bins of equal width, by component;
/// plus leakage (constant power) per bin.
#include <ostream>
#include <string>
#include <vector>

#include "energy/ert.h"
#include "tiles/controller.h"

namespace rramft::traces {

struct energy_bins {
  double bin_ns = 0;                    ///< bin width, ns
  double horizon_ns = 0;                ///< end of the last bin (the run's end), ns
  std::vector<std::string> components;  ///< dynamic components, sorted (columns)
  std::vector<std::vector<double>> pj;  ///< [bin][component] dynamic energy, pJ
  std::vector<double> leakage_pj;       ///< [bin] leakage energy, pJ
  size_t bins() const { return pj.size(); }
  double t_start(size_t i) const { return double(i) * bin_ns; }
  double t_end(size_t i) const { return i + 1 >= bins() ? horizon_ns : double(i + 1) * bin_ns; }
};

/// @brief A round bin width (1, 2, 2.5 or 5 times a power of ten, ns) giving 100 to 200 bins
/// over @p total_ns.
double auto_bin_ns(double total_ns);

/// @brief Bins the energy of @p steps over [0, max(start_ns + total_ns, last step end)).
/// @param total_ns the run's latency, from its start @p start_ns (simulation time, ns) to the
/// done interrupt; leakage is counted inside [start_ns, start_ns + total_ns] only
/// @param bin_ns bin width, ns; 0 picks auto_bin_ns(start_ns + total_ns)
/// @param leakage_mw static power of the chip, mW (mW x ns = pJ)
/// @throws rramft::error if bin_ns is negative or gives more than 10 million bins
energy_bins bin_energy(const std::vector<sc::step_record>& steps, const energy::table& ert,
                       const full_spec& a, double total_ns, double bin_ns, double leakage_mw,
                       double start_ns = 0);

/// @brief energy.csv: header t_start_ns,t_end_ns,<component>...,leakage; one row per bin, pJ.
void write_energy_csv(std::ostream& o, const energy_bins& b);

}  // namespace rramft::traces
