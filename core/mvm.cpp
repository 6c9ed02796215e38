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

/// Exact dense product of the programmed weights, then one correction per wrong cell; the
/// vote is taken over the corrections, since median(a + d_t) = a + median(d_t).
void mvm_fast(const mapped_layer& l, const std::vector<cell_error>& errors,
              const std::vector<int32_t>& xk, int n, std::vector<int64_t>& yk) {
  const int R = l.R();
  const int K = int(l.kept_rows.size());
  const int O = int(l.kept_cols.size());
  const int T = l.copies();
  int64_t xmax = 0, wmax = 0;
  for (int32_t v : xk) xmax = std::max<int64_t>(xmax, std::abs(v));
  for (int32_t v : l.w.q) wmax = std::max<int64_t>(wmax, std::abs(v));
  const double bound = double(xmax) * double(wmax) * double(K);
  if (bound < 16777216.0) {  // every partial sum is an integer below 2^24: float is exact
    Eigen::Map<const Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> X(
        xk.data(), n, K);
    Eigen::Map<const Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> W(
        l.w.q.data(), O, K);
    matf Y = X.cast<float>() * W.cast<float>().transpose();
    for (size_t i = 0; i < yk.size(); ++i) yk[i] = int64_t(Y.data()[i]);
  } else if (bound < 9007199254740992.0) {  // below 2^53: double is exact
    Eigen::Map<const Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> X(
        xk.data(), n, K);
    Eigen::Map<const Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> W(
        l.w.q.data(), O, K);
    matd Y = X.cast<double>() * W.cast<double>().transpose();
    for (size_t i = 0; i < yk.size(); ++i) yk[i] = int64_t(Y.data()[i]);
  } else {
    throw error("layer '" + l.name + "': products exceed 2^53, the fast path cannot be exact");
  }
  // Corrections, vector by vector so that x and y rows stay in cache; vectors are
  // independent, so splitting them over threads cannot change a result.
  struct direct_error {
    int32_t out, row;
    int64_t coef;
  };
  struct voted_error {
    int32_t block, out, cand, row;
    int64_t coef;
  };
  std::vector<direct_error> direct;
  std::vector<voted_error> voted;
  for (const cell_error& e : errors) {
    const column_content& cc = l.columns[size_t(e.column)];
    const int kr = e.block * R + e.row;
    const int64_t coef = l.column_weight(cc) * e.delta;
    if (T > 1 && l.is_protected(cc.slice))
      voted.push_back({e.block, cc.out, cc.cand, kr, coef});
    else
      direct.push_back({cc.out, kr, coef});
  }
  std::sort(voted.begin(), voted.end(), [](const voted_error& a, const voted_error& b) {
    return a.block != b.block ? a.block < b.block : a.out < b.out;
  });
  std::vector<size_t> groups;  // start of each (block, out) group, then the end
  for (size_t g = 0; g < voted.size(); ++g)
    if (g == 0 || voted[g].block != voted[g - 1].block || voted[g].out != voted[g - 1].out)
      groups.push_back(g);
  groups.push_back(voted.size());
  if (direct.empty() && voted.empty()) return;
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    const int32_t* xi = &xk[size_t(i) * K];
    int64_t* yi = &yk[size_t(i) * O];
    for (const direct_error& e : direct) yi[e.out] += e.coef * xi[e.row];
    int64_t d[16];
    for (size_t g = 0; g + 1 < groups.size(); ++g) {
      std::fill(d, d + T, 0);
      for (size_t j = groups[g]; j < groups[g + 1]; ++j)
        d[voted[j].cand] += voted[j].coef * xi[voted[j].row];
      yi[voted[groups[g]].out] += median(d, T);
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
