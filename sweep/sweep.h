#pragma once
/// @file sweep.h
/// @brief `rramft sweep`: every point of a grid through mapping, the accuracy engine and the
/// SystemC chip model, spread over MPI ranks with dynamic load balancing, resumable, with
/// progress, results.csv, timings.csv and pictures.
#include <string>
#include <vector>

#include "sweep/grid.h"

namespace rramft::sweep {

struct options {
  std::string grid_file;      ///< the grid YAML
  std::string out_dir;        ///< the sweep folder (results.csv, points/, pictures)
  std::string exe;            ///< the rramft binary, for chip runs (`exe run ...`)
  bool retry_failed = false;  ///< on resume, run failed points again
  int threads = 0;            ///< threads per rank for the engine; 0: cores / ranks on the host
};

/// @brief Checks every point before any work: its architecture (types, ranges), its mapping
/// under every scheme (strict mode included) and, with chip runs, that it fits the chip and
/// that the energy table loads. Throws rramft::error naming the point and its keys.
/// @return the energy components of the chip runs (results.csv columns), sorted
std::vector<std::string> preflight(const grid& g);

/// @brief Runs the sweep. Called by every process: launched by mpirun, rank 0 coordinates
/// (and works in a second thread) and the other ranks work; otherwise it runs alone.
/// @return the exit status
int run(int argc, char** argv, const options& o);

}  // namespace rramft::sweep
