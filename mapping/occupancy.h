#pragma once
/// @file occupancy.h
/// @brief A picture of crossbar occupancy (SVG): for every crossbar of every layer, which bit
/// columns hold LSB planes, protected (MSB) planes, candidate copies, or nothing, and which
/// cells are stuck on the chip.
#include <string>

#include "core/faults.h"
#include "mapping/mapping.h"

namespace rramft::mapping {

/// @brief Writes the occupancy picture of @p cm on chip @p chip to @p path (SVG).
void write_occupancy_svg(const chip_mapping& cm, const fault_map& chip, const std::string& path);

}  // namespace rramft::mapping
