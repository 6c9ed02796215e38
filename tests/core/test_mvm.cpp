#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <string>
#include <tuple>

#include "core/mvm.h"
#include "core/periph.h"
#include "layer_fixtures.h"

using namespace rramft;
using fixtures::column_of;

namespace {

/// A small chip so that layers span several row blocks and crossbars.
arch_spec small_chip() {
  arch_spec a;
  a.crossbar.rows = 32;
  a.crossbar.cols = 64;
  a.adc.bits = 8;
  a.validate();
  return a;
}

std::vector<int64_t> run(const mapped_layer& l, const std::vector<cell_error>& e,
                         const std::vector<int32_t>& x, int n, mvm_path p,
                         const transient_reads& t = {}) {
  std::vector<int64_t> y(size_t(n) * l.cols);
  mvm(l, e, x.data(), n, y.data(), p, t);
  return y;
}

/// Variants of the chip that every equivalence test sweeps.
std::vector<std::pair<std::string, arch_spec>> variants() {
  std::vector<std::pair<std::string, arch_spec>> v;
  auto add = [&](const std::string& name, auto&& edit) {
    arch_spec a = small_chip();
    edit(a);
    a.validate();
    v.emplace_back(name, a);
  };
  add("vote T=3", [](arch_spec&) {});
  add("vote T=5 P=2", [](arch_spec& a) {
    a.protection.candidates = 5;
    a.protection.planes = 2;
  });
  add("vote no flip", [](arch_spec& a) { a.protection.flip = false; });
  add("vote no embed", [](arch_spec& a) { a.protection.embed = false; });
  add("vote copy_scope crossbar",
      [](arch_spec& a) { a.mapping.copy_scope = copy_scope::crossbar; });
  add("tmr", [](arch_spec& a) {
    a.protection.scheme = scheme::tmr;
    a.crossbar.cols = 128;
  });
  add("none", [](arch_spec& a) { a.protection.scheme = scheme::none; });
  add("2-bit cells", [](arch_spec& a) {
    a.cell_bits = 2;
    a.adc.bits = 7;
  });
  add("2-bit DAC unsigned", [](arch_spec& a) {
    a.dac.bits = 2;
    a.input_signed = false;
    a.adc.bits = 7;
  });
  add("6-bit weights per-channel", [](arch_spec& a) {
    a.weight_bits = 6;
    a.weight_scale = weight_scale_mode::per_channel;
  });
  return v;
}

}  // namespace

TEST_CASE("fault-free mapped MVM equals the integer reference exactly", "[mvm]") {
  const auto wl = fixtures::random_layer(100, 40, 14, 9, 1);
  for (auto& [name, a] : variants()) {
    INFO(name);
    const mapped_layer l = fixtures::map(wl, a);
    REQUIRE(l.row_blocks == 3);  // 91 kept rows over 32-row crossbars
    const auto x = fixtures::random_inputs(a, 7, l.rows, 2);
    const auto ref = fixtures::reference(l, x, 7);
    CHECK(run(l, {}, x, 7, mvm_path::bit_serial) == ref);
    CHECK(run(l, {}, x, 7, mvm_path::fast) == ref);
  }
}

TEST_CASE("fast path equals the bit-serial path on random layers, inputs and fault maps",
          "[mvm][fast]") {
  uint64_t seed = 10;
  for (auto [name, a] : variants()) {
    for (double rate : {0.003, 0.05}) {
      a.fault.rate = rate;
      a.fault.transient_rate = rate / 3;
      a.fault.scope = seed % 2 ? fault_scope::all : fault_scope::msb;
      ++seed;
      INFO(name << " rate " << rate << " scope " << to_string(a.fault.scope));
      const auto wl = fixtures::random_layer(70 + int(seed % 40), 30 + int(seed % 17), 10, 5, seed);
      const mapped_layer l = fixtures::map(wl, a);
      const fault_map chip(a.fault, seed, a.cell_bits);
      const auto errs = read_errors(l, chip);
      REQUIRE(!errs.empty());
      const auto x = fixtures::random_inputs(a, 5, l.rows, seed);
      const auto slow = run(l, errs, x, 5, mvm_path::bit_serial);
      CHECK(run(l, errs, x, 5, mvm_path::fast) == slow);
      if (rate > 0.01) CHECK(slow != fixtures::reference(l, x, 5));  // the faults did something
      // Transient flips per read: 5 vectors, inputs seed and seed + 1 (3 reads, then 2).
      const transient_reads t{&chip, {seed, 3}};
      const auto slow_t = run(l, errs, x, 5, mvm_path::bit_serial, t);
      CHECK(run(l, errs, x, 5, mvm_path::fast, t) == slow_t);
      if (rate > 0.01) CHECK(slow_t != slow);  // the flips did something
    }
  }
}

