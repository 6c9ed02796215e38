#pragma once
/// @file settings.h
/// @brief What sets a result apart: the architecture keys whose values differ from the built-in
/// defaults, for the titles of pictures (a picture names the settings it was made with).
#include <string>
#include <vector>

#include "chipspec/chip_spec.h"

namespace rramft {

/// @brief "key=value" for every architecture key of @p a whose value differs from a
/// default-constructed full_spec, in the order of the effective arch.yaml, leaving out the keys
/// named in @p skip (e.g. those a picture plots on an axis or in its legend). A file key whose
/// default is a path relative to the arch file (energy_table) counts as default when its
/// resolved, absolute value ends in that path.
std::vector<std::string> non_default_settings(const full_spec& a,
                                              const std::vector<std::string>& skip = {});

/// @brief non_default_settings() as lines of at most @p width characters for a title,
/// "settings: ..." ("settings: all defaults" when none differ).
std::vector<std::string> settings_lines(const full_spec& a,
                                        const std::vector<std::string>& skip = {},
                                        size_t width = 110);

/// @brief A gnuplot string expression continuing a title with @p lines, each on its own line:
/// ` . "\n" . 'line 1' . "\n" . 'line 2'` (to follow a quoted first line).
std::string title_lines(const std::vector<std::string>& lines);

}  // namespace rramft
