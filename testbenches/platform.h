#pragma once
/// @file platform.h
/// @brief A minimal virtual platform around the accelerator: system memory and a CPU-like
/// driver that loads nothing itself, programs the accelerator's registers over TLM, sleeps until
/// the accelerator's done interrupt and reads STATUS and the results back, as an
/// interrupt-driven driver on a real SoC would (no polling, so no polling period in the time).
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <systemc>
#include <tlm>
#include <vector>

#include "tiles/accelerator.h"

namespace rramft::sc {

/// @brief Byte-addressed system memory with a fixed access latency.
class memory : public sc_core::sc_module, public has_stats {
 public:
  struct stats : stats_group {
    counter reads{this, "reads", nullptr, "bytes read, count"};
    counter writes{this, "writes", nullptr, "bytes written, count"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_target_socket<memory> bus2mem{"bus2mem"};
  memory(sc_core::sc_module_name name, size_t bytes, double latency_ns);
  std::vector<uint8_t> data;

 private:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  double latency_ns_;
};

/// @brief The driver sequence: INPUT_ADDR, OUTPUT_ADDR, COUNT, CTRL=1, wait for the done
/// interrupt (irq_i rising), read STATUS once.
class cpu_driver : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<cpu_driver> cpu2acc{"cpu2acc"};
  sc_core::sc_in<bool> irq_i{"irq_i"};  ///< the accelerator's done interrupt
  cpu_driver(sc_core::sc_module_name name, uint32_t input_addr, uint32_t output_addr,
             uint32_t count);
  uint32_t status = 0;        ///< STATUS at the end
  sc_core::sc_time finished;  ///< when the done interrupt rose
  uint32_t read(uint32_t reg);
  void write(uint32_t reg, uint32_t v);
  /// One 32-bit register access through cpu2acc; an error response throws rramft::error.
  void access(tlm::tlm_command cmd, uint32_t reg, uint32_t& v);

 private:
  void run();
  uint32_t in_, out_, count_;
};

/// @brief Memory + driver + accelerator, wired.
class platform : public sc_core::sc_module {
 public:
  static constexpr uint32_t input_base = 0x1000;
  /// System memory's access latency (the DMA of an image in and of its class out), ns.
  static constexpr double memory_latency_ns = 50.0;
  memory i_mem;
  std::unique_ptr<accelerator> i_acc;
  std::unique_ptr<cpu_driver> i_cpu;
  /// @param images n images of image_bytes each, copied into memory at input_base
  platform(sc_core::sc_module_name name, const full_spec& a, const mapping::chip_mapping& cm,
           const models::model& m, const fault_map& chip, std::vector<double> scales,
           const uint8_t* images, int n, size_t image_bytes);
  uint32_t output_base() const { return output_base_; }
  /// @brief The class indices the accelerator wrote to memory.
  std::vector<uint32_t> classes() const;

 private:
  uint32_t output_base_;
  int n_;
};

}  // namespace rramft::sc
