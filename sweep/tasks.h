#pragma once
/// @file tasks.h
/// @brief The units of work of a sweep and how one process carries them out. A point is cut
/// into a reference task (float and fault-free accuracy, mapping cost per scheme), trial tasks
/// (a few Monte Carlo chips each, every scheme and rate) and one chip task per scheme (the
/// SystemC model, run as a child process: one elaboration per process). Each task's result is
/// JSON, so that it travels between MPI ranks and lands in the point's file unchanged.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/spec.h"
#include "models/idx.h"
#include "models/model.h"
#include "sweep/grid.h"

namespace rramft::engine {
class experiment;
}

namespace rramft::sweep {

/// @brief One unit of work.
struct task {
  enum class kind { reference, trials, chip };
  size_t point = 0;
  kind what = kind::reference;
  int k0 = 0, k1 = 0;         ///< trials [k0, k1) (kind::trials)
  std::string scheme;         ///< kind::chip
  std::string label() const;  ///< "reference", "trials 2-3", "chip vote"
  nlohmann::json to_json() const;
  static task from_json(const nlohmann::json& j);
};

/// @brief The tasks of point @p p, in the order they are handed out.
std::vector<task> tasks_of(const grid& g, size_t p);

/// @brief Folder of point @p p's files under the sweep folder @p out ("points/000012").
std::string point_dir(const std::string& out, size_t p);

/// @brief What one process needs to carry out tasks: the grid, and the model and data sets
/// loaded once (every point shares them).
class worker {
 public:
  /// @param exe the rramft binary (chip tasks run `exe run ...` as child processes)
  worker(grid g, std::string out_dir, std::string exe);
  ~worker();
  /// @brief Carries out @p t; a failure comes back as {"error": "..."}, never as an exception.
  nlohmann::json execute(const task& t);

 private:
  nlohmann::json reference(size_t p);
  nlohmann::json trials(size_t p, int k0, int k1);
  nlohmann::json chip(size_t p, const std::string& scheme);
  engine::experiment& experiment_of(size_t p);
  void load();

  grid g_;
  std::string out_, exe_;
  bool loaded_ = false;
  models::model model_;
  models::image_set data_, calib_;
  size_t cached_point_ = size_t(-1);  // experiments of consecutive tasks of one point are reused
  arch_spec cached_arch_;
  std::unique_ptr<engine::experiment> cached_;
};

/// @brief Runs @p argv (argv[0] is the program) as a child process with stdout and stderr in
/// @p log, killing it after @p timeout_s seconds or when this thread's process dies. Returns
/// an empty string on success, else one line saying why (the child's last "error:" line).
std::string run_child(const std::vector<std::string>& argv, const std::string& log,
                      double timeout_s);

}  // namespace rramft::sweep
