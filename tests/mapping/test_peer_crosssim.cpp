// Peer comparison (issue 20): rramft's programming-error model against CrossSim
// (sandialabs/cross-sim), on one configuration both tools express identically. The CrossSim
// figures below were computed by tests/peers/crosssim_mvm_error.py (which needs a CrossSim
// checkout and is not run here); they are the oracle, and this test needs no CrossSim.
#include <catch2/catch.hpp>
#include <cmath>

#include "core/faults.h"
#include "core/mvm.h"
#include "layer_fixtures.h"

using namespace rramft;

namespace {

constexpr int kIn = 128, kOut = 128, kVectors = 64;

/// The layer and the inputs of crosssim_mvm_error.py's layer_and_inputs(): integer weights in
/// [-127, 127] with max |w| = 127 (so the 8-bit quantization keeps them exactly) and unsigned
/// 8-bit inputs, from splitmix64 (mix64) seeded 12345.
models::weight_layer fixture(std::vector<int32_t>& x) {
  uint64_t h = 12345;
  auto next = [&h] {
    h = mix64(h);
    return h;
  };
  models::weight_layer wl;
  wl.name = "fc";
  wl.kind = "linear";
  wl.rows = kIn;
  wl.cols = kOut;
  wl.w.resize(size_t(kIn) * kOut);
  for (float& w : wl.w) w = float(int(next() % 255) - 127);
  wl.w[0] = 127;
  x.resize(size_t(kVectors) * kIn);
  for (int32_t& v : x) v = int32_t(next() % 256);
  return wl;
}

/// The chip of the comparison: one 128-row crossbar per row block (the whole input in one
/// analog sum), 1-bit cells, 8-bit sign-magnitude weights in a differential pair, unsigned
/// 8-bit inputs through 1-bit DACs, a lossless 8-bit ADC per column and input slice, no
/// protection, and gaussian programming error of relative sigma.
arch_spec chip(double sigma) {
  arch_spec a;
  a.crossbar.rows = 128;
  a.crossbar.cols = 128;
  a.cell_bits = 1;
  a.weight_bits = 8;
  a.input_bits = 8;
  a.input_signed = false;
  a.dac.bits = 1;
  a.adc.bits = 8;
  a.protection.scheme = scheme::none;
  a.fault.variation = sigma;
  a.fault.variation_dist = variation_model::gaussian;
  a.validate();
  return a;
}

/// Relative RMS error ||y - Wx|| / ||Wx|| of one chip (seed), over all outputs and vectors.
double rel_rms(const mapped_layer& l, const arch_spec& a, uint64_t seed,
               const std::vector<int32_t>& x, const std::vector<int64_t>& exact) {
  const fault_map c(a.fault, seed, a.cell_bits);
  std::vector<int64_t> y(exact.size());
  mvm(l, read_errors(l, c), x.data(), kVectors, y.data(), mvm_path::automatic, {&c, {0, 1}});
  double e2 = 0, r2 = 0;
  for (size_t k = 0; k < y.size(); ++k) {
    const double d = double(y[k] - exact[k]);
    e2 += d * d;
    r2 += double(exact[k]) * double(exact[k]);
  }
  return std::sqrt(e2 / r2);
}

}  // namespace

TEST_CASE("programming error: an MVM's relative RMS error agrees with CrossSim's",
          "[noise][peer]") {
  std::vector<int32_t> x;
  const auto wl = fixture(x);
  // CrossSim 3.2.0 (commit 0a2eb1eda183326ef4d98d792995c721105d3726),
  // `python3 tests/peers/crosssim_mvm_error.py CROSSSIM --chips 200`: mean over 200 chips of
  // the relative RMS error, and its standard error.
  struct peer_figure {
    double sigma, mean, stderr_;
  };
  const peer_figure crosssim[] = {
      {0.05, 1.649876e-02, 1.07e-04},
      {0.1, 7.161096e-02, 2.27e-04},
      {0.2, 1.420905e-01, 4.71e-04},
  };
  // 24 chips here (about 2% standard error, a few seconds); 200 chips give rramft 1.6635e-2,
  // 7.1986e-2 and 1.42769e-1 (standard errors 1.1e-4, 2.5e-4, 4.9e-4), each within 1.1 combined
  // standard errors of CrossSim's. With sigma 10% too large the check fails at every sigma.
  const int chips = 24;
  for (const auto& p : crosssim) {
    const arch_spec a = chip(p.sigma);
    const mapped_layer l = fixtures::map(wl, a);
    REQUIRE(l.kept_rows.size() == size_t(kIn));
    REQUIRE(l.kept_cols.size() == size_t(kOut));
    REQUIRE(a.adc_lossless());
    const auto exact = fixtures::reference(l, x, kVectors);
    // The quantization is exact: rramft's ideal product is W x of the fixture's integers.
    for (size_t k = 0; k < wl.w.size(); ++k) REQUIRE(l.w.q[k] == int32_t(wl.w[k]));
    std::vector<double> e;
    for (uint64_t seed = 1; seed <= uint64_t(chips); ++seed) e.push_back(rel_rms(l, a, seed, x, exact));
    double m = 0, ss = 0;
    for (double v : e) m += v;
    m /= chips;
    for (double v : e) ss += (v - m) * (v - m);
    const double se = std::sqrt(ss / (chips - 1) / chips);
    // Two independent Monte Carlo means: their difference has standard error
    // sqrt(se^2 + se_peer^2); 4 of them is a false alarm rate of 6e-5.
    const double tol = 4 * std::sqrt(se * se + p.stderr_ * p.stderr_);
    INFO("sigma " << p.sigma << ": rramft " << m << " +- " << se << " (" << chips
                  << " chips), CrossSim " << p.mean << " +- " << p.stderr_);
    CHECK(std::abs(m - p.mean) < tol);
  }
}
