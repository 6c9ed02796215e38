#include "core/mvm.h"

#include <Eigen/Dense>
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/datapath.h"
#include "core/error.h"
#include "core/periph.h"
#include "core/quant.h"

namespace rramft {

namespace {

using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using matd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Slice by slice, crossbar by crossbar, as the hardware computes it (core/datapath.h).
void mvm_bit_serial(const mapped_layer& l, const std::vector<cell_error>& errors,
                    const std::vector<int32_t>& xk, int n, std::vector<int64_t>& yk,
                    const transient_reads& t) {
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
      crossbar_levels(l, errors, b, x, levels.data(), t.chip);
      for (int k = 0; k < nslices; ++k) {
        read_sums(l, t, b, x, k, dig[k].data(), n, levels.data(), sums.data());
        adc_convert(l, adc, x, sums.data(), n, converted.data());
        opc_accumulate(l, x, k, converted.data(), n, part);
      }
    }
    vote_accumulate(part, yk.data());
  }
}

}  // namespace

fast_product::fast_product(const mapped_layer& l, const std::vector<cell_error>& errors)
    : l_(&l),
      name_(l.name),
      K_(int(l.kept_rows.size())),
      O_(int(l.kept_cols.size())),
      T_(l.copies()) {
  const int R = l.R();
  // The effective integer weights: programmed, plus every unvoted error.
  std::vector<int64_t> w(l.w.q.begin(), l.w.q.end());
  for (const cell_error& e : errors) {
    const column_content& cc = l.columns[size_t(e.column)];
    const int kr = e.block * R + e.row;
    const int64_t coef = l.column_weight(cc) * e.delta;
    if (T_ > 1 && l.is_protected(cc.slice))
      voted_.push_back({e.block, cc.out, cc.cand, kr, coef});
    else
      w[size_t(cc.out) * K_ + kr] += coef;
  }
  for (int64_t v : w) wmax_ = std::max<int64_t>(wmax_, std::abs(v));
  // float when one product of the largest input and weight is below 2^24 (run() then cuts the
  // inputs into chunks whose sums stay below it), double otherwise. Converted once, here.
  const activation_quantizer aq{l.arch.input_bits, l.arch.input_signed};
  const int64_t xmax = std::max<int64_t>(aq.qmax(), -int64_t(aq.qmin()));
  if (double(xmax) * double(wmax_) < 16777216.0)
    wf_.assign(w.begin(), w.end());
  else
    wd_.assign(w.begin(), w.end());
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

void fast_product::run(const int32_t* xk, int n, int64_t* yk, const transient_reads& t) const {
  const int K = K_, O = O_;
  using imat = Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::Map<const imat> X(xk, n, K);
  if (!wf_.empty()) {
    // Chunks of the inputs [cut[j], cut[j+1]) in which every partial sum of every vector is an
    // integer below 2^24 (sum over the chunk of |x| times max |w|), so each chunk's float
    // product is exact whatever order the GEMM adds in. Decided per group of G rows; one
    // group alone always fits, by the choice of G.
    const double limit = 16777216.0 / double(std::max<int64_t>(wmax_, 1));
    int64_t xmax = 1;
    for (size_t i = 0; i < size_t(n) * K; ++i) xmax = std::max<int64_t>(xmax, std::abs(xk[i]));
    const int G = int(std::clamp<double>(std::ceil(limit / double(xmax)) - 1, 1, 64));
    const int ng = (K + G - 1) / G;
    // Scratch per thread: batches run in parallel, and fresh buffers would be page-faulted in
    // on every call.
    thread_local std::vector<int64_t> gsum, run_sum;
    thread_local std::vector<int> cut;
    thread_local std::vector<float> xf, yf;
    if (gsum.size() < size_t(n) * ng) gsum.resize(size_t(n) * ng);
    if (run_sum.size() < size_t(n)) run_sum.resize(size_t(n));
    for (int i = 0; i < n; ++i)
      for (int g = 0; g < ng; ++g) {
        int64_t s = 0;
        for (int r = g * G; r < std::min(K, (g + 1) * G); ++r) s += std::abs(xk[size_t(i) * K + r]);
        gsum[size_t(i) * ng + g] = s;
      }
    cut.assign(1, 0);
    std::fill_n(run_sum.begin(), n, 0);
    for (int g = 0; g < ng; ++g) {
      bool fits = true;
      for (int i = 0; i < n && fits; ++i)
        fits = double(run_sum[size_t(i)] + gsum[size_t(i) * ng + g]) < limit;
      if (!fits) {
        cut.push_back(g * G);
        std::fill_n(run_sum.begin(), n, 0);
      }
      for (int i = 0; i < n; ++i) run_sum[size_t(i)] += gsum[size_t(i) * ng + g];
    }
    cut.push_back(K);
    if (xf.size() < size_t(n) * K) xf.resize(size_t(n) * K);
    if (yf.size() < size_t(n) * O) yf.resize(size_t(n) * O);
    Eigen::Map<matf> Xf(xf.data(), n, K), Y(yf.data(), n, O);
    Eigen::Map<const matf> W(wf_.data(), O, K);
    Xf = X.cast<float>();
    for (size_t j = 0; j + 1 < cut.size(); ++j) {
      const int a = cut[j], len = cut[j + 1] - cut[j];
      if (len == K)
        Y.noalias() = Xf * W.transpose();
      else
        Y.noalias() = Xf.middleCols(a, len) * W.middleCols(a, len).transpose();
      // |y| < 2^24: through int32, which vectorizes (AVX2 has no float -> int64 conversion).
      if (j == 0)
        for (size_t i = 0; i < size_t(n) * O; ++i) yk[i] = int64_t(int32_t(yf[i]));
      else
        for (size_t i = 0; i < size_t(n) * O; ++i) yk[i] += int64_t(int32_t(yf[i]));
    }
  } else {
    // Products of 2^24 or more: double, exact below 2^53.
    int64_t xsum = 0;
    for (int i = 0; i < n; ++i) {
      int64_t s = 0;
      for (int r = 0; r < K; ++r) s += std::abs(xk[size_t(i) * K + r]);
      xsum = std::max(xsum, s);
    }
    if (double(xsum) * double(wmax_) >= 9007199254740992.0)
      throw error("layer '" + name_ + "': products exceed 2^53, the fast path cannot be exact");
    thread_local std::vector<double> xd, yd;
    if (xd.size() < size_t(n) * K) xd.resize(size_t(n) * K);
    if (yd.size() < size_t(n) * O) yd.resize(size_t(n) * O);
    Eigen::Map<matd> Xd(xd.data(), n, K), Y(yd.data(), n, O);
    Xd = X.cast<double>();
    Y.noalias() = Xd * Eigen::Map<const matd>(wd_.data(), O, K).transpose();
    for (size_t i = 0; i < size_t(n) * O; ++i) yk[i] = int64_t(yd[i]);
  }
  if (!groups_.empty()) {
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
  if (t.on()) add_transients(xk, n, yk, t);
}

void fast_product::add_transients(const int32_t* xk, int n, int64_t* yk,
                                  const transient_reads& t) const {
  const mapped_layer& l = *l_;
  const int K = K_, O = O_, R = l.R();
  auto by_group = [](const voted_error& a, const voted_error& b) {
    return a.block != b.block ? a.block < b.block : a.out < b.out;
  };
  // Vectors are independent (each its own reads and its own row of yk), so splitting them over
  // threads cannot change a result.
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    thread_local std::vector<cell_error> errs;
    thread_local std::vector<voted_error> voted;
    errs.clear();
    voted.clear();
    for (int b = 0; b < l.row_blocks; ++b)
      for (int x = 0; x < l.xbars_per_block; ++x) transient_errors(l, t, b, x, i, errs);
    const int32_t* xi = xk + size_t(i) * K;
    int64_t* yi = yk + size_t(i) * O;
    for (const cell_error& e : errs) {
      const column_content& cc = l.columns[size_t(e.column)];
      const int kr = e.block * R + e.row;
      const int64_t coef = l.column_weight(cc) * e.delta;
      if (T_ > 1 && l.is_protected(cc.slice))
        voted.push_back({e.block, cc.out, cc.cand, kr, coef});
      else
        yi[cc.out] += coef * xi[kr];
    }
    // A voted flip moves its candidate's sum: the median of the group (row block, output) is
    // taken again with it, over the static errors of the group as well, and replaces the one
    // run() added (0 where the static errors left a majority of candidates untouched).
    std::sort(voted.begin(), voted.end(), by_group);
    for (size_t g = 0; g < voted.size();) {
      size_t e = g;
      while (e < voted.size() && !by_group(voted[g], voted[e])) ++e;
      int64_t d[16], before[16];
      std::fill(d, d + T_, 0);
      const auto [lo, hi] = std::equal_range(voted_.begin(), voted_.end(), voted[g], by_group);
      for (auto k = lo; k != hi; ++k) d[k->cand] += k->coef * xi[k->row];
      std::copy(d, d + T_, before);
      const int64_t old = median(before, T_);
      for (size_t k = g; k < e; ++k) d[voted[k].cand] += voted[k].coef * xi[voted[k].row];
      yi[voted[g].out] += median(d, T_) - old;
      g = e;
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
  // kept_rows is unique: all kept and ascending (not permuted by placement) is the identity
  const bool all_kept = K == rows && std::is_sorted(l.kept_rows.begin(), l.kept_rows.end());
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
         int64_t* y, mvm_path path, const transient_reads& t) {
  auto by_place = [](const cell_error& a, const cell_error& b) {
    return a.block != b.block     ? a.block < b.block
           : a.column != b.column ? a.column < b.column
                                  : a.row < b.row;
  };
  if (!std::is_sorted(errors.begin(), errors.end(), by_place)) {  // hand-made lists: sort a copy
    std::vector<cell_error> sorted = errors;
    std::sort(sorted.begin(), sorted.end(), by_place);
    mvm(l, sorted, x, n, y, path, t);
    return;
  }
  std::vector<int32_t> xk = kept_inputs(l, x, n);
  std::vector<int64_t> yk(size_t(n) * l.kept_cols.size(), 0);
  const bool lossless = l.arch.adc_lossless();
  if (path == mvm_path::fast && !lossless && !t.analog())
    throw error("layer '" + l.name + "': the fast path needs a lossless ADC (" +
                (l.arch.adc.ideal() ? "adc.bits " + std::to_string(l.arch.adc.bits) +
                                          " is too few for the column sums"
                                    : std::string("adc.offset, adc.gain_error or adc.table "
                                                  "make it non-ideal")) +
                ")");
  if (t.analog()) {
    // Analog column sums (variation, read noise) are not integers: every slice's sums go
    // through the ADC one by one, which only the reference path does.
    if (path == mvm_path::fast)
      throw error("layer '" + l.name +
                  "': the fast path cannot model conductance variation or read noise (the ADC "
                  "rounds every analog column sum; use the bit-serial path)");
    mvm_bit_serial(l, errors, xk, n, yk, t);
  } else if (path == mvm_path::fast || (path == mvm_path::automatic && lossless))
    fast_product(l, errors).run(xk.data(), n, yk.data(), t);
  else if (path == mvm_path::automatic)
    serial_product(l, errors).run(xk.data(), n, yk.data(), t);
  else
    mvm_bit_serial(l, errors, xk, n, yk, t);
  scatter_outputs(l, yk.data(), n, y);
}

}  // namespace rramft