TEST_CASE("a chip whose every protected cell is stuck loses exactly the protected plane",
          "[mvm][faults]") {
  // Differential pairs: stuck pos and neg cells read alike, so the plane's pos - neg is 0
  // in every candidate, flipped or not, SA0 or SA1: y = W x with the MSB cleared.
  for (bool flip : {true, false})
    for (double sa0 : {0.0, 1.0}) {
      arch_spec a = small_chip();
      a.protection.flip = flip;
      a.fault.rate = 1.0;
      a.fault.sa0 = sa0;
      a.fault.sa1 = 1.0 - sa0;
      a.fault.scope = fault_scope::msb;
      const auto wl = fixtures::random_layer(50, 20, 4, 0, 3);
      const mapped_layer l = fixtures::map(wl, a);
      const auto errs = read_errors(l, fault_map(a.fault, 1, 1));
      const auto x = fixtures::random_inputs(a, 4, l.rows, 4);
      INFO("flip " << flip << " sa0 " << sa0);
      CHECK(run(l, errs, x, 4, mvm_path::bit_serial) == fixtures::reference(l, x, 4, 0x3f));
      CHECK(run(l, errs, x, 4, mvm_path::fast) == fixtures::reference(l, x, 4, 0x3f));
    }
}

TEST_CASE("the vote masks one faulty candidate but not two", "[mvm][vote]") {
  arch_spec a = small_chip();
  a.protection.flip = false;  // stored MSB 0 on a small weight, SA1 makes it 1
  const auto wl = fixtures::random_layer(30, 10, 3, 0, 5);
  const mapped_layer l = fixtures::map(wl, a);
  const int S = l.slices();
  // An output with a weight whose MSB is 0 and positive.
  int out = 0, row = -1;
  for (int r = 0; r < int(l.kept_rows.size()) && row < 0; ++r)
    if (l.w.q[size_t(out) * l.w.in + r] > 0 && l.w.q[size_t(out) * l.w.in + r] < 64) row = r;
  REQUIRE(row >= 0);
  const auto x = fixtures::random_inputs(a, 3, l.rows, 6);
  const auto ref = fixtures::reference(l, x, 3);
  auto sa1 = [&](int cand) {
    const int col = column_of(l, out, S - 1, 0, cand);
    REQUIRE(col >= 0);
    const int p = l.programmed_level(row, l.columns[size_t(col)]);
    REQUIRE(p == 0);
    return cell_error{0, col, row, 1 - p};
  };
  for (auto path : {mvm_path::bit_serial, mvm_path::fast}) {
    CHECK(run(l, {sa1(1)}, x, 3, path) == ref);
    CHECK(run(l, {sa1(0)}, x, 3, path) == ref);
    auto two = run(l, {sa1(0), sa1(2)}, x, 3, path);
    for (int i = 0; i < 3; ++i) {
      const size_t at = size_t(i) * l.cols + l.kept_cols[out];
      CHECK(two[at] - ref[at] == 64 * int64_t(x[size_t(i) * l.rows + l.kept_rows[row]]));
    }
  }
}

