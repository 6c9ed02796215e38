#pragma once
/// @file run.h
/// @brief `rramft run`'s testbench: the prepared chip elaborated in the virtual platform (and
/// its unprotected baseline beside it), the traces asked for attached from outside, the
/// simulation, the report (with the co-simulated RTL's summary), and the result folder written
/// as one result set: report.json, arch.yaml, energy_layers.csv, energy.png, and the optional
/// waves.vcd, rtl.vcd, trace.json, energy.csv.
#include <nlohmann/json.hpp>
#include <string>

#include "energy/ert.h"
#include "engine/evaluate.h"
#include "models/idx.h"

namespace rramft::sc {

/// @brief What a run writes besides its report (all off by default).
struct run_outputs {
  std::string out_dir;      ///< the result folder (the caller holds its output_lock)
  std::string model;        ///< report.json's "model"
  bool vcd = false;         ///< waves.vcd
  bool trace = false;       ///< trace.json
  bool energy_csv = false;  ///< energy.csv
  double bin_ns = 0;        ///< energy.csv bin width; 0: automatic
  bool rtl_vcd = false;     ///< rtl.vcd: the co-simulated RTL's own signals
  std::string notice;       ///< one line for stderr just before the simulation starts, or ""
};

/// @brief What the run found (report.json as written) and what it wrote.
struct run_summary {
  nlohmann::json report;
  double wall_s = 0;  ///< wall time of the simulation (not in report.json: it is not repeatable)
  double total_pj = 0, area_mm2 = 0, crossbar_area_mm2 = 0;
  std::string wrote;  ///< the files written, "report.json, energy.png, ..."
};

/// @brief Runs @p data through chip @p s of model @p m, built as @p chip says (timing, structure,
/// RTL stand-ins), priced by energy table @p ert, and writes the result folder @p out.out_dir;
/// nothing is written when anything throws.
run_summary run_chip(const engine::chip_setup& s, const chip_spec& chip, const models::model& m,
                     const models::image_set& data, const energy::table& ert,
                     const run_outputs& out);

}  // namespace rramft::sc
