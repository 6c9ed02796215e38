#include "mapping/occupancy.h"

namespace rramft::mapping {
void write_occupancy_svg(const chip_mapping&, const fault_map&, const std::string&) {}
}  // namespace rramft::mapping
