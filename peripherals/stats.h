#pragma once
/// @file stats.h
/// @brief Every component's statistics as one named group, like gem5's stats groups: each
/// counter is declared once, in its component, with its name, its meaning and the action of the
/// energy reference table it counts (if any). What prices the actions (the run report, the
/// steps' attribution, the RTL comparison) walks the groups of a module tree generically
/// (actions()) instead of naming counters one by one.
///
///     struct stats : stats_group {
///       counter conversions{this, "conversions", "adc.convert", "column conversions"};
///     } st;
///     const stats_group& statistics() const override { return st; }
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <systemc>
#include <vector>

namespace rramft::sc {

/// @brief Action counts of a chip, keyed "instance/action" (instance: the SystemC name).
using action_counts = std::map<std::string, uint64_t>;

/// @brief One component's named statistics. Not copyable: its entries point into it.
class stats_group {
 public:
  struct entry {
    const char* name;    ///< the statistic's name in its group
    const char* action;  ///< the energy-table action it counts, or nullptr (not priced)
    const char* desc;    ///< what it counts, with its unit
    std::function<uint64_t()> value;
  };
  stats_group() = default;
  stats_group(const stats_group&) = delete;
  stats_group& operator=(const stats_group&) = delete;
  const std::vector<entry>& entries() const { return entries_; }
  void add(entry e) { entries_.push_back(std::move(e)); }

 private:
  std::vector<entry> entries_;
};

/// @brief A count in a group; adds and reads like an integer.
class counter {
 public:
  counter(stats_group* g, const char* name, const char* action, const char* desc) {
    g->add({name, action, desc, [this] { return v_; }});
  }
  counter(const counter&) = delete;
  counter& operator=(const counter&) = delete;
  counter& operator+=(uint64_t d) {
    v_ += d;
    return *this;
  }
  counter& operator++() {
    ++v_;
    return *this;
  }
  operator uint64_t() const { return v_; }
  uint64_t value() const { return v_; }

 private:
  uint64_t v_ = 0;
};

/// @brief A statistic computed from others of its group (gem5's Formula), e.g. bus transfers
/// as buffer reads plus writes.
class formula {
 public:
  formula(stats_group* g, const char* name, const char* action, const char* desc,
          std::function<uint64_t()> f) {
    g->add({name, action, desc, std::move(f)});
  }
};

/// @brief A component that has a stats group.
class has_stats {
 public:
  virtual ~has_stats() = default;
  virtual const stats_group& statistics() const = 0;
};

/// @brief The priced statistics of every component in the module tree under @p top (itself
/// included): "instance/action" -> count, summed over a component's entries of one action;
/// zero counts are left out.
action_counts actions(const sc_core::sc_object& top);

}  // namespace rramft::sc
