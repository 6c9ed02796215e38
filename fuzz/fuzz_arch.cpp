/// @file fuzz_arch.cpp
/// @brief The architecture YAML with --set and --set-from overrides (core/spec.cpp). Input: the
/// YAML, then optionally the line "#set#" followed by one override (key=value) per line, then
/// optionally the line "#set-from#" followed by a --set-from fragment, whose overrides come
/// before the --set lines (as rramft run applies them).
/// A spec that is accepted must survive its own arch.yaml: to_yaml() parsed again gives the
/// same spec, which is what makes a result folder reproducible from its arch.yaml.
#include <sstream>
#include <vector>

#include "core/spec.h"
#include "fuzz/fuzz.h"
#include "io/arch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rramft;
  const auto parts = fuzz::split(data, size, "\n#set#\n");
  const std::string& yaml = parts.first;
  const auto rest = fuzz::split(reinterpret_cast<const uint8_t*>(parts.second.data()),
                                parts.second.size(), "\n#set-from#\n");
  const std::string &sets_text = rest.first, &fragment = rest.second;
  std::vector<std::string> sets;
  if (!fragment.empty() &&
      !fuzz::accepts([&] { sets = overrides_from_text(fragment, "fuzz_set_from.yaml"); }))
    return 0;
  std::istringstream ss(sets_text);
  for (std::string line; std::getline(ss, line);) sets.push_back(line);
  full_spec a;
  if (!fuzz::accepts([&] { a = load_arch_text(yaml, "fuzz.yaml", sets); })) return 0;
  // Accepted files name no key twice (else one of the two values was silently dropped).
  fuzz::require(!fuzz::yaml_has_duplicate_key(yaml),
                "an arch file with a duplicate key was accepted");
  fuzz::require(!fuzz::yaml_has_duplicate_key(fragment),
                "a --set-from fragment with a duplicate key was accepted");
  YAML::Emitter e1;
  e1 << a.to_yaml();
  full_spec b;
  fuzz::require(fuzz::accepts([&] { b = load_arch_text(e1.c_str(), "arch.yaml"); }),
                "the effective arch.yaml of an accepted spec is refused");
  YAML::Emitter e2;
  e2 << b.to_yaml();
  fuzz::require(std::string(e1.c_str()) == e2.c_str(), "arch.yaml does not reproduce the spec");
  fuzz::require(a.fault.sa0_fraction() == b.fault.sa0_fraction(),
                "arch.yaml changes the SA0:SA1 ratio");
  return 0;
}
