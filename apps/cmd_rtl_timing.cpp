/// `rramft rtl-timing`: measures the latency and initiation interval of the verilated RTL of the
/// OPC and the voting unit (for the architecture's T) and writes them as a YAML fragment of
/// timing keys, which `rramft run --set-from FILE` applies to the TLM model.
#include <cstdio>
#include <iostream>
#include <string>
#include <systemc>
#include <vector>

#include "apps/cli.h"
#include "core/error.h"
#include "core/spec.h"
#include "io/output.h"
#include "testbenches/simulate.h"
#ifdef RRAMFT_HAVE_RTL
#include <tlm_utils/simple_initiator_socket.h>

#include "rtl/cosim.h"
#endif

namespace rramft::app {

#ifdef RRAMFT_HAVE_RTL
namespace {

/// Binds the blocks' target sockets (SystemC requires it) and measures them from a thread.
struct timing_bench : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<timing_bench> to_opc{"to_opc"}, to_vote{"to_vote"};
  rtl::opc_cosim i_opc;
  rtl::vote_cosim i_vote;
  rtl::rtl_timing opc, vote;
  timing_bench(sc_core::sc_module_name n, const full_spec& a)
      : sc_module(n), i_opc("i_opc", a), i_vote("i_vote", a) {
    to_opc.bind(i_opc.adc2opc);
    to_vote.bind(i_vote.opc2vote);
    SC_HAS_PROCESS(timing_bench);
    SC_THREAD(run);
  }
  void run() {
    opc = i_opc.measure();
    vote = i_vote.measure();
  }
};

}  // namespace
#endif

int cmd_rtl_timing(int argc, char** argv) {
  arch_args arch_a;
  std::string out;
  po::options_description opts("rramft rtl-timing options");
  opts.add_options()("help,h", "show this help");
  arch_a.add_to(opts,
                "architecture YAML (its protection scheme and T choose the voting unit's RTL)");
  opts.add_options()("out", po::value(&out)->required(), "YAML file to write (timing keys)");
  po::variables_map vm;
  if (!parse_command("rtl-timing", argc, argv, opts, vm)) return 0;
  const full_spec arch = arch_a.load();
#ifndef RRAMFT_HAVE_RTL
  (void)arch;
  throw error(
      "rtl-timing: this build has no RTL co-simulation (Verilator was not found when it was "
      "configured; run tools/setup.sh and rebuild)");
#else
  timing_bench bench("rtl_timing", arch);
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc::simulate();
  const rtl::build_params& p = rtl::built();
  const int T = arch.copies();
  write_atomically(out, [&](std::ostream& f) {
    f << "# Latency and initiation interval of the verilated RTL, measured by `rramft "
         "rtl-timing`\n"
      << "# on rtl/opc_unit.sv (VAL_W " << p.opc_val_bits << ", SHIFT_W " << p.opc_shift_bits
      << ", ACC_W " << p.width << ", ADDR_W " << p.opc_addr_bits << ") and rtl/vote_unit.sv (T "
      << T << ", W " << p.width << ", CE_PER_STAGE " << p.vote_ce_per_stage << ").\n"
      << "# Apply to the TLM model with: rramft run --set-from <this file> ...\n"
      << "timing:\n"
      << "  opc_cycles: " << bench.opc.latency
      << "    # OPC latency, cycles (measured II: " << bench.opc.ii << " beat per cycle)\n"
      << "  vote_cycles: " << bench.vote.latency << "   # voting unit latency, cycles\n"
      << "  vote_ii: " << bench.vote.ii
      << "       # voting unit initiation interval, cycles per output\n";
  });
  std::printf(
      "RTL timing: OPC latency %d cycles, II %d; voting unit (T = %d) latency %d cycles, "
      "II %d\nwrote %s\n",
      bench.opc.latency, bench.opc.ii, T, bench.vote.latency, bench.vote.ii, out.c_str());
  return 0;
#endif
}

}  // namespace rramft::app
