#include "core/layer.h"

#include <cstdlib>

#include "core/periph.h"

namespace rramft {

int mapped_layer::programmed_level(int kr, const column_content& cc) const {
  const int32_t q = w.q[size_t(cc.out) * w.in + kr];
  const int cb = arch.cell_bits;
  const int lv = arch.cell_levels();
  int v = 0;
  if ((q > 0 && !cc.neg) || (q < 0 && cc.neg)) v = (std::abs(q) >> (cc.slice * cb)) & lv;
  return is_flipped(cc.slice) ? lv - v : v;
}

int64_t mapped_layer::column_weight(const column_content& cc) const {
  return opc_weight(cc.slice, cc.neg, is_flipped(cc.slice), arch.cell_bits);
}

std::vector<cell_error> read_errors(const mapped_layer& l, const fault_map& f) {
  std::vector<cell_error> out;
  if (!f.has_stuck()) return out;
  const int C = l.C();
  for (int b = 0; b < l.row_blocks; ++b) {
    const int rows = l.block_rows(b);
    for (int k = 0; k < l.xbars_per_block; ++k) {
      const xbar_ref key = f.crossbar(l.xbar_id(b, k));
      for (int c = 0; c < C; ++c) {
        const column_content& cc = l.columns[size_t(k) * C + c];
        if (!cc.used() || !l.in_fault_scope(cc.slice)) continue;
        for (int r = 0; r < rows; ++r) {
          const stuck s = f.stuck_at(key, r, c);
          if (s == stuck::none) continue;
          const int p = l.programmed_level(b * l.R() + r, cc);
          const int v = f.apply(p, s, -1);
          if (v != p) out.push_back({b, k * C + c, r, v - p});
        }
      }
    }
  }
  return out;
}

void transient_errors(const mapped_layer& l, const transient_reads& t, int b, int x, int v,
                      std::vector<cell_error>& out) {
  if (!t.on()) return;
  const fault_map& f = *t.chip;
  const int C = l.C();
  const xbar_ref key = f.crossbar(l.xbar_id(b, x));
  const column_content* cols = &l.columns[size_t(x) * C];
  f.for_each_flip(f.read_key(key, t.input(v), t.read(v)), l.block_rows(b), C,
                  [&](int r, int c, int bit) {
                    const column_content& cc = cols[c];
                    if (!cc.used() || !l.in_fault_scope(cc.slice)) return;
                    const int p = l.programmed_level(b * l.R() + r, cc);
                    const stuck s = f.stuck_at(key, r, c);
                    out.push_back({b, x * C + c, r, f.apply(p, s, bit) - f.apply(p, s, -1)});
                  });
}

}  // namespace rramft
