#include "sweep/grid.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "chipspec/chip_spec.h"
#include "core/error.h"
#include "core/spec.h"
#include "io/text.h"

namespace rramft::sweep {

namespace {

constexpr size_t max_list = 10000;  // values in one list

/// Reads one grid file; every message starts with the file's name.
class parser {
 public:
  parser(std::string origin, std::string base_dir)
      : origin_(std::move(origin)), base_(std::move(base_dir)) {}

  grid parse(const std::string& text) {
    const YAML::Node root = parse_yaml(text, origin_);
    if (!root.IsMap())
      fail("expected a mapping of keys at the top level (model, arch, sweep, ...)");
    grid g;
    g.origin = origin_;
    std::set<std::string> top;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string k = key_text(it->first, "");
      if (!top.insert(k).second) fail("key '" + k + "' appears twice");
      const YAML::Node v = it->second;  // a copy: it->second is a temporary
      if (k == "model")
        g.model = path(scalar(v, k));
      else if (k == "arch")
        g.arch = path(scalar(v, k));
      else if (k == "set")
        fixed(v, g);
      else if (k == "eval")
        eval(v, g);
      else if (k == "run")
        run(v, g);
      else if (k == "plots")
        plots(v, g);
      else if (k == "sweep")
        product(v, g);
      else if (k == "zip")
        zips(v, g);
      else
        fail("unknown key '" + k + "' (known: model, arch, set, eval, run, plots, sweep, zip)");
    }
    if (g.model.empty()) fail("key 'model' is missing (the model folder)");
    if (g.arch.empty()) fail("key 'arch' is missing (the base architecture YAML)");
    if (g.rates.empty()) fail("key 'eval.rates' is missing (cell failure rates)");
    if (g.plot_rate >= 0) {
      bool found = false;
      for (double r : g.rates) found |= r == g.plot_rate;
      if (!found) fail("key 'plots.rate': " + rate_text(g.plot_rate) + " is not in eval.rates");
    }
    // The product must stay countable; a few axes of long lists overflow anything.
    size_t n = 1;
    for (const axis& a : g.axes) {
      if (a.values.size() > max_points / n)
        fail("the grid has more than " + std::to_string(max_points) + " points");
      n *= a.values.size();
    }
    return g;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw error(origin_ + ": " + what); }

  std::string key_text(const YAML::Node& k, const std::string& in) const {
    if (!k.IsScalar()) fail((in.empty() ? "" : in + ": ") + "a key is not a plain name");
    return k.Scalar();
  }

  std::string scalar(const YAML::Node& v, const std::string& key) const {
    if (!v.IsScalar() || v.Scalar().empty()) fail("key '" + key + "': expected a single value");
    return v.Scalar();
  }

  template <class T>
  T as(const YAML::Node& v, const std::string& key, const char* want) const {
    if (!v.IsScalar()) fail("key '" + key + "': expected " + want);
    try {
      return v.as<T>();
    } catch (const YAML::Exception&) {
      fail("key '" + key + "': expected " + want + ", got '" + v.Scalar() + "'");
    }
  }

  int integer(const YAML::Node& v, const std::string& key, int lo, int hi) const {
    const int x = as<int>(v, key, "an integer");
    if (x < lo || x > hi)
      fail("key '" + key + "': " + std::to_string(x) + " is not in " + std::to_string(lo) + ".." +
           std::to_string(hi));
    return x;
  }

  double number(const YAML::Node& v, const std::string& key, double lo, double hi) const {
    const double x = as<double>(v, key, "a number");
    if (!(x >= lo && x <= hi)) {
      std::ostringstream o;
      o << "key '" << key << "': " << v.Scalar() << " is not in [" << lo << ", " << hi << "]";
      fail(o.str());
    }
    return x;
  }

  std::string path(const std::string& p) const {
    if (base_.empty() || p.empty() || p[0] == '/') return p;
    return base_ + "/" + p;
  }

  /// Data specs are fashion-mnist[-train][:N] or DIR[:N]; only a folder is resolved.
  std::string data_path(const std::string& spec) const {
    if (spec.rfind("fashion-mnist", 0) == 0) return spec;
    return path(spec);
  }

  std::vector<std::string> list(const YAML::Node& v, const std::string& key) const {
    if (v.IsScalar()) return {scalar(v, key)};
    if (!v.IsSequence()) fail("key '" + key + "': expected a list of values");
    if (v.size() == 0) fail("key '" + key + "': empty value list");
    if (v.size() > max_list)
      fail("key '" + key + "': more than " + std::to_string(max_list) + " values");
    std::vector<std::string> out;
    for (const auto& e : v) {
      if (!e.IsScalar() || e.Scalar().empty())
        fail("key '" + key + "': every value must be a single value (not a list, map or empty)");
      out.push_back(e.Scalar());
    }
    return out;
  }

  /// Two values of a list that mean the same setting: the same text, or the same number.
  static bool same_value(const std::string& a, const std::string& b) {
    if (a == b) return true;
    char *ea = nullptr, *eb = nullptr;
    const double x = std::strtod(a.c_str(), &ea), y = std::strtod(b.c_str(), &eb);
    return ea && eb && *ea == 0 && *eb == 0 && ea != a.c_str() && eb != b.c_str() && x == y;
  }

