#include "core/datapath.h"

#include <algorithm>

#include "core/mvm.h"
#include "core/quant.h"

namespace rramft {

void dac_levels(const mapped_layer& l, const int32_t* xk, int n, int b, int k, float* out) {
  const input_slicing sl{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed};
  const int rows = l.block_rows(b), K = int(l.kept_rows.size()), R = l.R();
  for (int i = 0; i < n; ++i)
    for (int r = 0; r < rows; ++r)
      out[size_t(i) * rows + r] = float(sl.digit(xk[size_t(i) * K + b * R + r], k));
}

void crossbar_levels(const mapped_layer& l, const std::vector<cell_error>& errors, int b, int x,
                     float* out, const fault_map* chip) {
  const int rows = l.block_rows(b), C = l.C(), R = l.R();
  std::fill(out, out + size_t(rows) * C, 0.0f);
  const column_content* cols = &l.columns[size_t(x) * C];
  for (int c = 0; c < C; ++c)
    if (cols[c].used())
      for (int r = 0; r < rows; ++r)
        out[size_t(r) * C + c] = float(l.programmed_level(b * R + r, cols[c]));
  // errors are sorted by (block, column, row): find this crossbar's range.
  const cell_error lo{b, x * C, 0, 0};
  auto it = std::lower_bound(errors.begin(), errors.end(), lo,
                             [](const cell_error& a, const cell_error& v) {
                               return a.block != v.block ? a.block < v.block : a.column < v.column;
                             });
  for (; it != errors.end() && it->block == b && it->column < (x + 1) * C; ++it)
    out[size_t(it->row) * C + (it->column - x * C)] += float(it->delta);
  if (chip && chip->has_variation()) {
    const uint64_t key = chip->crossbar(l.xbar_id(b, x)).key;
    for (int c = 0; c < C; ++c)
      if (cols[c].used())
        for (int r = 0; r < rows; ++r) {
          float& g = out[size_t(r) * C + c];
          g = float(double(g) * chip->variation_factor(key, r, c));
        }
  }
}

void read_sums(const mapped_layer& l, const transient_reads& t, int b, int x, int k,
               const float* digits, int n, const float* levels, float* sums) {
  const int rows = l.block_rows(b), C = l.C();
  if (!t.analog()) {
    column_sums(digits, n, rows, levels, C, sums);
  } else {
    const fault_map& f = *t.chip;
    const xbar_ref xr = f.crossbar(l.xbar_id(b, x));
    const double noise = f.read_noise();
    thread_local std::vector<double> s, q;
    s.resize(size_t(C));
    q.resize(size_t(C));
    for (int i = 0; i < n; ++i) {
      std::fill(s.begin(), s.end(), 0.0);
      std::fill(q.begin(), q.end(), 0.0);
      for (int r = 0; r < rows; ++r) {
        const double d = digits[size_t(i) * rows + r];
        if (d == 0) continue;
        const float* g = levels + size_t(r) * C;
        for (int c = 0; c < C; ++c) s[size_t(c)] += d * double(g[c]);
        if (noise > 0)
          for (int c = 0; c < C; ++c) {
            const double v = d * double(g[c]);
            q[size_t(c)] += v * v;
          }
      }
      const uint64_t rkey = noise > 0 ? f.read_key(xr, t.input(i), t.read(i)) : 0;
      for (int c = 0; c < C; ++c) {
        double v = s[size_t(c)];
        if (q[size_t(c)] > 0) v += noise * std::sqrt(q[size_t(c)]) * f.read_noise_z(rkey, k, c);
        sums[size_t(i) * C + c] = float(v);
      }
    }
  }
  transient_sums(l, t, b, x, digits, n, sums);
}

void transient_sums(const mapped_layer& l, const transient_reads& t, int b, int x,
                    const float* digits, int n, float* sums) {
  if (!t.on()) return;
  const int rows = l.block_rows(b), C = l.C();
  thread_local std::vector<cell_error> errs;
  for (int i = 0; i < n; ++i) {
    errs.clear();
    transient_errors(l, t, b, x, i, errs);
    for (const cell_error& e : errs)
      sums[size_t(i) * C + (e.column - x * C)] += float(e.delta) * digits[size_t(i) * rows + e.row];
  }
}

int64_t adc_convert(const mapped_layer& l, const adc_model& adc, int x, const float* sums, int n,
                    int64_t* converted) {
  const int C = l.C();
  const column_content* cols = &l.columns[size_t(x) * C];
  int64_t conversions = 0;
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < C; ++c) {
      const size_t at = size_t(i) * C + c;
      if (!cols[c].used()) {
        converted[at] = 0;
        continue;
      }
      converted[at] = adc.convert_real(double(sums[at]));
      ++conversions;
    }
  return conversions;
}

void block_partials::reset(int n_, int outputs_, int candidates_) {
  n = n_;
  outputs = outputs_;
  candidates = candidates_;
  plain.assign(size_t(n) * outputs, 0);
  cand.assign(candidates > 1 ? size_t(n) * outputs * candidates : 0, 0);
}

int64_t opc_accumulate(const mapped_layer& l, int x, int k, const int64_t* converted, int n,
                       block_partials& p) {
  const input_slicing sl{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed};
  const int C = l.C(), T = p.candidates, O = p.outputs;
  const column_content* cols = &l.columns[size_t(x) * C];
  const int64_t wk = sl.weight(k);
  int64_t adds = 0;
  for (int c = 0; c < C; ++c) {
    const column_content& cc = cols[c];
    if (!cc.used()) continue;
    const int64_t w = wk * l.column_weight(cc);
    const bool voted = T > 1 && l.is_protected(cc.slice);
    for (int i = 0; i < n; ++i) {
      const int64_t v = w * converted[size_t(i) * C + c];
      if (voted)
        p.cand[(size_t(i) * O + cc.out) * T + cc.cand] += v;
      else
        p.plain[size_t(i) * O + cc.out] += v;
    }
    adds += n;
  }
  return adds;
}

int64_t vote_accumulate(const block_partials& p, int64_t* yk) {
  const int T = p.candidates;
  const size_t m = size_t(p.n) * p.outputs;
  int64_t votes[16];
  for (size_t io = 0; io < m; ++io) {
    yk[io] += p.plain[io];
    if (T > 1) {
      std::copy(&p.cand[io * T], &p.cand[io * T] + T, votes);
      yk[io] += median(votes, T);
    }
  }
  // A median of T by an odd-even sorting network takes about T(T-1)/2 compare-exchanges.
  return T > 1 ? int64_t(m) * T * (T - 1) / 2 : 0;
}

}  // namespace rramft
