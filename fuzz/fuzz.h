#pragma once
/// @file fuzz.h
/// @brief What every fuzz target of fuzz/ checks: a parser of outside input either accepts the
/// input or throws rramft::error with a one-line message; any other exception, a crash, a
/// sanitizer report, a hang or an allocation beyond the fuzzer's limit is a bug.
#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"

namespace rramft::fuzz {

/// @brief Stops the process (a crash to libFuzzer and to the replay driver) when @p ok is false.
inline void require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant violated: %s\n", what);
  std::abort();
}

/// @brief Runs @p parse; a rramft::error must be one non-empty line. Returns true if it parsed.
/// With RRAMFT_FUZZ_VERBOSE set, the messages go to stderr (to see what the seeds reach).
template <class F>
bool accepts(F&& parse) {
  try {
    parse();
    return true;
  } catch (const rramft::error& e) {
    const std::string m = e.what();
    require(!m.empty(), "error message is empty");
    require(m.find('\n') == std::string::npos && m.find('\r') == std::string::npos,
            "error message is not a single line");
    static const bool verbose = std::getenv("RRAMFT_FUZZ_VERBOSE") != nullptr;
    if (verbose) std::fprintf(stderr, "  refused: %s\n", m.c_str());
    return false;
  }
}

/// @brief Splits @p data at the first @p sep: before and after (after empty when absent).
inline std::pair<std::string, std::string> split(const uint8_t* data, size_t size,
                                                 const std::string& sep) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  const size_t at = all.find(sep);
  if (at == std::string::npos) return {all, std::string()};
  return {all.substr(0, at), all.substr(at + sep.size())};
}

/// @brief True if some object of the JSON @p text names a key twice. An oracle independent of
/// io/text.h's check: nlohmann's callback parser, keys collected per open object.
inline bool json_has_duplicate_key(const std::string& text) {
  std::vector<std::set<std::string>> open;
  bool dup = false;
  try {
    // The tree itself is not needed (and the result must be kept: warn_unused_result).
    const nlohmann::json tree = nlohmann::json::parse(
        text,
        [&](int, nlohmann::json::parse_event_t ev, nlohmann::json& parsed) {
          if (ev == nlohmann::json::parse_event_t::object_start) open.emplace_back();
          if (ev == nlohmann::json::parse_event_t::object_end && !open.empty()) open.pop_back();
          if (ev == nlohmann::json::parse_event_t::key && !open.empty())
            dup |= !open.back().insert(parsed.get<std::string>()).second;
          return true;
        },
        false);
    (void)tree;
  } catch (const std::exception&) {
  }
  return dup;
}

/// @brief True if some mapping of the YAML @p text names a scalar key twice. Independent of
/// io/text.h's event walk: yaml-cpp's tree keeps both entries of a duplicated key, so the
/// tree is searched (depth and node count bounded: aliases may share or nest nodes).
inline bool yaml_has_duplicate_key(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const std::exception&) {
    return false;
  }
  int budget = 100000;
  std::function<bool(const YAML::Node&, int)> walk = [&](const YAML::Node& n, int depth) {
    if (depth > 64 || --budget < 0) return false;
    if (n.IsMap()) {
      std::set<std::string> keys;
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (it->first.IsScalar() && !keys.insert(it->first.Scalar()).second) return true;
        if (walk(it->second, depth + 1)) return true;
      }
    } else if (n.IsSequence()) {
      for (const auto& e : n)
        if (walk(e, depth + 1)) return true;
    }
    return false;
  };
  return walk(root, 0);
}

}  // namespace rramft::fuzz
