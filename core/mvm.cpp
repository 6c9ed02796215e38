#include "core/mvm.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/datapath.h"
#include "core/error.h"
#include "core/periph.h"

namespace rramft {

namespace {

using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using matd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Slice by slice, crossbar by crossbar, as the hardware computes it (core/datapath.h).
void mvm_bit_serial(const mapped_layer& l, const std::vector<cell_error>& errors,
                    const std::vector<int32_t>& xk, int n, std::vector<int64_t>& yk) {
  const int C = l.C();
  const int nslices =
      input_slicing{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed}.count();
  const adc_model adc(l.arch);
  block_partials part;
  std::vector<float> levels, sums(size_t(n) * C);
  std::vector<int64_t> converted(size_t(n) * C);
  for (int b = 0; b < l.row_blocks; ++b) {
    const int rows = l.block_rows(b);
    part.reset(n, int(l.kept_cols.size()), l.copies());
    std::vector<std::vector<float>> dig(nslices, std::vector<float>(size_t(n) * rows));
    for (int k = 0; k < nslices; ++k) dac_levels(l, xk.data(), n, b, k, dig[k].data());
    levels.resize(size_t(rows) * C);
    for (int x = 0; x < l.xbars_per_block; ++x) {
      crossbar_levels(l, errors, b, x, levels.data());
      for (int k = 0; k < nslices; ++k) {
        column_sums(dig[k].data(), n, rows, levels.data(), C, sums.data());
        adc_convert(l, adc, x, sums.data(), n, converted.data());
        opc_accumulate(l, x, k, converted.data(), n, part);
      }
    }
    vote_accumulate(part, yk.data());
  }
}

/// Exact dense product of the weights the cells hold, plus the voted corrections. Errors outside
/// voted planes are linear, so they are folded into the weight matrix before the product;
/// errors in voted planes are voted over, since median(a + d_t) = a + median(d_t).
void mvm_fast(const mapped_layer& l, const std::vector<cell_error>& errors,
              const std::vector<int32_t>& xk, int n, std::vector<int64_t>& yk) {
  const int R = l.R();
  const int K = int(l.kept_rows.size());
  const int O = int(l.kept_cols.size());
  const int T = l.copies();
  struct voted_error {
    int32_t block, out, cand, row;
    int64_t coef;
  };
  std::vector<voted_error> voted;
  // The effective integer weights: programmed, plus every unvoted error.
  std::vector<int64_t> weff(l.w.q.begin(), l.w.q.end());
  for (const cell_error& e : errors) {
    const column_content& cc = l.columns[size_t(e.column)];
    const int kr = e.block * R + e.row;
    const int64_t coef = l.column_weight(cc) * e.delta;
    if (T > 1 && l.is_protected(cc.slice))
      voted.push_back({e.block, cc.out, cc.cand, kr, coef});
    else
      weff[size_t(cc.out) * K + kr] += coef;
  }
  // Exactness: every partial sum of output o for vector i is bounded by sum_r |x_ir| max|w|.
  int64_t wmax = 0, xsum = 0;
  for (int64_t v : weff) wmax = std::max<int64_t>(wmax, std::abs(v));
  for (int i = 0; i < n; ++i) {
    int64_t s = 0;
    for (int r = 0; r < K; ++r) s += std::abs(xk[size_t(i) * K + r]);
    xsum = std::max(xsum, s);
  }
  const double bound = double(xsum) * double(wmax);
  using imat = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using lmat = Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const imat> X(xk.data(), n, K);
  Eigen::Map<const lmat> W(weff.data(), O, K);
  if (bound < 16777216.0) {  // every partial sum is an integer below 2^24: float is exact
    const matf Y = X.cast<float>() * W.cast<float>().transpose();
    for (size_t i = 0; i < yk.size(); ++i) yk[i] = int64_t(Y.data()[i]);
  } else if (bound < 9007199254740992.0) {  // below 2^53: double is exact
    const matd Y = X.cast<double>() * W.cast<double>().transpose();
    for (size_t i = 0; i < yk.size(); ++i) yk[i] = int64_t(Y.data()[i]);
  } else {
    throw error("layer '" + l.name + "': products exceed 2^53, the fast path cannot be exact");
  }
  if (voted.empty()) return;
  std::sort(voted.begin(), voted.end(), [](const voted_error& a, const voted_error& b) {
    return a.block != b.block ? a.block < b.block
           : a.out != b.out   ? a.out < b.out
                              : a.cand < b.cand;
  });
  // A group (row block, output) whose faults touch fewer than (T+1)/2 candidates leaves a
  // majority of zero corrections, so its median is 0: only the others need voting.
  std::vector<std::pair<size_t, size_t>> groups;
  for (size_t g = 0; g < voted.size();) {
    size_t e = g;
    int touched = 0;
    for (; e < voted.size() && voted[e].block == voted[g].block && voted[e].out == voted[g].out;
         ++e)
      touched += e == g || voted[e].cand != voted[e - 1].cand;
    if (2 * touched > T) groups.emplace_back(g, e);
    g = e;
  }
  if (groups.empty()) return;
    // Vector by vector, so that x and y rows stay in cache; vectors are independent, so
    // splitting them over threads cannot change a result.
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    const int32_t* xi = &xk[size_t(i) * K];
    int64_t* yi = &yk[size_t(i) * O];
    int64_t d[16];
    for (const auto& [b, e] : groups) {
      std::fill(d, d + T, 0);
      for (size_t j = b; j < e; ++j) d[voted[j].cand] += voted[j].coef * xi[voted[j].row];
      yi[voted[b].out] += median(d, T);
    }
  }
}

}  // namespace

