#pragma once
/// @file cosim.h
/// @brief RTL co-simulation of the two blocks the fault-tolerance scheme adds to a ReRAM
/// datapath: the output peripheral component (rtl/opc_unit.sv) and the voting unit
/// (rtl/vote_unit.sv), verilated into SystemC modules and put behind the TLM-2.0 sockets of
/// their TLM models (peripherals/datapath_units.h). A pin-level transactor turns each TLM
/// transaction into the RTL's valid/ready handshakes and the results back into the job, and
/// compares every result with the functional core (core/datapath.h), stopping at the first
/// mismatch with a message that names it.
///
/// Time: the transactor clocks the RTL from the calling SC_THREAD in delta cycles, so the chip
/// model's simulated time stays the TLM annotation, unchanged by co-simulation. The RTL's own
/// cycles are counted (rtl_stats), written to the optional VCD on their own time base (one
/// clock period per cycle, blocks one after another), and, for the voting unit, compared job by
/// job with the TLM's annotated latency (timing.vote_cycles + (outputs - 1) x timing.vote_ii).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "chipspec/chip_spec.h"
#include "peripherals/datapath_units.h"

class VerilatedVcdC;

namespace rramft::rtl {

/// @brief The parameters the build verilated the RTL with (CMake cache RRAMFT_RTL_*).
struct build_params {
  int width = 0;              ///< W of the voting unit and ACC_W of the OPC, bits
  int opc_val_bits = 0;       ///< VAL_W: converted column value, bits
  int opc_shift_bits = 0;     ///< SHIFT_W: place-value exponent, bits
  int opc_addr_bits = 0;      ///< ADDR_W: 2^ADDR_W accumulators
  int vote_ce_per_stage = 0;  ///< CE_PER_STAGE: sorting-network rounds per pipeline stage
  std::vector<int> vote_t;    ///< candidate counts T with a verilated voting unit
};
const build_params& built();

/// @brief What a co-simulated block did, besides its TLM model's stats.
struct rtl_stats {
  uint64_t cycles = 0;   ///< RTL clock cycles run (reset and measurements included), count
  uint64_t beats = 0;    ///< input handshakes, count
  uint64_t results = 0;  ///< output handshakes, count
  uint64_t checked = 0;  ///< results compared with the functional core, all equal, count
  uint64_t jobs = 0;     ///< row-block jobs, count
  uint64_t job_cycles =
      0;  ///< voting unit: cycles from a job's first input to its last output, summed
  uint64_t tlm_cycles = 0;         ///< voting unit: the TLM's annotation of the same jobs, cycles
  uint64_t timing_mismatches = 0;  ///< voting unit: jobs where the two differ, count
};

/// @brief Latency and initiation interval measured on the RTL, cycles.
struct rtl_timing {
  int latency = 0;  ///< input handshake to the result's output valid (an OPC read's data)
  int ii = 0;       ///< cycles between input handshakes at full rate
};

class waves;

/// @brief What both co-simulated blocks offer: their stats, knobs for testbenches, waveform.
class block {
 public:
  virtual ~block();
  const rtl_stats& rtl() const;
  /// @brief Compare every result with the functional core; stop at the first mismatch.
  bool check = true;
  /// @brief Stop with an error when the RTL saturates (off: tests inspect saturated()).
  bool stop_on_saturation = true;
  /// @brief Random stalls on both handshakes from this seed (0: none; testbenches).
  uint64_t stall_seed = 0;
  /// @brief Testbenches: add 1 to this block's n-th RTL result (1-based; 0: none) before the
  /// comparison, to prove that the comparison stops the run.
  uint64_t corrupt_result = 0;
  /// @brief Per result of the last job (vote: per output; OPC: per accumulator read), 1 where
  /// the RTL saturated.
  const std::vector<uint8_t>& saturated() const;
  /// @brief Measures the RTL's latency and II; call from an SC_THREAD.
  virtual rtl_timing measure() = 0;
  /// @brief The verilated model's hierarchical name.
  virtual std::string rtl_name() const = 0;
  struct pins;  ///< clock, reset and stepping of the verilated model (cosim.cpp)

 protected:
  block();
  friend class waves;
  /// @brief Adds the verilated model to @p vcd (before it opens).
  virtual void add_trace(VerilatedVcdC& vcd) = 0;
  std::unique_ptr<pins> pins_;
};

/// @brief The OPC as verilated RTL. Per row-block job it keeps the converted values of every
/// (crossbar, slice) transaction and, after the job's last one (crossbar xbars_per_block - 1,
/// slice count - 1; the tile sends them in order), streams them vector by vector into the
/// RTL's accumulators and reads the accumulators into the job's partial sums. Actions and the
/// TLM timing (the tile's closed form) are the TLM model's.
class opc_cosim : public sc::opc_unit, public block {
 public:
  opc_cosim(sc_core::sc_module_name name, const full_spec& a);
  ~opc_cosim() override;
  rtl_timing measure() override;
  std::string rtl_name() const override;

 protected:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) override;
  void add_trace(VerilatedVcdC& vcd) override;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

/// @brief The voting unit as verilated RTL, built for T = arch.copies() candidates: every output
/// of a row-block job is one handshake (T candidates and the plain partial sum in, the sum out).
class vote_cosim : public sc::vote_unit, public block {
 public:
  vote_cosim(sc_core::sc_module_name name, const full_spec& a);
  ~vote_cosim() override;
  rtl_timing measure() override;
  std::string rtl_name() const override;

 protected:
  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) override;
  void add_trace(VerilatedVcdC& vcd) override;

 private:
  struct impl;
  std::unique_ptr<impl> p_;
};

/// @brief Call before any co-simulated block is constructed when a VCD may be written
/// (Verilator computes the traced signals only then).
void enable_tracing();

/// @brief A VCD of the RTL's own signals: every co-simulated block found under a root object,
/// on the RTL's time base (cycle n's rising edge at n clock periods).
class waves {
 public:
  /// @param path file to write; @param clock_mhz the RTL clock (arch clock_mhz)
  waves(const std::string& path, double clock_mhz);
  ~waves();
  /// @brief Adds every co-simulated block below @p root and opens the file. Call after
  /// elaboration (sc_start(SC_ZERO_TIME)) and before the blocks run; returns how many.
  int attach(sc_core::sc_object& root);
  /// @brief Flushes and closes the file (idempotent).
  void close();
  const std::string& path() const { return path_; }

 private:
  friend struct block::pins;
  void dump(bool high);
  std::string path_;
  struct impl;
  std::unique_ptr<impl> p_;
};

/// @brief Every co-simulated block below @p root (tiles' i_opc and i_vote when swapped in).
std::vector<block*> find_blocks(sc_core::sc_object& root);

/// @brief The blocks of a co-simulated chip: the OPC and the voting unit as verilated RTL where
/// the spec's rtl.opc / rtl.vote say so, the TLM models elsewhere (passed to sc::accelerator).
sc::block_factory cosim_blocks();

}  // namespace rramft::rtl
