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

std::vector<cell_error> read_errors(const mapped_layer& l, const fault_map& f, uint64_t epoch) {
  std::vector<cell_error> out;
  if (!f.any()) return out;
  const int C = l.C();
  for (int b = 0; b < l.row_blocks; ++b) {
    const int rows = l.block_rows(b);
    for (int k = 0; k < l.xbars_per_block; ++k) {
      const uint64_t key = f.crossbar_key(l.xbar_id(b, k));
      const uint64_t ekey = f.epoch_key(key, epoch);
      for (int c = 0; c < C; ++c) {
        const column_content& cc = l.columns[size_t(k) * C + c];
        if (!cc.used() || !l.in_fault_scope(cc.slice)) continue;
        for (int r = 0; r < rows; ++r) {
          const stuck s = f.stuck_at(key, r, c);
          const int tb = f.transient_bit(ekey, r, c);
          if (s == stuck::none && tb < 0) continue;
          const int p = l.programmed_level(b * l.R() + r, cc);
          const int v = f.apply(p, s, tb);
          if (v != p) out.push_back({b, k * C + c, r, v - p});
        }
      }
    }
  }
  return out;
}

}  // namespace rramft
