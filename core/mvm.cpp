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

}  // namespace

fast_product::fast_product(const mapped_layer& l, const std::vector<cell_error>& errors)
    : name_(l.name),
      K_(int(l.kept_rows.size())),
      O_(int(l.kept_cols.size())),
      T_(l.copies()),
      w_(l.w.q.begin(), l.w.q.end()) {
  const int R = l.R();
  // The effective integer weights: programmed, plus every unvoted error.
  for (const cell_error& e : errors) {
    const column_content& cc = l.columns[size_t(e.column)];
    const int kr = e.block * R + e.row;
    const int64_t coef = l.column_weight(cc) * e.delta;
    if (T_ > 1 && l.is_protected(cc.slice))
      voted_.push_back({e.block, cc.out, cc.cand, kr, coef});
    else
      w_[size_t(cc.out) * K_ + kr] += coef;
  }
  for (int64_t v : w_) wmax_ = std::max<int64_t>(wmax_, std::abs(v));
  if (wmax_ < (int64_t(1) << 24)) wf_.assign(w_.begin(), w_.end());  // exact in float
  std::sort(voted_.begin(), voted_.end(), [](const voted_error& a, const voted_error& b) {
    return a.block != b.block ? a.block < b.block
           : a.out != b.out   ? a.out < b.out
                              : a.cand < b.cand;
  });
  // A group (row block, output) whose faults touch fewer than (T+1)/2 candidates leaves a
  // majority of zero corrections, so its median is 0: only the others need voting.
  for (size_t g = 0; g < voted_.size();) {
    size_t e = g;
    int touched = 0;
    for (;
         e < voted_.size() && voted_[e].block == voted_[g].block && voted_[e].out == voted_[g].out;
         ++e)
      touched += e == g || voted_[e].cand != voted_[e - 1].cand;
    if (2 * touched > T_) groups_.emplace_back(g, e);
    g = e;
  }
}

void fast_product::run(const int32_t* xk, int n, int64_t* yk) const {
  const int K = K_, O = O_;
  // Exactness: every partial sum of output o for vector i is bounded by sum_r |x_ir| max|w|.
  int64_t xsum = 0;
  for (int i = 0; i < n; ++i) {
    int64_t s = 0;
    for (int r = 0; r < K; ++r) s += std::abs(xk[size_t(i) * K + r]);
    xsum = std::max(xsum, s);
  }
  const double bound = double(xsum) * double(wmax_);
  using imat = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using lmat = Eigen::Matrix<int64_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const imat> X(xk, n, K);
  if (bound < 16777216.0 && !wf_.empty()) {  // every partial sum is an integer below 2^24
    // Scratch per thread: batches run in parallel, and fresh buffers would be page-faulted in
    // on every call.
    thread_local std::vector<float> xf, yf;
    if (xf.size() < size_t(n) * K) xf.resize(size_t(n) * K);
    if (yf.size() < size_t(n) * O) yf.resize(size_t(n) * O);
    Eigen::Map<matf> Xf(xf.data(), n, K), Y(yf.data(), n, O);
    Xf = X.cast<float>();
    Y.noalias() = Xf * Eigen::Map<const matf>(wf_.data(), O, K).transpose();
    // |y| < 2^24: through int32, which vectorizes (AVX2 has no float -> int64 conversion).
    for (size_t i = 0; i < size_t(n) * O; ++i) yk[i] = int64_t(int32_t(yf[i]));
  } else if (bound < 9007199254740992.0) {  // below 2^53: double is exact
    const matd Y =
        X.cast<double>() * Eigen::Map<const lmat>(w_.data(), O, K).cast<double>().transpose();
    for (size_t i = 0; i < size_t(n) * O; ++i) yk[i] = int64_t(Y.data()[i]);
  } else {
    throw error("layer '" + name_ + "': products exceed 2^53, the fast path cannot be exact");
  }
  if (groups_.empty()) return;
    // Vector by vector, so that x and y rows stay in cache; vectors are independent, so
    // splitting them over threads cannot change a result.
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    const int32_t* xi = xk + size_t(i) * K;
    int64_t* yi = yk + size_t(i) * O;
    int64_t d[16];
    for (const auto& [b, e] : groups_) {
      std::fill(d, d + T_, 0);
      for (size_t k = b; k < e; ++k) d[voted_[k].cand] += voted_[k].coef * xi[voted_[k].row];
      yi[voted_[b].out] += median(d, T_);
    }
  }
}

