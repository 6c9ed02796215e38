#include "sweep/plots.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <sstream>

#include "core/error.h"
#include "io/arch_file.h"
#include "io/output.h"
#include "io/settings.h"
#include "sweep/results.h"

namespace rramft::sweep {

namespace {

/// A point's configuration, "key=value ..." over the swept keys (its number when none).
std::string label_of(const nlohmann::json& pt) {
  std::string s;
  for (const auto& kv : pt.at("keys"))
    s += (s.empty() ? "" : " ") + kv.at(0).get<std::string>() + "=" + kv.at(1).get<std::string>();
  return s.empty() ? "point " + std::to_string(pt.at("point").get<size_t>()) : s;
}

/// The title lines naming what every point shares and differs from the defaults: the base
/// architecture with the grid's `set:` overrides, less the keys swept or plotted.
std::string settings_title(const grid& g) {
  std::vector<std::string> sets;
  for (const auto& [k, v] : g.fixed) sets.push_back(k + "=" + v);
  std::vector<std::string> skip = g.swept_keys();
  skip.insert(skip.end(), {"protection.scheme", "fault.rate"});
  try {
    return title_lines(settings_lines(load_arch(g.arch, sets), skip));
  } catch (const std::exception&) {
    return "";  // the base architecture has changed since the sweep ran: no settings line
  }
}

std::string value_of(const nlohmann::json& pt, const std::string& key) {
  for (const auto& kv : pt.at("keys"))
    if (kv.at(0) == key) return kv.at(1).get<std::string>();
  return "";
}

/// Index of scheme @p s / rate @p r in the eval report's points.
const nlohmann::json& eval_point(const grid& g, const nlohmann::json& pt, size_t s, size_t r) {
  return pt.at("eval").at("points").at(s * g.rates.size() + r);
}

bool all_positive(const std::vector<double>& v) {
  for (double x : v)
    if (!(x > 0)) return false;
  return true;
}

std::string accuracy_plot(const grid& g, const std::vector<const nlohmann::json*>& ok,
                          result_set& out) {
  const std::string dat = "accuracy_vs_rate.dat", png = "accuracy_vs_rate.png";
  std::ostringstream d;
  d.precision(10);
  for (size_t s = 0; s < g.protect.size(); ++s)
    for (const auto* pt : ok) {
      d << "# " << g.protect[s] << " " << label_of(*pt) << "\n";
      for (size_t r = 0; r < g.rates.size(); ++r) {
        const auto& e = eval_point(g, *pt, s, r);
        d << g.rates[r] << " " << 100 * e.at("mean").get<double>() << " "
          << 100 * e.at("ci95_low").get<double>() << " " << 100 * e.at("ci95_high").get<double>()
          << "\n";
      }
      d << "\n\n";
    }
  out.write(dat, d.str());
  const size_t S = g.protect.size();
  const bool key = ok.size() <= 16;
  std::ostringstream o;
  // The legend gets the right part of the picture; the panels share the rest equally.
  const double right = key ? 0.70 : 0.97;
  o << "set terminal pngcairo size " << 520 * S + (key ? 480 : 0) << ",560 font 'sans,10'\n"
    << gnuplot_output(png) << "set multiplot layout 1," << S << " margins 0.06," << right
    << ",0.12,0.9 spacing 0.07,0.1 title "
    << gnuplot_quoted("Accuracy under stuck-at faults, " + std::to_string(g.trials) +
                      " chips per point (mean)")
    << settings_title(g) << " noenhanced\n"
    << (all_positive(g.rates) ? "set logscale x\n" : "")
    << "set grid\nset xlabel 'cell failure rate'\nset ylabel 'accuracy (%)'\nset yrange [0:100]\n";
  for (size_t s = 0; s < S; ++s) {
    o << "set title " << gnuplot_quoted("protection: " + g.protect[s]) << " noenhanced\n";
    if (key && s + 1 == S)
      o << "set key at screen " << right + 0.02 << ",0.9 left top Left reverse noenhanced "
        << "font ',9'\n";
    else
      o << "set key off\n";
    o << "plot ";
    for (size_t j = 0; j < ok.size(); ++j) {
      o << (j ? ", \\\n  " : "") << gnuplot_quoted(dat) << " index " << s * ok.size() + j
        << " using 1:2 with linespoints lw 2 pt " << (j % 13) + 1 << " lc rgb '"
        << plot_colours[j % plot_colour_count] << "' title " << gnuplot_quoted(label_of(*ok[j]));
    }
    if (!key)  // too many lines for a legend: name each line at its last rate
      for (size_t j = 0; j < ok.size(); ++j)
        o << ", " << gnuplot_quoted(dat) << " index " << s * ok.size() + j
          << " every ::" << g.rates.size() - 1 << " using 1:2:(" << gnuplot_quoted(label_of(*ok[j]))
          << ") with labels left offset 0.5,0 font ',8' notitle";
    o << "\n";
  }
  o << "unset multiplot\n";
  return out.plot("accuracy_vs_rate.gp", png, o.str()) ? "accuracy_vs_rate.png" : "";
}

std::vector<std::string> pareto_plot(const grid& g, const std::vector<const nlohmann::json*>& ok,
                                     result_set& out) {
  const double rate = plot_rate(g);
  const size_t ri = size_t(std::find(g.rates.begin(), g.rates.end(), rate) - g.rates.begin());
  std::vector<design> all;
  std::map<size_t, const nlohmann::json*> by_point;
  for (const auto* pt : ok) {
    by_point[pt->at("point").get<size_t>()] = pt;
    for (size_t s = 0; s < g.protect.size(); ++s) {
      const auto& c = pt->at("chip").at(g.protect[s]);
      design d;
      d.point = pt->at("point").get<size_t>();
      d.scheme = g.protect[s];
      d.energy = c.at("energy_pj").get<double>() / c.at("images").get<double>();
      d.accuracy = eval_point(g, *pt, s, ri).at("mean").get<double>();
      all.push_back(d);
    }
  }
  const std::vector<design> front = pareto_front(all);
  // pareto.csv: the designs worth picking, with what they are.
  std::vector<std::string> head{"point", "scheme"};
  for (const auto& k : g.swept_keys()) head.push_back(k);
  for (const char* h :
       {"energy_pj_per_image", "latency_ns_per_image", "acc_mean", "accurate_latency_ns"})
    head.push_back(h + std::string(h[0] == 'e' || h[0] == 'l' ? "" : "@" + rate_text(rate)));
  std::string csv = csv_line(head);
  for (const design& d : front) {
    const auto& pt = *by_point.at(d.point);
    const double lat = pt.at("chip").at(d.scheme).at("latency_ns_per_image").get<double>();
    std::vector<std::string> r{std::to_string(d.point), d.scheme};
    for (const auto& kv : pt.at("keys")) r.push_back(kv.at(1).get<std::string>());
    for (double v : {d.energy, lat, d.accuracy, accurate_latency(lat, d.accuracy)})
      r.push_back(number_text(v));
    csv += csv_line(r);
  }
  out.write("pareto.csv", csv);

  const std::string dat = "energy_accuracy.dat", png = "energy_accuracy.png";
  std::ostringstream d;
  d.precision(10);
  for (const auto& s : g.protect) {
    d << "# " << s << ": energy_nj_per_image accuracy_pct configuration\n";
    for (const design& x : all)
      if (x.scheme == s)
        d << x.energy / 1e3 << " " << 100 * x.accuracy << " "
          << std::quoted(label_of(*by_point.at(x.point))) << "\n";
    d << "\n\n";
  }
  d << "# Pareto front\n";
  for (const design& x : front)
    d << x.energy / 1e3 << " " << 100 * x.accuracy << " "
      << std::quoted(label_of(*by_point.at(x.point)) + " " + x.scheme) << "\n";
  out.write(dat, d.str());
  std::ostringstream o;
  o << "set terminal pngcairo size 1000,650 font 'sans,10'\n"
    << gnuplot_output(png) << "set title "
    << gnuplot_quoted("Energy and accuracy at cell failure rate " + rate_text(rate) +
                      " (every point x scheme; Pareto front: lowest energy for its accuracy)")
    << settings_title(g) << " noenhanced\n"
    << "set xlabel 'energy per image (nJ)'\nset ylabel 'mean accuracy (%)'\nset grid\n"
    << "set key bottom right noenhanced\n"
    << "plot ";
  for (size_t s = 0; s < g.protect.size(); ++s)
    o << gnuplot_quoted(dat) << " index " << s << " using 1:2 with points pt " << 5 + 2 * s
      << " ps 1.4 lc rgb '" << plot_colours[s % plot_colour_count] << "' title "
      << gnuplot_quoted(g.protect[s]) << ", ";
  o << gnuplot_quoted(dat) << " index " << g.protect.size()
    << " using 1:2 with steps lw 2 dt 2 lc rgb 'black' title 'Pareto front', "
    << gnuplot_quoted(dat) << " index " << g.protect.size()
    << " using 1:2 with points pt 6 ps 2.6 lw 2 lc rgb 'black' notitle, " << gnuplot_quoted(dat)
    << " index " << g.protect.size()
    << " using 1:2:3 with labels left offset 1.2,0.6 font ',8' noenhanced notitle\n";
  const bool drawn = out.plot("energy_accuracy.gp", png, o.str());
  std::vector<std::string> wrote{"pareto.csv"};
  if (drawn) wrote.push_back("energy_accuracy.png");
  return wrote;
}

/// Category values of @p key among the points, numerically sorted when all are numbers.
std::vector<std::string> categories(const std::vector<const nlohmann::json*>& ok,
                                    const std::string& key) {
  std::vector<std::string> v;
  for (const auto* pt : ok) {
    const std::string x = value_of(*pt, key);
    if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
  }
  bool numeric = true;
  for (const auto& x : v) {
    char* end = nullptr;
    std::strtod(x.c_str(), &end);
    numeric &= !x.empty() && end && *end == 0;
  }
  if (numeric)
    std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
      return std::strtod(a.c_str(), nullptr) < std::strtod(b.c_str(), nullptr);
    });
  return v;
}