TEST_CASE("flipped storage makes SA1 on a zero MSB harmless; unflipped it is not", "[mvm][flip]") {
  for (bool flip : {true, false}) {
    arch_spec a = small_chip();
    a.protection.scheme = scheme::vote;
    a.protection.candidates = 1;  // flipping alone, no copies
    a.protection.flip = flip;
    const auto wl = fixtures::random_layer(30, 10, 3, 0, 7);
    const mapped_layer l = fixtures::map(wl, a);
    int row = -1;
    for (int r = 0; r < int(l.kept_rows.size()) && row < 0; ++r)
      if (std::abs(l.w.q[size_t(r)]) < 64) row = r;  // output 0, MSB bit 0
    REQUIRE(row >= 0);
    const int col = column_of(l, 0, l.slices() - 1, 0, 0);
    const int p = l.programmed_level(row, l.columns[size_t(col)]);
    CHECK(p == (flip ? 1 : 0));
    // What the chip reads for an SA1 cell there, through the fault model's own rule.
    const fault_map f(a.fault, 1, 1);
    const int delta = f.apply(p, stuck::sa1, -1) - p;
    std::vector<cell_error> errs;
    if (delta) errs.push_back({0, col, row, delta});
    const auto x = fixtures::random_inputs(a, 3, l.rows, 8);
    const auto y = run(l, errs, x, 3, mvm_path::bit_serial);
    INFO("flip " << flip);
    if (flip)
      CHECK(y == fixtures::reference(l, x, 3));
    else
      CHECK(y != fixtures::reference(l, x, 3));
  }
}

TEST_CASE("lossy ADC path equals a brute-force slice-by-slice oracle", "[mvm][adc]") {
  // Column by column, slice by slice, straight from the definitions in docs/design.md.
  for (int bits : {3, 5})  // 32-row crossbars: 5 bits (31 codes) is already lossy
    for (double range : {0.0, 12.0}) {
      arch_spec a = small_chip();
      a.adc.bits = bits;
      a.adc.range = range;
      a.fault.rate = 0.02;
      const auto wl = fixtures::random_layer(45, 12, 3, 2, 9);
      const mapped_layer l = fixtures::map(wl, a);
      const fault_map chip(a.fault, 4, 1);
      const auto errs = read_errors(l, chip);
      const int n = 3;
      const auto x = fixtures::random_inputs(a, n, l.rows, 10);
      const adc_model adc(a);
      const input_slicing sl{a.input_bits, a.dac.bits, a.input_signed};
      const int T = l.copies(), R = l.R(), C = l.C();
      std::vector<int64_t> want(size_t(n) * l.cols, 0);
      for (int i = 0; i < n; ++i)
        for (size_t o = 0; o < l.kept_cols.size(); ++o) {
          int64_t total = 0;
          for (int b = 0; b < l.row_blocks; ++b) {
            std::vector<int64_t> cand(T, 0);
            int64_t plain = 0;
            for (int s = 0; s < l.slices(); ++s)
              for (int neg = 0; neg < 2; ++neg)
                for (int t = 0; t < (l.is_protected(s) ? T : 1); ++t) {
                  const int col = column_of(l, int(o), s, neg, t);
                  int64_t colv = 0;
                  for (int k = 0; k < sl.count(); ++k) {
                    int64_t sum = 0;
                    for (int r = 0; r < l.block_rows(b); ++r) {
                      int lv = l.programmed_level(b * R + r, l.columns[size_t(col)]);
                      for (const auto& e : errs)
                        if (e.block == b && e.column == col && e.row == r) lv += e.delta;
                      sum += int64_t(sl.digit(
                                 x[size_t(i) * l.rows + l.kept_rows[size_t(b * R + r)]], k)) *
                             lv;
                    }
                    colv += sl.weight(k) * adc.convert(sum);
                  }
                  const int64_t sign = (neg ? -1 : 1) * (l.is_flipped(s) ? -1 : 1);
                  const int64_t v = sign * (int64_t(1) << s) * colv;
                  if (T > 1 && l.is_protected(s))
                    cand[t] += v;
                  else
                    plain += v;
                }
            total += plain + (T > 1 ? median(cand.data(), T) : 0);
          }
          want[size_t(i) * l.cols + l.kept_cols[o]] = total;
        }
      (void)C;
      INFO("adc bits " << bits << " range " << range);
      CHECK_FALSE(a.adc_lossless());
      CHECK(run(l, errs, x, n, mvm_path::bit_serial) == want);
      CHECK_THROWS_WITH(run(l, errs, x, n, mvm_path::fast), Catch::Contains("lossless ADC"));
    }
}

