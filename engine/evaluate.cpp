#include "engine/evaluate.h"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "core/faults.h"
#include "engine/mapped_backend.h"
#include "mapping/mapping.h"

namespace rramft::engine {

double accuracy(const models::network& net, models::linear_backend& be,
                const models::image_set& data, int batch) {
  net.check_images(data);
  const int classes = net.num_classes();
  // Batches run side by side (one per thread, each with single-threaded GEMMs); every image is
  // computed alone within its batch, so the count is the same for any number of threads.
  const int batches = (data.n + batch - 1) / batch;
  int64_t correct = 0;
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic) reduction(+ : correct)
  for (int bi = 0; bi < batches; ++bi) {
    try {
      const int s = bi * batch, n = std::min(batch, data.n - s);
      std::vector<float> logits(size_t(n) * classes);
      net.forward_images(&data.pixels[size_t(s) * data.image_bytes()], n, be, logits.data());
      for (int i = 0; i < n; ++i) {
        const float* l = &logits[size_t(i) * classes];
        int best = 0;
        for (int c = 1; c < classes; ++c)
          if (l[c] > l[best]) best = c;  // first maximum wins, as torch.argmax
        correct += best == data.labels[size_t(s + i)];
      }
    } catch (...) {
#pragma omp critical
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  return double(correct) / double(data.n);
}

uint64_t trial_seed(uint64_t base, int k) {
  return mix64(mix64(base) ^ (0x747269616cull + uint64_t(k)));
}

void summarize(eval_point& p) {
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
  p.ci95_low = p.mean - half;
  p.ci95_high = p.mean + half;
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
                           {"trials", p.acc.size()},
                           {"accuracies", p.acc}});
  j["layers"] = layers;
  return j;
}

std::string eval_report::to_csv() const {
  std::ostringstream o;
  o.precision(10);
  o << "protect,rate,mean,std,ci95_low,ci95_high,trials,fault_free,float\n";
  for (const auto& p : points) {
    double ff = 0;
    for (const auto& s : schemes)
      if (s.protect == p.protect) ff = s.fault_free;
    o << p.protect << "," << p.rate << "," << p.mean << "," << p.std << "," << p.ci95_low << ","
      << p.ci95_high << "," << p.acc.size() << "," << ff << "," << float_acc << "\n";
  }
  return o.str();
}

void profile_ranges(mapping::chip_mapping& cm, const models::model& m,
                    const models::image_set& calib, const std::vector<double>& scales, int batch) {
  // The profile runs on a copy whose layers do not check ranges (there are none yet).
  mapping::chip_mapping probe = cm;
  probe.arch.protection.range = false;
  for (mapped_layer& l : probe.layers) l.arch.protection.range = false;
  arch_spec a = cm.arch;
  a.fault.rate = 0;
  a.fault.transient_rate = 0;
  const fault_map clean(a.fault, a.seed, a.cell_bits);
  mapped_backend mb(probe, m, clean, 0, scales);
  range_recorder rec(mb, m);
  accuracy(models::network(m), rec, calib, batch);
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
    a.fault.rate = 0;
    a.fault.transient_rate = 0;
    if (a.protection.range && !opt.calibration)
      throw error("protection '" + prot + "': range checks need calibration images (--calib)");
    arch_.push_back(a);
  }
  rates_ = opt.rates;
  std::sort(rates_.begin(), rates_.end());
  if (base.input_scale == "calibrated") {
    calibrating_backend cb(m);
    accuracy(net_, cb, opt.calibration ? *opt.calibration : data, opt.batch);
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
  const fault_map clean(arch_[s].fault, arch_[s].seed, arch_[s].cell_bits);
  mapped_backend mb(mapped_[s], m_, clean, 0, scales_);
  sum.fault_free = accuracy(net_, mb, data_, opt_.batch);
  return sum;
}

double experiment::trial(size_t s, size_t r, int k) const {
  arch_spec ar = arch_.at(s);
  ar.fault.rate = rates_.at(r);
  ar.fault.transient_rate = base_.fault.transient_rate;
  const fault_map chip(ar.fault, trial_seed(base_.seed, k), ar.cell_bits);
  mapped_backend mb(mapped_[s], m_, chip, uint64_t(k), scales_);
  return accuracy(net_, mb, data_, opt_.batch);
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

eval_report assemble(const std::string& model, const std::string& data, int images,
                     double float_acc, std::vector<scheme_summary> refs,
                     const std::vector<double>& rates,
                     const std::vector<std::vector<std::vector<double>>>& acc,
                     nlohmann::json layers, double drop) {
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
      summarize(p);
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
  const experiment ex(m, base, data, opt);
  const double float_acc = ex.float_accuracy();
  const auto t0 = std::chrono::steady_clock::now();
  const size_t R = ex.rates().size(), total = ex.schemes() * R * size_t(opt.trials);
  size_t done = 0;
  // Time left: a run's cost grows with its failure rate (more cell errors to fold in and more
  // vote groups that can move), so each rate is timed on its own; a rate not seen yet is
  // estimated at the cost of the highest one seen.
  std::vector<double> rate_s(R, 0);
  std::vector<int> rate_n(R, 0);
  auto seconds_left = [&](size_t s, size_t r, int k) {
    double top = 0;
    for (size_t i = 0; i < R; ++i)
      if (rate_n[i] > 0) top = rate_s[i] / rate_n[i];
    auto per_run = [&](size_t i) { return rate_n[i] > 0 ? rate_s[i] / rate_n[i] : top; };
    double left = double(opt.trials - 1 - k) * per_run(r);
    for (size_t i = r + 1; i < R; ++i) left += opt.trials * per_run(i);
    double all_rates = 0;
    for (size_t i = 0; i < R; ++i) all_rates += per_run(i);
    return left + double(ex.schemes() - 1 - s) * opt.trials * all_rates;
  };
  std::vector<scheme_summary> refs;
  std::vector<std::vector<std::vector<double>>> acc(ex.schemes());
  for (size_t s = 0; s < ex.schemes(); ++s) {
    refs.push_back(ex.reference(s));
    for (size_t r = 0; r < R; ++r) {
      acc[s].emplace_back();
      for (int k = 0; k < opt.trials; ++k) {
        const auto start = std::chrono::steady_clock::now();
        acc[s][r].push_back(ex.trial(s, r, k));
        ++done;
        if (opt.progress) {
          const auto now = std::chrono::steady_clock::now();
          rate_s[r] += std::chrono::duration<double>(now - start).count();
          ++rate_n[r];
          const double el = std::chrono::duration<double>(now - t0).count();
          std::ostringstream o;
          o << opt.protect[s] << " rate " << ex.rates()[r] << " trial " << k + 1 << "/"
            << opt.trials << " acc " << acc[s][r].back() << " | " << done << "/" << total
            << " runs, " << int(el) << " s elapsed, ~" << int(seconds_left(s, r, k)) << " s left";
          opt.progress(o.str());
        }
      }
    }
  }
  return assemble(m.dir, data.name, data.n, float_acc, std::move(refs), ex.rates(), acc,
                  ex.layers(), opt.drop);
}

}  // namespace rramft::engine
