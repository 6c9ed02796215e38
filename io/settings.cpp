#include "io/settings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "io/output.h"

namespace rramft {

namespace {

void flatten(const YAML::Node& n, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  if (n.IsMap()) {
    for (const auto& kv : n)
      flatten(
          kv.second,
          prefix.empty() ? kv.first.as<std::string>() : prefix + "." + kv.first.as<std::string>(),
          out);
  } else {
    YAML::Emitter e;
    e << YAML::Flow << n;
    out.emplace_back(prefix, e.c_str());
  }
}

}  // namespace

std::vector<std::string> non_default_settings(const full_spec& a,
                                              const std::vector<std::string>& skip) {
  std::vector<std::pair<std::string, std::string>> mine, defaults;
  flatten(a.to_yaml(), "", mine);
  flatten(full_spec{}.to_yaml(), "", defaults);
  std::vector<std::string> out;
  for (const auto& kv : mine) {
    const std::string& k = kv.first;  // (clang 14 cannot capture a structured binding)
    if (std::find(skip.begin(), skip.end(), k) != skip.end()) continue;
    const auto d = std::find_if(defaults.begin(), defaults.end(),
                                [&](const auto& dk) { return dk.first == k; });
    if (d == defaults.end() || d->second != kv.second) {
      // energy_table: the default "ert/isaac.yaml" next to the arch file, held absolute once read
      const std::string& v = kv.second;
      const std::string& def = d == defaults.end() ? v : d->second;
      const bool resolved_default =
          !def.empty() && def[0] != '/' && v.size() > def.size() && v[0] == '/' &&
          v.compare(v.size() - def.size() - 1, std::string::npos, "/" + def) == 0;
      if (!resolved_default) out.push_back(k + "=" + v);
    }
  }
  return out;
}

std::vector<std::string> settings_lines(const full_spec& a, const std::vector<std::string>& skip,
                                        size_t width) {
  const std::vector<std::string> s = non_default_settings(a, skip);
  std::vector<std::string> lines{"settings:"};
  if (s.empty()) lines.back() += " all defaults";
  for (size_t i = 0; i < s.size(); ++i) {
    const std::string item = " " + s[i] + (i + 1 < s.size() ? "," : "");
    if (lines.back().size() + item.size() > width && lines.back().size() > 10) lines.emplace_back();
    lines.back() += item;
  }
  return lines;
}

std::string title_lines(const std::vector<std::string>& lines) {
  std::string o;
  for (const std::string& l : lines) o += " . \"\\n\" . " + gnuplot_quoted(l);
  return o;
}

}  // namespace rramft