TEST_CASE("the same seed gives the same faulty cells and outputs", "[mvm][determinism]") {
  arch_spec a = small_chip();
  a.fault.rate = 0.01;
  a.fault.transient_rate = 0.001;
  const auto wl = fixtures::random_layer(80, 30, 8, 3, 11);
  const mapped_layer l = fixtures::map(wl, a);
  const auto e1 = read_errors(l, fault_map(a.fault, 99, 1));
  const auto e2 = read_errors(l, fault_map(a.fault, 99, 1));
  const auto e3 = read_errors(l, fault_map(a.fault, 100, 1));
  REQUIRE(e1.size() == e2.size());
  for (size_t i = 0; i < e1.size(); ++i) {
    CHECK(e1[i].column == e2[i].column);
    CHECK(e1[i].row == e2[i].row);
    CHECK(e1[i].delta == e2[i].delta);
  }
  const auto x = fixtures::random_inputs(a, 4, l.rows, 12);
  CHECK(run(l, e1, x, 4, mvm_path::automatic) == run(l, e2, x, 4, mvm_path::automatic));
  CHECK(run(l, e1, x, 4, mvm_path::automatic) != run(l, e3, x, 4, mvm_path::automatic));
}

TEST_CASE("activations outside the input range are refused", "[mvm][bad-input]") {
  arch_spec a = small_chip();
  const mapped_layer l = fixtures::map(fixtures::random_layer(10, 4, 0, 0, 1), a);
  std::vector<int32_t> x(10, 0);
  x[3] = 500;
  std::vector<int64_t> y(4);
  CHECK_THROWS_WITH(mvm(l, {}, x.data(), 1, y.data()),
                    Catch::Contains("outside the 8-bit input range"));
}

TEST_CASE("fast path stays exact when the partial sums pass 2^24 (float chunks, double)",
          "[mvm][fast]") {
  // 2000 inputs of +-127 against weights up to 127: sum |x| x max |w| is about 3e7 > 2^24, so
  // the float product runs in chunks; with 16-bit weights and 12-bit inputs one product alone
  // can pass 2^24, so it runs in double. Both against the integer reference and the bit-serial
  // path with faults.
  struct variant {
    const char* name;
    int weight_bits, input_bits, rows;
  };
  for (const variant& v : {variant{"8-bit, float chunks", 8, 8, 2000},
                           variant{"16-bit weights, double", 16, 12, 300}}) {
    INFO(v.name);
    arch_spec a = small_chip();
    a.weight_bits = v.weight_bits;
    a.input_bits = v.input_bits;
    a.validate();
    const auto wl = fixtures::random_layer(v.rows, 6, 1, 3, 21);
    const mapped_layer l = fixtures::map(wl, a);
    const int n = 4;
    // Inputs at the ends of the range, so the sums are as large as they can be.
    auto x = fixtures::random_inputs(a, n, l.rows, 22);
    const activation_quantizer aq{a.input_bits, a.input_signed};
    for (size_t i = 0; i < x.size(); ++i) x[i] = i % 3 ? aq.qmax() : aq.qmin();
    CHECK(run(l, {}, x, n, mvm_path::fast) == fixtures::reference(l, x, n));
    a.fault.rate = 0.01;
    const auto errs = read_errors(l, fault_map(a.fault, 5, a.cell_bits));
    REQUIRE(!errs.empty());
    CHECK(run(l, errs, x, n, mvm_path::fast) == run(l, errs, x, n, mvm_path::bit_serial));
  }
}

