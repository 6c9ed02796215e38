/// @file serial_product.cpp
/// @brief serial_product (core/mvm.h): the prepared bit-serial path of one mapped layer on one
/// chip, for any ADC (lossy included), bit-identical to the slice-by-slice reference path.
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/datapath.h"
#include "core/error.h"
#include "core/mvm.h"
#include "core/periph.h"
#include "core/quant.h"

namespace rramft {

namespace {
constexpr int kLanes = 32;              ///< input vectors per pass of serial_product
constexpr int kGroup = 8;               ///< rows per subset-sum table
constexpr int kPatterns = 1 << kGroup;  ///< subsets of one group
constexpr int kQuad = 4;                ///< slices per column visit (see quad in chunk)

/// kLanes values of T side by side (every lane is one input vector) in one GCC/Clang vector,
/// which the compiler splits into the registers of the -march it builds for. Only the sums of
/// the column programs use them; loops over plain arrays do the rest.
template <class T>
struct lane_vector {
  typedef T type __attribute__((vector_size(kLanes * sizeof(T))));
};
template <class V, class T>
inline void load_lanes(V& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}
template <class V, class T>
inline void store_lanes(T* p, const V& v) {
  std::memcpy(p, &v, sizeof v);
}

/// Where lane u (input vector i0 + u) of a 32-lane vector of 8-bit sums ends up once it is
/// widened to 16 bits by interleaving with zeros (x86 vpunpcklbw / vpunpckhbw, which work within
/// each 16-byte half): the low-byte halves of both 16-byte halves first, then the high ones.
constexpr int lane_position(int u) { return (u & 7) | ((u >> 4) & 1) << 3 | ((u >> 3) & 1) << 4; }
static_assert(lane_position(8) == 16 && lane_position(16) == 8 && lane_position(31) == 31);

/// y = floor((x * a + b) / 2^shift), exact for the x it was fitted to, with every
/// intermediate in 0..limit.
struct affine_floor {
  int32_t a = 0, b = 0, shift = 0;
};

/// Fits y(x) (nondecreasing from y(0) >= 0, for x = 0..n-1) as min(floor((x a + b) / 2^shift),
/// y(n-1)) with x a + b in 0..@p limit; false if no such (a, b, shift) exists near slope
/// @p slope.
bool fit_affine_floor(const std::vector<int64_t>& y, double slope, int64_t limit, affine_floor& f) {
  const int64_t n = int64_t(y.size()), top = y.back();
  if (y[0] < 0) return false;
  // At least one bit shifted out, so that the results fit a signed lane of the same width.
  for (int shift = 1; shift <= 30; ++shift) {
    const double a0 = std::ldexp(slope, shift);
    if (!(a0 * double(n) < double(limit))) break;
    for (int64_t a = std::llround(a0) - 2; a <= std::llround(a0) + 2; ++a) {
      if (a < 0) continue;
      // q 2^s <= x a + b < (q + 1) 2^s wherever y < top; x a + b >= top 2^s where y == top.
      int64_t lo = INT64_MIN, hi = INT64_MAX;
      for (int64_t x = 0; x < n; ++x) {
        lo = std::max(lo, (y[size_t(x)] << shift) - x * a);
        if (y[size_t(x)] < top) hi = std::min(hi, ((y[size_t(x)] + 1) << shift) - x * a - 1);
      }
      if (lo > hi || lo < 0 || (n - 1) * a + lo > limit) continue;
      f = {int32_t(a), int32_t(lo), shift};
      return true;
    }
  }
  return false;
}
}  // namespace

struct serial_product::impl {
  /// One used bit column of one row block.
  struct column {
    int32_t slot;             ///< 0: plain; 1 + cand: a voted candidate
    int32_t shift, negative;  ///< OPC weight = (negative ? -1 : 1) * 2^shift
    uint32_t plane0, plane1;  ///< its level bit planes, range in planes
  };
  /// Rows of one bit of the column's read levels: sum = sum of table entries, or the block's
  /// digit total minus them (complement) when the plane is mostly ones.
  struct plane {
    int32_t shift, complement;
    uint32_t term0, term1;  ///< range in terms: (group * kPatterns + pattern) * kLanes
  };
  struct output {
    int32_t out;
    uint32_t col0, col1;  ///< range in cols
  };
  struct block {
    std::vector<column> cols;
    std::vector<plane> planes;
    std::vector<uint32_t> terms;  ///< offsets of table entries, in lane values
    std::vector<output> outs;
    /// 1-bit cells, when it costs few padding terms: every column's terms padded to `width`
    /// (a multiple of 4), column c's at fixed[c * width], and its complement mask (0 or 0xff)
    /// in cmask[c]. The column loop then has no per-column trip count and no plane to look up.
    uint32_t width = 0;
    std::vector<uint32_t> fixed;
    std::vector<uint8_t> cmask;
  };

