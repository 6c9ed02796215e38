#include <malloc.h>
// Google Benchmark cases for rramft::mvm, each paired with a dense float GEMM of the same
// shapes in this binary (Eigen, same OpenMP threads and -march as the core). See bench/README.md.
//   case1: fast path (lossless ADC), vote T=3, 1e-3 stuck cells, 768x768 and 3072x768, n=256
//   case2: peer-comparison workload (768x768, n=1000, 256x256 crossbars, no protection) vs a
//          float64 GEMM, plus the one-off chip programming (read_errors) and mapping costs
//   case3: lossy 6-bit ADC, the layers of case1, n=256, prepared (serial_product); case3ref:
//          the slice-by-slice reference path, n=64
//   case4: fast path over layer sizes 256..4096, square and 4:1
// Mapping and chip programming happen once per workload, outside the timed loops.
// Every mapped case reports a counter "vs_dense" = (mapped time / dense time) when its
// baseline ran before it, and a summary table is printed at the end of the run.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/faults.h"
#include "core/layer.h"
#include "core/mvm.h"
#include "core/quant.h"
#include "core/spec.h"
#include "mapping/mapping.h"
#include "models/model.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

using clk = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Workloads
// ---------------------------------------------------------------------------------------------

/// A mapped layer on a programmed chip, the quantized inputs, and float copies of the same
/// shapes for the dense baseline.
struct workload {
  rramft::arch_spec arch;
  rramft::mapping::layer_report report;
  rramft::mapped_layer layer;
  std::vector<rramft::cell_error> errs;
  int n = 0;                 ///< input vectors
  std::vector<int32_t> xq;   ///< n x rows, quantized activations
  std::vector<float> xf;     ///< n x rows, float activations (baseline input)
  std::vector<float> wf;     ///< out x in (PyTorch layout), float weights
  double read_errors_s = 0;  ///< one-off chip programming time measured at set-up
};

/// Case 1 and 3 architecture: shipped defaults (128x128, cell_bits 1, vote T=3, 1 plane, flip,
/// embed), fault.rate 1e-3, adc.bits as given (8 = lossless for 128 rows).
rramft::arch_spec arch_vote(int adc_bits) {
  rramft::arch_spec a;
  a.fault.rate = 1e-3;
  a.adc.bits = adc_bits;
  a.seed = 1;
  a.validate();
  return a;
}

/// Case 2 architecture: 256x256 crossbars, 1-bit cells, 0.1% stuck cells SA0:SA1 = 1:1,
/// no protection, unsigned 8-bit inputs, 9-bit (lossless) ADC.
rramft::arch_spec arch_peer() {
  rramft::arch_spec a;
  a.crossbar.rows = 256;
  a.crossbar.cols = 256;
  a.cell_bits = 1;
  a.fault.rate = 1e-3;
  a.fault.sa0 = 1;
  a.fault.sa1 = 1;
  a.protection.scheme = rramft::scheme::none;
  a.input_signed = false;
  a.input_bits = 8;
  a.adc.bits = 9;
  a.seed = 1;
  a.validate();
  return a;
}

void finish(workload& w, const std::vector<float>& weights, int in, int out) {
  rramft::models::weight_layer wl;
  wl.name = "bench";
  wl.kind = "linear";
  wl.rows = in;
  wl.cols = out;
  wl.w = weights;
  wl.shape = {out, in};
  w.wf = weights;
  w.layer = rramft::mapping::map_layer(wl, w.arch, 0, w.report);
  rramft::fault_map chip(w.arch.fault, w.arch.seed, w.arch.cell_bits);
  const auto t0 = clk::now();
  w.errs = rramft::read_errors(w.layer, chip);
  w.read_errors_s = std::chrono::duration<double>(clk::now() - t0).count();
}

