#pragma once
/// @file accelerator.h
/// @brief The accelerator as a virtual-platform component: a memory-mapped TLM-2.0 target
/// (control and status registers) and a TLM-2.0 initiator through which it reads input images
/// from system memory and writes the predicted classes back.
///
/// The registers (enum reg), their reset values and access rules, and the DMA: docs/chip.md,
/// "Register map" (tests/systemc/test_registers.cpp checks that table against this model).
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "mapping/mapping.h"
#include "models/model.h"
#include "peripherals/noc.h"
#include "peripherals/sfu.h"
#include "tiles/controller.h"
#include "tiles/tile.h"

namespace rramft::sc {

class accelerator : public sc_core::sc_module, public has_stats {
 public:
  enum reg : uint32_t {
    CTRL = 0x00,
    STATUS = 0x04,
    INPUT_ADDR = 0x08,
    OUTPUT_ADDR = 0x0C,
    COUNT = 0x10,
    IMAGE_BYTES = 0x14,
    CLASSES = 0x18,
    DONE_COUNT = 0x1C
  };
  struct stats : stats_group {
    counter dma_reads{this, "dma_reads", nullptr, "bytes read from system memory, count"};
    counter dma_writes{this, "dma_writes", nullptr, "bytes written to system memory, count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<accelerator> cpu2acc{"cpu2acc"};
  tlm_utils::simple_initiator_socket<accelerator> acc2mem{"acc2mem"};
  sc_core::sc_signal<bool, sc_core::SC_MANY_WRITERS> s_irq{
      "s_irq"};  ///< raised when a run completes, cleared by the next start

  /// @param chip the chip's faults: the stuck-at cells are programmed into the crossbars
  /// (read_errors), transient flips are drawn per read, keyed by the input's index among all
  /// the inputs this accelerator has run (0, 1, ... over every start)
  /// @param scales per-layer activation scales (input_scale: calibrated), or empty
  /// @param blocks makes every tile's OPC and voting unit (the TLM models, or RTL stand-ins:
  /// testbenches/blocks.h chooses by the build and the rtl keys)
  accelerator(sc_core::sc_module_name name, const full_spec& a, const mapping::chip_mapping& cm,
              const models::model& m, const fault_map& chip, std::vector<double> scales,
              const block_factory& blocks = block_factory::tlm());

  controller& ctrl() { return *i_ctrl; }
  const std::vector<std::unique_ptr<tile>>& tiles() const { return i_tiles; }
  const noc& interconnect() const { return *i_noc; }
  noc& interconnect() { return *i_noc; }
  const sfu& special() const { return *i_sfu; }
  /// @brief Tiles that hold at least one crossbar.
  int tiles_used() const { return tiles_used_; }
  /// @brief Every named action count of the chip, keyed "instance/action": the priced
  /// statistics of its components' stats groups (peripherals/stats.h, actions()).
  action_counts counters() const { return actions(*this); }
  /// @brief Latency of the last run: from the start (CTRL written) to the done interrupt, ns.
  /// The driver's own register accesses before the start are not part of it.
  double latency_ns() const { return (done_at_ - started_at_).to_seconds() * 1e9; }
  /// @brief Simulation time of the last run's start, ns.
  double started_ns() const { return started_at_.to_seconds() * 1e9; }
  /// @brief Cells that read wrong at every read, per layer (read_errors of the chip).
  const std::vector<std::vector<cell_error>>& errors() const { return errors_; }
  /// @brief Logits of every image run, in order.
  const std::vector<std::vector<float>>& logits() const { return logits_; }

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  void run();
  full_spec a_;
  const models::model& m_;
  fault_map chip_;
  std::vector<std::vector<cell_error>> errors_;
  uint64_t inputs_run_ = 0;  ///< inputs run so far, over every start
  std::vector<std::unique_ptr<tile>> i_tiles;
  std::unique_ptr<noc> i_noc;
  std::unique_ptr<sfu> i_sfu;
  std::unique_ptr<controller> i_ctrl;
  int tiles_used_ = 0;
  uint32_t regs_[8] = {};
  sc_core::sc_event start_;
  sc_core::sc_time started_at_, done_at_;  ///< the last run's start and done interrupt
  std::vector<std::vector<float>> logits_;
};

}  // namespace rramft::sc