  int K = 0, O = 0, T = 1, R = 0, slots = 1, nslices = 0, ngroups = 0;
  int64_t full_scale = 0;  ///< largest column sum
  bool acc32 = false;      ///< every partial sum fits in int32
  int32_t xmin = 0;
  std::vector<int64_t> slice_weight;  ///< input_slicing::weight(k)
  std::vector<uint8_t> digits;        ///< [k][x - xmin]: input_slicing::digit
  /// [x - xmin]: the digits of all slices as bit k, when every digit is 0 or 1 (1-bit DAC)
  /// and there are at most 8 slices; else empty.
  std::vector<uint8_t> digit_bits;
  /// The ADC as two affine floors, code = min(f1(sum), top), value = f2(code), fitted to and
  /// checked against adc_model::convert for every sum 0..full_scale; else a table of it.
  bool affine = false, affine16 = false;  ///< in int32; in uint16 as well
  affine_floor to_code, to_value, to_code16, to_value16;
  int32_t top_code = 0;
  bool clamp16 = true;  ///< to_code16 passes top_code for some sum 0..full_scale: clamp it
  /// 8-bit column sums (full scale <= 255), ADC in uint16 and every output's sum per slice and
  /// slot in int16.
  bool narrow = false;
  /// Column sums of 256..65535 in uint16 from 8-bit tables: every plane's counted rows (its ones,
  /// or its zeros when complemented) sum to at most 255, so each plane's table sum is exact in
  /// 8 bits and is widened, complemented from the 16-bit digit total and shifted in 16 bits;
  /// ADC and OPC as in the narrow path.
  bool sum16 = false;
  bool one_plane = false;    ///< 1-bit cells: every column has exactly one plane, of shift 0
  std::vector<int64_t> adc;  ///< adc_model::convert for sums 0..full_scale (<= 2^16)
  std::unique_ptr<adc_model> converter;  ///< the ADC itself, for larger sums
  std::vector<block> blocks;
  const mapped_layer* layer = nullptr;  ///< for the transient flips of each read
  std::vector<int32_t> col_of;          ///< per layout column: its index in every block's cols

