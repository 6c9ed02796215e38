// Device non-idealities (issue 20): conductance variation, read noise and ADC non-linearity in
// the functional core, held to closed forms and brute-force oracles.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "core/datapath.h"
#include "core/error.h"
#include "core/mvm.h"
#include "core/periph.h"
#include "io/arch_file.h"
#include "layer_fixtures.h"

using namespace rramft;
using fixtures::column_of;

namespace {

arch_spec small_chip() {
  arch_spec a;
  a.crossbar.rows = 32;
  a.crossbar.cols = 64;
  a.adc.bits = 8;
  a.validate();
  return a;
}

std::vector<int64_t> run(const mapped_layer& l, const std::vector<cell_error>& e,
                         const std::vector<int32_t>& x, int n, mvm_path p,
                         const transient_reads& t = {}) {
  std::vector<int64_t> y(size_t(n) * l.cols);
  mvm(l, e, x.data(), n, y.data(), p, t);
  return y;
}

/// Wilson-Hilferty approximation of the chi-square quantile with k degrees of freedom at the
/// standard normal quantile z.
double chi2_quantile(double k, double z) {
  const double c = 2.0 / (9.0 * k);
  return k * std::pow(1.0 - c + z * std::sqrt(c), 3.0);
}

/// Requires the sample of @p v to have mean @p mu and variance @p var: the sample variance
/// within the two-sided chi-square bound at z = 3.9 (p ~ 1e-4), the mean within 4.5 standard
/// errors.
void check_moments(const std::vector<double>& v, double mu, double var) {
  const double n = double(v.size());
  double m = 0;
  for (double x : v) m += x;
  m /= n;
  double ss = 0;
  for (double x : v) ss += (x - m) * (x - m);
  const double stat = ss / var;  // (n-1) S^2 / sigma^2 ~ chi2(n-1)
  INFO("mean " << m << " want " << mu << ", variance " << ss / (n - 1) << " want " << var);
  CHECK(std::abs(m - mu) < 4.5 * std::sqrt(var / n));
  CHECK(stat > chi2_quantile(n - 1, -3.9));
  CHECK(stat < chi2_quantile(n - 1, 3.9));
}

}  // namespace

TEST_CASE("conductance variation: a column sum has the closed-form mean and variance",
          "[noise][variation]") {
  // sum = sum_r d_r L_r f_r with f_r of mean 1 and standard deviation sigma, independent per
  // cell: mean sum_r d_r L_r, variance sigma^2 sum_r d_r^2 L_r^2. Draws over chips (seeds).
  for (variation_model dist : {variation_model::gaussian, variation_model::lognormal})
    for (int cell_bits : {1, 2}) {
      arch_spec a = small_chip();
      a.protection.scheme = scheme::none;
      a.cell_bits = cell_bits;
      a.dac.bits = cell_bits;  // 2-bit cells with 2-bit DAC digits: levels and digits 0..3
      a.input_signed = cell_bits == 1;
      a.adc.bits = 10;
      a.fault.variation = 0.1;
      a.fault.variation_dist = dist;
      a.validate();
      INFO(to_string(dist) << ", " << cell_bits << "-bit cells");
      const mapped_layer l = fixtures::map(fixtures::random_layer(32, 3, 0, 0, 7), a);
      const int rows = l.block_rows(0), C = l.C();
      std::mt19937_64 g(3);
      std::vector<float> digits(static_cast<size_t>(rows));
      for (auto& d : digits) d = float(g() % (uint64_t(1) << a.dac.bits));
      // The used column of crossbar 0 with the largest sum.
      std::vector<float> ideal(size_t(rows) * C), sums(static_cast<size_t>(C));
      crossbar_levels(l, {}, 0, 0, ideal.data());
      int col = -1;
      double mu = -1, var = 0;
      for (int c = 0; c < C; ++c) {
        if (!l.columns[size_t(c)].used()) continue;
        double m = 0, v = 0;
        for (int r = 0; r < rows; ++r) {
          const double dl = double(digits[size_t(r)]) * ideal[size_t(r) * C + c];
          m += dl;
          v += dl * dl;
        }
        if (m > mu) mu = m, var = v, col = c;
      }
      REQUIRE(col >= 0);
      var *= a.fault.variation * a.fault.variation;
      std::vector<double> draws;
      std::vector<float> levels(size_t(rows) * C);
      for (uint64_t seed = 1; seed <= 3000; ++seed) {
        const fault_map chip(a.fault, seed, a.cell_bits);
        crossbar_levels(l, {}, 0, 0, levels.data(), &chip);
        read_sums(l, transient_reads{&chip, {}}, 0, 0, 0, digits.data(), 1, levels.data(),
                  sums.data());
        draws.push_back(sums[size_t(col)]);
      }
      check_moments(draws, mu, var);
    }
}

