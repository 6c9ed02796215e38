#include "peripherals/stats.h"

namespace rramft::sc {

namespace {

void collect(const sc_core::sc_object& o, action_counts& c) {
  if (const auto* s = dynamic_cast<const has_stats*>(&o))
    for (const stats_group::entry& e : s->statistics().entries())
      if (e.action)
        if (const uint64_t v = e.value()) c[std::string(o.name()) + "/" + e.action] += v;
  for (const sc_core::sc_object* child : o.get_child_objects()) collect(*child, c);
}

}  // namespace

action_counts actions(const sc_core::sc_object& top) {
  action_counts c;
  collect(top, c);
  return c;
}

}  // namespace rramft::sc
