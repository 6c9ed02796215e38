#pragma once
/// @file noc.h
/// @brief The interconnect between the controller (with the global buffer) and the tiles: a
/// mesh with the global buffer at corner (0, 0), or a shared bus. A payload's address is the
/// destination tile; the latency is hops x hop_cycles plus serialisation of the bytes moved.
#include <tlm_utils/multi_passthrough_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>
#include <systemc>
#include <tlm>

#include "chipspec/chip_spec.h"
#include "peripherals/stats.h"

namespace rramft::sc {

class noc : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter flit_hops{this, "flit_hops", "noc.hop",
                      "flits of noc.bytes_per_cycle bytes times hops, count"};
    counter transfers{this, "transfers", nullptr, "transactions routed, count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<noc> ctrl2noc{"ctrl2noc"};
  tlm_utils::multi_passthrough_initiator_socket<noc> noc2tile{"noc2tile"};
  noc(sc_core::sc_module_name name, const chip_spec& a, int tiles);
  /// @brief Told of every transfer: destination tile, bytes moved and the latency it adds
  /// (tracing hooks; empty = off).
  std::function<void(int tile, uint64_t bytes, sc_core::sc_time latency)> on_transfer;
  /// @brief Hops from the global buffer to tile @p t.
  int hops(int t) const;

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  chip_spec a_;  ///< the NoC's keys and the clock
  int tiles_, side_;
};

}  // namespace rramft::sc