/// Quantizes @p xf (n x in) vector by vector (per_vector scale).
std::vector<int32_t> quantize_inputs(const std::vector<float>& xf, int n, int in,
                                     const rramft::arch_spec& a) {
  rramft::activation_quantizer aq{a.input_bits, a.input_signed};
  std::vector<int32_t> xq(xf.size());
  for (int i = 0; i < n; ++i) {
    const float* row = xf.data() + size_t(i) * in;
    aq.quantize(row, size_t(in), aq.scale_for(row, size_t(in)), xq.data() + size_t(i) * in);
  }
  return xq;
}

/// Random normal weights (out x in), 30% of outputs zeroed when @p pruned; random normal inputs.
std::unique_ptr<workload> make_normal(int out, int in, int n, bool pruned, int adc_bits) {
  auto w = std::make_unique<workload>();
  w->arch = arch_vote(adc_bits);
  w->n = n;
  std::mt19937_64 rng(0x5eed0001ull + uint64_t(out) * 7 + (pruned ? 1 : 0) +
                      (in == 768 ? 0 : uint64_t(in) << 20));
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> wt(size_t(out) * in);
  for (auto& v : wt) v = nd(rng);
  if (pruned) {
    std::vector<int> perm(out);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    const int npruned = int(0.3 * out + 0.5);
    for (int k = 0; k < npruned; ++k) std::fill_n(wt.begin() + size_t(perm[k]) * in, in, 0.0f);
  }
  w->xf.resize(size_t(n) * in);
  for (auto& v : w->xf) v = nd(rng);
  w->xq = quantize_inputs(w->xf, n, in, w->arch);
  finish(*w, wt, in, out);
  return w;
}

/// Case 2: W 768x768 uniform in [-1, 1], 1000 inputs uniform in [0, 1].
std::unique_ptr<workload> make_peer() {
  auto w = std::make_unique<workload>();
  w->arch = arch_peer();
  const int in = 768, out = 768, n = 1000;
  w->n = n;
  std::mt19937_64 rng(0x5eed0002ull);
  std::uniform_real_distribution<float> wd(-1.0f, 1.0f), xd(0.0f, 1.0f);
  std::vector<float> wt(size_t(out) * in);
  for (auto& v : wt) v = wd(rng);
  w->xf.resize(size_t(n) * in);
  for (auto& v : w->xf) v = xd(rng);
  w->xq = quantize_inputs(w->xf, n, in, w->arch);
  finish(*w, wt, in, out);
  return w;
}

/// Workloads are built once per process (mapping and chip programming are not timed here).
workload& get(const std::string& key) {
  static std::map<std::string, std::unique_ptr<workload>> cache;
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  std::unique_ptr<workload> w;
  if (key == "peer") {
    w = make_peer();
  } else {
    int out = 0, in = 0, n = 0, pruned = 0, adc = 0;
    if (std::sscanf(key.c_str(), "normal/%d/%d/%d/%d/%d", &out, &in, &n, &pruned, &adc) != 5)
      std::abort();
    w = make_normal(out, in, n, pruned != 0, adc);
  }
  return *(cache[key] = std::move(w));
}

std::string normal_key(int out, int n, bool pruned, int adc_bits, int in = 768) {
  return "normal/" + std::to_string(out) + "/" + std::to_string(in) + "/" + std::to_string(n) +
         "/" + std::to_string(pruned ? 1 : 0) + "/" + std::to_string(adc_bits);
}

// ---------------------------------------------------------------------------------------------
// Results shared between benchmarks (filled by the reporter as each benchmark finishes)
// ---------------------------------------------------------------------------------------------

