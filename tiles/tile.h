#pragma once
/// @file tile.h
/// @brief A crossbar tile: its crossbar arrays, DAC array, ADC bank, OPC, voting unit and
/// accumulator, with an input/output buffer. One transaction on noc2tile computes one row
/// block of one layer for n input vectors.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <map>
#include <memory>
#include <systemc>
#include <tlm>
#include <tuple>
#include <vector>

#include "chipspec/chip_spec.h"
#include "peripherals/datapath_units.h"
#include "peripherals/job.h"

namespace rramft::sc {

/// @brief The crossbar arrays of a tile, holding the levels their cells read on this chip at
/// every read (stuck-at faults); a read adds its job's transient flips to the column sums.
class crossbar_bank : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter reads{this, "reads", "xbar.read",
                  "crossbar read operations (one slice, all rows, one vector), count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<crossbar_bank> dac2xbar{"dac2xbar"};
  tlm_utils::simple_initiator_socket<crossbar_bank> xbar2adc{"xbar2adc"};
  crossbar_bank(sc_core::sc_module_name name, const arch_spec& a);
  /// @brief Programs crossbar @p x of row block @p b of layer @p li (levels read on this chip,
  /// with the conductance variation of @p chip's cells when it has one).
  void program(size_t li, const mapped_layer& l, int b, int x,
               const std::vector<cell_error>& errors, const fault_map* chip = nullptr);
  const float* levels(size_t li, int b, int x) const;
  int programmed() const { return int(levels_.size()); }

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  std::map<std::tuple<size_t, int, int>, std::vector<float>> levels_;
};

class tile : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter jobs{this, "jobs", nullptr, "row-block jobs executed, count"};
    counter buffer_reads{this, "buffer_reads", "buffer.read",
                         "buffer accesses of buffer.bytes_per_cycle bytes, count"};
    counter buffer_writes{this, "buffer_writes", "buffer.write", "likewise, count"};
    /// Every tile-buffer access moves one port width over the eDRAM-to-IMA bus.
    formula bus_transfers{this, "bus_transfers", "bus.transfer",
                          "port-width transfers on the tile bus (buffer reads + writes), count",
                          [this] { return buffer_reads.value() + buffer_writes.value(); }};
    double busy_ns = 0;  ///< time spent computing, ns
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<tile> noc2tile{"noc2tile"};
  tlm_utils::simple_initiator_socket<tile> tile2dac{"tile2dac"};
  tlm_utils::simple_initiator_socket<tile> opc2vote{"opc2vote"};
  dac_array i_dac;
  crossbar_bank i_xbar;
  adc_bank i_adc;
  std::unique_ptr<opc_unit> i_opc;    ///< made by the block_factory the chip was built with
  std::unique_ptr<vote_unit> i_vote;  ///< likewise
  /// @brief Busy while a job runs (for waveforms).
  sc_core::sc_signal<bool> s_busy{"s_busy"};
  tile(sc_core::sc_module_name name, const full_spec& a, int id,
       const block_factory& blocks = block_factory::tlm());
  int id() const { return id_; }
  /// @brief Latency of one row-block job, ns, from the stage latencies (the closed form).
  double job_ns(const block_job& j, const std::vector<double>& convert_ns) const;

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  full_spec a_;
  int id_;
};

}  // namespace rramft::sc
