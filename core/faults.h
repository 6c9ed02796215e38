#pragma once
/// @file faults.h
/// @brief Fault maps are a property of the chip: the state of a cell is a pure function of
/// (seed, crossbar id, row, column), independent of what is mapped, so one chip can be
/// reused across mappings and the same seed always gives the same cells. A cell is stuck
/// when a 64-bit hash of its address falls below rate * 2^64; the faulty set at a lower rate
/// is therefore a subset of the set at a higher rate (curves over rates are monotone per chip).
/// Transient faults are drawn per read: which cells of a crossbar read one bit flipped is a
/// pure function of (seed, crossbar id, input index, read index within the input), so every
/// image, every output position of a convolution and every token sees its own flips, and the
/// accuracy engine and the chip model, which both call for_each_flip with the same keys, see
/// the same ones.
#include <algorithm>
/// Analog non-idealities (issue 20) follow the same rule: a cell's programming error
/// (conductance variation) is a pure function of (seed, crossbar id, row, column), and the
/// read noise of a column is a pure function of (seed, crossbar id, input index, read index,
/// input slice, column).
#include <cmath>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/spec.h"

namespace rramft {

enum class stuck : uint8_t { none, sa0, sa1 };

/// @brief SplitMix64 finaliser: the hash behind every random decision of the model.
inline uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// @brief A standard normal deviate from the 64-bit hash @p h (Box-Muller on two uniforms
/// drawn from h and from a second hash of it).
inline double gaussian_of(uint64_t h) {
  const double u1 = double((h >> 11) + 1) * 0x1p-53;  // (0, 1]
  const double u2 = double(mix64(h ^ 0x676175737369616eull) >> 11) * 0x1p-53;
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// @brief Converts a probability to a 64-bit threshold: an event happens when hash < threshold.
uint64_t probability_threshold(double p);

/// @brief A measured fault map (fault.map; format in docs/faults.md): the stuck cells of the
/// crossbars it lists. A listed chip's stuck cells are exactly these; crossbars it does not
/// list have none.
struct stuck_table {
  struct cell {
    uint32_t index;  ///< row * cols + col
    stuck s;
  };
  std::string path;  ///< the file, for messages
  int rows = 0, cols = 0;
  std::unordered_map<uint64_t, std::vector<cell>> xbars;  ///< crossbar id -> cells, index ascending
  size_t cells = 0;                                       ///< stuck cells in all
};

/// @brief The fault map text @p text (file @p path) for crossbars of @p a's size on a chip of
/// @p chip_xbars crossbars (the chip model's tiles.count x tiles.crossbars): version line, header,
/// one stuck cell a line. Anything else (a cell outside the chip, an unknown type, a cell twice, a
/// malformed line) throws rramft::error "<path>:<line>: <what>".
stuck_table parse_stuck_table(const std::string& text, const std::string& path, const arch_spec& a,
                              uint64_t chip_xbars);

class fault_map;
/// @brief Writes, in the fault map format, the stuck cells that chip @p f has in crossbars
/// 0..@p xbars-1 of @p rows x @p cols cells; @p comment (one line, may be empty) goes into a
/// comment line after the version line.
void write_stuck_table(std::ostream& os, const fault_map& f, uint64_t xbars, int rows, int cols,
                       const std::string& comment);

/// @brief One crossbar of a chip, looked up once and reused for all its cells.
struct xbar_ref {
  uint64_t key;                                  ///< hash key of the crossbar (seed, id)
  const std::vector<stuck_table::cell>* listed;  ///< a measured map's cells; null: drawn
  uint64_t thr;  ///< drawn cells: threshold of a cell (of a cluster's corner when clustered)
};

/// @brief A draw of Gamma(shape 1/cv^2, scale cv^2) (mean 1, coefficient of variation @p cv)
/// from the hash stream started by @p key (Marsaglia and Tsang, ACM TOMS 2000).
double gamma_mean1(double cv, uint64_t key);

/// @brief The stuck-at fault map of one chip and its transient flips per read.
class fault_map {
 public:
  /// @brief @p seed identifies the chip; rates and the SA0:SA1 ratio come from @p f, and the
  /// stuck cells from f.table when a measured map is given.
  fault_map(const arch_spec::fault_spec& f, uint64_t seed, int cell_bits);

  /// @brief Crossbar @p xbar: its key, and its cells when the chip has a measured map.
  xbar_ref crossbar(uint64_t xbar) const {
    xbar_ref x{mix64(seed_key_ ^ mix64(xbar)), nullptr, cell_thr_};
    if (table_) {
      const auto it = table_->xbars.find(xbar);
      x.listed = it == table_->xbars.end() ? &no_cells_ : &it->second;
    } else if (spread_ > 0 && rate_ > 0) {
      x.thr = cell_threshold(rate_ * gamma_mean1(spread_, x.key ^ 0x7370726561640000ull));
    }
    return x;
  }
  /// @brief Stuck-at state of cell (row, col) of crossbar @p x.
  stuck stuck_at(const xbar_ref& x, int row, int col) const {
    if (x.listed) {
      const uint32_t i = uint32_t(row) * uint32_t(table_->cols) + uint32_t(col);
      const auto it =
          std::lower_bound(x.listed->begin(), x.listed->end(), i,
                           [](const stuck_table::cell& c, uint32_t v) { return c.index < v; });
      return it != x.listed->end() && it->index == i ? it->s : stuck::none;
    }
    if (lines_) {  // a failed word line or bit line: all its cells stuck alike
      const uint64_t w = mix64(x.key ^ 0x776f72646c696e65ull ^ mix64(uint64_t(row)));
      if (w < wordline_thr_) return type_of(w);
      const uint64_t b = mix64(x.key ^ 0x6269746c696e6500ull ^ mix64(uint64_t(col)));
      if (b < bitline_thr_) return type_of(b);
    }
    if (x.thr == 0) return stuck::none;
    if (cluster_ > 1) {  // covered by a cluster whose corner is up to cluster-1 cells above-left
      for (int dr = 0; dr < cluster_; ++dr)
        for (int dc = 0; dc < cluster_; ++dc) {
          const uint64_t h = mix64(x.key ^ 0x636c757374657200ull ^
                                   ((uint64_t(uint32_t(row - dr)) << 32) | uint32_t(col - dc)));
          if (h < x.thr || x.thr == ~0ull) return type_of(h);
        }
      return stuck::none;
    }
    const uint64_t h = mix64(x.key ^ ((uint64_t(row) << 32) | uint32_t(col)));
    if (h >= x.thr && x.thr != ~0ull) return stuck::none;
    return type_of(h);
  }
  /// @brief Key of one read: input vector @p read of input @p input (an image or a token
  /// sequence; see read_window) through crossbar @p x.
  uint64_t read_key(const xbar_ref& x, uint64_t input, uint64_t read) const {
    return mix64(x.key ^ 0x7472616e7369656eull ^ mix64(mix64(input) + read));
  }
  /// @brief Calls @p flip(row, col, bit) for every cell of rows 0..rows-1 of a crossbar of
  /// @p cols columns that reads bit @p bit of its level flipped during the read with key
  /// @p rkey, in row-major order. Each cell flips independently with probability
  /// transient_rate, its bit uniform over the cell's bits. The flipped cells are drawn as
  /// geometric gaps over the row-major cell index (P(gap >= k) = (1 - rate)^k, from one hash
  /// per flip), so a read costs O(flips), not O(cells); the cells of rows 0..rows-1 are those
  /// of the whole crossbar restricted to them.
  template <class F>
  void for_each_flip(uint64_t rkey, int rows, int cols, F flip) const {
    if (flip_thr_ == 0 || rows <= 0 || cols <= 0) return;
    const uint64_t total = uint64_t(rows) * uint64_t(cols);
    uint64_t j = 0, s = rkey;
    for (;;) {
      s = mix64(s);
      if (!every_cell_flips_) {
        // u uniform in (0, 1]; gap = floor(log u / log(1 - rate)).
        const double u = double((s >> 11) + 1) * 0x1p-53;
        const double g = std::log(u) * inv_log_keep_;
        if (!(g < double(total - j))) return;
        j += uint64_t(g);
      }
      flip(int(j / uint64_t(cols)), int(j % uint64_t(cols)),
           int(mix64(s ^ 0x626974626974ull) % uint64_t(cell_bits_)));
      if (++j >= total) return;
    }
  }
  /// @brief The level a cell programmed to @p programmed reads, given its stuck state and the
  /// bit flipped during this read (-1: none).
  int apply(int programmed, stuck s, int flip_bit) const {
    int v = s == stuck::sa0 ? 0 : s == stuck::sa1 ? max_level_ : programmed;
    if (flip_bit >= 0) v ^= 1 << flip_bit;
    return v;
  }
  /// @brief Factor by which cell (row, col) of the crossbar with key @p xkey holds its level:
  /// 1 + variation x z (gaussian, clamped at 0: a conductance is never negative) or
  /// exp(s z - s^2/2) with s^2 = ln(1 + variation^2) (lognormal); both have mean 1 and standard
  /// deviation `fault.variation` (the lognormal exactly, the gaussian up to the clamp).
  double variation_factor(uint64_t xkey, int row, int col) const {
    if (!(variation_ > 0)) return 1.0;
    const double z =
        gaussian_of(mix64(xkey ^ 0x7661726961746eull ^ ((uint64_t(row) << 32) | uint32_t(col))));
    if (lognormal_) return std::exp(log_sigma_ * z - 0.5 * log_sigma_ * log_sigma_);
    const double f = 1.0 + variation_ * z;
    return f > 0 ? f : 0.0;
  }
  /// @brief Standard normal deviate of the read noise of column @p col during input slice
  /// @p slice of the read with key @p rkey (read_key).
  double read_noise_z(uint64_t rkey, int slice, int col) const {
    return gaussian_of(
        mix64(rkey ^ 0x6e6f697365ull ^ mix64((uint64_t(slice) << 32) | uint32_t(col))));
  }
  double variation() const { return variation_; }
  double read_noise() const { return read_noise_; }
  bool has_variation() const { return variation_ > 0; }
  bool has_read_noise() const { return read_noise_ > 0; }
  /// @brief Column sums are analog (not integers): variation or read noise is on.
  bool analog() const { return has_variation() || has_read_noise(); }
  bool has_stuck() const { return table_ ? table_->cells > 0 : stuck_thr_ != 0 || lines_; }
  /// @brief The measured map the stuck cells come from (null: drawn from the seed).
  const stuck_table* table() const { return table_.get(); }
  bool has_transients() const { return flip_thr_ != 0; }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_, seed_key_;
  uint64_t stuck_thr_, sa0_thr_, flip_thr_;
  bool every_cell_flips_;  ///< transient_rate 1
  double inv_log_keep_;    ///< 1 / log(1 - transient_rate), when below 1
  int cell_bits_, max_level_;
  double variation_ = 0, log_sigma_ = 0, read_noise_ = 0;
  bool lognormal_ = false;
  std::shared_ptr<const stuck_table> table_;
  double rate_, spread_;                 ///< fault.rate, fault.spread
  int cluster_;                          ///< fault.cluster
  uint64_t cell_thr_;                    ///< threshold of a cell (or cluster corner) at rate_
  uint64_t wordline_thr_, bitline_thr_;  ///< thresholds of a failed line
  bool lines_;                           ///< some line fails
  stuck type_of(uint64_t h) const {
    return mix64(h ^ 0x5a5a5a5a5a5a5a5aull) < sa0_thr_ ? stuck::sa0 : stuck::sa1;
  }
  /// Threshold of a cell (independent) or of a cluster corner, at cell rate @p rate.
  uint64_t cell_threshold(double rate) const;
  static const std::vector<stuck_table::cell> no_cells_;
};

}  // namespace rramft
