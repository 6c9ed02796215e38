#pragma once
/// @file fuzz.h
/// @brief What every fuzz target of fuzz/ checks: a parser of outside input either accepts the
/// input or throws rramft::error with a one-line message; any other exception, a crash, a
/// sanitizer report, a hang or an allocation beyond the fuzzer's limit is a bug.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

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

}  // namespace rramft::fuzz
