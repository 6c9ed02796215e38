#pragma once
/// @file floorplan.h
/// @brief Where the mapped layers sit on the chip: row blocks assigned to tiles. The chip model
/// builds its tiles from it and the sweep reports the tiles a design needs, without SystemC.
#include <vector>

#include "chipspec/chip_spec.h"
#include "mapping/mapping.h"

namespace rramft::mapping {

/// @brief Assigns row blocks to tiles in order, a row block never split across tiles: for
/// each layer, the tile of each of its row blocks. @p tiles_used receives the tiles in use.
/// rramft::error naming the layer (or the key tiles.count) if the model does not fit the chip
/// (@p a: the chip's tiles.count and tiles.crossbars).
std::vector<std::vector<int>> place_blocks(const chip_spec& a, const chip_mapping& cm,
                                           int& tiles_used);

}  // namespace rramft::mapping
