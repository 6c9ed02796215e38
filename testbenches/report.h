#pragma once
/// @file report.h
/// @brief What a chip-model run reports: latency and cycles, energy by component and by layer
/// (action counts priced by the energy reference table, plus leakage over the run), area by
/// component, utilisation and the predicted classes.
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "energy/ert.h"
#include "engine/evaluate.h"
#include "models/idx.h"
#include "testbenches/platform.h"

namespace rramft::sc {

struct run_report {
  nlohmann::json json;              ///< report.json
  std::vector<std::string> layers;  ///< step names in execution order
  std::map<std::string, std::map<std::string, double>>
      layer_component_pj;  ///< step -> component -> pJ
  double total_pj = 0, latency_ns = 0;
  double area_mm2 = 0;           ///< tiles in use and the global buffer, mm^2
  double crossbar_area_mm2 = 0;  ///< the crossbar arrays the mapping uses, mm^2
  double start_ns = 0;           ///< simulation time of the run's start (latency_ns counts from it)
};

/// @brief Builds the report of platform @p top after sc_start() returned.
run_report make_report(const full_spec& a, const energy::table& ert,
                       const mapping::chip_mapping& cm, const platform& top,
                       const models::image_set& data);

/// @brief `rramft run`'s chip model (shared with the Python bindings): the platform "top" of
/// @p s's chip under test and, when s.compare, the unprotected baseline "top_none" beside it in
/// the same elaboration (on the TLM models: co-simulation checks the chip under test), both built
/// as @p chip says, over @p data. @p s, @p m and @p data must outlive it.
class chip_run {
 public:
  chip_run(const engine::chip_setup& s, const chip_spec& chip, const models::model& m,
           const models::image_set& data);
  ~chip_run();
  platform& top() { return *top_; }
  /// @brief sc_start() to the end (sc::simulate).
  void simulate();
  /// @brief report.json after simulate(): make_report of the chip under test, "model" set to
  /// @p model, and, when s.compare, the baseline's figures and the overheads against it.
  run_report report(const energy::table& ert, const std::string& model) const;

 private:
  const engine::chip_setup& s_;
  const full_spec arch_, base_;  ///< s's chip under test and baseline, with the chip's keys
  const models::image_set& data_;
  std::unique_ptr<platform> top_, top_none_;
};

}  // namespace rramft::sc
