#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

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

namespace {
struct flip {
  int row, col, bit;
  bool operator==(const flip& o) const { return row == o.row && col == o.col && bit == o.bit; }
};
std::vector<flip> flips_of(const fault_map& f, uint64_t rkey, int rows, int cols) {
  std::vector<flip> v;
  f.for_each_flip(rkey, rows, cols, [&](int r, int c, int b) { v.push_back({r, c, b}); });
  return v;
}
/// |observed - n p| within 5 standard deviations of Binomial(n, p).
void within_binomial(double observed, double n, double p) {
  const double mean = n * p, sd = std::sqrt(n * p * (1 - p));
  INFO("observed " << observed << ", binomial mean " << mean << ", sd " << sd);
  CHECK(std::fabs(observed - mean) <= 5 * sd);
}
}  // namespace

TEST_CASE("transient flips per read: the configured rate, uniform bits, independent reads",
          "[faults][transient]") {
  const int rows = 64, cols = 128, reads = 2000;
  for (double rate : {0.01, 0.0005}) {
    INFO("transient rate " << rate);
    arch_spec::fault_spec fs;
    fs.rate = 0.0;
    fs.transient_rate = rate;
    const fault_map f(fs, 3, 2);
    REQUIRE(f.has_transients());
    REQUIRE_FALSE(f.has_stuck());
    const uint64_t key = f.crossbar_key(11);
    double flips = 0, bit1 = 0, top_half = 0, overlap = 0;
    std::vector<uint8_t> prev(size_t(rows) * cols, 0), cur(prev.size());
    for (int i = 0; i < reads; ++i) {
      std::fill(cur.begin(), cur.end(), 0);
      // Input i / 4, read i % 4: four reads per input (convolution positions, say).
      for (const flip& fl :
           flips_of(f, f.read_key(key, uint64_t(i / 4), uint64_t(i % 4)), rows, cols)) {
        REQUIRE(fl.row >= 0);
        REQUIRE(fl.row < rows);
        REQUIRE(fl.col >= 0);
        REQUIRE(fl.col < cols);
        REQUIRE((fl.bit == 0 || fl.bit == 1));
        REQUIRE(cur[size_t(fl.row) * cols + fl.col] == 0);  // a cell flips at most once a read
        cur[size_t(fl.row) * cols + fl.col] = 1;
        ++flips;
        bit1 += fl.bit;
        top_half += fl.row < rows / 2;
        overlap += prev[size_t(fl.row) * cols + fl.col];
      }
      std::swap(prev, cur);
    }
    const double cells = double(reads) * rows * cols;
    within_binomial(flips, cells, rate);  // each cell-read flips with probability rate
    within_binomial(bit1, flips, 0.5);    // either bit of a 2-bit cell
    within_binomial(top_half, flips, 0.5);
    // Consecutive reads flip the same cell with probability rate^2: reads are independent, not
    // one pattern repeated (the old per-run draw gave overlap == flips).
    within_binomial(overlap, double(reads - 1) * rows * cols, rate * rate);
  }
}

TEST_CASE("transient flips are a pure function of the read's key", "[faults][transient]") {
  arch_spec::fault_spec fs;
  fs.rate = 0.01;
  fs.transient_rate = 0.02;
  const fault_map f(fs, 3, 2), same(fs, 3, 2), other(fs, 4, 2);
  const uint64_t key = f.crossbar_key(5);
  const auto a = flips_of(f, f.read_key(key, 7, 2), 128, 128);
  REQUIRE(a.size() > 100);
  CHECK(flips_of(same, same.read_key(same.crossbar_key(5), 7, 2), 128, 128) == a);
  CHECK_FALSE(flips_of(f, f.read_key(key, 8, 2), 128, 128) == a);  // another input
  CHECK_FALSE(flips_of(f, f.read_key(key, 7, 3), 128, 128) == a);  // another read of it
  CHECK_FALSE(flips_of(f, f.read_key(f.crossbar_key(6), 7, 2), 128, 128) == a);
  CHECK_FALSE(flips_of(other, other.read_key(other.crossbar_key(5), 7, 2), 128, 128) == a);
  // The cells of the first rows are those of the whole crossbar restricted to them.
  std::vector<flip> head;
  for (const flip& fl : a)
    if (fl.row < 40) head.push_back(fl);
  CHECK(flips_of(f, f.read_key(key, 7, 2), 40, 128) == head);
  // Stuck cells stay where they are whatever is read.
  int stuck_cells = 0;
  for (int r = 0; r < 128; ++r)
    for (int c = 0; c < 128; ++c) stuck_cells += f.stuck_at(key, r, c) != stuck::none;
  CHECK(stuck_cells > 50);
  // Rate 1: every cell flips; rate 0: none.
  fs.transient_rate = 1.0;
  const fault_map all(fs, 3, 1);
  CHECK(flips_of(all, 99, 3, 5).size() == 15);
  fs.transient_rate = 0.0;
  const fault_map none(fs, 3, 1);
  CHECK_FALSE(none.has_transients());
  CHECK(flips_of(none, 99, 128, 128).empty());
  CHECK(f.apply(2, stuck::none, 0) == 3);
  CHECK(f.apply(2, stuck::sa0, -1) == 0);
  CHECK(f.apply(0, stuck::sa1, -1) == 3);
  CHECK(f.apply(3, stuck::sa1, 1) == 1);
}
