#pragma once
/// @file evaluate.h
/// @brief The batched accuracy engine: Monte Carlo over chips (fault maps) for every
/// (protection scheme, failure rate) pair, with float and fault-free mapped references.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/spec.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "models/model.h"
#include "models/network.h"

namespace rramft::engine {

/// @brief Share of @p data that @p net classifies correctly with backend @p be, in [0, 1].
double accuracy(const models::network& net, models::linear_backend& be,
                const models::image_set& data, int batch = 500);

/// @brief Logits of every sample of @p data (labels not needed), n x outputs per sample.
std::vector<float> logits(const models::network& net, models::linear_backend& be,
                          const models::image_set& data, int batch = 500);

/// @brief Seed of the chip used by Monte Carlo trial @p k: derived from the base seed alone, so
/// trial k uses the same chip at every rate and under every scheme (faults nest across rates).
uint64_t trial_seed(uint64_t base, int k);

/// @brief SAVE's profiling step: runs @p calib through the fault-free chip of @p cm (its own
/// quantization and scheme, no range checks), records every weight layer's smallest and largest
/// output, widens them by range_check.margin and stores them in cm.layers[i].out_range.
/// @param scales per-layer activation scales (input_scale: calibrated), or empty
void profile_ranges(mapping::chip_mapping& cm, const models::model& m,
                    const models::image_set& calib, const std::vector<double>& scales,
                    int batch = 500);

/// @brief How evaluate() spreads its work over threads: the images of one run in batches (one
/// batch per thread), or whole runs (one chip, all its images, per thread).
enum class eval_split { batches, chips };

struct eval_options {
  /// Scheme names (none | vote | tmr, with +range / +clip; see parse_protection). When some name
  /// has clip, the names without it run with quant.clip none, so one list compares both.
  std::vector<std::string> protect{"none", "vote"};
  std::vector<double> rates{1e-4, 2.5e-4, 5e-4, 7.5e-4, 1e-3};  ///< stuck-at probabilities
  int trials = 10;
  int batch = 500;                       ///< images per forward pass
  double drop = 0.10;                    ///< accuracy drop that defines the tolerated rate
  int threads = 0;                       ///< 0: OpenMP's default (all cores)
  eval_split split = eval_split::chips;  ///< what runs side by side
  const models::image_set* calibration = nullptr;    ///< input_scale: calibrated, and range checks
  std::function<void(const std::string&)> progress;  ///< called after every trial
};

struct eval_point {
  std::string protect;
  double rate = 0;
  std::vector<double> acc;  ///< one per trial
  double mean = 0, std = 0, ci95_low = 0, ci95_high = 0;
};

struct scheme_summary {
  std::string protect;
  double fault_free = 0;  ///< mapped accuracy with no faults
  double storage_overhead_pct = 0;
  int crossbars = 0;
  double msb_zero_fraction = 0;  ///< of all kept weights, under this scheme's quantization
  std::string clip;              ///< the weight clip it ran with, e.g. "sigma 3" or "none"
  bool reached = false;          ///< the mean fell by `drop` within the rates evaluated
  double tolerated_rate = 0;     ///< rate at which it did (linear interpolation), if reached
};

struct eval_report {
  std::string model, data;
  int images = 0, trials = 0;
  double float_acc = 0;
  std::vector<scheme_summary> schemes;
  std::vector<eval_point> points;
  nlohmann::json layers;  ///< per layer: name, col_sparsity, msb_zero_fraction
  /// @brief tolerated rate of @p protect over that of "none"; NaN if either is unreached.
  double tolerance_ratio(const std::string& protect) const;
  nlohmann::json to_json() const;
  std::string to_csv() const;
};

/// @brief One Monte Carlo experiment set up once (network, calibration scales, one mapping per
/// scheme), cut into pieces that may run in any order and on any process (the sweep spreads
/// them over MPI ranks): the same piece always gives the same number, and assemble() turns the
/// pieces into the report that evaluate() gives.
class experiment {
 public:
  /// @brief Checks the options (before any work), calibrates if asked, maps every scheme.
  /// @p m and @p data must outlive the experiment.
  experiment(const models::model& m, const arch_spec& base, const models::image_set& data,
             const eval_options& opt);
  /// @brief The failure rates in the order of the report (ascending).
  const std::vector<double>& rates() const { return rates_; }
  size_t schemes() const { return mapped_.size(); }
  /// @brief Float (unmapped) accuracy on the data.
  double float_accuracy() const;
  /// @brief Scheme @p s's mapping cost and fault-free mapped accuracy (`reached` unset).
  scheme_summary reference(size_t s) const;
  /// @brief Accuracy of Monte Carlo trial @p k's chip under scheme @p s at rate rates()[r].
  double trial(size_t s, size_t r, int k) const;
  /// @brief Per-layer facts from the first scheme with copies (else the first scheme).
  nlohmann::json layers() const;
  /// @brief Logits (samples x outputs) of the float pass, of scheme @p s's fault-free chip
  /// (as reference()), and of trial @p k's chip at rate rates()[r] (as trial()).
  std::vector<float> float_logits() const;
  std::vector<float> reference_logits(size_t s) const;
  std::vector<float> trial_logits(size_t s, size_t r, int k) const;

 private:
  const models::model& m_;
  const models::image_set& data_;
  arch_spec base_;
  eval_options opt_;
  models::network net_;
  std::vector<double> rates_, scales_;
  std::vector<arch_spec> arch_;                ///< per scheme, fault-free
  std::vector<mapping::chip_mapping> mapped_;  ///< per scheme
  /// The chip of trial @p k at rate rates()[r] (@p r = npos: fault-free) under scheme @p s.
  template <class F>
  auto with_chip(size_t s, size_t r, int k, F use) const;
};

/// @brief The report from its pieces: @p refs one per scheme (experiment::reference), @p acc
/// indexed [scheme][rate][trial] (experiment::trial), @p rates ascending.
eval_report assemble(const std::string& model, const std::string& data, int images,
                     double float_acc, std::vector<scheme_summary> refs,
                     const std::vector<double>& rates,
                     const std::vector<std::vector<std::vector<double>>>& acc,
                     nlohmann::json layers, double drop);

/// @brief Runs the whole experiment; @p base gives everything but scheme, rate and seed.
eval_report evaluate(const models::model& m, const arch_spec& base, const models::image_set& data,
                     const eval_options& opt);

/// @brief Mean, sample standard deviation and Student-t 95% interval of @p v.
void summarize(eval_point& p);

}  // namespace rramft::engine