  /// A swept list that names a value twice would run the same points twice (and the second
  /// result would overwrite the first under the same label).
  void unique_values(const std::string& key, const std::vector<std::vector<std::string>>& values,
                     const std::vector<std::string>& keys) const {
    for (size_t i = 0; i < values.size(); ++i)
      for (size_t j = 0; j < i; ++j) {
        bool same = true;
        for (size_t k = 0; k < values[i].size(); ++k)
          same = same && same_value(values[i][k], values[j][k]);
        if (!same) continue;
        std::string what;
        if (keys.size() == 1) {
          what = "value '" + values[i][0] + "' is";
        } else {
          for (size_t k = 0; k < keys.size(); ++k)
            what += (k ? ", " : "") + keys[k] + "=" + values[i][k];
          what = "values (" + what + ") are";
        }
        fail("key '" + key + "': " + what + " listed twice (items " + std::to_string(j + 1) +
             " and " + std::to_string(i + 1) + ")");
      }
  }

  /// An architecture key: known to the schema, given once in the whole grid, and not one that
  /// the sweep sets itself (schemes and rates are listed under eval).
  void arch_key(const std::string& k) {
    if (!is_arch_key(k)) fail("unknown architecture key '" + k + "'" + arch_key_hint(k));
    if (k == "protection.scheme")
      fail(
          "key 'protection.scheme': list the schemes under eval.protect (every point "
          "evaluates each of them)");
    if (k == "fault.rate") fail("key 'fault.rate': list the failure rates under eval.rates");
    if (!arch_keys_.insert(k).second) fail("key '" + k + "' is given twice");
  }

  void fixed(const YAML::Node& v, grid& g) {
    if (v.IsNull()) return;
    if (!v.IsMap()) fail("key 'set': expected a mapping of architecture keys to values");
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string k = key_text(it->first, "set");
      arch_key(k);
      g.fixed.emplace_back(k, scalar(it->second, "set." + k));
    }
  }

  void product(const YAML::Node& v, grid& g) {
    if (v.IsNull()) return;
    if (!v.IsMap()) fail("key 'sweep': expected a mapping of architecture keys to value lists");
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string k = key_text(it->first, "sweep");
      arch_key(k);
      axis a;
      a.keys.push_back(k);
      for (auto& x : list(it->second, "sweep." + k)) a.values.push_back({x});
      unique_values("sweep." + k, a.values, a.keys);
      g.axes.push_back(std::move(a));
    }
  }

  void zips(const YAML::Node& v, grid& g) {
    if (v.IsNull()) return;
    if (!v.IsSequence()) fail("key 'zip': expected a list of groups (mappings of key: values)");
    for (size_t gi = 0; gi < v.size(); ++gi) {
      const YAML::Node& grp = v[gi];
      const std::string where = "zip[" + std::to_string(gi) + "]";
      if (!grp.IsMap() || grp.size() == 0)
        fail("key '" + where + "': expected a mapping of keys to value lists");
      axis a;
      for (auto it = grp.begin(); it != grp.end(); ++it) {
        const std::string k = key_text(it->first, where);
        arch_key(k);
        const auto vals = list(it->second, where + "." + k);
        if (!a.keys.empty() && vals.size() != a.values.size())
          fail("key '" + where + "." + k + "': " + std::to_string(vals.size()) + " values, but '" +
               a.keys[0] + "' has " + std::to_string(a.values.size()) +
               " (zipped lists must have equal lengths)");
        if (a.keys.empty()) a.values.resize(vals.size());
        a.keys.push_back(k);
        for (size_t i = 0; i < vals.size(); ++i) a.values[i].push_back(vals[i]);
      }
      unique_values(where, a.values, a.keys);
      g.axes.push_back(std::move(a));
    }
  }

  void eval(const YAML::Node& v, grid& g) {
    if (!v.IsMap()) fail("key 'eval': expected a mapping");
    std::set<std::string> seen;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string k = key_text(it->first, "eval"), key = "eval." + k;
      if (!seen.insert(k).second) fail("key '" + key + "' appears twice");
      const YAML::Node x = it->second;  // a copy: it->second is a temporary
      if (k == "data") {
        g.data = data_path(scalar(x, key));
      } else if (k == "calib") {
        g.calib = data_path(scalar(x, key));
      } else if (k == "protect") {
        g.protect = list(x, key);
        std::set<std::string> names;
        for (const auto& p : g.protect) {
          // The name alone: whether a point's quant.clip allows 'clip' depends on the point's
          // architecture (set, sweep), checked for every point before work (preflight).
          arch_spec probe;
          probe.quant.clip = clip_mode::sigma;
          probe.quant.clip_value = 3;
          try {
            apply_scheme(probe, p);
          } catch (const error& e) {
            fail("key '" + key + "': " + e.what());
          }
          const std::string c = probe.scheme_name();
          if (!names.insert(c).second)
            fail("key '" + key + "': '" + p + "' names scheme '" + c + "' a second time");
        }
      } else if (k == "rates") {
        std::vector<double> r;
        for (const auto& t : list(x, key)) r.push_back(number(YAML::Node(t), key, 0, 1));
        std::sort(r.begin(), r.end());
        for (size_t i = 1; i < r.size(); ++i)
          if (r[i] == r[i - 1]) fail("key '" + key + "': " + rate_text(r[i]) + " is listed twice");
        g.rates = r;
      } else if (k == "trials") {
        g.trials = integer(x, key, 1, 100000);
      } else if (k == "batch") {
        g.batch = integer(x, key, 1, 1 << 20);
      } else if (k == "trials_per_task") {
        g.trials_per_task = integer(x, key, 1, 100000);
      } else if (k == "drop") {
        g.drop = number(x, key, 0, 1);
      } else {
        fail("unknown key '" + key +
             "' (known: data, calib, protect, rates, trials, batch, trials_per_task, drop)");
      }
    }
  }

  void run(const YAML::Node& v, grid& g) {
    if (!v.IsMap()) fail("key 'run': expected a mapping");
    std::set<std::string> seen;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string k = key_text(it->first, "run"), key = "run." + k;
      if (!seen.insert(k).second) fail("key '" + key + "' appears twice");
      const YAML::Node x = it->second;  // a copy: it->second is a temporary
      if (k == "enabled")
        g.run = as<bool>(x, key, "true or false");
      else if (k == "data")
        g.run_data = data_path(scalar(x, key));
      else if (k == "timeout_s")
        g.run_timeout_s = number(x, key, 1, 1e7);
      else
        fail("unknown key '" + key + "' (known: enabled, data, timeout_s)");
    }
  }

  void plots(const YAML::Node& v, grid& g) {
    if (!v.IsMap()) fail("key 'plots': expected a mapping");
    std::set<std::string> seen;
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string k = key_text(it->first, "plots"), key = "plots." + k;
      if (!seen.insert(k).second) fail("key '" + key + "' appears twice");
      const YAML::Node x = it->second;  // a copy: it->second is a temporary
      if (k == "rate") {
        g.plot_rate = number(x, key, 0, 1);
      } else if (k == "heatmap") {
        const auto keys = list(x, key);
        if (keys.size() != 2) fail("key '" + key + "': expected two keys [x, y]");
        for (const auto& hk : keys)
          if (!is_arch_key(hk))
            fail("key '" + key + "': unknown architecture key '" + hk + "'" + arch_key_hint(hk));
        g.heat_x = keys[0];
        g.heat_y = keys[1];
      } else {
        fail("unknown key '" + key + "' (known: rate, heatmap)");
      }
    }
  }

  std::string origin_, base_;
  std::set<std::string> arch_keys_;
};

}  // namespace

