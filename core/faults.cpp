#include "core/faults.h"

#include <cmath>

namespace rramft {

uint64_t probability_threshold(double p) {
  if (!(p > 0)) return 0;
  if (p >= 1) return ~0ull;  // every hash is below it (see the != ~0 checks)
  return uint64_t(std::ldexp(p, 64));
}

fault_map::fault_map(const arch_spec::fault_spec& f, uint64_t seed, int cell_bits)
    : seed_(seed),
      seed_key_(mix64(seed ^ 0x72722d616d667400ull)),
      stuck_thr_(probability_threshold(f.rate)),
      sa0_thr_(probability_threshold(f.sa0_fraction())),
      flip_thr_(probability_threshold(f.transient_rate)),
      every_cell_flips_(f.transient_rate >= 1),
      inv_log_keep_(
          f.transient_rate > 0 && f.transient_rate < 1 ? 1.0 / std::log1p(-f.transient_rate) : 0.0),
      cell_bits_(cell_bits),
      max_level_((1 << cell_bits) - 1),
      variation_(f.variation),
      log_sigma_(std::sqrt(std::log1p(f.variation * f.variation))),
      read_noise_(f.read_noise),
      lognormal_(f.variation_dist == variation_model::lognormal) {}

}  // namespace rramft
