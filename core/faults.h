#pragma once
/// @file faults.h
/// @brief Fault maps are a property of the chip: the state of a cell is a pure function of
/// (seed, crossbar id, row, column), independent of what is mapped, so one chip can be
/// reused across mappings and the same seed always gives the same cells. A cell is stuck
/// when a 64-bit hash of its address falls below rate * 2^64; the faulty set at a lower rate
/// is therefore a subset of the set at a higher rate (curves over rates are monotone per chip).
#include <cstdint>

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

/// @brief Converts a probability to a 64-bit threshold: an event happens when hash < threshold.
uint64_t probability_threshold(double p);

/// @brief The stuck-at and transient fault map of one chip.
class fault_map {
 public:
  /// @brief @p seed identifies the chip; rates and the SA0:SA1 ratio come from @p f.
  fault_map(const arch_spec::fault_spec& f, uint64_t seed, int cell_bits);

  /// @brief Key of crossbar @p xbar, hashed once and reused for all its cells.
  uint64_t crossbar_key(uint64_t xbar) const { return mix64(seed_key_ ^ mix64(xbar)); }
  /// @brief Stuck-at state of cell (row, col) of the crossbar with key @p xkey.
  stuck stuck_at(uint64_t xkey, int row, int col) const {
    if (stuck_thr_ == 0) return stuck::none;
    const uint64_t h = mix64(xkey ^ ((uint64_t(row) << 32) | uint32_t(col)));
    if (h >= stuck_thr_ && stuck_thr_ != ~0ull) return stuck::none;
    return mix64(h ^ 0x5a5a5a5a5a5a5a5aull) < sa0_thr_ ? stuck::sa0 : stuck::sa1;
  }
  /// @brief Key of crossbar @p xkey during evaluation @p epoch, for transient flips.
  uint64_t epoch_key(uint64_t xkey, uint64_t epoch) const {
    return mix64(xkey ^ 0x7472616e7369656eull ^ mix64(epoch));
  }
  /// @brief Bit of cell (row, col) read flipped in the epoch with key @p ekey, or -1.
  int transient_bit(uint64_t ekey, int row, int col) const {
    if (flip_thr_ == 0) return -1;
    const uint64_t h = mix64(ekey ^ ((uint64_t(row) << 32) | uint32_t(col)));
    if (h >= flip_thr_ && flip_thr_ != ~0ull) return -1;
    return int(mix64(h) % uint64_t(cell_bits_));
  }
  /// @brief The level a cell programmed to @p programmed reads, given its faults.
  int apply(int programmed, stuck s, int flip_bit) const {
    int v = s == stuck::sa0 ? 0 : s == stuck::sa1 ? max_level_ : programmed;
    if (flip_bit >= 0) v ^= 1 << flip_bit;
    return v;
  }
  /// @brief The level cell (row, col) reads in evaluation @p epoch.
  int read(int programmed, uint64_t xkey, uint64_t epoch, int row, int col) const {
    return apply(programmed, stuck_at(xkey, row, col),
                 transient_bit(epoch_key(xkey, epoch), row, col));
  }
  bool any() const { return stuck_thr_ != 0 || flip_thr_ != 0; }
  bool has_transients() const { return flip_thr_ != 0; }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_, seed_key_;
  uint64_t stuck_thr_, sa0_thr_, flip_thr_;
  int cell_bits_, max_level_;
};

}  // namespace rramft