namespace {
/// serial_product on the kept inputs, scattered back to the logical layout.
std::vector<int64_t> run_prepared(const mapped_layer& l, const std::vector<cell_error>& e,
                                  const std::vector<int32_t>& x, int n,
                                  const transient_reads& t = {}) {
  const std::vector<int32_t> xk = kept_inputs(l, x.data(), n);
  std::vector<int64_t> yk(size_t(n) * l.kept_cols.size(), -1), y(size_t(n) * l.cols);
  serial_product(l, e).run(xk.data(), n, yk.data(), t);
  scatter_outputs(l, yk.data(), n, y.data());
  return y;
}
}  // namespace

TEST_CASE("the prepared bit-serial path equals the slice-by-slice reference", "[mvm][adc]") {
  // Every chip variant, lossy ADCs (coarse steps, saturating ranges, ranges above the column
  // full scale) and a lossless one, no faults and two fault rates with transients, batches of
  // 1 to 70 vectors (the prepared path takes 32 at a time).
  uint64_t seed = 100;
  int lossy = 0;
  for (auto [name, a] : variants())
    for (auto [bits, range] : std::vector<std::pair<int, double>>{
             {3, 0.0}, {5, 0.0}, {4, 9.0}, {6, 20.0}, {2, 500.0}, {10, 0.0}})
      for (double rate : {0.0, 0.004, 0.05}) {
        a.adc.bits = bits;
        a.adc.range = range;
        a.fault.rate = rate;
        a.fault.transient_rate = rate / 4;
        a.fault.scope = seed % 3 ? fault_scope::all : fault_scope::msb;
        a.validate();
        ++seed;
        lossy += !a.adc_lossless();
        INFO(name << ", adc " << bits << " bits range " << range << ", rate " << rate);
        const auto wl =
            fixtures::random_layer(60 + int(seed % 50), 20 + int(seed % 13), 5, 4, seed);
        const mapped_layer l = fixtures::map(wl, a);
        const fault_map chip(a.fault, seed, a.cell_bits);
        const auto errs = read_errors(l, chip);
        if (rate > 0.01) REQUIRE(!errs.empty());
        const int n = int(1 + seed % 70);
        const auto x = fixtures::random_inputs(a, n, l.rows, seed);
        CHECK(run_prepared(l, errs, x, n) == run(l, errs, x, n, mvm_path::bit_serial));
        const transient_reads t{&chip, {seed, 1 + int(seed % 5)}};  // per read, before the ADC
        CHECK(run_prepared(l, errs, x, n, t) == run(l, errs, x, n, mvm_path::bit_serial, t));
      }
  CHECK(lossy > 100);
}

TEST_CASE("the prepared bit-serial path is exact in 8-, 16- and 32-bit lanes", "[mvm][adc]") {
  // Column full scales of 128 (8-bit lanes), 256 and 3 x 3 x 256 (16-bit lanes) and
  // 15 x 255 x 256 (32-bit lanes, the ADC computed without a table).
  // 256 rows of 1-bit cells and DAC: 8-bit tables, sums widened to 16 bits per plane.
  struct variant {
    const char* name;
    int rows, cell_bits, dac_bits, adc_bits;
    bool is_signed;
    const char* lanes;
  };
  for (const variant& v :
       {variant{"128 rows", 128, 1, 1, 6, true, "8-bit sums, int16 OPC"},
        variant{"256 rows", 256, 1, 1, 5, true, "8-bit tables, 16-bit sums, int16 OPC"},
        variant{"2-bit cells and DAC", 256, 2, 2, 7, false, "16-bit sums"},
        variant{"4-bit cells, 8-bit DAC", 256, 4, 8, 12, false, "32-bit sums"}}) {
    INFO(v.name);
    arch_spec a;
    a.crossbar.rows = v.rows;
    a.crossbar.cols = 64;
    a.cell_bits = v.cell_bits;
    a.dac.bits = v.dac_bits;
    a.input_signed = v.is_signed;
    a.adc.bits = v.adc_bits;
    a.fault.rate = 0.01;
    a.fault.transient_rate = 0.002;
    a.validate();
    REQUIRE_FALSE(a.adc_lossless());
    const auto wl = fixtures::random_layer(300, 9, 2, 5, 31);
    const mapped_layer l = fixtures::map(wl, a);
    const auto errs = read_errors(l, fault_map(a.fault, 8, a.cell_bits));
    REQUIRE(!errs.empty());
    const int n = 37;
    const auto x = fixtures::random_inputs(a, n, l.rows, 32);
    CHECK(std::string(serial_product(l, errs).lanes()) == v.lanes);
    const auto slow = run(l, errs, x, n, mvm_path::bit_serial);
    CHECK(run_prepared(l, errs, x, n) == slow);
    CHECK(run(l, errs, x, n, mvm_path::automatic) == slow);  // mvm() takes the prepared path
  }
}

