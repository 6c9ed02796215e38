/// Fault-aware placement: each crossbar's column contents rearranged around the chip's known
/// stuck cells (mapping.fault_aware; docs/faults.md).
#include <algorithm>
#include <limits>

#include "mapping/mapping.h"

namespace rramft::mapping {

namespace {

/// Minimum-cost assignment of n rows to n columns (Hungarian method with potentials,
/// O(n^3)); @return for each column the row assigned to it.
std::vector<int> assign(const std::vector<int64_t>& cost, int n) {
  const int64_t inf = std::numeric_limits<int64_t>::max() / 4;
  std::vector<int64_t> u(size_t(n) + 1, 0), v(size_t(n) + 1, 0);
  std::vector<int> p(size_t(n) + 1, 0), way(size_t(n) + 1, 0);
  for (int i = 1; i <= n; ++i) {
    p[0] = i;
    int j0 = 0;
    std::vector<int64_t> minv(size_t(n) + 1, inf);
    std::vector<char> used(size_t(n) + 1, 0);
    do {
      used[size_t(j0)] = 1;
      const int i0 = p[size_t(j0)];
      int64_t delta = inf;
      int j1 = 0;
      for (int j = 1; j <= n; ++j)
        if (!used[size_t(j)]) {
          const int64_t cur =
              cost[size_t(i0 - 1) * n + size_t(j - 1)] - u[size_t(i0)] - v[size_t(j)];
          if (cur < minv[size_t(j)]) {
            minv[size_t(j)] = cur;
            way[size_t(j)] = j0;
          }
          if (minv[size_t(j)] < delta) {
            delta = minv[size_t(j)];
            j1 = j;
          }
        }
      for (int j = 0; j <= n; ++j)
        if (used[size_t(j)]) {
          u[size_t(p[size_t(j)])] += delta;
          v[size_t(j)] -= delta;
        } else {
          minv[size_t(j)] -= delta;
        }
      j0 = j1;
    } while (p[size_t(j0)] != 0);
    do {
      const int j1 = way[size_t(j0)];
      p[size_t(j0)] = p[size_t(j1)];
      j0 = j1;
    } while (j0);
  }
  std::vector<int> row_of(static_cast<size_t>(n));
  for (int j = 1; j <= n; ++j) row_of[size_t(j - 1)] = p[size_t(j)] - 1;
  return row_of;
}

/// A stuck cell of one physical crossbar, in a row that holds an input.
struct stuck_cell {
  int row, col;
  stuck s;
};

/// The level a cell of kept row @p kr holds in a column holding @p cc; -1 when no stuck cell
/// there can be harmful (a free column, or a slice outside the fault scope).
int level_of(const mapped_layer& l, int kr, const column_content& cc) {
  if (!cc.used() || !l.in_fault_scope(cc.slice)) return -1;
  return l.programmed_level(kr, cc);
}

/// The best arrangement of n items over n places, given harm[i * n + p] (the harm of item i,
/// now at place i, at place p): fewest harmful cells first, then most items in place. Fills
/// @p item_at and @return true only when it strictly lowers the harm of the present arrangement.
bool improve(const std::vector<int64_t>& harm, int n, std::vector<int>& item_at) {
  int64_t now = 0;
  for (int i = 0; i < n; ++i) now += harm[size_t(i) * n + i];
  if (now == 0) return false;  // nothing to gain: the arrangement stays as it is
  std::vector<int64_t> cost(harm.size());
  for (int i = 0; i < n; ++i)
    for (int p = 0; p < n; ++p)
      cost[size_t(i) * n + p] = harm[size_t(i) * n + p] * (n + 1) - (i == p);
  item_at = assign(cost, n);
  int64_t after = 0;
  for (int p = 0; p < n; ++p) after += harm[size_t(item_at[size_t(p)]) * n + p];
  return after < now;  // (the optimum is never worse; keep the arrangement when equal)
}

/// Column step: the contents of crossbar column k (shared by every row block) over its C
/// physical columns, the harm summed over the row blocks with their present row order.
bool place_columns(mapped_layer& l, const fault_map& chip,
                   const std::vector<std::vector<stuck_cell>>& at, int k) {
  const int C = l.C();
  column_content* cols = &l.columns[size_t(k) * C];
  std::vector<int64_t> harm(size_t(C) * C, 0);
  bool any = false;
  std::vector<std::vector<int>> level(size_t(l.R()));  // [row][content], filled when needed
  for (int b = 0; b < l.row_blocks; ++b) {
    for (auto& v : level) v.clear();
    for (const stuck_cell& sc : at[size_t(b) * l.xbars_per_block + k]) {
      any = true;
      std::vector<int>& lv = level[size_t(sc.row)];
      if (lv.empty())
        for (int i = 0; i < C; ++i) lv.push_back(level_of(l, b * l.R() + sc.row, cols[i]));
      const int reads = chip.apply(0, sc.s, -1);  // a stuck cell reads its stuck level
      for (int i = 0; i < C; ++i)
        harm[size_t(i) * C + sc.col] += lv[size_t(i)] >= 0 && lv[size_t(i)] != reads;
    }
  }
  std::vector<int> content_at;
  if (!any || !improve(harm, C, content_at)) return false;
  const std::vector<column_content> old(cols, cols + C);
  for (int p = 0; p < C; ++p) cols[p] = old[size_t(content_at[size_t(p)])];
  return true;
}

/// Row step: the inputs of row block b over its word lines, the harm summed over the block's
/// crossbars with their present column layout. Moves kept_rows and the columns of w alike.
bool place_rows(mapped_layer& l, const fault_map& chip,
                const std::vector<std::vector<stuck_cell>>& at, int b) {
  const int n = l.block_rows(b), C = l.C(), base = b * l.R();
  std::vector<int64_t> harm(size_t(n) * n, 0);
  bool any = false;
  std::vector<std::vector<int>> level(
      static_cast<size_t>(C));  // [column][input], filled when needed
  for (int k = 0; k < l.xbars_per_block; ++k) {
    for (auto& v : level) v.clear();
    for (const stuck_cell& sc : at[size_t(b) * l.xbars_per_block + k]) {
      const column_content& cc = l.columns[size_t(k) * C + sc.col];
      if (!cc.used() || !l.in_fault_scope(cc.slice)) continue;
      any = true;
      std::vector<int>& lv = level[size_t(sc.col)];
      if (lv.empty())
        for (int i = 0; i < n; ++i) lv.push_back(l.programmed_level(base + i, cc));
      const int reads = chip.apply(0, sc.s, -1);  // a stuck cell reads its stuck level
      for (int i = 0; i < n; ++i) harm[size_t(i) * n + sc.row] += lv[size_t(i)] != reads;
    }
  }
  std::vector<int> input_at;
  if (!any || !improve(harm, n, input_at)) return false;
  const std::vector<int> old(l.kept_rows.begin() + base, l.kept_rows.begin() + base + n);
  for (int p = 0; p < n; ++p) l.kept_rows[size_t(base + p)] = old[size_t(input_at[size_t(p)])];
  std::vector<int32_t> w(static_cast<size_t>(n));
  for (int o = 0; o < l.w.out; ++o) {
    int32_t* q = &l.w.q[size_t(o) * l.w.in + base];
    std::copy(q, q + n, w.begin());
    for (int p = 0; p < n; ++p) q[p] = w[size_t(input_at[size_t(p)])];
  }
  return true;
}

}  // namespace

int64_t place_around_faults(mapped_layer& l, const fault_map& chip, bool rows) {
  if (!chip.has_stuck() || l.row_blocks == 0) return 0;
  const int C = l.C();
  // The stuck cells of every crossbar (b, k), in the rows that hold inputs.
  std::vector<std::vector<stuck_cell>> at(size_t(l.crossbars()));
  bool any = false;
  for (int b = 0; b < l.row_blocks; ++b)
    for (int k = 0; k < l.xbars_per_block; ++k) {
      const xbar_ref x = chip.crossbar(l.xbar_id(b, k));
      auto& v = at[size_t(b) * l.xbars_per_block + k];
      for (int r = 0; r < l.block_rows(b); ++r)
        for (int c = 0; c < C; ++c) {
          const stuck s = chip.stuck_at(x, r, c);
          if (s != stuck::none) v.push_back({r, c, s});
        }
      any = any || !v.empty();
    }
  if (!any) return 0;
  // Columns first (so the result is never worse than column placement alone), then rows,
  // alternating while a step still helps. Each step is exact for its half and is taken only
  // when it strictly lowers the harm of its crossbar column or row block, so the harmful count
  // falls with every change and the loop ends; the round cap only bounds the time.
  for (int round = 0; round < max_placement_rounds; ++round) {
    bool changed = false;
    for (int k = 0; k < l.xbars_per_block; ++k) changed |= place_columns(l, chip, at, k);
    if (!rows) break;
    for (int b = 0; b < l.row_blocks; ++b) changed |= place_rows(l, chip, at, b);
    if (!changed) break;
  }
  return int64_t(read_errors(l, chip).size());
}

chip_mapping placed_around_faults(const chip_mapping& cm, const fault_map& chip) {
  chip_mapping out = cm;
  for (size_t i = 0; i < out.layers.size(); ++i)
    out.reports[i].harmful =
        place_around_faults(out.layers[i], chip, cm.arch.mapping.fault_aware_rows);
  return out;
}

}  // namespace rramft::mapping