void scatter_outputs(const mapped_layer& l, const int64_t* yk, int n, int64_t* y) {
  const size_t O = l.kept_cols.size();
  std::fill(y, y + size_t(n) * l.cols, 0);
  for (int i = 0; i < n; ++i)
    for (size_t o = 0; o < O; ++o) y[size_t(i) * l.cols + l.kept_cols[o]] = yk[i * O + o];
}

void kept_inputs(const mapped_layer& l, const int32_t* x, int n, int32_t* xk) {
  const activation_quantizer aq{l.arch.input_bits, l.arch.input_signed};
  const int32_t lo = aq.qmin(), hi = aq.qmax();
  const size_t K = l.kept_rows.size();
  for (int i = 0; i < n; ++i)
    for (size_t r = 0; r < K; ++r) {
      const int32_t v = x[size_t(i) * l.rows + l.kept_rows[r]];
      if (v < lo || v > hi)
        throw error("layer '" + l.name + "': activation " + std::to_string(v) + " is outside the " +
                    std::to_string(l.arch.input_bits) + "-bit input range");
      xk[i * K + r] = v;
    }
}

std::vector<int32_t> kept_inputs(const mapped_layer& l, const int32_t* x, int n) {
  std::vector<int32_t> xk(size_t(n) * l.kept_rows.size());
  kept_inputs(l, x, n, xk.data());
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

void quantize_kept_inputs(const mapped_layer& l, const float* x, int n, double fixed_scale,
                          int32_t* xk, double* sx) {
  const activation_quantizer aq{l.arch.input_bits, l.arch.input_signed};
  const size_t rows = size_t(l.rows), K = l.kept_rows.size();
  const bool all_kept = K == rows;  // kept_rows is sorted and unique: all kept is the identity
  thread_local std::vector<float> g;
  if (!all_kept && g.size() < K) g.resize(K);
  for (int i = 0; i < n; ++i) {
    const float* xi = x + size_t(i) * rows;
    sx[i] = fixed_scale > 0 ? fixed_scale : aq.scale_for(xi, rows);
    const float* src = xi;
    if (!all_kept) {
      for (size_t r = 0; r < K; ++r) g[r] = xi[l.kept_rows[r]];
      src = g.data();
    }
    aq.quantize(src, K, sx[i], xk + size_t(i) * K);
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

void dequantize_kept_outputs(const mapped_layer& l, const int64_t* yk, int n, const double* sx,
                             const float* bias, float* y) {
  const size_t cols = size_t(l.cols), O = l.kept_cols.size();
  std::vector<double> ws(O);
  for (size_t k = 0; k < O; ++k) ws[k] = l.w.scale_of(int(k));
  for (int i = 0; i < n; ++i) {
    float* yi = y + size_t(i) * cols;
    // Pruned outputs: 0 x scale, i.e. just the bias, as dequantize_outputs gives them.
    for (size_t o = 0; o < cols; ++o) yi[o] = 0.0f + (bias ? bias[o] : 0.0f);
    const int64_t* yki = yk + size_t(i) * O;
    for (size_t k = 0; k < O; ++k) {
      const size_t o = size_t(l.kept_cols[k]);
      yi[o] = float(double(yki[k]) * ws[k] * sx[i]) + (bias ? bias[o] : 0.0f);
    }
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
    fast_product(l, errors).run(xk.data(), n, yk.data());
  else
    mvm_bit_serial(l, errors, xk, n, yk);
  scatter_outputs(l, yk.data(), n, y);
}

}  // namespace rramft
