/// `rramft sweep`: a design-space sweep over a grid of architecture keys (sweep/ holds the
/// work); under mpirun the points and their trials are spread over the ranks.
#include <unistd.h>

#include <climits>
#include <iostream>
#include <string>

#include "apps/cli.h"
#include "core/error.h"
#include "sweep/sweep.h"

namespace rramft::app {

namespace {

/// This very binary, so that chip runs (child processes) use the same build.
std::string self_exe(const char* argv0) {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) return std::string(buf, size_t(n));
  return argv0;
}

}  // namespace

int cmd_sweep(int argc, char** argv, char* program) {
  sweep::options o;
  po::options_description opts(
      "rramft sweep options (run it under `mpirun -np N` to spread the work over N ranks)");
  opts.add_options()("help,h", "show this help")(
      "grid", po::value(&o.grid_file)->required(),
      "grid YAML: model, data, base architecture, swept keys (configs/sweeps/)")(
      "out", po::value(&o.out_dir)->required(),
      "sweep folder; running the same command again resumes it")(
      "retry-failed", po::bool_switch(&o.retry_failed), "on resume, run failed points again")(
      "threads", po::value(&o.threads),
      "engine threads per rank (default: cores / ranks on the host)");
  po::variables_map vm;
  if (!parse_command("sweep", argc, argv, opts, vm)) return 0;
  if (o.threads < 0 || o.threads > 4096) throw error("--threads: expected 0..4096");
  o.exe = self_exe(program);
  return sweep::run(argc, argv, o);
}

}  // namespace rramft::app
