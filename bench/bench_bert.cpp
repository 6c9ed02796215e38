/// Benchmark of the accuracy engine at BERT-base scale (not a test): time and memory of one
/// token sequence through a `bert` family model folder, on the float backend, on a faulty chip
/// with the default vote (lossless ADC: fast_product) and with a 6-bit ADC (serial_product),
/// each against the float32 GEMM floor: the model's weight-layer GEMMs alone, same shapes,
/// timed in the same run. Chip preparation (fault lists and prepared products) is reported
/// apart, as it is done once per chip.
/// Usage: bench_bert MODEL_DIR [SEQ (128)] [REPEATS (3)] [FAULT_RATE (1e-3)]
///   e.g. /usr/bin/python3 -m models.train.make_bert_base --out /tmp/bert-base
///        build/bench/bench_bert /tmp/bert-base
#include <malloc.h>

#include <Eigen/Dense>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/faults.h"
#include "engine/mapped_backend.h"
#include "io/arch_file.h"
#include "mapping/mapping.h"
#include "models/network.h"

using namespace rramft;
using clk = std::chrono::steady_clock;

namespace {

/// Resident and peak resident memory of this process, MiB (/proc/self/status).
std::pair<double, double> rss_mib() {
  std::ifstream f("/proc/self/status");
  double rss = 0, hwm = 0;
  for (std::string line; std::getline(f, line);) {
    if (line.rfind("VmRSS:", 0) == 0) rss = std::stod(line.substr(6)) / 1024;
    if (line.rfind("VmHWM:", 0) == 0) hwm = std::stod(line.substr(6)) / 1024;
  }
  return {rss, hwm};
}

/// Best of @p reps wall times of @p f, seconds.
double best_of(int reps, const std::function<void()>& f) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = clk::now();
    f();
    best = std::min(best, std::chrono::duration<double>(clk::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_bert MODEL_DIR [SEQ] [REPEATS] [FAULT_RATE]\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int seq = argc > 2 ? std::atoi(argv[2]) : 128;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 3;
  const double rate = argc > 4 ? std::atof(argv[4]) : 1e-3;
  const models::model m = models::load_model(dir);
  const models::network net(m);
  const int vocab = m.config.at("vocab_size").get<int>();
  std::mt19937_64 g(1);
  std::uniform_int_distribution<int32_t> tok(0, vocab - 1);
  std::vector<int32_t> ids(static_cast<size_t>(seq));
  for (auto& t : ids) t = tok(g);
  std::vector<float> logits(size_t(net.num_classes()));
  auto forward = [&](models::linear_backend& be) {
    net.forward_tokens(ids.data(), nullptr, 1, seq, be, logits.data());
  };
  std::printf("model %s: %zu weight layers, sequence of %d tokens, best of %d\n", dir.c_str(),
              m.layers.size(), seq, reps);

  // The floor: every weight layer's float32 GEMM (seq x rows) * (rows x cols), nothing else.
  using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  std::vector<matf> xs, ys;
  for (const auto& l : m.layers) {
    // The pooler and the classifier see the [CLS] vector only.
    const bool cls = l.name.find("pooler") != std::string::npos || l.name == "classifier";
    const int n = cls ? 1 : seq;
    xs.push_back(matf::Random(n, l.rows));
    ys.push_back(matf(n, l.cols));
  }
  const double floor_s = best_of(reps, [&] {
    for (size_t i = 0; i < m.layers.size(); ++i) {
      Eigen::Map<const matf> W(m.layers[i].w.data(), m.layers[i].cols, m.layers[i].rows);
      ys[i].noalias() = xs[i] * W.transpose();
    }
  });
  std::printf("  float32 GEMM floor:        %8.1f ms\n", 1e3 * floor_s);
  models::float_backend fb(m);
  const double float_s = best_of(reps, [&] { forward(fb); });
  std::printf("  float backend, whole pass: %8.1f ms  (%.2fx the floor)\n", 1e3 * float_s,
              float_s / floor_s);

  for (int bits : {8, 6}) {
    arch_spec a =
        load_arch(std::string(RRAMFT_SOURCE_DIR) + "/configs/default.yaml",
                  {"fault.rate=" + std::to_string(rate), "adc.bits=" + std::to_string(bits)});
    const auto t0 = clk::now();
    const mapping::chip_mapping cm = mapping::map_model(m, a);
    const double map_s = std::chrono::duration<double>(clk::now() - t0).count();
    const fault_map chip(a.fault, a.seed, a.cell_bits);
    const auto t1 = clk::now();
    engine::mapped_backend mb(cm, m, chip);
    const double prep_s = std::chrono::duration<double>(clk::now() - t1).count();
    size_t errors = 0;
    for (const auto& e : mb.errors()) errors += e.size();
    const double pass_s = best_of(reps, [&] { forward(mb); });
    const auto [rss, hwm] = rss_mib();
    std::printf(
        "  %s ADC (%d bits), scheme %s, rate %g (%zu cells read wrong):\n"
        "    map %.1f s, program the chip (fault lists, prepared products) %.1f s, once per chip\n"
        "    one pass: %8.1f ms  (%.2fx the floor); memory: %.0f MiB resident, %.0f MiB peak\n",
        a.adc_lossless() ? "lossless" : "lossy", bits, a.scheme_name().c_str(), rate, errors, map_s,
        prep_s, 1e3 * pass_s, pass_s / floor_s, rss, hwm);
  }
  return 0;
}