TEST_CASE("the prepared path sums 256-row columns exactly from 8-bit tables", "[mvm][adc]") {
  // 256-row crossbars of 1-bit cells, 1-bit DAC: column sums reach 256, beyond 8 bits, but no
  // plane counts more than 128 rows (its ones, or its zeros when complemented), so each plane's
  // table sum is exact in 8 bits and is complemented and added in 16. Every chip variant whose
  // cells and DAC have 1 bit, lossy ADCs, faults and transients, 2 row blocks, and a column that
  // reaches the full scale: output 0's weights are all small and positive, so its flipped MSB
  // planes hold 256 ones, and input -1 puts a digit of 1 on every row in every slice.
  uint64_t seed = 700;
  int taken = 0;
  for (auto [name, a] : variants()) {
    if (a.cell_bits != 1 || a.dac.bits != 1) continue;
    a.crossbar.rows = 256;
    for (auto [bits, range] : std::vector<std::pair<int, double>>{{7, 0.0}, {5, 0.0}, {6, 200.0}})
      for (double rate : {0.0, 0.01}) {
        a.adc.bits = bits;
        a.adc.range = range;
        a.fault.rate = rate;
        a.fault.transient_rate = rate / 4;
        a.validate();
        REQUIRE_FALSE(a.adc_lossless());
        ++seed;
        INFO(name << ", adc " << bits << " bits range " << range << ", rate " << rate);
        auto wl = fixtures::random_layer(300, 12 + int(seed % 9), 2, 3, seed);
        for (int r = 0; r < wl.rows; ++r) wl.w[size_t(r)] = r == 7 ? 0.0f : 0.05f;  // output 0
        const mapped_layer l = fixtures::map(wl, a);
        REQUIRE(l.row_blocks == 2);
        const fault_map chip(a.fault, seed, a.cell_bits);
        const auto errs = read_errors(l, chip);
        const std::string lanes = serial_product(l, errs).lanes();
        taken += lanes == "8-bit tables, 16-bit sums, int16 OPC";
        const int n = 40;
        auto x = fixtures::random_inputs(a, n, l.rows, seed);
        const input_slicing sl{a.input_bits, a.dac.bits, a.input_signed};
        for (int k = 0; k < sl.count(); ++k) REQUIRE(sl.digit(-1, k) == 1);
        const activation_quantizer aq{a.input_bits, a.input_signed};
        for (int i : {0, 5, 33})  // all -1; all qmin; all qmax
          for (int r = 0; r < l.rows; ++r)
            x[size_t(i) * l.rows + r] = i == 0 ? -1 : i == 5 ? aq.qmin() : aq.qmax();
        CHECK(run_prepared(l, errs, x, n) == run(l, errs, x, n, mvm_path::bit_serial));
        const transient_reads t{&chip, {seed, 3}};
        CHECK(run_prepared(l, errs, x, n, t) == run(l, errs, x, n, mvm_path::bit_serial, t));
      }
  }
  CHECK(taken >= 20);
}

