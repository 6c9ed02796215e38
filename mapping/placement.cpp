/// Fault-aware placement: each crossbar's column contents rearranged around the chip's known
/// stuck cells (mapping.fault_aware; docs/faults.md).
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

struct stuck_cell {
  int block, row;
  stuck s;
};

}  // namespace

int64_t place_around_faults(mapped_layer& l, const fault_map& chip) {
  if (!chip.has_stuck() || l.row_blocks == 0) return 0;
  const int C = l.C();
  for (int k = 0; k < l.xbars_per_block; ++k) {
    // The stuck cells under each column position of crossbar k, over all row blocks.
    std::vector<std::vector<stuck_cell>> at(static_cast<size_t>(C));
    bool any = false;
    for (int b = 0; b < l.row_blocks; ++b) {
      const xbar_ref x = chip.crossbar(l.xbar_id(b, k));
      const int rows = l.block_rows(b);
      for (int c = 0; c < C; ++c)
        for (int r = 0; r < rows; ++r) {
          const stuck s = chip.stuck_at(x, r, c);
          if (s != stuck::none) {
            at[size_t(c)].push_back({b, r, s});
            any = true;
          }
        }
    }
    if (!any) continue;
    // harm[i * C + p]: cells that read wrong when content i (now at position i) sits at p.
    column_content* cols = &l.columns[size_t(k) * C];
    std::vector<int64_t> harm(size_t(C) * C, 0);
    int64_t now = 0;
    for (int i = 0; i < C; ++i) {
      const column_content& cc = cols[i];
      if (!cc.used() || !l.in_fault_scope(cc.slice)) continue;
      for (int p = 0; p < C; ++p) {
        int64_t h = 0;
        for (const stuck_cell& sc : at[size_t(p)]) {
          const int level = l.programmed_level(sc.block * l.R() + sc.row, cc);
          h += chip.apply(level, sc.s, -1) != level;
        }
        harm[size_t(i) * C + p] = h;
      }
      now += harm[size_t(i) * C + i];
    }
    if (now == 0) continue;  // nothing to gain: the layout stays as it is
    // Fewest harmful cells first; among equally good arrangements, most contents in place.
    std::vector<int64_t> cost(harm.size());
    for (int i = 0; i < C; ++i)
      for (int p = 0; p < C; ++p)
        cost[size_t(i) * C + p] = harm[size_t(i) * C + p] * (C + 1) - (i == p);
    const std::vector<int> content_at = assign(cost, C);
    int64_t after = 0;
    for (int p = 0; p < C; ++p) after += harm[size_t(content_at[size_t(p)]) * C + p];
    if (after >= now) continue;  // (the optimum is never worse; keep the layout when equal)
    const std::vector<column_content> old(cols, cols + C);
    for (int p = 0; p < C; ++p) cols[p] = old[size_t(content_at[size_t(p)])];
  }
  return int64_t(read_errors(l, chip).size());
}

chip_mapping placed_around_faults(const chip_mapping& cm, const fault_map& chip) {
  chip_mapping out = cm;
  for (size_t i = 0; i < out.layers.size(); ++i)
    out.reports[i].harmful = place_around_faults(out.layers[i], chip);
  return out;
}

}  // namespace rramft::mapping
