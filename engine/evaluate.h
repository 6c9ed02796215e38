#pragma once
/// @file evaluate.h
/// @brief The batched accuracy engine: Monte Carlo over chips (fault maps) for every
/// (protection scheme, failure rate) pair, with float and fault-free mapped references.
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/faults.h"
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
/// @brief "chips" or "batches" (--split); rramft::error naming --split otherwise.
eval_split parse_split(const std::string& s);
/// @brief A failure rate @p v (written @p text) must be a probability; rramft::error naming
/// --rates otherwise.
void check_rate(double v, const std::string& text);

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
  const models::image_set* calibration = nullptr;  ///< input_scale: calibrated, and range checks
  /// Images (the first ones) on which each trial's per-layer output error is measured against
  /// the fault-free mapped chip, in one batch (so the sums are in a fixed order); 0: none.
  int layer_error_images = 100;
  std::function<void(const std::string&)> progress;  ///< called after every trial
  /// @brief rramft::error naming the option ("--trials: ...") of a count out of range.
  void check() const;
};

struct eval_point {
  std::string protect;
  double rate = 0;
  std::vector<double> acc;  ///< one per trial
  double mean = 0, std = 0;
  std::vector<double> layer_rel_rms;   ///< per weight layer, mean over the trials (may be empty)
  double ci95_low = 0, ci95_high = 0;  ///< chip to chip: Student t over trials, clipped to [0, 1]
  double test_ci95_low = 0, test_ci95_high = 0;  ///< test-set sampling: binomial (Clopper-Pearson)
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
  nlohmann::json layers;                 ///< per layer: name, col_sparsity, msb_zero_fraction
  std::vector<std::string> layer_names;  ///< weight layers, in model order
  int layer_error_images = 0;            ///< images the per-layer errors were measured on
  /// @brief tolerated rate of @p protect over that of "none"; NaN if either is unreached.
  double tolerance_ratio(const std::string& protect) const;
  nlohmann::json to_json() const;
  std::string to_csv() const;
  /// @brief layer_error.csv: protect,rate,layer,rel_rms (mean over the trials),images.
  std::string layer_error_csv() const;
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
  /// @brief Relative RMS error of every weight layer's output on trial @p k's chip (scheme @p s,
  /// rate rates()[r]) against the fault-free mapped chip on the same layer input:
  /// ||y - y_clean|| / ||y_clean - bias|| over the first opt.layer_error_images images, each
  /// layer fed the faulty network's own activations (the layer's error alone, as a
  /// single-layer simulator such as CrossSim measures it).
  std::vector<double> layer_error(size_t s, size_t r, int k) const;
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
eval_report assemble(
    const std::string& model, const std::string& data, int images, double float_acc,
    std::vector<scheme_summary> refs, const std::vector<double>& rates,
    const std::vector<std::vector<std::vector<double>>>& acc, nlohmann::json layers, double drop,
    const std::vector<std::vector<std::vector<std::vector<double>>>>& layer_errors = {});

/// @brief Runs the whole experiment; @p base gives everything but scheme, rate and seed.
eval_report evaluate(const models::model& m, const arch_spec& base, const models::image_set& data,
                     const eval_options& opt);

/// @brief Every name of @p protect must be a scheme and none may name a scheme twice
/// ("--protect: ..."); rramft::error otherwise. @return true when some scheme has range checks.
bool check_schemes(const arch_spec& a, const std::vector<std::string>& protect);

/// @brief What `rramft eval` and `rramft infer` (and the Python bindings) check and prepare
/// before an experiment: check_schemes(@p a, @p protect), then, when input_scale is calibrated or a
/// scheme has range checks, the calibration data is loaded into @p calib and opt->calibration
/// points at it: @p calib_spec (a data spec, bound to @p m), or, when @p calib_spec is empty, the
/// first 1000 samples of
/// @p data. @return true when some scheme of @p protect has range checks.
bool prepare_calibration(models::model& m, const arch_spec& a,
                         const std::vector<std::string>& protect, const models::image_set& data,
                         const std::string& calib_spec, models::image_set& calib,
                         eval_options& opt);

/// @brief `rramft eval`'s check before any work: refuses (one line naming @p who) when the
/// batch buffers and fault lists of @p opt would not fit the machine.
void check_eval_footprint(const models::model& m, const arch_spec& a, const models::image_set& data,
                          const eval_options& opt, const std::string& who);

/// @brief `rramft infer`: the logits of one scheme's float pass, fault-free mapped chip and
/// faulty chip (Monte Carlo trial @p trial of eval at rate @p rate).
struct infer_options {
  std::string protect = "none";
  double rate = 1e-3;
  int trial = 0;
  int batch = 500;
  /// @brief rramft::error naming the option ("--rate: ...") of a value out of range.
  void check() const;
};
struct infer_result {
  std::vector<int64_t> shape;  ///< samples [x positions] x classes
  std::vector<float> float_logits, mapped_logits, faulty_logits;
  nlohmann::json json;  ///< infer.json
};
/// @brief Checks @p o (infer_options::check) and computes the three logits;
/// @p calibration as eval_options::calibration (see prepare_calibration), @p model names the
/// model in infer.json.
infer_result infer(const models::model& m, const arch_spec& a, const models::image_set& data,
                   const infer_options& o, const models::image_set* calibration,
                   const std::string& model);

/// @brief What `rramft run` programs into the chip model before it elaborates (shared with the
/// Python bindings): the mapping of the architecture (calibration scales, range profiles), the
/// fault lists of its chip (seed, fault map), and the same chip once more without protection,
/// the baseline the report compares against, when the scheme is not none.
struct chip_setup {
  arch_spec arch;        ///< the chip under test
  arch_spec base;        ///< the same chip without protection
  bool compare = false;  ///< base differs from arch (the baseline is simulated too)
  mapping::chip_mapping cm, cm_none;
  std::vector<double> scales;  ///< input_scale: calibrated, else empty
  /// @brief The chip's fault map (arch's seed and fault keys; the baseline is the same chip).
  fault_map faults() const { return fault_map(arch.fault, arch.seed, arch.cell_bits); }
};
/// @brief Checks that @p m classifies @p data (one class per sample), maps it onto @p a and
/// the baseline, reads the chip's faults, calibrates and profiles ranges on @p calibration()
/// (called only when needed, at most once), and refuses (one line naming @p who) a chip that
/// would not fit the machine's memory.
chip_setup prepare_chip(const models::model& m, const arch_spec& a, const models::image_set& data,
                        const std::function<models::image_set()>& calibration,
                        const std::string& model_name, const std::string& who);

/// @brief Mean, sample standard deviation, the chip-to-chip Student-t 95% interval (clipped to
/// [0, 1]) and the test-set binomial 95% interval for @p images images (0: none) of p.acc.
void summarize(eval_point& p, int images = 0);

}  // namespace rramft::engine
