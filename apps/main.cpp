/// rramft command line: one subcommand per job. Bad input ends with one line on stderr,
/// "rramft: error: <file/key/tensor>: <what>", and exit status 2.
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <systemc>

#include "chipspec/chip_spec.h"
#include "core/error.h"
#include "io/output.h"
#include "rramft_version.h"

namespace rramft::app {
int cmd_map(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_infer(int argc, char** argv);
int cmd_sweep(int argc, char** argv, char* program);
}  // namespace rramft::app

namespace {

const char* usage =
    "usage: rramft <command> [options]\n"
    "commands:\n"
    "  map    map a model onto the chip and report crossbars, overhead and sparsity\n"
    "  eval   accuracy under stuck-at faults, per protection scheme and failure rate\n"
    "  infer  logits (.npy) in float, on the fault-free mapped chip and on a faulty chip\n"
    "  run    the SystemC/TLM-2.0 chip model: cycles, energy, area, traces\n"
    "  rtl-timing  latency and II of the verilated RTL (OPC, voting unit) as timing keys\n"
    "  sweep  design-space sweep over a grid of keys (map, eval, run per point; MPI)\n"
    "  keys   every architecture key: default, allowed values, unit, meaning, source (Markdown)\n"
    "run 'rramft <command> --help' for the options of a command, 'rramft --version' for the "
    "version\n";

}  // namespace

int main(int argc, char** argv) {
  // Before any other thread exists: SIGINT/SIGTERM/SIGHUP are taken by one thread that removes
  // what is not committed and exits 130/143/129 (io/output.h).
  rramft::install_interrupt_handling();
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  // Engines allocate and free activation buffers of megabytes per layer: keep them in the heap
  // instead of fresh zero pages from mmap each time (glibc; saves the page faults).
  if (!std::strcmp(argv[1], "--version")) {
    // The project version of CMake's project(); the git commit when configure time knew it.
    std::cout << "rramft " << RRAMFT_VERSION
              << (*RRAMFT_GIT_COMMIT ? std::string(" (git ") + RRAMFT_GIT_COMMIT + ")" : "")
              << "\n";
    return 0;
  }
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  const std::string cmd = argv[1];
  try {
    if (cmd == "map") return rramft::app::cmd_map(argc - 1, argv + 1);
    if (cmd == "eval") return rramft::app::cmd_eval(argc - 1, argv + 1);
    if (cmd == "infer") return rramft::app::cmd_infer(argc - 1, argv + 1);
    if (cmd == "keys") {
      if (argc > 2 && (!std::strcmp(argv[2], "--help") || !std::strcmp(argv[2], "-h"))) {
        std::cout << "usage: rramft keys\nprints the table of architecture keys (docs/keys.md)\n";
        return 0;
      }
      if (argc > 2) throw rramft::error(std::string("keys: unexpected argument '") + argv[2] + "'");
      std::cout << rramft::keys_markdown();
      return 0;
    }
    if (cmd == "sweep") return rramft::app::cmd_sweep(argc - 1, argv + 1, argv[0]);
    if (cmd == "run" || cmd == "rtl-timing") {
      setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
      return sc_core::sc_elab_and_sim(argc, argv);  // calls sc_main (apps/cmd_run.cpp)
    }
    std::cerr << "rramft: error: unknown command '" << cmd << "' (rramft --help lists them)\n";
    return 2;
  } catch (const rramft::error& e) {
    std::cerr << "rramft: error: " << e.what() << "\n";
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "rramft: error: out of memory\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "rramft: error: " << e.what() << "\n";
    return 2;
  }
}