/// Kept inputs of every vector, n x kept_rows.
static std::vector<int32_t> gather_inputs_unchecked(const mapped_layer& l, const int32_t* x,
                                                    int n) {
  const size_t K = l.kept_rows.size();
  std::vector<int32_t> g(size_t(n) * K);
  for (int i = 0; i < n; ++i)
    for (size_t r = 0; r < K; ++r) g[i * K + r] = x[size_t(i) * l.rows + l.kept_rows[r]];
  return g;
}

void scatter_outputs(const mapped_layer& l, const std::vector<int64_t>& yk, int n, int64_t* y) {
  const size_t O = l.kept_cols.size();
  std::fill(y, y + size_t(n) * l.cols, 0);
  for (int i = 0; i < n; ++i)
    for (size_t o = 0; o < O; ++o) y[size_t(i) * l.cols + l.kept_cols[o]] = yk[i * O + o];
}

static void check_inputs(const mapped_layer& l, const std::vector<int32_t>& xk) {
  activation_quantizer aq{l.arch.input_bits, l.arch.input_signed};
  for (int32_t v : xk)
    if (v < aq.qmin() || v > aq.qmax())
      throw error("layer '" + l.name + "': activation " + std::to_string(v) + " is outside the " +
                  std::to_string(l.arch.input_bits) + "-bit input range");
}

std::vector<int32_t> kept_inputs(const mapped_layer& l, const int32_t* x, int n) {
  std::vector<int32_t> xk = gather_inputs_unchecked(l, x, n);
  check_inputs(l, xk);
  return xk;
}

void quantize_inputs(const mapped_layer& l, const float* x, int n, double fixed_scale, int32_t* xq,
                     double* sx) {
  const activation_quantizer aq{l.arch.input_bits, l.arch.input_signed};
  const size_t rows = size_t(l.rows);
  for (int i = 0; i < n; ++i) {
    const float* xi = x + size_t(i) * rows;
    sx[i] = fixed_scale > 0 ? fixed_scale : aq.scale_for(xi, rows);
    aq.quantize(xi, rows, sx[i], xq + size_t(i) * rows);
  }
}

void dequantize_outputs(const mapped_layer& l, const int64_t* yq, int n, const double* sx,
                        const float* bias, float* y) {
  const size_t cols = size_t(l.cols);
  std::vector<double> ws(cols, 0.0);  // pruned outputs carry no weight: only their bias
  for (size_t k = 0; k < l.kept_cols.size(); ++k) ws[size_t(l.kept_cols[k])] = l.w.scale_of(int(k));
  for (int i = 0; i < n; ++i)
    for (size_t o = 0; o < cols; ++o) {
      const size_t at = size_t(i) * cols + o;
      y[at] = float(double(yq[at]) * ws[o] * sx[i]) + (bias ? bias[o] : 0.0f);
    }
}

void column_sums(const float* digits, int n, int rows, const float* levels, int C, float* sums) {
  Eigen::Map<const matf> D(digits, n, rows);
  Eigen::Map<const matf> L(levels, rows, C);
  Eigen::Map<matf> S(sums, n, C);
  S.noalias() = D * L;
}

void mvm(const mapped_layer& l, const std::vector<cell_error>& errors, const int32_t* x, int n,
         int64_t* y, mvm_path path) {
  auto by_place = [](const cell_error& a, const cell_error& b) {
    return a.block != b.block     ? a.block < b.block
           : a.column != b.column ? a.column < b.column
                                  : a.row < b.row;
  };
  if (!std::is_sorted(errors.begin(), errors.end(), by_place)) {  // hand-made lists: sort a copy
    std::vector<cell_error> sorted = errors;
    std::sort(sorted.begin(), sorted.end(), by_place);
    mvm(l, sorted, x, n, y, path);
    return;
  }
  std::vector<int32_t> xk = kept_inputs(l, x, n);
  std::vector<int64_t> yk(size_t(n) * l.kept_cols.size(), 0);
  const bool lossless = l.arch.adc_lossless();
  if (path == mvm_path::fast && !lossless)
    throw error("layer '" + l.name + "': the fast path needs a lossless ADC (adc.bits " +
                std::to_string(l.arch.adc.bits) + " is too few for the column sums)");
  if (path == mvm_path::fast || (path == mvm_path::automatic && lossless))
    mvm_fast(l, errors, xk, n, yk);
  else
    mvm_bit_serial(l, errors, xk, n, yk);
  scatter_outputs(l, yk, n, y);
}

}  // namespace rramft
