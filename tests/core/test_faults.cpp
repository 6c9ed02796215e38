#include <catch2/catch.hpp>

#include "core/faults.h"

using namespace rramft;

namespace {
struct census {
  int64_t sa0 = 0, sa1 = 0, cells = 0;
};
census count(const fault_map& f, uint64_t xbars, int R, int C) {
  census c;
  for (uint64_t x = 0; x < xbars; ++x) {
    const uint64_t key = f.crossbar_key(x);
    for (int r = 0; r < R; ++r)
      for (int col = 0; col < C; ++col) {
        const stuck s = f.stuck_at(key, r, col);
        c.sa0 += s == stuck::sa0;
        c.sa1 += s == stuck::sa1;
        ++c.cells;
      }
  }
  return c;
}
}  // namespace

TEST_CASE("stuck-at rate and SA0:SA1 ratio match the configuration", "[faults]") {
  arch_spec::fault_spec fs;
  fs.rate = 0.01;
  fault_map f(fs, 42, 1);
  census c = count(f, 64, 128, 128);  // 1M cells, ~10486 faults
  const double rate = double(c.sa0 + c.sa1) / c.cells;
  CHECK(rate == Approx(0.01).margin(0.0006));  // > 6 sigma
  const double sa0_share = double(c.sa0) / double(c.sa0 + c.sa1);
  CHECK(sa0_share == Approx(1.75 / (1.75 + 9.04)).margin(0.02));
}

TEST_CASE("fault maps derive from (seed, crossbar, cell) alone", "[faults][determinism]") {
  arch_spec::fault_spec fs;
  fs.rate = 0.05;
  fault_map a(fs, 7, 1), b(fs, 7, 1), other(fs, 8, 1);
  int same = 0, differ = 0;
  for (uint64_t x : {0ull, 3ull, 1000ull})
    for (int r = 0; r < 128; ++r)
      for (int c = 0; c < 128; ++c) {
        REQUIRE(a.stuck_at(a.crossbar_key(x), r, c) == b.stuck_at(b.crossbar_key(x), r, c));
        const bool fa = a.stuck_at(a.crossbar_key(x), r, c) != stuck::none;
        const bool fo = other.stuck_at(other.crossbar_key(x), r, c) != stuck::none;
        same += fa && fo;
        differ += fa != fo;
      }
  CHECK(differ > 20 * same);  // another seed is another chip
}

TEST_CASE("a lower rate's faulty cells are a subset of a higher rate's", "[faults]") {
  arch_spec::fault_spec lo, hi;
  lo.rate = 0.002;
  hi.rate = 0.02;
  fault_map fl(lo, 5, 1), fh(hi, 5, 1);
  int n_lo = 0;
  for (int r = 0; r < 128; ++r)
    for (int c = 0; c < 128; ++c)
      for (uint64_t x = 0; x < 8; ++x)
        if (fl.stuck_at(fl.crossbar_key(x), r, c) != stuck::none) {
          ++n_lo;
          REQUIRE(fh.stuck_at(fh.crossbar_key(x), r, c) == fl.stuck_at(fl.crossbar_key(x), r, c));
        }
  CHECK(n_lo > 100);
}

TEST_CASE("transient flips change with the epoch, stuck cells do not", "[faults]") {
  arch_spec::fault_spec fs;
  fs.rate = 0.0;
  fs.transient_rate = 0.01;
  fault_map f(fs, 3, 2);
  const uint64_t key = f.crossbar_key(11);
  int e0 = 0, both = 0;
  for (int r = 0; r < 128; ++r)
    for (int c = 0; c < 128; ++c) {
      const int b0 = f.transient_bit(f.epoch_key(key, 0), r, c);
      const int b1 = f.transient_bit(f.epoch_key(key, 1), r, c);
      REQUIRE(b0 < 2);
      e0 += b0 >= 0;
      both += b0 >= 0 && b1 >= 0;
      REQUIRE(f.stuck_at(key, r, c) == stuck::none);
    }
  CHECK(e0 > 100);
  CHECK(both < e0 / 5);
  CHECK(f.apply(2, stuck::none, 0) == 3);
  CHECK(f.apply(2, stuck::sa0, -1) == 0);
  CHECK(f.apply(0, stuck::sa1, -1) == 3);
  CHECK(f.apply(3, stuck::sa1, 1) == 1);
}