std::map<std::string, double>& seconds_per_iter() {
  static std::map<std::string, double> m;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Benchmark bodies
// ---------------------------------------------------------------------------------------------

/// Dense GEMM baseline: Y (n x out) = X (n x in) * W^T (in x out), Eigen column-major.
template <class Scalar>
void bm_dense(benchmark::State& state, int n, int in, int out, std::string key) {
  using mat = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic>;
  const workload& w = get(key);
  mat X(n, in), Wt(in, out), Y(n, out);
  for (int i = 0; i < n; ++i)
    for (int r = 0; r < in; ++r) X(i, r) = Scalar(w.xf[size_t(i) * in + r]);
  for (int o = 0; o < out; ++o)
    for (int r = 0; r < in; ++r) Wt(r, o) = Scalar(w.wf[size_t(o) * in + r]);
  const auto t0 = clk::now();
  for (auto _ : state) {
    Y.noalias() = X * Wt;
    benchmark::DoNotOptimize(Y.data());
    benchmark::ClobberMemory();
  }
  // Per wall-clock second: kIsRate would divide by the main thread's CPU time only.
  const double secs = std::chrono::duration<double>(clk::now() - t0).count();
  state.counters["GFLOP/s"] = 2.0 * n * in * out * double(state.iterations()) / secs * 1e-9;
}

/// How a mapped case runs: prepared once per chip as the engine does (fast_product for a
/// lossless ADC, serial_product for a lossy one), or through mvm() with a forced path.
enum class mode { prepared, reference };

void bm_mapped(benchmark::State& state, std::string key, mode how, std::string baseline) {
  const workload& w = get(key);
  const rramft::mapped_layer& l = w.layer;
  std::vector<int64_t> y(size_t(w.n) * l.cols);
  // As the accuracy engine runs it: the chip's effective weights (or column programs) are
  // prepared once (programming), each call gathers the kept inputs, multiplies and scatters.
  std::unique_ptr<rramft::fast_product> fp;
  std::unique_ptr<rramft::serial_product> sp;
  if (how == mode::prepared) {
    if (l.arch.adc_lossless())
      fp = std::make_unique<rramft::fast_product>(l, w.errs);
    else
      sp = std::make_unique<rramft::serial_product>(l, w.errs);
  }
  std::vector<int32_t> xk(size_t(w.n) * l.kept_rows.size());
  std::vector<int64_t> yk(size_t(w.n) * l.kept_cols.size());
  const auto t0 = clk::now();
  for (auto _ : state) {
    if (fp || sp) {
      rramft::kept_inputs(l, w.xq.data(), w.n, xk.data());
      if (fp)
        fp->run(xk.data(), w.n, yk.data());
      else
        sp->run(xk.data(), w.n, yk.data());
      rramft::scatter_outputs(l, yk.data(), w.n, y.data());
    } else {
      rramft::mvm(l, w.errs, w.xq.data(), w.n, y.data(), rramft::mvm_path::bit_serial);
    }
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  const double per_iter =
      std::chrono::duration<double>(clk::now() - t0).count() / double(state.iterations());
  const auto& done = seconds_per_iter();
  auto it = done.find(baseline);
  if (it != done.end() && it->second > 0) state.counters["vs_dense"] = per_iter / it->second;
  state.counters["xbars"] = l.crossbars();
  state.counters["err_cells"] = double(w.errs.size());
  state.counters["embedded"] = w.report.embedded ? 1 : 0;
}

void bm_read_errors(benchmark::State& state, std::string key) {
  const workload& w = get(key);
  size_t count = 0;
  for (auto _ : state) {
    rramft::fault_map chip(w.arch.fault, w.arch.seed, w.arch.cell_bits);
    auto errs = rramft::read_errors(w.layer, chip);
    count = errs.size();
    benchmark::DoNotOptimize(errs.data());
  }
  state.counters["err_cells"] = double(count);
  state.counters["cells_used"] = double(w.report.cells_used);
}

/// The one-off part of the prepared paths, done once per chip and layer: folding a chip's cell
/// errors into the effective weights and collecting the vote groups (fast_product), or the
/// column programs of the read levels (serial_product).
void bm_prepare(benchmark::State& state, std::string key) {
  const workload& w = get(key);
  for (auto _ : state) {
    if (w.layer.arch.adc_lossless()) {
      rramft::fast_product fp(w.layer, w.errs);
      benchmark::DoNotOptimize(&fp);
    } else {
      rramft::serial_product sp(w.layer, w.errs);
      benchmark::DoNotOptimize(&sp);
    }
  }
}

void bm_map_layer(benchmark::State& state, std::string key) {
  const workload& w = get(key);
  rramft::models::weight_layer wl;
  wl.name = "bench";
  wl.kind = "linear";
  wl.rows = w.layer.rows;
  wl.cols = w.layer.cols;
  wl.w = w.wf;
  for (auto _ : state) {
    rramft::mapping::layer_report rep;
    auto l = rramft::mapping::map_layer(wl, w.arch, 0, rep);
    benchmark::DoNotOptimize(l.columns.data());
  }
}

// ---------------------------------------------------------------------------------------------
// Registration and summary
// ---------------------------------------------------------------------------------------------

struct pair_row {
  std::string label, mapped, baseline;
  double target;  ///< ratio the target allows (<= target); 0 = no target
};
std::vector<pair_row>& pairs() {
  static std::vector<pair_row> v;
  return v;
}

constexpr int kIn = 768;
constexpr int kN1 = 256;  // case 1 inputs
constexpr int kN3 = 64;   // case 3 inputs (bit-serial path)

void register_all() {
  auto reg = [](const std::string& name, auto&& fn, double min_time) {
    auto* b = benchmark::RegisterBenchmark(name.c_str(), fn)
                  ->Unit(benchmark::kMillisecond)
                  ->UseRealTime();
    // min_time 0: one iteration (MinTime and Iterations are exclusive in benchmark 1.7).
    return min_time > 0 ? b->MinTime(min_time) : b->Iterations(1);
  };
  // Case 1: fast path (lossless ADC), vote T=3, 1e-3 faults, n = 256.
  for (int out : {768, 3072}) {
    const std::string sh = "out" + std::to_string(out) + "_in768_n" + std::to_string(kN1);
    const std::string base = "case1/dense_f32/" + sh;
    reg(
        base,
        [=](benchmark::State& s) {
          bm_dense<float>(s, kN1, kIn, out, normal_key(out, kN1, false, 8));
        },
        0.5);
    for (bool pruned : {true, false}) {
      const std::string name =
          std::string("case1/mapped_fast/") + (pruned ? "pruned30/" : "dense/") + sh;
      const std::string key = normal_key(out, kN1, pruned, 8);
      reg(
          name, [=](benchmark::State& s) { bm_mapped(s, key, mode::prepared, base); }, 0.5);
      pairs().push_back({name, name, base, 2.0});
      reg(
          std::string("case1/prepare_chip/") + (pruned ? "pruned30/" : "dense/") + sh,
          [=](benchmark::State& s) { bm_prepare(s, key); }, 0.3);
    }
  }
  // Case 2: peer-comparison workload, float64 baseline, n = 1000.
  {
    const std::string base = "case2/dense_f64/out768_in768_n1000";
    reg(
        base, [=](benchmark::State& s) { bm_dense<double>(s, 1000, kIn, 768, "peer"); }, 0.5);
    const std::string name = "case2/mapped_fast/out768_in768_n1000";
    reg(
        name, [=](benchmark::State& s) { bm_mapped(s, "peer", mode::prepared, base); }, 0.5);
    pairs().push_back({name, name, base, 2.0});
    reg(
        "case2/prepare_chip", [](benchmark::State& s) { bm_prepare(s, "peer"); }, 0.3);
    reg(
        "case2/read_errors_program_chip", [](benchmark::State& s) { bm_read_errors(s, "peer"); },
        0.3);
    reg(
        "case2/map_layer", [](benchmark::State& s) { bm_map_layer(s, "peer"); }, 0.3);
  }
  // Case 4: the fast path (lossless ADC) over layer sizes, square and 4:1 (out = 4 x in),
  // unpruned (the copies need extra crossbars), n = 256, against a float32 GEMM.
  for (int size : {256, 512, 1024, 2048, 4096})
    for (int tall : {0, 1}) {
      const int out = size, in = tall ? size / 4 : size;
      const std::string sh =
          "out" + std::to_string(out) + "_in" + std::to_string(in) + "_n" + std::to_string(kN1);
      const std::string base = "case4/dense_f32/" + sh;
      const std::string key = normal_key(out, kN1, false, 8, in);
      reg(
          base, [=](benchmark::State& s) { bm_dense<float>(s, kN1, in, out, key); }, 0.3);
      const std::string name = "case4/mapped_fast/" + sh;
      reg(
          name, [=](benchmark::State& s) { bm_mapped(s, key, mode::prepared, base); }, 0.3);
      pairs().push_back({name, name, base, 2.0});
    }
  // Case 3: lossy 6-bit ADC, same layers as case 1 and n = 256, prepared as the engine runs it
  // (serial_product); case3ref: the slice-by-slice reference (the test oracle), n = 64, one
  // iteration (seconds long).
  for (int out : {768, 3072})
    for (int n : {kN1, kN3}) {
      const bool ref = n == kN3;
      const std::string sh = "out" + std::to_string(out) + "_in768_n" + std::to_string(n);
      const std::string c = ref ? "case3ref" : "case3";
      const std::string base = c + "/dense_f32/" + sh;
      reg(
          base,
          [=](benchmark::State& s) {
            bm_dense<float>(s, n, kIn, out, normal_key(out, n, false, 6));
          },
          0.3);
      for (bool pruned : {true, false}) {
        const std::string name = c + (ref ? "/reference_bitserial_adc6/" : "/mapped_adc6/") +
                                 (pruned ? "pruned30/" : "dense/") + sh;
        const std::string key = normal_key(out, n, pruned, 6);
        reg(
            name,
            [=](benchmark::State& s) {
              bm_mapped(s, key, ref ? mode::reference : mode::prepared, base);
            },
            ref ? 0 : 0.3);
        pairs().push_back({name, name, base, ref ? 0 : 20.0});
        if (!ref)
          reg(
              c + "/prepare_chip/" + (pruned ? "pruned30/" : "dense/") + sh,
              [=](benchmark::State& s) { bm_prepare(s, key); }, 0.3);
      }
    }
  // Case 5: ViT-sized lossy layers (16-128 inputs, one row block, 40-128 outputs), 6-bit ADC,
  // n = 256, pruned30, prepared: the layers of the ViT eval, where the per-slice subset tables
  // and the per-column ADC weigh more than in case 3.
  for (auto [out, in] : std::vector<std::pair<int, int>>{{128, 128}, {40, 64}, {64, 32}}) {
    const std::string sh =
        "out" + std::to_string(out) + "_in" + std::to_string(in) + "_n" + std::to_string(kN1);
    const std::string base = "case5/dense_f32/" + sh;
    reg(
        base,
        [=](benchmark::State& s) {
          bm_dense<float>(s, kN1, in, out, normal_key(out, kN1, false, 6, in));
        },
        0.3);
    const std::string name = "case5/mapped_adc6/pruned30/" + sh;
    const std::string key = normal_key(out, kN1, true, 6, in);
    reg(
        name, [=](benchmark::State& s) { bm_mapped(s, key, mode::prepared, base); }, 0.3);
    pairs().push_back({name, name, base, 0});
  }
}

/// Forwards everything to the display reporter and records seconds per iteration by name.
class collecting_reporter : public benchmark::BenchmarkReporter {
 public:
  explicit collecting_reporter(std::unique_ptr<benchmark::BenchmarkReporter> inner)
      : inner_(std::move(inner)) {}
  bool ReportContext(const Context& c) override { return inner_->ReportContext(c); }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred || r.iterations <= 0) continue;
      const std::string name = r.run_name.function_name;
      const double s = r.real_accumulated_time / double(r.iterations);
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name == "mean") seconds_per_iter()[name] = s;
      } else if (r.repetitions <= 1 || !seconds_per_iter().count(name)) {
        seconds_per_iter()[name] = s;
      }
    }
    inner_->ReportRuns(runs);
  }
  void Finalize() override { inner_->Finalize(); }

 private:
  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
};

