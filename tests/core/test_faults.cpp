#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/faults.h"

using namespace rramft;

namespace {
struct census {
  int64_t sa0 = 0, sa1 = 0, cells = 0;
};
census count(const fault_map& f, uint64_t xbars, int R, int C) {
  census c;
  for (uint64_t x = 0; x < xbars; ++x) {
    const xbar_ref key = f.crossbar(x);
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
        REQUIRE(a.stuck_at(a.crossbar(x), r, c) == b.stuck_at(b.crossbar(x), r, c));
        const bool fa = a.stuck_at(a.crossbar(x), r, c) != stuck::none;
        const bool fo = other.stuck_at(other.crossbar(x), r, c) != stuck::none;
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
        if (fl.stuck_at(fl.crossbar(x), r, c) != stuck::none) {
          ++n_lo;
          REQUIRE(fh.stuck_at(fh.crossbar(x), r, c) == fl.stuck_at(fl.crossbar(x), r, c));
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
    const xbar_ref key = f.crossbar(11);
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
  const xbar_ref key = f.crossbar(5);
  const auto a = flips_of(f, f.read_key(key, 7, 2), 128, 128);
  REQUIRE(a.size() > 100);
  CHECK(flips_of(same, same.read_key(same.crossbar(5), 7, 2), 128, 128) == a);
  CHECK_FALSE(flips_of(f, f.read_key(key, 8, 2), 128, 128) == a);  // another input
  CHECK_FALSE(flips_of(f, f.read_key(key, 7, 3), 128, 128) == a);  // another read of it
  CHECK_FALSE(flips_of(f, f.read_key(f.crossbar(6), 7, 2), 128, 128) == a);
  CHECK_FALSE(flips_of(other, other.read_key(other.crossbar(5), 7, 2), 128, 128) == a);
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

namespace {
arch_spec small_chip() {
  arch_spec a;
  a.crossbar.rows = 16;
  a.crossbar.cols = 24;
  return a;
}
constexpr uint64_t chip_xbars = 8;  // the chip's tiles.count x tiles.crossbars (2 x 4)
std::string map_text(const std::string& body) {
  return "# rramft fault map v1\n# a comment\ncrossbar,row,col,type\n" + body;
}
}  // namespace

TEST_CASE("a fault map lists exactly the stuck cells it is given", "[faults][map]") {
  const arch_spec a = small_chip();
  arch_spec::fault_spec fs;
  fs.rate = 0.5;  // ignored: the map decides
  fs.table = std::make_shared<const stuck_table>(parse_stuck_table(
      map_text("3,0,0,SA0\n3,15,23,SA1\r\n\n0,7,5,SA1\n"), "m.csv", a, chip_xbars));
  const fault_map f(fs, 9, 1);
  REQUIRE(f.has_stuck());
  int listed = 0;
  for (uint64_t x = 0; x < 8; ++x)
    for (int r = 0; r < 16; ++r)
      for (int c = 0; c < 24; ++c) {
        const stuck s = f.stuck_at(f.crossbar(x), r, c);
        if (x == 3 && r == 0 && c == 0)
          CHECK(s == stuck::sa0);
        else if ((x == 3 && r == 15 && c == 23) || (x == 0 && r == 7 && c == 5))
          CHECK(s == stuck::sa1);
        else
          CHECK(s == stuck::none);
        listed += s != stuck::none;
      }
  CHECK(listed == 3);
  // An empty map: a chip without stuck cells, whatever the rate.
  fs.table =
      std::make_shared<const stuck_table>(parse_stuck_table(map_text(""), "e.csv", a, chip_xbars));
  CHECK_FALSE(fault_map(fs, 9, 1).has_stuck());
}

TEST_CASE("a seeded chip's fault map reads back as the same chip", "[faults][map]") {
  const arch_spec a = small_chip();
  arch_spec::fault_spec fs;
  fs.rate = 0.05;
  const fault_map drawn(fs, 17, 2);
  std::ostringstream w;
  write_stuck_table(w, drawn, 8, 16, 24, "seed 17");
  arch_spec::fault_spec back = fs;
  back.rate = 0;  // the map alone must carry the cells
  back.table =
      std::make_shared<const stuck_table>(parse_stuck_table(w.str(), "w.csv", a, chip_xbars));
  const fault_map read(back, 17, 2);
  int stuck_cells = 0;
  for (uint64_t x = 0; x < 8; ++x) {
    const xbar_ref d = drawn.crossbar(x), r = read.crossbar(x);
    REQUIRE(d.key == r.key);  // the transient flips of both chips come from the same keys
    for (int row = 0; row < 16; ++row)
      for (int c = 0; c < 24; ++c) {
        REQUIRE(drawn.stuck_at(d, row, c) == read.stuck_at(r, row, c));
        stuck_cells += drawn.stuck_at(d, row, c) != stuck::none;
      }
  }
  CHECK(stuck_cells > 100);  // 8 x 16 x 24 x 0.05 = 154 expected
  CHECK(size_t(stuck_cells) == back.table->cells);
  // Written again, the map is the same text.
  std::ostringstream w2;
  write_stuck_table(w2, read, 8, 16, 24, "seed 17");
  CHECK(w2.str() == w.str());
}

TEST_CASE("a bad fault map is refused naming the file and line", "[faults][map]") {
  const arch_spec a = small_chip();
  const auto refused = [&](const std::string& text, const std::string& what) {
    INFO(text);
    try {
      parse_stuck_table(text, "bad.csv", a, chip_xbars);
      FAIL("accepted");
    } catch (const error& e) {
      CHECK_THAT(e.what(), Catch::Matchers::StartsWith(what));
    }
  };
  refused("", "bad.csv:1: not a rramft fault map");
  refused("crossbar,row,col,type\n0,0,0,SA0\n", "bad.csv:1: not a rramft fault map");
  refused("# rramft fault map v2\ncrossbar,row,col,type\n", "bad.csv:1: fault map version '2'");
  refused("# rramft fault map v1\n0,0,0,SA0\n", "bad.csv:2: expected the header line");
  refused("# rramft fault map v1\n# only comments\n", "bad.csv:2: no header line");
  refused(map_text("0,0,0,SA2\n"), "bad.csv:4: type 'SA2' is not SA0 or SA1");
  refused(map_text("0,0,0\n"), "bad.csv:4: expected 4 fields");
  refused(map_text("0,0,0,SA0,x\n"), "bad.csv:4: expected 4 fields");
  refused(map_text("0, 1,0,SA0\n"), "bad.csv:4: row ' 1' is not a non-negative integer");
  refused(map_text("-1,0,0,SA0\n"), "bad.csv:4: crossbar '-1' is not");
  refused(map_text("0,0,0,SA0\n8,0,0,SA0\n"), "bad.csv:5: crossbar 8 is outside the chip");
  refused(map_text("0,16,0,SA0\n"), "bad.csv:4: row 16 is outside the crossbar");
  refused(map_text("0,0,24,SA1\n"), "bad.csv:4: col 24 is outside the crossbar");
  refused(map_text("1,2,3,SA0\n0,0,0,SA1\n1,2,3,SA1\n"),
          "bad.csv:6: cell (crossbar 1, row 2, col 3) is listed twice (lines 4 and 6)");
}

namespace {
/// Stuck cells of @p xbars crossbars of R x C cells, as a grid per crossbar.
std::vector<std::vector<stuck>> grids(const fault_map& f, int xbars, int R, int C) {
  std::vector<std::vector<stuck>> g(xbars, std::vector<stuck>(size_t(R) * C));
  for (int x = 0; x < xbars; ++x) {
    const xbar_ref k = f.crossbar(uint64_t(x));
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) g[x][size_t(r) * C + c] = f.stuck_at(k, r, c);
  }
  return g;
}
}  // namespace

TEST_CASE("failed word lines and bit lines: whole lines stuck alike, at the line rate",
          "[faults][distributions]") {
  arch_spec::fault_spec fs;
  fs.wordline_rate = 0.05;
  const int X = 200, R = 64, C = 32;
  const auto g = grids(fault_map(fs, 3, 1), X, R, C);
  int failed = 0, partial = 0, sa0 = 0;
  for (const auto& x : g)
    for (int r = 0; r < R; ++r) {
      int n = 0;
      for (int c = 0; c < C; ++c) n += x[size_t(r) * C + c] != stuck::none;
      if (n == C) {
        ++failed;
        for (int c = 1; c < C; ++c) REQUIRE(x[size_t(r) * C + c] == x[size_t(r) * C]);
        sa0 += x[size_t(r) * C] == stuck::sa0;
      } else {
        partial += n > 0;
      }
    }
  // 12,800 lines at p = 0.05: mean 640, sd 24.7; 5 sd either side.
  CHECK(failed > 640 - 124);
  CHECK(failed < 640 + 124);
  CHECK(partial == 0);  // no cell faults besides the lines
  // SA0 share 1.75 / 10.79 = 0.162 of the lines: sd 0.0146 at 640 lines, 5 sd.
  CHECK(std::abs(double(sa0) / failed - 1.75 / 10.79) < 0.073);
  // Bit lines: the columns.
  arch_spec::fault_spec fb;
  fb.bitline_rate = 1.0;
  const auto all = grids(fault_map(fb, 3, 1), 2, 4, 5);
  for (const auto& x : all)
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 5; ++c) CHECK(x[size_t(r) * 5 + c] == x[size_t(c)]);
}

TEST_CASE("clustered faults keep the cell rate and stick neighbours together",
          "[faults][distributions]") {
  const double rate = 0.02;
  const int k = 4, X = 100, R = 64, C = 64;
  arch_spec::fault_spec fs;
  fs.rate = rate;
  fs.cluster = k;
  const auto g = grids(fault_map(fs, 5, 1), X, R, C);
  double stuck_cells = 0, pairs = 0;
  for (const auto& x : g)
    for (int r = 0; r < R; ++r)
      for (int c = 0; c < C; ++c) {
        const bool s = x[size_t(r) * C + c] != stuck::none;
        stuck_cells += s;
        if (s && c + 1 < C) pairs += x[size_t(r) * C + c + 1] != stuck::none;
      }
  const double cells = double(X) * R * C;
  // The marginal rate is the cell rate (clusters of 16 cells: ~1/16 as many independent
  // events; 409,600 cells at 2%: 512 clusters, relative sd ~ 1/sqrt(512) = 4.4%, 5 sd).
  CHECK(std::abs(stuck_cells / cells / rate - 1) < 0.22);
  // P(right neighbour stuck | cell stuck), closed form: of the k^2 corners covering one cell,
  // k(k-1) cover its neighbour; P(both) = 1 - 2(1-q)^(k^2) + (1-q)^(k^2+k).
  const double q = -std::expm1(std::log1p(-rate) / (k * k));
  const double both = 1 - 2 * std::pow(1 - q, k * k) + std::pow(1 - q, k * k + k);
  const double want = both / rate;  // ~0.75, against 0.02 for independent cells
  CHECK(want > 0.7);
  CHECK(std::abs(pairs / stuck_cells * (double(C) / (C - 1)) - want) < 0.06);
  // Cluster 1 is the independent model, cell for cell.
  fs.cluster = 1;
  arch_spec::fault_spec plain;
  plain.rate = rate;
  CHECK(grids(fault_map(fs, 5, 1), 3, 16, 16) == grids(fault_map(plain, 5, 1), 3, 16, 16));
}

TEST_CASE("a defect-rate spread makes some crossbars much worse than others",
          "[faults][distributions]") {
  for (double cv : {0.5, 2.0}) {
    INFO("spread " << cv);
    // The gamma draws: mean 1, coefficient of variation cv (20,000 draws).
    double s = 0, s2 = 0;
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
      const double g = gamma_mean1(cv, mix64(uint64_t(i)));
      REQUIRE(g >= 0);
      s += g;
      s2 += g * g;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    CHECK(std::abs(mean - 1) < 5 * cv / std::sqrt(n));
    CHECK(std::abs(std::sqrt(var) / cv - 1) < (cv > 1 ? 0.15 : 0.05));
  }
  // Per crossbar: the stuck share varies far beyond binomial noise.
  arch_spec::fault_spec fs;
  fs.rate = 0.01;
  fs.spread = 1.0;
  const int X = 300, R = 64, C = 64;
  const auto g = grids(fault_map(fs, 9, 1), X, R, C);
  double s = 0, s2 = 0;
  for (const auto& x : g) {
    double n = 0;
    for (stuck v : x) n += v != stuck::none;
    const double p = n / (R * C);
    s += p;
    s2 += p * p;
  }
  const double mean = s / X, sd = std::sqrt(s2 / X - mean * mean);
  CHECK(std::abs(mean / 0.01 - 1) < 0.3);
  CHECK(sd / mean > 0.7);  // binomial alone: sqrt(0.01 / 4096) / 0.01 = 0.16
  fs.spread = 0;
  const auto flat = grids(fault_map(fs, 9, 1), 4, 16, 16);
  arch_spec::fault_spec plain;
  plain.rate = 0.01;
  CHECK(flat == grids(fault_map(plain, 9, 1), 4, 16, 16));
}