TEST_CASE("read noise: a column sum has the closed-form variance, drawn per read",
          "[noise][read]") {
  // Independent per-cell noise g_r (1 + s z_r) sums to a normal column noise of variance
  // s^2 sum_r (d_r g_r)^2. Draws over reads (input indices) of one chip.
  arch_spec a = small_chip();
  a.protection.scheme = scheme::none;
  a.fault.read_noise = 0.05;
  a.validate();
  const mapped_layer l = fixtures::map(fixtures::random_layer(32, 3, 0, 0, 8), a);
  const int rows = l.block_rows(0), C = l.C();
  std::vector<float> digits(size_t(rows), 1.0f), levels(size_t(rows) * C),
      sums(static_cast<size_t>(C));
  const fault_map chip(a.fault, 5, a.cell_bits);
  crossbar_levels(l, {}, 0, 0, levels.data(), &chip);
  for (int slice : {0, 3}) {
    int col = -1;
    double mu = 0;
    for (int c = 0; c < C; ++c) {
      double m = 0;
      for (int r = 0; r < rows; ++r) m += levels[size_t(r) * C + c];
      if (m > mu) mu = m, col = c;
    }
    REQUIRE(col >= 0);
    std::vector<double> draws;
    for (uint64_t input = 0; input < 3000; ++input) {
      read_sums(l, transient_reads{&chip, {input, 1}}, 0, 0, slice, digits.data(), 1, levels.data(),
                sums.data());
      draws.push_back(sums[size_t(col)]);
    }
    // 1-bit cells, all digits 1: sum_r (d_r g_r)^2 = number of ones = mu.
    check_moments(draws, mu, a.fault.read_noise * a.fault.read_noise * mu);
  }
}

TEST_CASE("analog noise: same seed same outputs, independent of the batch, off is exact",
          "[noise][determinism]") {
  for (int bits : {0, 5}) {
    arch_spec a = small_chip();
    if (bits) a.adc.bits = bits;
    a.fault.rate = 0.01;
    a.fault.transient_rate = 0.01;
    a.validate();
    INFO("adc " << a.adc.bits << " bits");
    const mapped_layer l = fixtures::map(fixtures::random_layer(70, 25, 6, 3, 11), a);
    const int n = 5;
    const auto x = fixtures::random_inputs(a, n, l.rows, 12);
    // Off: keys at 0 change nothing (the chip is the same as without them).
    const fault_map plain(a.fault, 9, a.cell_bits);
    const auto errs = read_errors(l, plain);
    const transient_reads tp{&plain, {40, 1}};
    const auto want = run(l, errs, x, n, mvm_path::bit_serial, tp);
    CHECK(run(l, errs, x, n, mvm_path::automatic, tp) == want);
    arch_spec noisy = a;
    noisy.fault.variation = 0.1;
    noisy.fault.read_noise = 0.05;
    noisy.validate();
    const fault_map chip(noisy.fault, 9, a.cell_bits);
    REQUIRE(read_errors(l, chip).size() == errs.size());  // the same stuck cells
    const transient_reads t{&chip, {40, 1}};
    const auto y = run(l, errs, x, n, mvm_path::automatic, t);
    CHECK(y != want);                                         // the noise reached the outputs
    CHECK(run(l, errs, x, n, mvm_path::bit_serial, t) == y);  // the only path that models it
    CHECK(run(l, errs, x, n, mvm_path::automatic, t) == y);   // same seed, same numbers
    CHECK_THROWS_WITH(run(l, errs, x, n, mvm_path::fast, t), Catch::Contains("read noise"));
    for (int v = 0; v < n; ++v) {  // one vector at a time: the same reads, the same numbers
      const std::vector<int32_t> xv(x.begin() + v * l.rows, x.begin() + (v + 1) * l.rows);
      const auto one = run(l, errs, xv, 1, mvm_path::automatic, {&chip, {40 + uint64_t(v), 1}});
      CHECK(std::equal(one.begin(), one.end(), y.begin() + v * l.cols));
    }
    const fault_map other(noisy.fault, 10, a.cell_bits);
    CHECK(run(l, read_errors(l, other), x, n, mvm_path::automatic, {&other, {40, 1}}) != y);
    // Variation alone is a property of the cells: the same for every read.
    arch_spec var_only = noisy;
    var_only.fault.read_noise = 0;
    var_only.fault.transient_rate = 0;
    const fault_map vchip(var_only.fault, 9, a.cell_bits);
    CHECK(run(l, errs, x, n, mvm_path::automatic, {&vchip, {0, 1}}) ==
          run(l, errs, x, n, mvm_path::automatic, {&vchip, {77, 1}}));
  }
}

