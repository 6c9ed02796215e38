#pragma once
/// @file controller.h
/// @brief The controller executes the mapped model layer by layer for one input at a time:
/// the network pass (models/network.h) is its schedule. Every weight layer becomes one
/// row-block job per row block, sent through the interconnect to the tile that holds it;
/// every digital operation goes to the special-function unit. The arithmetic is the
/// functional core's (quantize_inputs, the datapath steps, dequantize_outputs, range_check).
#include <tlm_utils/simple_initiator_socket.h>

#include <functional>
#include <map>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "chipspec/chip_spec.h"
#include "core/layer.h"
#include "mapping/mapping.h"
#include "models/network.h"
#include "peripherals/stats.h"

namespace rramft::sc {

struct sfu_request;  // peripherals/sfu.h

/// @brief What one weight layer or digital step of one input cost.
struct step_record {
  std::string name;  ///< layer name, or "sfu:<op>"
  double start_ns = 0, end_ns = 0;
  action_counts actions;  ///< actions it caused (difference of the chip's counters)
};

class controller : public sc_core::sc_module, public has_stats, private models::linear_backend {
 public:
  struct stats : stats_group {
    counter jobs{this, "jobs", nullptr, "row-block jobs issued, count"};
    counter vectors{this, "vectors", nullptr, "input vectors through weight layers, count"};
    counter gbuf_reads{this, "gbuf_reads", "gbuf.read",
                       "global-buffer accesses (buffer.bytes_per_cycle bytes), count"};
    counter gbuf_writes{this, "gbuf_writes", "gbuf.write", "likewise, count"};
    counter acc_adds{this, "acc_adds", "acc.add", "additions of row-block partial sums, count"};
    counter macs{this, "macs", nullptr,
                 "multiply-accumulates of the dense weight layers (rows x cols per vector)"};
  } st;
  const stats_group& statistics() const override { return st; }
  tlm_utils::simple_initiator_socket<controller> ctrl2noc{"ctrl2noc"};
  tlm_utils::simple_initiator_socket<controller> ctrl2sfu{"ctrl2sfu"};
  sc_core::sc_signal<int> s_state{
      "s_state"};  ///< 0 idle, 1 crossbar layer, 2 special-function unit

  /// @param block_tile per layer, the tile of each row block
  controller(sc_core::sc_module_name name, const full_spec& a, const mapping::chip_mapping& cm,
             const models::model& m, std::vector<std::vector<int>> block_tile,
             const std::vector<std::vector<cell_error>>& errors, const fault_map& chip,
             std::vector<double> scales);
  /// @brief Runs one image (raw pixels) through the model; call from an SC_THREAD. @p input
  /// is its index among the inputs the chip has run (the transient flips of its reads).
  void infer_image(const uint8_t* pixels, float* logits, uint64_t input);
  /// @brief Steps of every input run so far, in order.
  const std::vector<step_record>& steps() const { return steps_; }
  /// @brief Reads the chip's counters (set by the top, used to attribute actions to steps).
  std::function<action_counts()> counters;
  /// @brief Told of every step as it ends (tracing hooks; empty = off).
  std::function<void(const step_record&)> on_step;
  /// @brief Told of every row-block job as it returns: the tile that ran it, the layer's name,
  /// the row block, the layer's start and the job's annotated delay (tracing hooks; empty = off).
  std::function<void(int tile, const std::string& layer, int block, sc_core::sc_time start,
                     sc_core::sc_time delay)>
      on_job;

 private:
  void linear(size_t layer, const float* x, int n, float* y) override;
  void digital(const char* op, size_t elements) override;
  /// Sends @p y (n x cols outputs of @p layer) to the special-function unit's range check.
  void check_range(const mapped_layer& l, float* y, size_t count);
  /// Sends @p r to the special-function unit and waits its delay; an error response throws
  /// rramft::error "<what> failed in the chip model (...)".
  void send_sfu(sfu_request& r, const std::string& what);
  void record(const std::string& name, sc_core::sc_time start, const action_counts& before);
  full_spec a_;
  const mapping::chip_mapping& cm_;
  const models::model& m_;
  models::network net_;
  std::vector<std::vector<int>> block_tile_;
  const std::vector<std::vector<cell_error>>& errors_;
  const fault_map& chip_;
  uint64_t input_ = 0;  ///< the input being run
  std::vector<double> scales_;
  std::vector<step_record> steps_;
};

}  // namespace rramft::sc