std::string heat_plot(const grid& g, const std::vector<const nlohmann::json*>& ok,
                      result_set& out) {
  const auto keys = g.swept_keys();
  for (const auto& k : {g.heat_x, g.heat_y})
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) {
      std::cerr << "rramft: note: heatmap.png not drawn: key '" << k
                << "' is not swept (plots.heatmap names the two axes)\n";
      return "";
    }
  std::vector<size_t> prot;
  size_t none = g.protect.size();
  for (size_t s = 0; s < g.protect.size(); ++s)
    if (g.protect[s] == "none")
      none = s;
    else
      prot.push_back(s);
  if (prot.empty()) {
    std::cerr << "rramft: note: heatmap.png not drawn: no protected scheme in eval.protect\n";
    return "";
  }
  const auto xs = categories(ok, g.heat_x), ys = categories(ok, g.heat_y);
  auto index = [](const std::vector<std::string>& v, const std::string& x) {
    return size_t(std::find(v.begin(), v.end(), x) - v.begin());
  };
  // Per scheme and cell: the mean over the points in the cell (other keys may vary).
  struct cell {
    double overhead = 0, ratio = 0;
    int n = 0, nratio = 0;
    bool bound = false;  // some ratio is only a lower bound (the scheme never dropped)
  };
  const std::string dat = "heatmap.dat", png = "heatmap.png";
  std::ostringstream d;
  d.precision(6);
  int most = 0;
  for (size_t s : prot) {
    std::map<std::pair<size_t, size_t>, cell> cells;
    for (const auto* pt : ok) {
      cell& c = cells[{index(xs, value_of(*pt, g.heat_x)), index(ys, value_of(*pt, g.heat_y))}];
      const auto& sum = pt->at("eval").at("schemes").at(s);
      c.overhead += sum.at("storage_overhead_pct").get<double>();
      ++c.n;
      const auto& r = sum.at("tolerance_ratio_vs_none");
      if (r.is_number()) {
        c.ratio += r.get<double>();
        ++c.nratio;
      } else if (none < g.protect.size()) {
        const auto& tn = pt->at("eval").at("schemes").at(none).at("tolerated_rate");
        if (tn.is_number() && tn.get<double>() > 0 && !sum.at("drop_reached").get<bool>()) {
          c.ratio += g.rates.back() / tn.get<double>();
          ++c.nratio;
          c.bound = true;
        }
      }
      most = std::max(most, c.n);
    }
    d << "# " << g.protect[s] << ": x y storage_overhead_pct label\n";
    for (const auto& [xy, c] : cells) {
      char lab[64];
      std::snprintf(lab, sizeof lab, "%.2f%%", c.overhead / c.n);
      d << xy.first << " " << xy.second << " " << c.overhead / c.n << " \"" << lab << "\"\n";
    }
    d << "\n\n# " << g.protect[s] << ": x y tolerance_ratio label\n";
    for (const auto& [xy, c] : cells) {
      if (!c.nratio) {
        d << xy.first << " " << xy.second << " NaN \"n/a\"\n";
        continue;
      }
      char lab[64];
      std::snprintf(lab, sizeof lab, "%s%.1f", c.bound ? ">" : "", c.ratio / c.nratio);
      d << xy.first << " " << xy.second << " " << c.ratio / c.nratio << " \"" << lab << "\"\n";
    }
    d << "\n\n";
  }
  out.write(dat, d.str());
  auto tics = [](const std::vector<std::string>& v) {
    std::string t = "(";
    for (size_t i = 0; i < v.size(); ++i)
      t += (i ? ", " : "") + gnuplot_quoted(v[i]) + " " + std::to_string(i);
    return t + ")";
  };
  std::ostringstream o;
  o << "set terminal pngcairo size 1100," << 80 + 420 * prot.size() << " font 'sans,10'\n"
    << gnuplot_output(png) << "set multiplot layout " << prot.size() << ",2 title "
    << gnuplot_quoted("Storage overhead and tolerance ratio over " + g.heat_x + " x " + g.heat_y +
                      (most > 1 ? " (mean over the points of a cell)" : ""))
    << settings_title(g) << " noenhanced\n"
    << "set xtics " << tics(xs) << "\nset ytics " << tics(ys) << "\n"
    << "set xrange [-0.5:" << xs.size() - 0.5 << "]\nset yrange [-0.5:" << ys.size() - 0.5 << "]\n"
    << "set xlabel " << gnuplot_quoted(g.heat_x) << " noenhanced\nset ylabel "
    << gnuplot_quoted(g.heat_y)
    << " noenhanced\nset key off\nset style fill solid 1.0 noborder\nset cbrange [0:*]\n";
  for (size_t i = 0; i < prot.size(); ++i) {
    const std::string sch = g.protect[prot[i]];
    o << "set palette defined (0 'white', 1 '#d62728')\n"
      << "set title " << gnuplot_quoted(sch + ": storage overhead (%)") << " noenhanced\n"
      << "plot " << gnuplot_quoted(dat) << " index " << 2 * i
      << " using 1:2:(0.5):(0.5):3 with boxxyerror fc palette, '' index " << 2 * i
      << " using 1:2:4 with labels font ',11'\n"
      << "set palette defined (0 'white', 1 '#2ca02c')\n"
      << "set title "
      << gnuplot_quoted(sch + ": tolerance ratio vs none ('>': never dropped " +
                        number_text(100 * g.drop) + " points)")
      << " noenhanced\n"
      << "plot " << gnuplot_quoted(dat) << " index " << 2 * i + 1
      << " using 1:2:(0.5):(0.5):3 with boxxyerror fc palette, '' index " << 2 * i + 1
      << " using 1:2:4 with labels font ',11'\n";
  }
  o << "unset multiplot\n";
  return out.plot("heatmap.gp", png, o.str()) ? "heatmap.png" : "";
}

}  // namespace

