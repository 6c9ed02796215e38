#pragma once
/// @file datapath_units.h
/// @brief The crossbar periphery as SystemC modules: DAC array, ADC bank, output peripheral
/// component (OPC) and voting unit. Each wraps one step of core/datapath.h and counts its named
/// actions; none computes anything the functional core does not. The units do not annotate
/// latencies on the transactions: the tile's closed form (tile::job_ns) composes them from
/// the units' own figures (adc_bank::convert_ns, vote_unit::vote_ns) and the timing keys, so
/// time is computed in one place.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <functional>
#include <memory>
#include <systemc>
#include <tlm>

#include "chipspec/chip_spec.h"
#include "core/periph.h"
#include "peripherals/job.h"
#include "peripherals/stats.h"

namespace rramft::sc {

/// @brief 1-bit (dac.bits) DACs driving the word lines with one input slice.
class dac_array : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter drives{this, "drives", "dac.drive",
                   "word-line drives (rows x vectors x slices), count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<dac_array> tsock{"tsock"};
  tlm_utils::simple_initiator_socket<dac_array> dac2xbar{"dac2xbar"};
  dac_array(sc_core::sc_module_name name, const arch_spec& a);

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
};

/// @brief The ADCs of a crossbar: ceil(C / adc.share) converters, each serving adc.share columns.
class adc_bank : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter conversions{this, "conversions", "adc.convert", "column conversions, count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<adc_bank> xbar2adc{"xbar2adc"};
  tlm_utils::simple_initiator_socket<adc_bank> adc2opc{"adc2opc"};
  adc_bank(sc_core::sc_module_name name, const full_spec& a);
  /// @brief Time to convert the used columns of crossbar @p x of @p l once, ns.
  double convert_ns(const mapped_layer& l, int x) const;

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  full_spec a_;
  adc_model adc_;
};

/// @brief Output peripheral component: shift-and-add over slices and planes, sign inversion of
/// flipped planes, positive minus negative.
class opc_unit : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter adds{this, "adds", "sa.add", "shift-and-add operations, count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<opc_unit> adc2opc{"adc2opc"};
  opc_unit(sc_core::sc_module_name name, const full_spec& a);

 protected:
  /// @brief One (crossbar, slice) of a row-block job; an RTL co-simulation (rtl/) overrides it.
  virtual void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
};

/// @brief Voting unit: the median of the T candidate partial sums of every output of a row
/// block, added into the tile accumulator.
class vote_unit : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter compares{this, "compares", "vote.compare", "compare-exchange operations, count"};
    counter outputs{this, "outputs", "acc.add", "outputs voted or passed through, count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<vote_unit> opc2vote{"opc2vote"};
  vote_unit(sc_core::sc_module_name name, const full_spec& a);
  /// @brief Latency of voting @p outputs outputs of @p n vectors, ns (latency + II per output).
  double vote_ns(int outputs, int n) const;

 protected:
  /// @brief All outputs of a row-block job; an RTL co-simulation (rtl/) overrides it.
  virtual void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  full_spec a_;
};

/// @brief Makes the OPC and the voting unit of every tile, chosen at elaboration by whoever
/// builds the chip: the TLM models (tlm()), or stand-ins such as the verilated RTL of rtl/
/// (rtl::cosim_blocks), passed in the way recorders are. The tiles do not know which.
struct block_factory {
  std::function<std::unique_ptr<opc_unit>(const char* name, const full_spec& a)> opc;
  std::function<std::unique_ptr<vote_unit>(const char* name, const full_spec& a)> vote;
  /// @brief The TLM models; rramft::error naming rtl.opc / rtl.vote when the spec asks for RTL
  /// (a chip elaborated without RTL stand-ins must not quietly run the TLM model instead).
  static block_factory tlm();
};

}  // namespace rramft::sc