  /// One pass over kLanes vectors: U holds column sums, W the ADC values and the sums over one
  /// input slice, A the sums over slices.
  template <class U, class W, class A, bool S16 = false>
  void chunk(const int32_t* xk, int i0, int nv, int64_t* yk, const transient_reads& t) const;
};

serial_product::~serial_product() = default;

serial_product::serial_product(const mapped_layer& l, const std::vector<cell_error>& errors) {
  auto p = std::make_unique<impl>();
  impl& m = *p;
  const input_slicing sl{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed};
  const activation_quantizer aq{l.arch.input_bits, l.arch.input_signed};
  m.K = int(l.kept_rows.size());
  m.O = int(l.kept_cols.size());
  m.T = l.copies();
  m.R = l.R();
  m.slots = m.T > 1 ? 1 + m.T : 1;
  m.nslices = sl.count();
  m.ngroups = (m.R + kGroup - 1) / kGroup;
  m.xmin = aq.qmin();
  const size_t nx = size_t(aq.qmax() - aq.qmin() + 1);
  for (int k = 0; k < m.nslices; ++k) m.slice_weight.push_back(sl.weight(k));
  m.digits.resize(nx * m.nslices);
  for (int k = 0; k < m.nslices; ++k)
    for (size_t x = 0; x < nx; ++x)
      m.digits[size_t(k) * nx + x] = uint8_t(sl.digit(int32_t(x) + m.xmin, k));
  if (m.nslices <= 8 &&
      std::all_of(m.digits.begin(), m.digits.end(), [](uint8_t d) { return d <= 1; })) {
    m.digit_bits.assign(nx, 0);
    for (int k = 0; k < m.nslices; ++k)
      for (size_t x = 0; x < nx; ++x) m.digit_bits[x] |= uint8_t(m.digits[size_t(k) * nx + x] << k);
  }
  m.full_scale = l.arch.column_full_scale();
  m.converter = std::make_unique<adc_model>(l.arch);
  // The conversion is monotone in the sum: its extremes are at 0 and full scale.
  const int64_t max_conv =
      std::max(std::abs(m.converter->convert(0)), std::abs(m.converter->convert(m.full_scale)));
  if (m.full_scale <= 0xffff) {
    for (int64_t s = 0; s <= m.full_scale; ++s) m.adc.push_back(m.converter->convert(s));
    // Codes: the rank of each value among the values the sums reach (the step is at least one
    // sum unit, so every code in between is reached).
    std::vector<int64_t> code(m.adc.size()), value;
    for (size_t s = 0; s < m.adc.size(); ++s) {
      if (s == 0 || m.adc[s] != m.adc[s - 1]) value.push_back(m.adc[s]);
      code[s] = int64_t(value.size()) - 1;
    }
    // Fitted, then checked once more from the definition for every sum.
    auto check = [&](const affine_floor& f1, const affine_floor& f2) {
      for (size_t s = 0; s < m.adc.size(); ++s) {
        const int64_t c = std::min<int64_t>((int64_t(s) * f1.a + f1.b) >> f1.shift, code.back());
        if (((c * f2.a + f2.b) >> f2.shift) != m.adc[s]) return false;
      }
      return true;
    };
    const bool sorted = std::is_sorted(m.adc.begin(), m.adc.end());
    m.top_code = int32_t(code.back());
    m.affine = sorted && fit_affine_floor(code, 1.0 / m.converter->step(), INT32_MAX, m.to_code) &&
               fit_affine_floor(value, m.converter->step(), INT32_MAX, m.to_value) &&
               check(m.to_code, m.to_value);
    m.affine16 = sorted && fit_affine_floor(code, 1.0 / m.converter->step(), 0xffff, m.to_code16) &&
                 fit_affine_floor(value, m.converter->step(), 0xffff, m.to_value16) &&
                 check(m.to_code16, m.to_value16);
    m.clamp16 = ((m.full_scale * m.to_code16.a + m.to_code16.b) >> m.to_code16.shift) > m.top_code;
  }
  // Errors by (block, column), then row.
  std::vector<cell_error> errs = errors;
  auto by_place = [](const cell_error& a, const cell_error& b) {
    return a.block != b.block     ? a.block < b.block
           : a.column != b.column ? a.column < b.column
                                  : a.row < b.row;
  };
  std::sort(errs.begin(), errs.end(), by_place);
  const int cb = l.arch.cell_bits;
  // Columns of the layout in output order (every row block has the same layout).
  std::vector<int> order;
  for (size_t c = 0; c < l.columns.size(); ++c)
    if (l.columns[c].used()) order.push_back(int(c));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return l.columns[size_t(a)].out < l.columns[size_t(b)].out;
  });
  m.layer = &l;
  m.col_of.assign(l.columns.size(), -1);
  for (size_t i = 0; i < order.size(); ++i) m.col_of[size_t(order[i])] = int32_t(i);
  double bound = 0;  // largest |partial sum| of one output, slot and block
  // The range of every output's sum per slice, slot and block (ADC values lie between those of
  // sums 0 and full scale: the conversion is monotone), and the most rows one plane counts.
  const double cmin = double(std::min(m.converter->convert(0), m.converter->convert(m.full_scale)));
  const double cmax = double(std::max(m.converter->convert(0), m.converter->convert(m.full_scale)));
  bool inner16 = true;
  int counted_max = 0;
  std::vector<int32_t> levels(size_t(m.R));
  m.blocks.resize(size_t(l.row_blocks));
  for (int b = 0; b < l.row_blocks; ++b) {
    impl::block& bl = m.blocks[size_t(b)];
    const int rows = l.block_rows(b);
    std::vector<double> out_bound(size_t(m.O) * m.slots, 0.0), out_lo(out_bound), out_hi(out_bound);
    for (int c : order) {
      const column_content& cc = l.columns[size_t(c)];
      for (int r = 0; r < rows; ++r) levels[size_t(r)] = l.programmed_level(b * m.R + r, cc);
      for (auto f = std::lower_bound(errs.begin(), errs.end(), cell_error{b, c, 0, 0}, by_place);
           f != errs.end() && f->block == b && f->column == c; ++f)
        levels[size_t(f->row)] += f->delta;
      if (bl.outs.empty() || bl.outs.back().out != cc.out)
        bl.outs.push_back({cc.out, uint32_t(bl.cols.size()), uint32_t(bl.cols.size())});
      const int64_t w = l.column_weight(cc);
      impl::column col;
      col.slot = m.T > 1 && l.is_protected(cc.slice) ? 1 + cc.cand : 0;
      col.negative = w < 0;
      col.shift = 0;
      while ((int64_t(1) << col.shift) < std::abs(w)) ++col.shift;
      if ((int64_t(1) << col.shift) != std::abs(w))
        throw error("layer '" + l.name + "': OPC weight " + std::to_string(w) +
                    " is not a power of two");
      col.plane0 = uint32_t(bl.planes.size());
      for (int j = 0; j < cb; ++j) {
        int ones = 0;
        for (int r = 0; r < rows; ++r) ones += (levels[size_t(r)] >> j) & 1;
        if (ones == 0) continue;
        impl::plane pl;
        pl.shift = j;
        pl.complement = 2 * ones > rows;
        pl.term0 = uint32_t(bl.terms.size());
        counted_max = std::max(counted_max, pl.complement ? rows - ones : ones);
        for (int g = 0; g < m.ngroups; ++g) {
          uint32_t pat = 0;
          for (int r = g * kGroup; r < std::min(rows, (g + 1) * kGroup); ++r)
            if (((levels[size_t(r)] >> j) & 1) != pl.complement) pat |= 1u << (r - g * kGroup);
          if (pat) bl.terms.push_back((uint32_t(g) * kPatterns + pat) * kLanes);
        }
        // Padded to a multiple of 4 with entry 0 of group 0 (the empty subset: 0), so that the
        // sums take whole steps of 4.
        while ((bl.terms.size() - pl.term0) % 4) bl.terms.push_back(0);
        pl.term1 = uint32_t(bl.terms.size());
        bl.planes.push_back(pl);
      }
      if (cb == 1 && col.plane0 == uint32_t(bl.planes.size())) {
        // 1-bit cells: a column without ones gets one empty plane (four terms of the empty
        // subset), so that every column has exactly one plane and the pass needs no plane loop.
        bl.planes.push_back({0, 0, uint32_t(bl.terms.size()), uint32_t(bl.terms.size()) + 4});
        bl.terms.insert(bl.terms.end(), 4, 0u);
      }
      col.plane1 = uint32_t(bl.planes.size());
      bl.cols.push_back(col);
      bl.outs.back().col1 = uint32_t(bl.cols.size());
      const size_t os = size_t(cc.out) * m.slots + col.slot;
      out_bound[os] += double(std::abs(w)) * double(max_conv);
      out_lo[os] += std::min(double(w) * cmin, double(w) * cmax);
      out_hi[os] += std::max(double(w) * cmin, double(w) * cmax);
    }
    if (cb == 1 && !bl.cols.empty()) {
      uint32_t width = 0;
      for (const impl::plane& pl : bl.planes) width = std::max(width, pl.term1 - pl.term0);
      // Fixed width when it adds at most a quarter to the table loads (more are padding terms
      // the loads of which cost more than the branches they save).
      if (4 * uint64_t(width) * bl.cols.size() <= 5 * uint64_t(bl.terms.size())) {
        bl.width = width;
        bl.fixed.assign(size_t(width) * bl.cols.size(), 0u);
        for (size_t c = 0; c < bl.cols.size(); ++c) {
          const impl::plane& pl = bl.planes[bl.cols[c].plane0];
          std::copy(bl.terms.begin() + pl.term0, bl.terms.begin() + pl.term1,
                    bl.fixed.begin() + c * width);
          bl.cmask.push_back(pl.complement ? 0xff : 0);
        }
      }
    }
    for (double v : out_bound) bound = std::max(bound, v);
    for (size_t i = 0; i < out_lo.size(); ++i)
      inner16 = inner16 && out_lo[i] >= -32768.0 && out_hi[i] <= 32767.0;
  }
  double wsum = 0;
  for (int64_t w : m.slice_weight) wsum += double(std::abs(w));
  m.acc32 = bound * wsum < 2147483647.0;
  // In int16 the OPC sums wrap, but their final values lie in the range: exact.
  m.narrow = m.full_scale <= 0xff && m.affine16 && inner16;
  const int max_digit = *std::max_element(m.digits.begin(), m.digits.end());
  m.one_plane = cb == 1;
  m.sum16 = !m.narrow && m.full_scale <= 0xffff && m.affine16 && inner16 &&
            kGroup * max_digit <= 0xff && counted_max * max_digit <= 0xff;
  p_ = std::move(p);
}