void print_summary(std::ostream& os) {
  const auto& t = seconds_per_iter();
  auto ms = [&](const std::string& k) {
    auto it = t.find(k);
    return it == t.end() ? -1.0 : 1e3 * it->second;
  };
  char buf[512];
  os << "\nSummary (real time per call; ratio = mapped / dense GEMM of the same shapes; threads = "
#ifdef _OPENMP
     << omp_get_max_threads()
#else
     << 1
#endif
     << ")\n";
  std::snprintf(buf, sizeof buf, "%-52s %12s %12s %8s  %s\n", "case", "mapped ms", "dense ms",
                "ratio", "target");
  os << buf;
  for (const pair_row& p : pairs()) {
    const double m = ms(p.mapped), d = ms(p.baseline);
    if (m < 0) continue;
    std::string verdict = "-";
    double ratio = d > 0 ? m / d : 0;
    if (p.target > 0 && d > 0)
      verdict = std::string(ratio <= p.target ? "met" : "MISSED") +
                " (<= " + std::to_string(int(p.target)) + ")";
    std::snprintf(buf, sizeof buf, "%-52s %12.2f %12.2f %8.2f  %s\n", p.label.c_str(), m, d,
                  d > 0 ? ratio : 0.0, verdict.c_str());
    os << buf;
  }
  for (const auto& [name, sh] :
       {std::pair<std::string, std::string>{"pruned30", "out768_in768_n256"},
        {"dense", "out768_in768_n256"},
        {"pruned30", "out3072_in768_n256"},
        {"dense", "out3072_in768_n256"}}) {
    const double pc = ms("case1/prepare_chip/" + name + "/" + sh);
    if (pc < 0) continue;
    std::snprintf(buf, sizeof buf, "case1 one-off per chip: prepare_chip %s/%s %.2f ms\n",
                  name.c_str(), sh.c_str(), pc);
    os << buf;
  }
  const double re = ms("case2/read_errors_program_chip"), ml = ms("case2/map_layer"),
               pc = ms("case2/prepare_chip"), mv = ms("case2/mapped_fast/out768_in768_n1000");
  if (re >= 0 || ml >= 0 || pc >= 0) {
    std::snprintf(buf, sizeof buf,
                  "case2 one-off costs: map_layer %.2f ms, read_errors (program chip) %.2f ms, "
                  "prepare_chip %.2f ms; end to end map + program + prepare + mvm = %.2f ms\n",
                  ml, re, pc,
                  (ml > 0 ? ml : 0) + (re > 0 ? re : 0) + (pc > 0 ? pc : 0) + (mv > 0 ? mv : 0));
    os << buf;
  }
}

}  // namespace

