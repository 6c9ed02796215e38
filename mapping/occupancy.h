#pragma once
/// @file occupancy.h
/// @brief A picture of crossbar occupancy (SVG): for every crossbar of every layer, which bit
/// columns hold LSB planes, protected (MSB) planes, candidate copies, or nothing, and which
/// cells are stuck on the chip.
#include <string>

#include "core/faults.h"
#include "mapping/mapping.h"

namespace rramft::mapping {

/// @brief The occupancy picture of @p cm on chip @p chip (SVG text).
std::string occupancy_svg(const chip_mapping& cm, const fault_map& chip);

}  // namespace rramft::mapping
