#pragma once
/// @file vcd.h
/// @brief A VCD waveform of one accelerator (sc_trace; GTKWave opens it): per tile the busy
/// signal and counters of ADC conversions and vote compare-exchanges so far, the controller's
/// state (0 idle, 1 crossbar layer, 2 SFU) and the accelerator's interrupt line.
///
/// The model is loosely timed: the controller issues a layer's row-block jobs at the layer's
/// start and waits for the slowest. This recorder hears of every job (controller::on_job) and
/// drives, from its one SC_METHOD, each tile's busy signal from the layer's start to the end of
/// the job's annotated delay, and the tile's counters when its jobs end.
#include <cstdint>
#include <memory>
#include <string>
#include <systemc>
#include <vector>

#include "tiles/accelerator.h"

namespace rramft::traces {

class vcd_recorder : public sc_core::sc_module {
 public:
  /// @brief Traces @p acc into "<file_base>.vcd" (SystemC adds the extension). Construct during
  /// elaboration; call close() after sc_start returns.
  vcd_recorder(sc_core::sc_module_name name, sc::accelerator& acc, const std::string& file_base);
  ~vcd_recorder() override;
  /// @brief Flushes and closes the file (idempotent); its name is path().
  void close();
  const std::string& path() const { return path_; }

 private:
  void drive();
  sc::accelerator& acc_;
  std::string path_;
  sc_core::sc_trace_file* tf_ = nullptr;
  sc_core::sc_event job_;                         ///< a job was issued
  std::vector<sc_core::sc_time> until_;           ///< per tile, when its last job issued ends
  std::vector<uint64_t> conversions_, compares_;  ///< per tile, the counts once its jobs end
  std::vector<std::unique_ptr<sc_core::sc_signal<sc_dt::uint64>>> s_conversions_, s_compares_;
};

}  // namespace rramft::traces