template <class U, class W, class A, bool S16>
void serial_product::impl::chunk(const int32_t* xk, int i0, int nv, int64_t* yk,
                                 const transient_reads& t) const {
  // Scratch per thread (and per lane type): chunks run in parallel.
  thread_local std::vector<U> table_buf, dig_buf;
  thread_local std::vector<uint8_t> xbits_buf;
  thread_local std::vector<A> acc_buf;
  /// A transient flip of one lane's read: column (index into a block's cols), lane, row, delta.
  struct lane_flip {
    int32_t col, lane, row, delta;
  };
  thread_local std::vector<lane_flip> flips;
  thread_local std::vector<cell_error> terrs;
  const int rows_alloc = ngroups * kGroup;
  if (table_buf.size() < size_t(kQuad) * ngroups * kPatterns * kLanes)
    table_buf.resize(size_t(kQuad) * ngroups * kPatterns * kLanes);
  if (dig_buf.size() < size_t(rows_alloc) * kLanes) dig_buf.resize(size_t(rows_alloc) * kLanes);
  if (xbits_buf.size() < size_t(rows_alloc) * kLanes) xbits_buf.resize(size_t(rows_alloc) * kLanes);
  if (acc_buf.size() < size_t(O) * slots * kLanes) acc_buf.resize(size_t(O) * slots * kLanes);
  using VU = typename lane_vector<U>::type;
  U* __restrict table = table_buf.data();
  U* __restrict dig = dig_buf.data();
  uint8_t* __restrict xbits = xbits_buf.data();
  A* __restrict acc = acc_buf.data();
  const size_t nx = digits.size() / size_t(nslices);
  for (int b = 0; b < int(blocks.size()); ++b) {
    const block& bl = blocks[size_t(b)];
    const int rows = std::min(R, K - b * R);
    // The groups this block's rows fill (a layer of fewer inputs than R rows has fewer): only
    // their tables are built, and the digits of rows_used rows are formed.
    const int ng = (rows + kGroup - 1) / kGroup, rows_used = ng * kGroup;
    std::fill(acc, acc + size_t(O) * slots * kLanes, A(0));
    // This block's transient flips for every lane's read, by column (the order the columns
    // are visited in below).
    flips.clear();
    if (t.on()) {
      for (int v = 0; v < nv; ++v) {
        terrs.clear();
        for (int x = 0; x < layer->xbars_per_block; ++x)
          transient_errors(*layer, t, b, x, i0 + v, terrs);
        for (const cell_error& e : terrs)
          flips.push_back({col_of[size_t(e.column)], v, e.row, e.delta});
      }
      std::sort(flips.begin(), flips.end(),
                [](const lane_flip& a, const lane_flip& c) { return a.col < c.col; });
    }
    // 1-bit digits of every slice at once, [row][lane] (absent rows and vectors 0), so that
    // the digits of one slice are a shift and a mask of whole words.
    const bool bits = sizeof(U) == 1 && !digit_bits.empty();
    if (bits) {
      std::fill(xbits, xbits + size_t(rows_used) * kLanes, uint8_t(0));
      for (int v = 0; v < nv; ++v) {
        const int32_t* x = xk + size_t(i0 + v) * K + size_t(b) * R;
        for (int r = 0; r < rows; ++r)
          xbits[size_t(r) * kLanes + v] = digit_bits[size_t(x[r] - xmin)];
      }
    }
    // 8-bit sums of 1-bit cells at a fixed width, no transient flips: the tables of kQuad
    // slices are built side by side, then every column visits them all at once (its term
    // offsets loaded once, its ADC and OPC for kQuad slices in one iteration).
    const bool quad = sizeof(W) == 2 && !S16 && one_plane && flips.empty() && nslices % kQuad == 0;
    VU tots[kQuad];
    for (int k = 0; k < nslices; ++k) {
      // DAC digits of slice k, row-major over the lanes; absent rows and vectors are 0.
      if (bits) {
        const uint64_t mask = 0x0101010101010101ull;
        for (size_t w = 0; w < size_t(rows_used) * kLanes / 8; ++w) {
          uint64_t word;
          std::memcpy(&word, xbits + 8 * w, 8);
          word = (word >> k) & mask;
          std::memcpy(dig + 8 * w, &word, 8);
        }
      } else {
        std::fill(dig, dig + size_t(rows_used) * kLanes, U(0));
        const uint8_t* dk = &digits[size_t(k) * nx];
        for (int v = 0; v < nv; ++v) {
          const int32_t* x = xk + size_t(i0 + v) * K + size_t(b) * R;
          for (int r = 0; r < rows; ++r) dig[size_t(r) * kLanes + v] = U(dk[x[r] - xmin]);
        }
      }
      VU tot = {}, row;
      for (int r = 0; r < rows; ++r) {
        load_lanes(row, dig + size_t(r) * kLanes);
        tot += row;
      }
      // Subset sums of every group of 8 rows: the 16 subset sums of its low 4 rows (lo) and of
      // its high 4 rows (hi), then entry (h << 4 | l) = hi[h] + lo[l]. Every entry is one add of
      // two values already at hand, with no chain through the table's stores.
      constexpr int kHalf = kGroup / 2, kHalfPatterns = 1 << kHalf;
      static_assert(kGroup % 2 == 0, "the table is built from two halves");
      if (quad) tots[k % kQuad] = tot;
      // With quad, the kQuad slices' entries of one subset side by side (entry e of slice k at
      // (e kQuad + k % kQuad) lanes), so that a column's loads of one term share cache lines.
      const size_t es = quad ? kQuad : 1;
      U* const tk = quad ? table + size_t(k % kQuad) * kLanes : table;
      for (int g = 0; g < ng; ++g) {
        U* t = tk + size_t(g) * kPatterns * es * kLanes;
        VU lo[kHalfPatterns], hi[kHalfPatterns];
        lo[0] = VU{};
        hi[0] = VU{};
        for (int q = 1; q < kHalfPatterns; ++q) {
          const int r = __builtin_ctz(unsigned(q));
          VU dl, dh;
          load_lanes(dl, dig + size_t(g * kGroup + r) * kLanes);
          load_lanes(dh, dig + size_t(g * kGroup + kHalf + r) * kLanes);
          lo[q] = lo[q & (q - 1)] + dl;
          hi[q] = hi[q & (q - 1)] + dh;
        }
        for (int h = 0; h < kHalfPatterns; ++h)
          for (int q = 0; q < kHalfPatterns; ++q)
            store_lanes(t + size_t(h * kHalfPatterns + q) * es * kLanes, VU(hi[h] + lo[q]));
      }
      const A wk = A(slice_weight[size_t(k)]);
      // 8-bit sums widened to 16 bits by interleaving with zeros (vpunpcklbw / vpunpckhbw): the
      // 16-bit lanes hold the vectors in the order of lane_position, kept up to the vote.
      typedef uint16_t v16u16 __attribute__((vector_size(32)));
      typedef int16_t v16i16 __attribute__((vector_size(32)));
      auto widen = [](const VU& v, v16u16* w) {
        if constexpr (sizeof(U) == 1) {
          const VU zero = {};
          w[0] = v16u16(__builtin_shufflevector(v, zero, 0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37,
                                                6, 38, 7, 39, 16, 48, 17, 49, 18, 50, 19, 51, 20,
                                                52, 21, 53, 22, 54, 23, 55));
          w[1] = v16u16(__builtin_shufflevector(v, zero, 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13,
                                                45, 14, 46, 15, 47, 24, 56, 25, 57, 26, 58, 27, 59,
                                                28, 60, 29, 61, 30, 62, 31, 63));
        }
      };
      // S16: the digit total in 16 bits, from the groups' full entries (each at most 255).
      v16u16 tot16[2] = {};
      if constexpr (S16) {
        for (int g = 0; g < ng; ++g) {
          VU e;
          v16u16 w[2];
          load_lanes(e, table + (size_t(g) * kPatterns + kPatterns - 1) * kLanes);
          widen(e, w);
          tot16[0] += w[0];
          tot16[1] += w[1];
        }
      }
      // The table entries of one plane, added in the lanes' modular arithmetic (two sums side by
      // side: the table loads are independent).
      auto term_sum = [&](const block& bl, const plane& pl, VU& sum) {
        VU ps = {}, ps2 = {}, ps3 = {}, ps4 = {}, e;
        for (uint32_t t = pl.term0; t < pl.term1; t += 4) {
          load_lanes(e, table + bl.terms[t]);
          ps += e;
          load_lanes(e, table + bl.terms[t + 1]);
          ps2 += e;
          load_lanes(e, table + bl.terms[t + 2]);
          ps3 += e;
          load_lanes(e, table + bl.terms[t + 3]);
          ps4 += e;
        }
        ps += ps3;
        ps2 += ps4;
        sum = ps + ps2;
      };
      // A column's planes added into @p sumv: each plane's table sum, its complement where the
      // plane is mostly ones, weighted 2^shift by doubling (x86 has no 8-bit shifts).
      auto planes_sum = [&](const block& bl, const column& co, VU& sumv) {
        for (uint32_t pi = co.plane0; pi < co.plane1; ++pi) {
          const plane& pl = bl.planes[pi];
          VU ps;
          term_sum(bl, pl, ps);
          if (pl.complement) ps = tot - ps;
          for (int j = 0; j < pl.shift; ++j) ps += ps;
          sumv += ps;
        }
      };
      if constexpr (sizeof(W) == 2 && !S16) {
        if (quad) {
          if (k % kQuad != kQuad - 1) continue;
          const int k0 = k - (kQuad - 1);
          const affine_floor f1 = to_code16, f2 = to_value16;
          const int16_t top = int16_t(top_code);
          for (const output& ou : bl.outs) {
            alignas(64) W inner4[kQuad][2 * (16 + 1)][kLanes];
            for (int q = 0; q < kQuad; ++q)
              for (int s = 0; s < 2 * slots; ++s)
                std::fill(inner4[q][s], inner4[q][s] + kLanes, W(0));
            for (uint32_t c = ou.col0; c < ou.col1; ++c) {
              const column& co = bl.cols[c];
              // Fixed width, or the plane's own terms.
              const plane& pl = bl.planes[co.plane0];
              const uint32_t* tp =
                  bl.width ? bl.fixed.data() + size_t(c) * bl.width : bl.terms.data() + pl.term0;
              const uint32_t nt = bl.width ? bl.width : pl.term1 - pl.term0;
              const U mask = bl.width ? U(bl.cmask[c]) : U(0 - U(pl.complement));
              VU ps[kQuad] = {}, e;
              for (uint32_t j = 0; j < nt; ++j) {
                const U* te = table + size_t(tp[j]) * kQuad;
                for (int q = 0; q < kQuad; ++q) {
                  load_lanes(e, te + q * kLanes);
                  ps[q] += e;
                }
              }
              const VU m = VU{} + mask;
              for (int q = 0; q < kQuad; ++q) {
                v16u16 halves[2];
                widen(VU(((ps[q] ^ m) - m) + (tots[q] & m)), halves);
                W* sum = inner4[q][2 * co.slot + co.negative];
                for (int h = 0; h < 2; ++h) {
                  v16i16 code = v16i16((halves[h] * uint16_t(f1.a) + uint16_t(f1.b)) >> f1.shift);
                  if (clamp16) code = code > top ? top : code;  // vpminsw
                  const v16i16 value = v16i16(
                      ((v16u16(code) * uint16_t(f2.a) + uint16_t(f2.b)) >> f2.shift) << co.shift);
                  v16i16 in;
                  std::memcpy(&in, sum + 16 * h, sizeof in);
                  in += value;
                  std::memcpy(sum + 16 * h, &in, sizeof in);
                }
              }
            }
            A* __restrict a = acc + size_t(ou.out) * slots * kLanes;
            for (int q = 0; q < kQuad; ++q) {
              const A wq = A(slice_weight[size_t(k0 + q)]);
              for (int s = 0; s < slots; ++s)
#pragma omp simd
                for (int v = 0; v < kLanes; ++v)
                  a[size_t(s) * kLanes + v] +=
                      A(W(inner4[q][2 * s][v] - inner4[q][2 * s + 1][v])) * wq;
            }
          }
          continue;
        }
      }
      size_t next_flip = 0;
      for (const output& ou : bl.outs) {
        // Sums per slot; in int16, the columns of positive and negative weight apart (slot
        // 2 s + negative), so that no column chooses between an add and a subtract.
        constexpr int kInner = sizeof(W) == 2 ? 2 : 1;
        alignas(64) W inner[kInner * (16 + 1)][kLanes];
        for (int s = 0; s < kInner * slots; ++s) std::fill(inner[s], inner[s] + kLanes, W(0));
        for (uint32_t c = ou.col0; c < ou.col1; ++c) {
          const column& co = bl.cols[c];
          if constexpr (sizeof(W) == 2) {
            // 8-bit tables, ADC in uint16 and OPC in int16, 16 lanes per native vector (the
            // native width keeps GCC's generic vectors from falling back to scalars).
            static_assert(kLanes == 32 && sizeof(U) == 1, "two halves of 16 8-bit sums");
            v16u16 halves[2];
            if constexpr (!S16) {
              // The column sum in 8 bits (it lies in 0..full_scale <= 255), then widened.
              VU sumv = {};
              if (bl.width) {
                // Fixed width: the terms of column c at a place known without loads, and
                // the complement as above.
                const uint32_t* tp = bl.fixed.data() + size_t(c) * bl.width;
                VU ps = {}, ps2 = {}, ps3 = {}, ps4 = {}, e;
                for (uint32_t j = 0; j < bl.width; j += 4) {
                  load_lanes(e, table + tp[j]);
                  ps += e;
                  load_lanes(e, table + tp[j + 1]);
                  ps2 += e;
                  load_lanes(e, table + tp[j + 2]);
                  ps3 += e;
                  load_lanes(e, table + tp[j + 3]);
                  ps4 += e;
                }
                sumv = (ps + ps3) + (ps2 + ps4);
                const VU m = VU{} + U(bl.cmask[c]);
                sumv = ((sumv ^ m) - m) + (tot & m);
              } else if (one_plane) {
                // One plane of weight 1; the complement without a branch: with m = 0xff in
                // every lane, (ps ^ m) - m = -ps, and tot & m = tot.
                const plane& pl = bl.planes[co.plane0];
                term_sum(bl, pl, sumv);
                const VU m = VU{} - U(pl.complement);
                sumv = ((sumv ^ m) - m) + (tot & m);
              } else {
                planes_sum(bl, co, sumv);
              }
              widen(sumv, halves);
            } else {
              // Each plane's table sum is exact in 8 bits; complement and weight in 16.
              halves[0] = halves[1] = v16u16{};
              for (uint32_t pi = co.plane0; pi < co.plane1; ++pi) {
                const plane& pl = bl.planes[pi];
                VU ps;
                term_sum(bl, pl, ps);
                v16u16 w[2];
                widen(ps, w);
                for (int h = 0; h < 2; ++h) {
                  if (pl.complement) w[h] = tot16[h] - w[h];
                  halves[h] += w[h] << pl.shift;
                }
              }
            }
            // Transient flips of this column: delta x DAC level, before the ADC (the sum stays in
            // 0..full_scale, so the lanes' modular arithmetic is exact).
            if (next_flip < flips.size() && flips[next_flip].col == int32_t(c)) {
              alignas(64) uint16_t sum[kLanes];
              std::memcpy(sum, halves, sizeof sum);
              for (; next_flip < flips.size() && flips[next_flip].col == int32_t(c); ++next_flip) {
                const lane_flip& f = flips[next_flip];
                uint16_t& s = sum[lane_position(f.lane)];
                s = uint16_t(int64_t(s) +
                             int64_t(f.delta) * int64_t(dig[size_t(f.row) * kLanes + f.lane]));
              }
              std::memcpy(halves, sum, sizeof sum);
            }
            const affine_floor f1 = to_code16, f2 = to_value16;
            const int16_t top = int16_t(top_code);
            for (int h = 0; h < 2; ++h) {
              v16i16 code = v16i16((halves[h] * uint16_t(f1.a) + uint16_t(f1.b)) >> f1.shift);
              if (clamp16) code = code > top ? top : code;  // vpminsw
              const v16i16 value = v16i16(
                  ((v16u16(code) * uint16_t(f2.a) + uint16_t(f2.b)) >> f2.shift) << co.shift);
              v16i16 in;
              W* sum = inner[2 * co.slot + co.negative] + 16 * h;
              std::memcpy(&in, sum, sizeof in);
              in += value;
              std::memcpy(sum, &in, sizeof in);
            }
            continue;
          }
          // The column sum, exact in the lanes' width (modulo 2^bits, and it lies in
          // 0..full_scale).
          VU sumv = {};
          planes_sum(bl, co, sumv);
          // Transient flips of this column: delta x DAC level, before the ADC.
          if (next_flip < flips.size() && flips[next_flip].col == int32_t(c)) {
            alignas(64) U sum[kLanes];
            store_lanes(sum, sumv);
            for (; next_flip < flips.size() && flips[next_flip].col == int32_t(c); ++next_flip) {
              const lane_flip& f = flips[next_flip];
              sum[f.lane] = U(int64_t(sum[f.lane]) +
                              int64_t(f.delta) * int64_t(dig[size_t(f.row) * kLanes + f.lane]));
            }
            load_lanes(sumv, sum);
          }
          alignas(64) U sum[kLanes];
          store_lanes(sum, sumv);
          alignas(64) W conv[kLanes];
          if (affine) {
            const affine_floor f1 = to_code, f2 = to_value;
            const int32_t top = top_code;
#pragma omp simd
            for (int v = 0; v < kLanes; ++v) {
              int32_t code = (int32_t(sum[v]) * f1.a + f1.b) >> f1.shift;
              code = code < top ? code : top;
              conv[v] = W((code * f2.a + f2.b) >> f2.shift);
            }
          } else {
            for (int v = 0; v < kLanes; ++v)
              conv[v] = W(sizeof(U) < 4 ? adc[sum[v]] : converter->convert(int64_t(sum[v])));
          }
          // OPC: shift, sign, add into the column's output (plain) or candidate.
          W* __restrict in = inner[co.slot];
          const int sh = co.shift;
          if (co.negative)
#pragma omp simd
            for (int v = 0; v < kLanes; ++v) in[v] = W(in[v] - W(conv[v] << sh));
          else
#pragma omp simd
            for (int v = 0; v < kLanes; ++v) in[v] = W(in[v] + W(conv[v] << sh));
        }
        A* __restrict a = acc + size_t(ou.out) * slots * kLanes;
        for (int s = 0; s < slots; ++s)
#pragma omp simd
          for (int v = 0; v < kLanes; ++v) {
            // int16: positive minus negative, wrapping; the result lies in the int16 range.
            const W in = kInner == 2 ? W(inner[2 * s][v] - inner[2 * s + 1][v]) : inner[s][v];
            a[size_t(s) * kLanes + v] += A(in) * wk;
          }
      }
    }
    // Voting unit and tile accumulator, as vote_accumulate.
    for (const output& ou : bl.outs) {
      const A* a = acc + size_t(ou.out) * slots * kLanes;
      for (int u = 0; u < nv; ++u) {
        // Where vector u's sums are: in the interleaved order of the 16-bit path, else in order.
        const int v = sizeof(W) == 2 ? lane_position(u) : u;
        int64_t& y = yk[size_t(i0 + u) * O + ou.out];
        y += int64_t(a[v]);
        if (T == 3) {
          y += int64_t(median3(a[kLanes + v], a[2 * kLanes + v], a[3 * kLanes + v]));
        } else if (T > 1) {
          int64_t votes[16];
          for (int t = 0; t < T; ++t) votes[t] = int64_t(a[size_t(1 + t) * kLanes + v]);
          y += median(votes, T);
        }
      }
    }
  }
}

