#pragma once
// Shared fixtures for the mapping and MVM tests: random pruned layers, random activations,
// and the plain integer reference product that the crossbar paths must reproduce.
#include <random>
#include <vector>

#include "core/layer.h"
#include "core/quant.h"
#include "mapping/mapping.h"
#include "models/model.h"

namespace fixtures {

/// A rows x cols linear layer with normal weights, @p pruned_cols outputs and @p pruned_rows
/// inputs set to exact zeros (spread at random).
inline rramft::models::weight_layer random_layer(int rows, int cols, int pruned_cols,
                                                 int pruned_rows, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  rramft::models::weight_layer wl;
  wl.name = "fc";
  wl.kind = "linear";
  wl.rows = rows;
  wl.cols = cols;
  wl.w.resize(size_t(rows) * cols);
  for (auto& v : wl.w) v = nd(g);
  std::vector<int> oc(cols), ir(rows);
  for (int i = 0; i < cols; ++i) oc[i] = i;
  for (int i = 0; i < rows; ++i) ir[i] = i;
  std::shuffle(oc.begin(), oc.end(), g);
  std::shuffle(ir.begin(), ir.end(), g);
  for (int k = 0; k < pruned_cols; ++k)
    for (int r = 0; r < rows; ++r) wl.w[size_t(oc[k]) * rows + r] = 0;
  for (int k = 0; k < pruned_rows; ++k)
    for (int o = 0; o < cols; ++o) wl.w[size_t(o) * rows + ir[k]] = 0;
  return wl;
}

inline std::vector<int32_t> random_inputs(const rramft::arch_spec& a, int n, int rows,
                                          uint64_t seed) {
  std::mt19937_64 g(seed);
  rramft::activation_quantizer aq{a.input_bits, a.input_signed};
  std::uniform_int_distribution<int32_t> d(aq.qmin(), aq.qmax());
  std::vector<int32_t> x(size_t(n) * rows);
  for (auto& v : x) v = d(g);
  return x;
}

/// y = W_q x over the logical shape, from the quantized weights alone (no crossbars).
/// @p magnitude_mask keeps only these magnitude bits of every weight.
inline std::vector<int64_t> reference(const rramft::mapped_layer& l, const std::vector<int32_t>& x,
                                      int n, int32_t magnitude_mask = -1) {
  std::vector<int64_t> y(size_t(n) * l.cols, 0);
  for (int i = 0; i < n; ++i)
    for (size_t o = 0; o < l.kept_cols.size(); ++o) {
      int64_t s = 0;
      for (size_t r = 0; r < l.kept_rows.size(); ++r) {
        const int32_t q = l.w.q[o * l.kept_rows.size() + r];
        const int32_t m = std::abs(q) & magnitude_mask;
        s += int64_t(q < 0 ? -m : m) * x[size_t(i) * l.rows + l.kept_rows[r]];
      }
      y[size_t(i) * l.cols + l.kept_cols[o]] = s;
    }
  return y;
}

inline rramft::mapped_layer map(const rramft::models::weight_layer& wl,
                                const rramft::arch_spec& a) {
  rramft::mapping::layer_report rep;
  return rramft::mapping::map_layer(wl, a, 0, rep);
}

/// Index into l.columns of the column holding (out, slice, neg, cand).
inline int column_of(const rramft::mapped_layer& l, int out, int slice, int neg, int cand) {
  for (size_t i = 0; i < l.columns.size(); ++i) {
    const auto& c = l.columns[i];
    if (c.out == out && c.slice == slice && c.neg == neg && c.cand == cand) return int(i);
  }
  return -1;
}

}  // namespace fixtures
