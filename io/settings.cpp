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

std::vector<std::string> non_default_settings(const arch_spec& a,
                                              const std::vector<std::string>& skip) {
  std::vector<std::pair<std::string, std::string>> mine, defaults;
  flatten(a.to_yaml(), "", mine);
  flatten(arch_spec{}.to_yaml(), "", defaults);
  std::vector<std::string> out;
  for (const auto& kv : mine) {
    const std::string& k = kv.first;  // (clang 14 cannot capture a structured binding)
    if (std::find(skip.begin(), skip.end(), k) != skip.end()) continue;
    const auto d = std::find_if(defaults.begin(), defaults.end(),
                                [&](const auto& dk) { return dk.first == k; });
    if (d == defaults.end() || d->second != kv.second) out.push_back(k + "=" + kv.second);
  }
  return out;
}

std::vector<std::string> settings_lines(const arch_spec& a, const std::vector<std::string>& skip,
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
