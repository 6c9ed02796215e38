#pragma once
/// @file spans.h
/// @brief Spans of one accelerator run in Chrome's trace-event format (trace.json, opened by
/// Perfetto or chrome://tracing): one track per unit (controller, SFU, NoC) and per tile. The
/// controller track has one span per step (weight layer or SFU operation, from the controller's
/// step records); a tile's track has one span per row-block job, from the layer's start for the
/// job's annotated delay; the NoC track has one span per transfer, for its latency.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "energy/ert.h"
#include "tiles/accelerator.h"

namespace rramft::traces {

/// @brief One row-block job on a tile.
struct job_span {
  int tile = 0;
  std::string layer;
  int block = 0;
  double start_ns = 0, dur_ns = 0;
};

/// @brief One NoC transfer (out to a tile and back).
struct transfer_span {
  int tile = 0;
  uint64_t bytes = 0;
  double start_ns = 0, dur_ns = 0;
};

/// @brief Collects the jobs and transfers of an accelerator through its hooks (controller::on_job,
/// noc::on_transfer); hooks already installed keep being called. Attach during elaboration.
class span_recorder {
 public:
  explicit span_recorder(sc::accelerator& acc);
  span_recorder(const span_recorder&) = delete;
  span_recorder& operator=(const span_recorder&) = delete;
  const std::vector<job_span>& jobs() const { return jobs_; }
  const std::vector<transfer_span>& transfers() const { return transfers_; }

 private:
  std::vector<job_span> jobs_;
  std::vector<transfer_span> transfers_;
};

/// @brief Track (thread) ids of trace.json; tile t is tile_tid + t.
enum track : int { controller_tid = 1, sfu_tid = 2, noc_tid = 3, tile_tid = 100 };

/// @brief trace.json of a finished run of @p acc: metadata naming the tracks, then complete
/// ("X") events, times in microseconds. Controller spans carry their dynamic energy (@p ert
/// priced on @p a) in args.
nlohmann::json chrome_trace(sc::accelerator& acc, const span_recorder& rec,
                            const energy::table& ert, const full_spec& a);

}  // namespace rramft::traces