TEST_CASE("ADC non-linearity: transfer tables and offset/gain applied exactly", "[noise][adc]") {
  // A brute-force oracle per column and slice (as in test_mvm's lossy ADC oracle), with the
  // conversion written out from the definition in docs/noise.md.
  auto oracle = [](const mapped_layer& l, const std::vector<cell_error>& errs,
                   const std::vector<int32_t>& x, int n,
                   const std::function<int64_t(int64_t)>& convert) {
    const input_slicing sl{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed};
    const int T = l.copies(), R = l.R();
    std::vector<int64_t> want(size_t(n) * l.cols, 0);
    for (int i = 0; i < n; ++i)
      for (size_t o = 0; o < l.kept_cols.size(); ++o) {
        int64_t total = 0;
        for (int b = 0; b < l.row_blocks; ++b) {
          std::vector<int64_t> cand(size_t(T), 0);
          int64_t plain = 0;
          for (int s = 0; s < l.slices(); ++s)
            for (int neg = 0; neg < 2; ++neg)
              for (int t = 0; t < (l.is_protected(s) ? T : 1); ++t) {
                const int col = column_of(l, int(o), s, neg, t);
                int64_t colv = 0;
                for (int k = 0; k < sl.count(); ++k) {
                  int64_t sum = 0;
                  for (int r = 0; r < l.block_rows(b); ++r) {
                    int lv = l.programmed_level(b * R + r, l.columns[size_t(col)]);
                    for (const auto& e : errs)
                      if (e.block == b && e.column == col && e.row == r) lv += e.delta;
                    sum += int64_t(sl.digit(x[size_t(i) * l.rows + l.kept_rows[size_t(b * R + r)]],
                                            k)) *
                           lv;
                  }
                  colv += sl.weight(k) * convert(sum);
                }
                const int64_t sign = (neg ? -1 : 1) * (l.is_flipped(s) ? -1 : 1);
                const int64_t v = sign * (int64_t(1) << s) * colv;
                if (T > 1 && l.is_protected(s))
                  cand[size_t(t)] += v;
                else
                  plain += v;
              }
          total += plain + (T > 1 ? median(cand.data(), T) : 0);
        }
        want[size_t(i) * l.cols + l.kept_cols[o]] = total;
      }
    return want;
  };
  arch_spec base = small_chip();
  base.adc.bits = 5;  // 31 codes for sums 0..32
  base.fault.rate = 0.02;
  base.validate();
  const double step = 32.0 / 31.0;
  std::mt19937_64 g(21);
  std::uniform_real_distribution<double> u(0.0, 36.0);
  std::vector<double> table(31);
  for (auto& v : table) v = u(g);
  std::sort(table.begin(), table.end());
  struct variant {
    const char* name;
    std::function<void(arch_spec&)> edit;
    std::function<int64_t(int64_t)> convert;
  };
  const std::vector<variant> vs = {
      {"table",
       [&](arch_spec& a) {
         a.adc.table = "table.txt";
         a.adc.transitions = table;
       },
       [&](int64_t s) {
         int64_t code = 0;
         for (double t : table) code += t <= double(s);
         return std::llround(double(code) * step);
       }},
      {"offset and gain",
       [](arch_spec& a) {
         a.adc.offset = 0.7;
         a.adc.gain_error = -0.05;
       },
       [&](int64_t s) {
         double c = std::floor(std::min(double(s), 32.0) * 0.95 / step + 0.7 + 0.5);
         c = std::clamp(c, 0.0, 31.0);
         return std::llround(c * step);
       }},
      {"offset on an otherwise lossless ADC",
       [](arch_spec& a) {
         a.adc.bits = 8;
         a.adc.offset = -1.2;
       },
       [](int64_t s) {
         // The ADC's range is still the column full scale, 32: larger inputs saturate there.
         const double c = std::clamp(std::floor(std::min(double(s), 32.0) - 1.2 + 0.5), 0.0, 255.0);
         return std::llround(c);
       }},
  };
  for (const variant& v : vs) {
    arch_spec a = base;
    v.edit(a);
    a.validate();
    INFO(v.name);
    REQUIRE_FALSE(a.adc_lossless());
    const mapped_layer l = fixtures::map(fixtures::random_layer(45, 12, 3, 2, 9), a);
    const fault_map chip(a.fault, 4, 1);
    const auto errs = read_errors(l, chip);
    const int n = 3;
    const auto x = fixtures::random_inputs(a, n, l.rows, 10);
    const adc_model adc(a);
    for (int64_t s = 0; s <= 40; ++s) CHECK(adc.convert(s) == v.convert(s));
    const auto want = oracle(l, errs, x, n, v.convert);
    CHECK(run(l, errs, x, n, mvm_path::bit_serial) == want);
    CHECK(run(l, errs, x, n, mvm_path::automatic) == want);  // the prepared bit-serial path
  }
}

