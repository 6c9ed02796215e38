#pragma once
/// @file sfu.h
/// @brief The digital special-function unit: softmax, layer norm, GELU, attention score
/// products, pooling, residual adds. The float arithmetic itself runs in the network pass
/// (models/network.cpp); this module charges its time and energy.
#include <tlm_utils/simple_target_socket.h>

#include <map>
#include <string>
#include <systemc>
#include <tlm>

#include "core/spec.h"

namespace rramft::sc {

/// @brief What a payload to the SFU carries (by data pointer).
struct sfu_request {
  const char* op = "";
  uint64_t elements = 0;
};

class sfu : public sc_core::sc_module {
 public:
  struct stats {
    uint64_t ops = 0;                       ///< element operations, count: action sfu.op
    std::map<std::string, uint64_t> by_op;  ///< the same, per operation name
  } st;
  tlm_utils::simple_target_socket<sfu> ctrl2sfu{"ctrl2sfu"};
  sfu(sc_core::sc_module_name name, const arch_spec& a);

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  double cycle_ns_;
  int per_cycle_;
};

}  // namespace rramft::sc
