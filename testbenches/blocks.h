#pragma once
/// @file blocks.h
/// @brief Which OPC and voting unit a chip built by the testbenches gets: the choice between the
/// TLM models and the verilated RTL (rtl.opc, rtl.vote) is made here, at elaboration, and passed
/// into the accelerator; the tiles never see the RTL.
#include "peripherals/datapath_units.h"

namespace rramft::sc {

/// @brief rtl::cosim_blocks() in a build with the RTL co-simulation (Verilator); otherwise the
/// TLM models, which refuse a spec that sets rtl.opc or rtl.vote with a one-line error.
block_factory chip_blocks();

}  // namespace rramft::sc
