#include "mapping/floorplan.h"

#include <string>

#include "core/error.h"

namespace rramft::mapping {

std::vector<std::vector<int>> place_blocks(const chip_spec& a, const chip_mapping& cm,
                                           int& tiles_used) {
  std::vector<std::vector<int>> where;
  int t = 0, free = a.tiles.crossbars;
  for (const mapped_layer& l : cm.layers) {
    if (l.xbars_per_block > a.tiles.crossbars)
      throw error("layer '" + l.name + "': a row block needs " + std::to_string(l.xbars_per_block) +
                  " crossbars but key 'tiles.crossbars' is " + std::to_string(a.tiles.crossbars));
    std::vector<int> bt;
    for (int b = 0; b < l.row_blocks; ++b) {
      if (free < l.xbars_per_block) {
        ++t;
        free = a.tiles.crossbars;
      }
      free -= l.xbars_per_block;
      bt.push_back(t);
    }
    where.push_back(bt);
  }
  tiles_used = free == a.tiles.crossbars ? t : t + 1;
  if (tiles_used > a.tiles.count)
    throw error("model does not fit the chip: it needs " + std::to_string(tiles_used) +
                " tiles of " + std::to_string(a.tiles.crossbars) +
                " crossbars, key 'tiles.count' is " + std::to_string(a.tiles.count));
  return where;
}

}  // namespace rramft::mapping
