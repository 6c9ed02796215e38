#pragma once
/// @file sfu.h
/// @brief The digital special-function unit: softmax, layer norm, GELU, attention score
/// products, pooling, residual adds. The float arithmetic itself runs in the network pass
/// (models/network.cpp); this module charges its time and energy. It also runs the range checks
/// of schemes with range (core/range_check.h) on the layer outputs the request points to.
#include <tlm_utils/simple_target_socket.h>

#include <map>
#include <string>
#include <systemc>
#include <tlm>

#include "chipspec/chip_spec.h"
#include "core/range_check.h"
#include "peripherals/stats.h"

namespace rramft::sc {

/// @brief What a payload to the SFU carries (by data pointer).
struct sfu_request {
  const char* op = "";
  uint64_t elements = 0;
  // Range check (values set): the values are checked in place against bounds.
  float* values = nullptr;  ///< elements values, or null for an operation that is only charged
  size_t cols = 0;          ///< outputs per vector (elements / cols vectors)
  const output_range* bounds = nullptr;  ///< the layer's profiled range
  range_action action = range_action::clamp;
  uint64_t out_of_range = 0;  ///< answer: values found outside the bounds
};

class sfu : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter ops{this, "ops", "sfu.op", "element operations, count"};
    std::map<std::string, uint64_t> by_op;  ///< the same, per operation name
    counter range_checks{this, "range_checks", "range.check",
                         "values range-checked (two compares each), count"};
    counter out_of_range{this, "out_of_range", nullptr,
                         "of those, values outside their range (clamped or zeroed), count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<sfu> ctrl2sfu{"ctrl2sfu"};
  sfu(sc_core::sc_module_name name, const chip_spec& a);

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  double cycle_ns_;
  int per_cycle_;
};

}  // namespace rramft::sc
