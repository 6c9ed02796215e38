#include "engine/evaluate.h"

#include <algorithm>
#include <atomic>
#include <boost/math/distributions/binomial.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <sstream>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/error.h"
#include "core/faults.h"
#include "engine/footprint.h"
#include "engine/mapped_backend.h"
#include "mapping/mapping.h"

namespace rramft::engine {

namespace {

/// Runs @p data through @p net in batches side by side (one per thread, each with
/// single-threaded GEMMs) and hands each batch's logits to @p use(first, count, logits); every
/// sample is computed alone within its batch, so results do not depend on the thread count.
template <class F>
void run_batches(const models::network& net, models::linear_backend& be,
                 const models::image_set& data, int batch, bool need_labels, F use) {
  net.check_data(data, need_labels);
  const size_t per =
      size_t(net.num_classes()) * size_t(net.source().network_graph ? net.source().positions : 1);
  const int batches = (data.n + batch - 1) / batch;
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic)
  for (int bi = 0; bi < batches; ++bi) {
    try {
      const int s = bi * batch, n = std::min(batch, data.n - s);
      std::vector<float> logits(size_t(n) * per);
      const input_scope inputs(uint64_t(s), n);  // transient faults are drawn per input
      net.forward_images(&data.pixels[size_t(s) * data.image_bytes()], n, be, logits.data());
      use(s, n, logits.data());
    } catch (...) {
#pragma omp critical
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

double accuracy(const models::network& net, models::linear_backend& be,
                const models::image_set& data, int batch) {
  if (net.source().network_graph && net.source().positions != 1)
    throw error(net.source().dir + ": gives " + std::to_string(net.source().positions) +
                " outputs per sample; accuracy needs one class per sample (rramft infer writes "
                "the logits)");
  const int classes = net.num_classes();
  std::atomic<int64_t> correct{0};
  run_batches(net, be, data, batch, true, [&](int s, int n, const float* logits) {
    int64_t c = 0;
    for (int i = 0; i < n; ++i) {
      const float* l = &logits[size_t(i) * classes];
      int best = 0;
      for (int k = 1; k < classes; ++k)
        if (l[k] > l[best]) best = k;  // first maximum wins, as torch.argmax
      c += best == data.labels[size_t(s + i)];
    }
    correct += c;
  });
  return double(correct.load()) / double(data.n);
}

std::vector<float> logits(const models::network& net, models::linear_backend& be,
                          const models::image_set& data, int batch) {
  const size_t per =
      size_t(net.num_classes()) * size_t(net.source().network_graph ? net.source().positions : 1);
  std::vector<float> out(size_t(data.n) * per);
  run_batches(net, be, data, batch, false, [&](int s, int n, const float* l) {
    std::copy_n(l, size_t(n) * per, &out[size_t(s) * per]);
  });
  return out;
}

uint64_t trial_seed(uint64_t base, int k) {
  return mix64(mix64(base) ^ (0x747269616cull + uint64_t(k)));
}

void summarize(eval_point& p, int images) {
  const size_t n = p.acc.size();
  double s = 0;
  for (double a : p.acc) s += a;
  p.mean = n ? s / double(n) : 0;
  double v = 0;
  for (double a : p.acc) v += (a - p.mean) * (a - p.mean);
  p.std = n > 1 ? std::sqrt(v / double(n - 1)) : 0;
  double half = 0;
  if (n > 1) {
    boost::math::students_t t(double(n - 1));
    half = boost::math::quantile(boost::math::complement(t, 0.025)) * p.std / std::sqrt(double(n));
  }
  // An accuracy lies in [0, 1]: the interval is clipped to it.
  p.ci95_low = std::clamp(p.mean - half, 0.0, 1.0);
  p.ci95_high = std::clamp(p.mean + half, 0.0, 1.0);
  // The test set is a sample too: Clopper-Pearson 95% interval of a proportion measured on
  // `images` images (the same images in every trial, so it does not shrink with the trials).
  p.test_ci95_low = p.test_ci95_high = p.mean;
  if (images > 0) {
    using bd = boost::math::binomial_distribution<double>;
    const double k = p.mean * images;
    p.test_ci95_low = bd::find_lower_bound_on_p(images, k, 0.025);
    p.test_ci95_high = bd::find_upper_bound_on_p(images, k, 0.025);
  }
}

double eval_report::tolerance_ratio(const std::string& protect) const {
  const scheme_summary *a = nullptr, *b = nullptr;
  for (const auto& s : schemes) {
    if (s.protect == protect) a = &s;
    if (s.protect == "none") b = &s;
  }
  if (!a || !b || !a->reached || !b->reached || b->tolerated_rate <= 0)
    return std::numeric_limits<double>::quiet_NaN();
  return a->tolerated_rate / b->tolerated_rate;
}

nlohmann::json eval_report::to_json() const {
  nlohmann::json j;
  j["model"] = model;
  j["data"] = data;
  j["images"] = images;
  j["trials"] = trials;
  j["float_accuracy"] = float_acc;
  for (const auto& s : schemes) {
    nlohmann::json js = {{"protect", s.protect},
                         {"fault_free_accuracy", s.fault_free},
                         {"storage_overhead_pct", s.storage_overhead_pct},
                         {"crossbars", s.crossbars},
                         {"msb_zero_fraction", s.msb_zero_fraction},
                         {"quant_clip", s.clip},
                         {"drop_reached", s.reached}};
    js["tolerated_rate"] = s.reached ? nlohmann::json(s.tolerated_rate) : nlohmann::json(nullptr);
    const double r = tolerance_ratio(s.protect);
    js["tolerance_ratio_vs_none"] = std::isnan(r) ? nlohmann::json(nullptr) : nlohmann::json(r);
    j["schemes"].push_back(js);
  }
  for (const auto& p : points)
    j["points"].push_back({{"protect", p.protect},
                           {"rate", p.rate},
                           {"mean", p.mean},
                           {"std", p.std},
                           {"ci95_low", p.ci95_low},
                           {"ci95_high", p.ci95_high},
                           {"test_ci95_low", p.test_ci95_low},
                           {"test_ci95_high", p.test_ci95_high},
                           {"trials", p.acc.size()},
                           {"accuracies", p.acc}});
  if (layer_error_images > 0) {
    nlohmann::json le = nlohmann::json::array();
    for (const auto& p : points) {
      nlohmann::json per;
      for (size_t l = 0; l < p.layer_rel_rms.size() && l < layer_names.size(); ++l)
        per[layer_names[l]] = p.layer_rel_rms[l];
      le.push_back({{"protect", p.protect}, {"rate", p.rate}, {"rel_rms", per}});
    }
    j["layer_error"] = {
        {"images", layer_error_images},
        {"definition",
         "per weight layer: ||y - y_clean|| / ||y_clean - bias|| over all outputs of the first "
         "`images` images, y from the faulty chip and y_clean from the fault-free mapped chip on "
         "the same layer input; mean over the trials (chips)"},
        {"points", le}};
  }
  j["layers"] = layers;
  j["interval_definitions"] = {
      {"ci95",
       "chip to chip: Student-t 95% interval of the mean over the trials (one chip, i.e. "
       "one fault map, per trial), clipped to [0, 1]"},
      {"test_ci95",
       "test-set sampling: Clopper-Pearson 95% interval of an accuracy measured on `images` "
       "images (binomial), at the mean accuracy"}};
  return j;
}

std::string eval_report::to_csv() const {
  std::ostringstream o;
  o.precision(10);
  o << "protect,rate,mean,std,ci95_low,ci95_high,trials,fault_free,float,test_ci95_low,"
       "test_ci95_high\n";
  for (const auto& p : points) {
    double ff = 0;
    for (const auto& s : schemes)
      if (s.protect == p.protect) ff = s.fault_free;
    o << p.protect << "," << p.rate << "," << p.mean << "," << p.std << "," << p.ci95_low << ","
      << p.ci95_high << "," << p.acc.size() << "," << ff << "," << float_acc << ","
      << p.test_ci95_low << "," << p.test_ci95_high << "\n";
  }
  return o.str();
}

std::string eval_report::layer_error_csv() const {
  std::ostringstream o;
  o.precision(10);
  o << "protect,rate,layer,rel_rms,images\n";
  for (const auto& p : points)
    for (size_t l = 0; l < p.layer_rel_rms.size() && l < layer_names.size(); ++l)
      o << p.protect << "," << p.rate << "," << layer_names[l] << "," << p.layer_rel_rms[l] << ","
        << layer_error_images << "\n";
  return o.str();
}

void profile_ranges(mapping::chip_mapping& cm, const models::model& m,
                    const models::image_set& calib, const std::vector<double>& scales, int batch) {
  // The profile runs on a copy whose layers do not check ranges (there are none yet).
  mapping::chip_mapping probe = cm;
  probe.arch.protection.range = false;
  for (mapped_layer& l : probe.layers) l.arch.protection.range = false;
  arch_spec a = cm.arch;
  a.fault.clear();
  const fault_map clean(a.fault, a.seed, a.cell_bits);
  mapped_backend mb(probe, m, clean, scales);
  range_recorder rec(mb, m);
  logits(models::network(m), rec, calib, batch);
  const std::vector<output_range> r =
      rec.ranges(cm, cm.arch.range_check.granularity, cm.arch.range_check.margin);
  for (size_t i = 0; i < cm.layers.size(); ++i) cm.layers[i].out_range = r[i];
}

experiment::experiment(const models::model& m, const arch_spec& base, const models::image_set& data,
                       const eval_options& opt)
    : m_(m), data_(data), base_(base), opt_(opt), net_(m) {
  if (opt.trials < 1) throw error("--trials must be at least 1");
  if (opt.protect.empty()) throw error("--protect names no scheme");
  for (double r : opt.rates)
    if (!(r >= 0 && r <= 1)) throw error("--rates: " + std::to_string(r) + " is not a probability");
  bool any_clip = false;
  for (const std::string& prot : opt.protect) any_clip |= parse_protection(prot).clip;
  for (const std::string& prot : opt.protect) {
    arch_spec a = base;
    apply_scheme(a, prot);
    if (any_clip && !a.protection.clip) a.quant.clip = clip_mode::none;
    a.fault.clear();
    if (a.protection.range && !opt.calibration)
      throw error("protection '" + prot + "': range checks need calibration images (--calib)");
    arch_.push_back(a);
  }
  rates_ = opt.rates;
  std::sort(rates_.begin(), rates_.end());
  if (base.input_scale == input_scale_mode::calibrated) {
    calibrating_backend cb(m);
    logits(net_, cb, opt.calibration ? *opt.calibration : data, opt.batch);
    scales_ = cb.scales(base);
  }
  for (const arch_spec& a : arch_) {
    mapped_.push_back(mapping::map_model(m, a));
    if (a.protection.range) profile_ranges(mapped_.back(), m, *opt.calibration, scales_, opt.batch);
  }
}

double experiment::float_accuracy() const {
  models::float_backend fb(m_);
  return accuracy(net_, fb, data_, opt_.batch);
}

template <class F>
auto experiment::with_chip(size_t s, size_t r, int k, F use) const {
  if (r == size_t(-1)) {
    // The ideal chip: no faults and no analog noise (issue 20's variation is per trial chip).
    arch_spec::fault_spec ideal = arch_[s].fault;
    ideal.clear();
    const fault_map clean(ideal, arch_[s].seed, arch_[s].cell_bits);
    mapped_backend mb(mapped_[s], m_, clean, scales_);
    return use(mb);
  }
  arch_spec ar = arch_.at(s);
  ar.fault.rate = rates_.at(r);
  ar.fault.transient_rate = base_.fault.transient_rate;
  ar.fault.wordline_rate = base_.fault.wordline_rate;
  ar.fault.bitline_rate = base_.fault.bitline_rate;
  ar.fault.table = base_.fault.table;          // a measured map: the same stuck cells at every rate
  ar.fault.variation = base_.fault.variation;  // the analog non-idealities of every trial chip
  ar.fault.read_noise = base_.fault.read_noise;
  const fault_map chip(ar.fault, trial_seed(base_.seed, k), ar.cell_bits);
  if (ar.mapping.fault_aware) {  // each chip's own placement around its stuck cells
    const mapping::chip_mapping placed = mapping::placed_around_faults(mapped_[s], chip);
    mapped_backend mb(placed, m_, chip, scales_);
    return use(mb);
  }
  mapped_backend mb(mapped_[s], m_, chip, scales_);
  return use(mb);
}

scheme_summary experiment::reference(size_t s) const {
  scheme_summary sum;
  sum.protect = opt_.protect.at(s);
  sum.storage_overhead_pct = mapped_[s].storage_overhead_pct();
  sum.crossbars = mapped_[s].crossbars_used();
  sum.msb_zero_fraction = mapped_[s].msb_zero_fraction();
  sum.clip = to_string(arch_[s].quant.clip);
  if (arch_[s].quant.clip != clip_mode::none) {
    std::ostringstream c;
    c << " " << arch_[s].quant.clip_value;
    sum.clip += c.str();
  }
  sum.fault_free = with_chip(
      s, size_t(-1), 0, [&](mapped_backend& mb) { return accuracy(net_, mb, data_, opt_.batch); });
  return sum;
}

double experiment::trial(size_t s, size_t r, int k) const {
  return with_chip(s, r, k,
                   [&](mapped_backend& mb) { return accuracy(net_, mb, data_, opt_.batch); });
}

std::vector<float> experiment::float_logits() const {
  models::float_backend fb(m_);
  return logits(net_, fb, data_, opt_.batch);
}

std::vector<float> experiment::reference_logits(size_t s) const {
  return with_chip(s, size_t(-1), 0,
                   [&](mapped_backend& mb) { return logits(net_, mb, data_, opt_.batch); });
}

std::vector<float> experiment::trial_logits(size_t s, size_t r, int k) const {
  return with_chip(s, r, k,
                   [&](mapped_backend& mb) { return logits(net_, mb, data_, opt_.batch); });
}

namespace {
/// Runs every weight layer through the faulty and the fault-free chip on the same input and
/// sums the squared differences and the squared fault-free outputs (bias removed), per layer;
/// the network continues with the faulty outputs.
class layer_error_probe : public models::linear_backend {
 public:
  layer_error_probe(models::linear_backend& faulty, models::linear_backend& clean,
                    const models::model& m)
      : faulty_(faulty), clean_(clean), m_(m), err2(m.layers.size()), ref2(m.layers.size()) {}
  void linear(size_t layer, const float* x, int n, float* y) override {
    faulty_.linear(layer, x, n, y);
    const models::weight_layer& wl = m_.layers[layer];
    std::vector<float> y0(size_t(n) * wl.cols);
    clean_.linear(layer, x, n, y0.data());
    for (size_t i = 0; i < y0.size(); ++i) {
      // long double (x87): no fused multiply-add contraction in any build type, so Debug and
      // Release builds sum bit for bit alike.
      const long double d = (long double)y[i] - y0[i];
      const long double b = wl.bias.empty() ? 0.0L : (long double)wl.bias[i % size_t(wl.cols)];
      err2[layer] += d * d;
      ref2[layer] += ((long double)y0[i] - b) * ((long double)y0[i] - b);
    }
  }
  models::linear_backend &faulty_, &clean_;
  const models::model& m_;
  std::vector<long double> err2, ref2;
};
}  // namespace

std::vector<double> experiment::layer_error(size_t s, size_t r, int k) const {
  return with_chip(s, r, k, [&](mapped_backend& faulty) {
    return with_chip(s, size_t(-1), 0, [&](mapped_backend& ideal) {
      layer_error_probe probe(faulty, ideal, m_);
      const int n = std::min(opt_.layer_error_images, data_.n);
      std::vector<float> logits(size_t(n) * net_.num_classes());
      const input_scope inputs(0, n);
      net_.forward_images(data_.pixels.data(), n, probe, logits.data());  // one batch: fixed order
      std::vector<double> rel(m_.layers.size(), 0.0);
      for (size_t l = 0; l < rel.size(); ++l)
        rel[l] = probe.ref2[l] > 0 ? std::sqrt(probe.err2[l] / probe.ref2[l]) : 0.0;
      return rel;
    });
  });
}

nlohmann::json experiment::layers() const {
  size_t pick = 0;  // the first scheme with copies: its thresholds mean something
  for (size_t s = 0; s < arch_.size(); ++s)
    if (arch_[s].copies() > 1) {
      pick = s;
      break;
    }
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : mapped_[pick].reports)
    j.push_back({{"name", r.name},
                 {"col_sparsity", r.col_sparsity},
                 {"threshold", r.threshold},
                 {"embedded", r.embedded},
                 {"msb_zero_fraction", r.msb_zero_fraction}});
  return j;
}

eval_report assemble(
    const std::string& model, const std::string& data, int images, double float_acc,
    std::vector<scheme_summary> refs, const std::vector<double>& rates,
    const std::vector<std::vector<std::vector<double>>>& acc, nlohmann::json layers, double drop,
    const std::vector<std::vector<std::vector<std::vector<double>>>>& layer_errors) {
  eval_report rep;
  rep.model = model;
  rep.data = data;
  rep.images = images;
  rep.trials = acc.empty() || acc[0].empty() ? 0 : int(acc[0][0].size());
  rep.float_acc = float_acc;
  rep.layers = std::move(layers);
  for (size_t s = 0; s < refs.size(); ++s) {
    scheme_summary& sum = refs[s];
    double prev_rate = 0, prev_mean = sum.fault_free;
    for (size_t r = 0; r < rates.size(); ++r) {
      eval_point p;
      p.protect = sum.protect;
      p.rate = rates[r];
      p.acc = acc.at(s).at(r);
      summarize(p, images);
      if (s < layer_errors.size() && r < layer_errors[s].size() && !layer_errors[s][r].empty()) {
        const auto& per_trial = layer_errors[s][r];  // [trial][layer]
        p.layer_rel_rms.assign(per_trial[0].size(), 0.0);
        for (const auto& t : per_trial)
          for (size_t l = 0; l < t.size(); ++l)
            p.layer_rel_rms[l] += t[l] / double(per_trial.size());
      }
      const double target = sum.fault_free - drop;
      if (!sum.reached && p.mean < target) {
        sum.reached = true;
        const double f = (prev_mean - target) / (prev_mean - p.mean);
        sum.tolerated_rate = prev_rate + f * (p.rate - prev_rate);
      }
      prev_rate = p.rate;
      prev_mean = p.mean;
      rep.points.push_back(p);
    }
    rep.schemes.push_back(sum);
  }
  return rep;
}

eval_report evaluate(const models::model& m, const arch_spec& base, const models::image_set& data,
                     const eval_options& opt) {
  if (opt.threads < 0) throw error("--threads: expected a positive number");
#ifdef _OPENMP
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  struct restore {
    int n;
    ~restore() { omp_set_num_threads(n); }
  } restore_threads{saved};
#else
  const int threads = 1;
#endif
  const experiment ex(m, base, data, opt);
  const double float_acc = ex.float_accuracy();
  const auto t0 = std::chrono::steady_clock::now();
  const size_t S = ex.schemes(), R = ex.rates().size(), trials = size_t(opt.trials);
  // Jobs: every scheme's fault-free reference, then every (scheme, rate, trial) run. Each job
  // gives the same number whichever thread runs it and in whatever order.
  const size_t total = S * R * trials, jobs = S + total;
  std::vector<scheme_summary> refs(S);
  std::vector<std::vector<std::vector<double>>> acc(
      S, std::vector<std::vector<double>>(R, std::vector<double>(trials, 0.0)));
  std::vector<std::vector<std::vector<std::vector<double>>>> layer_err(
      S,
      std::vector<std::vector<std::vector<double>>>(R, std::vector<std::vector<double>>(trials)));
  size_t done = 0;
  // Time left: a run's cost grows with its failure rate (more cell errors to fold in and more
  // vote groups that can move), so each rate is timed on its own; a rate not seen yet is
  // estimated at the cost of the highest one seen.
  std::vector<double> rate_s(R, 0);
  std::vector<int> rate_n(R, 0);
  std::vector<size_t> left(R, S * trials);  // runs not yet done, per rate
  auto seconds_left = [&]() {
    double top = 0;
    for (size_t i = 0; i < R; ++i)
      if (rate_n[i] > 0) top = rate_s[i] / rate_n[i];
    double sum = 0;
    for (size_t i = 0; i < R; ++i)
      sum += double(left[i]) * (rate_n[i] > 0 ? rate_s[i] / rate_n[i] : top);
    return sum / double(opt.split == eval_split::chips ? threads : 1);
  };
  auto run_job = [&](size_t j) {
    if (j < S) {
      refs[j] = ex.reference(j);
      return;
    }
    const size_t t = j - S, s = t / (R * trials), r = t / trials % R;
    const int k = int(t % trials);
    const auto start = std::chrono::steady_clock::now();
    const double a = ex.trial(s, r, k);
    acc[s][r][size_t(k)] = a;
    if (opt.layer_error_images > 0) layer_err[s][r][size_t(k)] = ex.layer_error(s, r, k);
    if (!opt.progress) return;
    const auto now = std::chrono::steady_clock::now();
#pragma omp critical(rramft_eval_progress)
    {
      ++done;
      rate_s[r] += std::chrono::duration<double>(now - start).count();
      ++rate_n[r];
      --left[r];
      const double el = std::chrono::duration<double>(now - t0).count();
      std::ostringstream o;
      o << opt.protect[s] << " rate " << ex.rates()[r] << " trial " << k + 1 << "/" << opt.trials
        << " acc " << a << " | " << done << "/" << total << " runs, " << int(el) << " s elapsed, ~"
        << int(seconds_left()) << " s left";
      opt.progress(o.str());
    }
  };
  if (opt.split == eval_split::chips && threads > 1) {
    // One run per thread, its batches one after the other (the nested parallel loop of
    // accuracy() gets one thread): nothing waits for the slowest batch of a run, and building
    // a chip's fault lists runs beside the other threads' work.
    std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
    for (size_t j = 0; j < jobs; ++j) {
      try {
        run_job(j);
      } catch (...) {
#pragma omp critical(rramft_eval_failure)
        if (!failure) failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  } else {
    for (size_t j = 0; j < jobs; ++j) run_job(j);
  }
  eval_report rep = assemble(m.dir, data.name, data.n, float_acc, std::move(refs), ex.rates(), acc,
                             ex.layers(), opt.drop, layer_err);
  for (const auto& l : m.layers) rep.layer_names.push_back(l.name);
  rep.layer_error_images =
      opt.layer_error_images > 0 ? std::min(opt.layer_error_images, data.n) : 0;
  return rep;
}

eval_split parse_split(const std::string& s) {
  if (s == "chips") return eval_split::chips;
  if (s == "batches") return eval_split::batches;
  throw error("--split: '" + s + "' is not one of chips, batches");
}

void check_rate(double v, const std::string& text) {
  if (!(v >= 0 && v <= 1)) throw error("--rates: '" + text + "' is not a probability in [0, 1]");
}

void eval_options::check() const {
  if (trials < 1 || trials > 100000)
    throw error("--trials: " + std::to_string(trials) + " is not in 1..100000");
  if (batch < 1) throw error("--batch must be positive");
  if (threads < 0 || threads > 4096)
    throw error("--threads: " + std::to_string(threads) + " is not in 1..4096");
  if (layer_error_images < 0 || layer_error_images > 100000)
    throw error("--layer-error-images: " + std::to_string(layer_error_images) +
                " is not in 0..100000");
}

bool check_schemes(const arch_spec& a, const std::vector<std::string>& protect) {
  bool ranges = false;
  std::vector<std::string> canonical;
  for (const auto& p : protect) {
    arch_spec probe = a;
    apply_scheme(probe, p);  // validates the name before any work
    ranges |= probe.protection.range;
    const std::string c = probe.scheme_name();
    if (std::find(canonical.begin(), canonical.end(), c) != canonical.end())
      throw error("--protect: '" + p + "' names scheme '" + c + "' a second time");
    canonical.push_back(c);
  }
  return ranges;
}

bool prepare_calibration(models::model& m, const arch_spec& a,
                         const std::vector<std::string>& protect, const models::image_set& data,
                         const std::string& calib_spec, models::image_set& calib,
                         eval_options& opt) {
  const bool ranges = check_schemes(a, protect);
  if (a.input_scale == input_scale_mode::calibrated || ranges) {
    if (calib_spec.empty()) {
      calib = models::first_samples(data, 1000);
    } else {
      calib = models::load_dataset(calib_spec, "--calib");
      models::bind_data(m, calib);
    }
    opt.calibration = &calib;
  }
  return ranges;
}

void check_eval_footprint(const models::model& m, const arch_spec& a, const models::image_set& data,
                          const eval_options& opt, const std::string& who) {
  int copies = 1;
  for (const auto& p : opt.protect) {
    arch_spec probe = a;
    apply_scheme(probe, p);
    copies = std::max(copies, probe.copies());
  }
  double rate = 0;
  for (double r : opt.rates) rate = std::max(rate, r);
  // With --split chips, at most one chip per job runs at once: every scheme's reference
  // and every (scheme, rate, trial).
  const bool chips = opt.split == eval_split::chips;
  const double jobs = double(opt.protect.size()) * (1.0 + double(opt.rates.size()) * opt.trials);
#ifdef _OPENMP
  const int parallel = opt.threads > 0 ? opt.threads : omp_get_max_threads();
#else
  const int parallel = 1;
#endif
  eval_footprint(m, a, data, opt.batch, chips ? int(std::min<double>(parallel, jobs)) : parallel,
                 copies, rate, chips)
      .check(who, "lower --batch (" + std::to_string(opt.batch) +
                      "), --threads, the crossbar size or the number of images");
}

namespace {

double share_correct(const std::vector<float>& logits, const models::image_set& d, int classes) {
  int64_t c = 0;
  for (int i = 0; i < d.n; ++i) {
    const float* l = &logits[size_t(i) * size_t(classes)];
    c += int(std::max_element(l, l + classes) - l) == d.labels[size_t(i)];
  }
  return double(c) / double(std::max(1, d.n));
}

}  // namespace

void infer_options::check() const {
  if (!(rate >= 0 && rate <= 1))
    throw error("--rate: " + std::to_string(rate) + " is not a probability");
  if (trial < 0 || trial > 100000)
    throw error("--trial: " + std::to_string(trial) + " is not in 0..100000");
  if (batch < 1) throw error("--batch must be positive");
}

infer_result infer(const models::model& m, const arch_spec& a, const models::image_set& data,
                   const infer_options& o, const models::image_set* calibration,
                   const std::string& model) {
  o.check();
  arch_spec probe = a;
  apply_scheme(probe, o.protect);
  eval_options opt;
  opt.protect = {o.protect};
  opt.rates = {o.rate};
  opt.trials = o.trial + 1;
  opt.batch = o.batch;
  opt.calibration = calibration;
  const experiment ex(m, a, data, opt);
  infer_result r;
  r.float_logits = ex.float_logits();
  r.mapped_logits = ex.reference_logits(0);
  r.faulty_logits = ex.trial_logits(0, 0, o.trial);
  const models::network net(m);
  const int classes = net.num_classes();
  const int positions = m.network_graph ? m.positions : 1;
  r.shape = {data.n};
  if (positions != 1) r.shape.push_back(positions);
  r.shape.push_back(classes);
  r.json = {{"model", model},
            {"data", data.name},
            {"samples", data.n},
            {"crossbar_layers", m.layers.size()},
            {"logits_shape", r.shape},
            {"protect", probe.scheme_name()},
            {"rate", o.rate},
            {"trial", o.trial},
            {"seed", a.seed},
            {"chip_seed", trial_seed(a.seed, o.trial)},
            {"files", {"float.npy", "mapped.npy", "faulty.npy"}}};
  if (!data.labels.empty() && positions == 1) {
    r.json["float_accuracy"] = share_correct(r.float_logits, data, classes);
    r.json["mapped_accuracy"] = share_correct(r.mapped_logits, data, classes);
    r.json["faulty_accuracy"] = share_correct(r.faulty_logits, data, classes);
  }
  return r;
}

chip_setup prepare_chip(const models::model& m, const arch_spec& a, const models::image_set& data,
                        const std::function<models::image_set()>& calibration,
                        const std::string& model_name, const std::string& who) {
  const models::network net(m);
  net.check_data(data);  // labels; one class per sample (a per-token model is refused)
  std::unique_ptr<models::image_set> calib;
  const auto calibration_set = [&]() -> const models::image_set& {
    if (!calib) calib = std::make_unique<models::image_set>(calibration());
    return *calib;
  };
  chip_setup s;
  s.arch = a;
  s.cm = mapping::map_model(m, a);
  const fault_map chip = s.faults();
  if (a.input_scale == input_scale_mode::calibrated) {
    calibrating_backend cb(m);
    accuracy(net, cb, calibration_set());
    s.scales = cb.scales(a);
  }
  if (a.protection.range)  // SAVE: the SFU's bounds, profiled on the fault-free chip
    profile_ranges(s.cm, m, calibration_set(), s.scales);
  // The same chip (seed, fault map) once more without protection, in the same elaboration, so
  // that the report can state what the protection costs.
  s.base = a;
  s.base.protection.scheme = scheme::none;
  s.base.protection.range = s.base.protection.clip = false;
  if (a.protection.clip) s.base.quant.clip = clip_mode::none;
  s.compare = s.base.scheme_name() != a.scheme_name() || s.base.quant.clip != a.quant.clip;
  if (s.compare) s.cm_none = mapping::map_model(m, s.base);
  {
    // Refused up front when the programmed crossbars would not fit the machine.
    double faulty = 0;
    for (const auto* cm : {&s.cm, &s.cm_none})
      for (const auto& l : cm->layers) faulty += double(read_errors(l, chip).size());
    std::vector<const mapping::chip_mapping*> chips{&s.cm};
    if (s.compare) chips.push_back(&s.cm_none);
    run_footprint(chips, faulty, data)
        .check(who, "lower crossbar.cols / crossbar.rows or run fewer images");
  }
  return s;
}

}  // namespace rramft::engine