TEST_CASE("adc.table: loaded from a file next to the architecture, checked", "[noise][adc][spec]") {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("rramft_noise_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string arch = (dir / "arch.yaml").string();
  std::ofstream(arch) << "adc:\n  bits: 3\n  table: levels.txt\n";
  std::ofstream(dir / "levels.txt") << "# transition levels\n0.5\n1.5\n2.5\n3.5\n4.5\n5.5\n6.6\n";
  const arch_spec a = load_arch(arch);
  REQUIRE(a.adc.transitions.size() == 7);
  CHECK(a.adc.transitions[6] == 6.6);
  CHECK_FALSE(a.adc_lossless());
  // Step 128/7 column-sum units per code (128 rows, 7 codes): code 6 below 6.6, code 7 from it.
  CHECK(adc_model(a).convert(0) == 0);
  CHECK(adc_model(a).convert(1) == std::llround(128.0 / 7));
  CHECK(adc_model(a).convert(6) == std::llround(6 * 128.0 / 7));
  CHECK(adc_model(a).convert(7) == 128);
  CHECK_THROWS_WITH(load_arch(arch, {"adc.bits=4"}),
                    Catch::Contains("adc.table") && Catch::Contains("needs 2^bits - 1 = 15"));
  std::ofstream(dir / "bad.txt") << "0.5\n1.5 x\n";
  CHECK_THROWS_WITH(load_arch(arch, {"adc.table=bad.txt"}),
                    Catch::Contains("bad.txt:2") && Catch::Contains("transition level"));
  std::ofstream(dir / "down.txt") << "0.5\n1.5\n2.5\n3.5\n4.5\n5.5\n5\n";
  CHECK_THROWS_WITH(load_arch(arch, {"adc.table=down.txt"}), Catch::Contains("ascend"));
  std::filesystem::remove_all(dir);
}