int main(int argc, char** argv) {
  // As the rramft command line does (apps/main.cpp): keep large buffers in the heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // The display format, read before Initialize() consumes the flag.
  // Display options too: a reporter passed to RunSpecifiedBenchmarks does not see the flags.
  std::string format = "console", color = "auto";
  bool tabular = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--benchmark_format=", 19) == 0) format = argv[i] + 19;
    if (std::strncmp(argv[i], "--benchmark_color=", 18) == 0) color = argv[i] + 18;
    if (std::strcmp(argv[i], "--benchmark_counters_tabular=true") == 0 ||
        std::strcmp(argv[i], "--benchmark_counters_tabular") == 0)
      tabular = true;
  }
  const bool use_color = color == "true" || color == "yes" || color == "1" || color == "always" ||
                         (color == "auto" && isatty(STDOUT_FILENO));
  const bool console = format != "json";
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  std::unique_ptr<benchmark::BenchmarkReporter> inner;
  if (format == "json")
    inner = std::make_unique<benchmark::JSONReporter>();
  else
    inner = std::make_unique<benchmark::ConsoleReporter>(benchmark::ConsoleReporter::OutputOptions(
        (use_color ? benchmark::ConsoleReporter::OO_Color : 0) |
        (tabular ? benchmark::ConsoleReporter::OO_Tabular
                 : 0)));  // csv is deprecated in benchmark 1.7
  collecting_reporter rep(std::move(inner));
  benchmark::RunSpecifiedBenchmarks(&rep);
  print_summary(console ? std::cout : std::cerr);
  benchmark::Shutdown();
  return 0;
}
