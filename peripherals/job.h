#pragma once
/// @file job.h
/// @brief What travels through the chip's datapath: one row block of one mapped layer for n
/// input vectors. A TLM generic payload carries it by pointer (data_ptr); each stage reads
/// its inputs from it, writes its outputs into it, and records its own latency.
#include <tlm>
#include <vector>

#include "core/datapath.h"
#include "core/layer.h"

namespace rramft::sc {

struct block_job {
  // Request.
  const mapped_layer* layer = nullptr;
  const std::vector<cell_error>* errors = nullptr;
  transient_reads transients;  ///< the flips of the vectors' reads (the input being run)
  size_t layer_index = 0;
  int block = 0;
  const int32_t* xk = nullptr;  ///< n x kept_rows integer activations
  int n = 0;
  // Datapath state of the crossbar and slice in flight.
  int crossbar = 0, slice = 0;
  std::vector<float> dac;          ///< n x rows DAC levels of the slice
  const float* levels = nullptr;   ///< rows x C cell levels of the crossbar
  std::vector<float> sums;         ///< n x C column sums
  std::vector<int64_t> converted;  ///< n x C ADC results
  block_partials partials;         ///< OPC accumulators of the row block
  std::vector<int64_t> result;     ///< n x kept_cols voted partial sums of this row block
};

/// @brief Puts @p j into payload @p p (a write of sizeof(block_job) bytes at address 0).
void attach(tlm::tlm_generic_payload& p, block_job& j);
/// @brief The job in @p p, or an error response set on @p p and nullptr.
block_job* job_of(tlm::tlm_generic_payload& p);

}  // namespace rramft::sc
