#include "traces/energy_bins.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.h"

namespace rramft::traces {

double auto_bin_ns(double total_ns) {
  if (!(total_ns > 0)) return 1.0;
  // The smallest round width with at most 200 bins; the steps 1, 2, 2.5, 5 (ratios <= 2) leave
  // at least 100.
  const double target = total_ns / 200;
  const double decade = std::pow(10.0, std::floor(std::log10(target)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * decade >= target * (1 - 1e-12)) return m * decade;
  return 10 * decade;
}

energy_bins bin_energy(const std::vector<sc::step_record>& steps, const energy::table& ert,
                       const full_spec& a, double total_ns, double bin_ns, double leakage_mw,
                       double start_ns) {
  if (bin_ns < 0 || !std::isfinite(bin_ns))
    throw error("--bin-ns: " + std::to_string(bin_ns) + " is not a positive width in ns");
  energy_bins b;
  const double run_end = start_ns + std::max(total_ns, 0.0);
  b.horizon_ns = run_end;
  for (const auto& s : steps) b.horizon_ns = std::max(b.horizon_ns, s.end_ns);
  b.bin_ns = bin_ns > 0 ? bin_ns : auto_bin_ns(b.horizon_ns);
  // A last bin narrower than a rounding error is not a bin.
  const double nb = std::max(1.0, std::ceil(b.horizon_ns / b.bin_ns * (1 - 1e-12)));
  if (nb > 1e7)
    throw error("--bin-ns: " + std::to_string(b.bin_ns) + " ns gives " +
                std::to_string((long long)nb) + " bins over the run of " +
                std::to_string(b.horizon_ns) + " ns (at most 10000000)");
  const size_t n = size_t(nb);

  // Price every action once; columns are the components seen.
  std::map<std::string, std::pair<std::string, double>> price;  // action -> (component, pJ)
  for (const auto& s : steps)
    for (const auto& [key, count] : s.actions) {
      const std::string action = key.substr(key.find('/') + 1);
      if (!price.count(action))
        price[action] = {energy::component_of(action), ert.energy_pj(action, a)};
    }
  std::map<std::string, size_t> column;
  for (const auto& [action, cp] : price) column[cp.first] = 0;
  for (auto& [c, i] : column) {
    i = b.components.size();
    b.components.push_back(c);
  }
  b.pj.assign(n, std::vector<double>(b.components.size(), 0.0));

  std::vector<double> e(b.components.size());
  for (const auto& s : steps) {
    std::fill(e.begin(), e.end(), 0.0);
    for (const auto& [key, count] : s.actions) {
      const auto& [comp, pj] = price.at(key.substr(key.find('/') + 1));
      e[column.at(comp)] += double(count) * pj;
    }
    const double dur = s.end_ns - s.start_ns;
    const size_t first = std::min(n - 1, size_t(std::max(0.0, std::floor(s.start_ns / b.bin_ns))));
    if (!(dur > 0)) {  // an instantaneous step: all in the bin of its start
      for (size_t c = 0; c < e.size(); ++c) b.pj[first][c] += e[c];
      continue;
    }
    for (size_t i = first; i < n && b.t_start(i) < s.end_ns; ++i) {
      const double lo = std::max(s.start_ns, b.t_start(i));
      const double hi = std::min(s.end_ns, b.t_end(i));
      if (hi <= lo) continue;
      const double f = (hi - lo) / dur;
      for (size_t c = 0; c < e.size(); ++c) b.pj[i][c] += e[c] * f;
    }
  }
  b.leakage_pj.resize(n);
  for (size_t i = 0; i < n; ++i)
    b.leakage_pj[i] = leakage_mw * std::max(0.0, std::min(b.t_end(i), run_end) -
                                                     std::max(b.t_start(i), start_ns));
  return b;
}

void write_energy_csv(std::ostream& o, const energy_bins& b) {
  o << "t_start_ns,t_end_ns";
  for (const auto& c : b.components) o << "," << c << "_pj";
  o << ",leakage_pj\n";
  char buf[40];
  auto num = [&](double v) {
    std::snprintf(buf, sizeof buf, "%.12g", v);
    o << buf;
  };
  for (size_t i = 0; i < b.bins(); ++i) {
    num(b.t_start(i));
    o << ",";
    num(b.t_end(i));
    for (double v : b.pj[i]) {
      o << ",";
      num(v);
    }
    o << ",";
    num(b.leakage_pj[i]);
    o << "\n";
  }
}

}  // namespace rramft::traces
