/// @file kernels.cpp
/// @brief The shared digital kernels (models/kernels.h).
#include "models/kernels.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <unsupported/Eigen/SpecialFunctions>

namespace rramft::models::kernels {

namespace {
using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Softmax of the rows of @p s (an Eigen matrix: its rows' alignment, and so the order of the
/// vectorised sums, depends only on its shape).
void softmax_matrix(matf& s) {
  for (Eigen::Index r = 0; r < s.rows(); ++r) {
    const float mx = s.row(r).maxCoeff();
    s.row(r) = (s.row(r).array() - mx).exp();
    s.row(r) /= s.row(r).sum();
  }
}
}  // namespace

void gelu(float* x, size_t n, bool tanh_approx) {
  if (tanh_approx) {
    const float c = std::sqrt(2.0f / float(M_PI));
    for (size_t i = 0; i < n; ++i) {
      const float v = x[i];
      x[i] = 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v)));
    }
  } else {
    // Eigen's vectorised erf (a rational approximation accurate to a few ulp in float).
    Eigen::Map<Eigen::ArrayXf> a(x, Eigen::Index(n));
    a = 0.5f * a * (1.0f + (a * float(M_SQRT1_2)).erf());
  }
}

void erf(const float* x, size_t n, float* y) {
  Eigen::Map<Eigen::ArrayXf>(y, Eigen::Index(n)) =
      Eigen::Map<const Eigen::ArrayXf>(x, Eigen::Index(n)).erf();
}

void layer_norm(const float* x, size_t m, size_t w, const float* g, const float* b, double eps,
                float* out) {
  // Four rows are summed side by side so that their (independent) addition chains overlap,
  // which changes no bit of any row's result.
  constexpr size_t G = 4;
  const long long groups = (long long)((m + G - 1) / G);
#pragma omp parallel for schedule(static) if (m > 64)
  for (long long grp = 0; grp < groups; ++grp) {
    const size_t r0 = size_t(grp) * G, rows = std::min(G, m - r0);
    const float* p[G];
    for (size_t j = 0; j < G; ++j) p[j] = &x[(r0 + std::min(j, rows - 1)) * w];
    double mean[G] = {0, 0, 0, 0}, var[G] = {0, 0, 0, 0};
    for (size_t i = 0; i < w; ++i)
      for (size_t j = 0; j < G; ++j) mean[j] += p[j][i];
    for (size_t j = 0; j < G; ++j) mean[j] /= double(w);
    for (size_t i = 0; i < w; ++i)
      for (size_t j = 0; j < G; ++j) var[j] += (p[j][i] - mean[j]) * (p[j][i] - mean[j]);
    for (size_t j = 0; j < rows; ++j) {
      const double inv = 1.0 / std::sqrt(var[j] / double(w) + eps);
      float* o = &out[(r0 + j) * w];
      for (size_t i = 0; i < w; ++i)
        o[i] = float((p[j][i] - mean[j]) * inv) * g[i] + (b ? b[i] : 0.0f);
    }
  }
}

void softmax_rows(float* x, size_t rows, size_t len) {
  if (rows == 0 || len == 0) return;
  // Blocks of len rows in an Eigen matrix: the rows sit at the same alignments as in
  // attention()'s t x t score matrix, so a softmax of attention scores rounds the same there.
  const size_t block = std::min(rows, len);
  matf s{Eigen::Index(block), Eigen::Index(len)};
  for (size_t r0 = 0; r0 < rows; r0 += block) {
    const size_t k = std::min(block, rows - r0);
    if (k < block) s.resize(Eigen::Index(k), Eigen::Index(len));
    std::copy_n(x + r0 * len, k * len, s.data());
    softmax_matrix(s);
    std::copy_n(s.data(), k * len, x + r0 * len);
  }
}

void attention(const float* q, const float* k, const float* v, int n, int t, int hidden, int heads,
               float* out) {
  const int d = hidden / heads;
  const float scale = 1.0f / std::sqrt(float(d));
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    matf s(t, t);
    for (int h = 0; h < heads; ++h) {
      using strided = Eigen::Map<const matf, 0, Eigen::OuterStride<>>;
      const size_t base = size_t(i) * t * hidden + size_t(h) * d;
      strided Q(&q[base], t, d, Eigen::OuterStride<>(hidden));
      strided K(&k[base], t, d, Eigen::OuterStride<>(hidden));
      strided V(&v[base], t, d, Eigen::OuterStride<>(hidden));
      s.noalias() = (Q * K.transpose()) * scale;
      softmax_matrix(s);
      Eigen::Map<matf, 0, Eigen::OuterStride<>> O(&out[base], t, d, Eigen::OuterStride<>(hidden));
      O.noalias() = s * V;
    }
  }
}

}  // namespace rramft::models::kernels