TEST_CASE("a read with transient flips computes as a chip whose cells read those levels",
          "[mvm][transient]") {
  // Oracle: for each vector alone, the stuck cells plus that read's flips (transient_errors) as
  // one static error list, through the path without transients. Every path, every variant,
  // lossless and lossy ADC.
  uint64_t seed = 300;
  for (auto [name, a] : variants())
    for (int bits : {0, 5}) {
      if (bits) a.adc.bits = bits;
      a.fault.rate = 0.01;
      a.fault.transient_rate = 0.03;
      a.validate();
      ++seed;
      INFO(name << ", adc " << a.adc.bits << " bits");
      const mapped_layer l = fixtures::map(fixtures::random_layer(70, 25, 6, 3, seed), a);
      const fault_map chip(a.fault, seed, a.cell_bits);
      const auto errs = read_errors(l, chip);
      const int n = 6;
      const auto x = fixtures::random_inputs(a, n, l.rows, seed);
      const transient_reads t{&chip, {40, 2}};  // inputs 40, 41, 42, two reads each
      const auto serial = run(l, errs, x, n, mvm_path::bit_serial, t);
      CHECK(run(l, errs, x, n, mvm_path::automatic, t) == serial);
      if (a.adc_lossless()) CHECK(run(l, errs, x, n, mvm_path::fast, t) == serial);
      int changed = 0;
      for (int v = 0; v < n; ++v) {
        // Stuck errors plus this read's flips, merged cell by cell.
        std::map<std::tuple<int, int, int>, int> delta;
        for (const cell_error& e : errs) delta[{e.block, e.column, e.row}] += e.delta;
        std::vector<cell_error> flips;
        for (int b = 0; b < l.row_blocks; ++b)
          for (int k = 0; k < l.xbars_per_block; ++k) transient_errors(l, t, b, k, v, flips);
        for (const cell_error& e : flips) delta[{e.block, e.column, e.row}] += e.delta;
        std::vector<cell_error> merged;
        for (const auto& [at, d] : delta)
          if (d) merged.push_back({std::get<0>(at), std::get<1>(at), std::get<2>(at), d});
        const std::vector<int32_t> xv(x.begin() + v * l.rows, x.begin() + (v + 1) * l.rows);
        const auto want = run(l, merged, xv, 1, mvm_path::bit_serial);
        const std::vector<int64_t> got(serial.begin() + v * l.cols,
                                       serial.begin() + (v + 1) * l.cols);
        INFO("vector " << v << ": " << flips.size() << " flipped cells");
        CHECK(got == want);
        changed += want != run(l, errs, xv, 1, mvm_path::bit_serial);
      }
      CHECK(changed > 0);  // the flips reached the outputs
    }
}

TEST_CASE("the prepared path puts every vector back in its place from any part of a pass",
          "[mvm][adc]") {
  // 128-row blocks of 1-bit cells and a 6-bit ADC: 8-bit column sums, which the ADC widens to
  // 16 bits by interleaving (the vectors change lanes until the vote). Batches that end inside
  // each group of 8 lanes, on their edges, and past one pass of 32; every vector's outputs
  // differ, so a vector read from another's lane (or from an absent one) fails.
  arch_spec a;
  a.adc.bits = 6;
  a.fault.rate = 0.01;
  a.fault.transient_rate = 0.002;
  a.validate();
  REQUIRE_FALSE(a.adc_lossless());
  const auto wl = fixtures::random_layer(150, 40, 3, 5, 77);
  const mapped_layer l = fixtures::map(wl, a);
  const fault_map chip(a.fault, 9, a.cell_bits);
  const auto errs = read_errors(l, chip);
  REQUIRE(!errs.empty());
  for (int n : {1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40, 48, 63, 65}) {
    INFO(n << " vectors");
    const auto x = fixtures::random_inputs(a, n, l.rows, 500 + n);
    CHECK(run_prepared(l, errs, x, n) == run(l, errs, x, n, mvm_path::bit_serial));
    const transient_reads t{&chip, {uint64_t(n), 1}};
    CHECK(run_prepared(l, errs, x, n, t) == run(l, errs, x, n, mvm_path::bit_serial, t));
  }
}