const char* serial_product::lanes() const {
  const impl& m = *p_;
  if (m.narrow) return "8-bit sums, int16 OPC";
  if (m.sum16) return "8-bit tables, 16-bit sums, int16 OPC";
  if (m.full_scale <= 0xff) return "8-bit sums";
  return m.full_scale <= 0xffff ? "16-bit sums" : "32-bit sums";
}

void serial_product::run(const int32_t* xk, int n, int64_t* yk, const transient_reads& t) const {
  const impl& m = *p_;
  std::fill(yk, yk + size_t(n) * m.O, 0);
  const int chunks = (n + kLanes - 1) / kLanes;
  // Chunks of vectors are independent (disjoint outputs), so threads cannot change a result.
#pragma omp parallel for schedule(dynamic)
  for (int c = 0; c < chunks; ++c) {
    const int i0 = c * kLanes, nv = std::min(kLanes, n - i0);
    if (m.narrow)
      m.acc32 ? m.chunk<uint8_t, int16_t, int32_t>(xk, i0, nv, yk, t)
              : m.chunk<uint8_t, int16_t, int64_t>(xk, i0, nv, yk, t);
    else if (m.sum16)
      m.acc32 ? m.chunk<uint8_t, int16_t, int32_t, true>(xk, i0, nv, yk, t)
              : m.chunk<uint8_t, int16_t, int64_t, true>(xk, i0, nv, yk, t);
    else if (m.full_scale <= 0xff)
      m.acc32 ? m.chunk<uint8_t, int32_t, int32_t>(xk, i0, nv, yk, t)
              : m.chunk<uint8_t, int64_t, int64_t>(xk, i0, nv, yk, t);
    else if (m.full_scale <= 0xffff)
      m.acc32 ? m.chunk<uint16_t, int32_t, int32_t>(xk, i0, nv, yk, t)
              : m.chunk<uint16_t, int64_t, int64_t>(xk, i0, nv, yk, t);
    else
      m.acc32 ? m.chunk<uint32_t, int32_t, int32_t>(xk, i0, nv, yk, t)
              : m.chunk<uint32_t, int64_t, int64_t>(xk, i0, nv, yk, t);
  }
}

}  // namespace rramft