size_t grid::points() const {
  size_t n = 1;
  for (const axis& a : axes) n *= a.values.size();
  return n;
}

std::vector<std::string> grid::swept_keys() const {
  std::vector<std::string> k;
  for (const axis& a : axes) k.insert(k.end(), a.keys.begin(), a.keys.end());
  return k;
}

std::vector<std::pair<std::string, std::string>> grid::point(size_t i) const {
  if (i >= points()) throw error(origin + ": point " + std::to_string(i) + " does not exist");
  // Mixed radix, the last axis fastest.
  std::vector<size_t> pick(axes.size());
  for (size_t a = axes.size(); a-- > 0;) {
    pick[a] = i % axes[a].values.size();
    i /= axes[a].values.size();
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t a = 0; a < axes.size(); ++a)
    for (size_t k = 0; k < axes[a].keys.size(); ++k)
      out.emplace_back(axes[a].keys[k], axes[a].values[pick[a]][k]);
  return out;
}

std::vector<std::string> grid::overrides(size_t i) const {
  std::vector<std::string> o;
  for (const auto& [k, v] : fixed) o.push_back(k + "=" + v);
  for (const auto& [k, v] : point(i)) o.push_back(k + "=" + v);
  return o;
}

nlohmann::json grid::to_json() const {
  nlohmann::json j;
  j["model"] = model;
  j["arch"] = arch;
  j["set"] = nlohmann::json::array();
  for (const auto& [k, v] : fixed) j["set"].push_back({k, v});
  j["eval"] = {{"data", data},     {"calib", calib}, {"protect", protect}, {"rates", rates},
               {"trials", trials}, {"batch", batch}, {"drop", drop}};
  j["run"] = {{"enabled", run}, {"data", run_data}};
  j["axes"] = nlohmann::json::array();
  for (const axis& a : axes) j["axes"].push_back({{"keys", a.keys}, {"values", a.values}});
  return j;
}

grid parse_grid(const std::string& text, const std::string& origin, const std::string& base_dir) {
  return parser(origin, base_dir).parse(text);
}

grid load_grid(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return parse_grid(read_file(path, "grid file"), path,
                    slash == std::string::npos ? "." : path.substr(0, slash));
}

std::string rate_text(double rate) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", rate);
  return buf;
}

}  // namespace rramft::sweep