std::vector<design> pareto_front(std::vector<design> all) {
  std::sort(all.begin(), all.end(), [](const design& a, const design& b) {
    if (a.energy != b.energy) return a.energy < b.energy;
    if (a.accuracy != b.accuracy) return a.accuracy > b.accuracy;
    return a.point != b.point ? a.point < b.point : a.scheme < b.scheme;
  });
  std::vector<design> front;
  for (const design& d : all)
    if (front.empty() || d.accuracy > front.back().accuracy) front.push_back(d);
  return front;
}

double plot_rate(const grid& g) {
  if (g.plot_rate >= 0) return g.plot_rate;
  return g.rates[(g.rates.size() - 1) / 2];
}

std::vector<std::string> write_plots(const grid& g, const std::vector<nlohmann::json>& points,
                                     const std::string& dir) {
  std::vector<const nlohmann::json*> ok;
  for (const auto& pt : points)
    if (pt.at("status") == "ok") ok.push_back(&pt);
  std::vector<std::string> wrote;
  // The pictures are one result: those not drawn this time do not stay from an earlier one.
  result_set out(dir);
  for (const char* base : {"accuracy_vs_rate", "energy_accuracy", "heatmap"})
    for (const char* ext : {".dat", ".gp", ".png"}) out.drop(base + std::string(ext));
  out.drop("pareto.csv");
  if (!ok.empty()) {
    if (auto w = accuracy_plot(g, ok, out); !w.empty()) wrote.push_back(w);
    if (g.run)
      for (auto& w : pareto_plot(g, ok, out)) wrote.push_back(w);
    if (auto w = heat_plot(g, ok, out); !w.empty()) wrote.push_back(w);
  }
  out.commit();
  return wrote;
}

}  // namespace rramft::sweep
