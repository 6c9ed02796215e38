#include "core/faults.h"

#include <cmath>
#include <ostream>
#include <sstream>

#include "core/error.h"

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
      lognormal_(f.variation_dist == variation_model::lognormal),
      table_(f.table),
      rate_(f.rate),
      spread_(f.spread),
      cluster_(f.cluster),
      cell_thr_(0),
      wordline_thr_(probability_threshold(f.wordline_rate)),
      bitline_thr_(probability_threshold(f.bitline_rate)),
      lines_(wordline_thr_ != 0 || bitline_thr_ != 0) {
  cell_thr_ = cluster_ > 1 ? cell_threshold(rate_) : stuck_thr_;
}

uint64_t fault_map::cell_threshold(double rate) const {
  if (cluster_ <= 1) return probability_threshold(rate);
  if (!(rate > 0)) return 0;
  if (rate >= 1) return ~0ull;
  // A cell is stuck when one of the cluster^2 corners covering it starts a cluster: corner
  // probability q with 1 - (1 - q)^(cluster^2) = rate.
  return probability_threshold(-std::expm1(std::log1p(-rate) / double(cluster_ * cluster_)));
}

double gamma_mean1(double cv, uint64_t key) {
  const double shape = 1.0 / (cv * cv);
  uint64_t s = key;
  auto uniform = [&s]() {  // (0, 1)
    s = mix64(s + 0x9e3779b97f4a7c15ull);
    return (double(s >> 11) + 0.5) * 0x1p-53;
  };
  auto normal = [&]() {  // Box-Muller
    const double u = uniform(), v = uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * v);
  };
  const double a = shape < 1 ? shape + 1 : shape;
  const double d = a - 1.0 / 3, c = 1 / std::sqrt(9 * d);
  double g;
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) {
      g = d * v;
      break;
    }
  }
  if (shape < 1) g *= std::pow(uniform(), 1 / shape);
  return g / shape;
}

const std::vector<stuck_table::cell> fault_map::no_cells_;

namespace {

const char* const kVersionLine = "# rramft fault map v1";
const char* const kHeader = "crossbar,row,col,type";

/// A field of decimal digits (at most 18) as a number; false when it is anything else.
bool parse_count(const std::string& f, uint64_t& v) {
  if (f.empty() || f.size() > 18) return false;
  v = 0;
  for (char c : f) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + uint64_t(c - '0');
  }
  return true;
}

}  // namespace

stuck_table parse_stuck_table(const std::string& text, const std::string& path, const arch_spec& a,
                              uint64_t chip_xbars) {
  stuck_table t;
  t.path = path;
  t.rows = a.crossbar.rows;
  t.cols = a.crossbar.cols;
  struct entry {
    uint64_t xbar;
    uint32_t index;
    stuck s;
    size_t line;
  };
  std::vector<entry> cells;
  size_t pos = 0, line_no = 0;
  bool header = false;
  auto bad = [&](const std::string& what) {
    throw error(path + ":" + std::to_string(line_no) + ": " + what);
  };
  while (pos < text.size() || line_no == 0) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line_no == 1) {
      if (line == kVersionLine) continue;
      const std::string lead = "# rramft fault map v";
      if (line.rfind(lead, 0) == 0)
        bad("fault map version '" + line.substr(lead.size()) +
            "' is not supported (this rramft reads v1)");
      bad(std::string("not a rramft fault map: the first line must be '") + kVersionLine + "'");
    }
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      if (line != kHeader) bad(std::string("expected the header line '") + kHeader + "'");
      header = true;
      continue;
    }
    std::vector<std::string> f;
    for (size_t b = 0;;) {
      const size_t c = line.find(',', b);
      f.push_back(line.substr(b, c == std::string::npos ? std::string::npos : c - b));
      if (c == std::string::npos) break;
      b = c + 1;
    }
    if (f.size() != 4)
      bad("expected 4 fields (crossbar,row,col,type), found " + std::to_string(f.size()));
    uint64_t x, r, c;
    if (!parse_count(f[0], x)) bad("crossbar '" + f[0] + "' is not a non-negative integer");
    if (!parse_count(f[1], r)) bad("row '" + f[1] + "' is not a non-negative integer");
    if (!parse_count(f[2], c)) bad("col '" + f[2] + "' is not a non-negative integer");
    stuck s;
    if (f[3] == "SA0")
      s = stuck::sa0;
    else if (f[3] == "SA1")
      s = stuck::sa1;
    else
      bad("type '" + f[3] + "' is not SA0 or SA1");
    if (x >= chip_xbars)
      bad("crossbar " + f[0] + " is outside the chip (tiles.count x tiles.crossbars = " +
          std::to_string(chip_xbars) + " crossbars)");
    if (r >= uint64_t(t.rows))
      bad("row " + f[1] + " is outside the crossbar (crossbar.rows = " + std::to_string(t.rows) +
          ")");
    if (c >= uint64_t(t.cols))
      bad("col " + f[2] + " is outside the crossbar (crossbar.cols = " + std::to_string(t.cols) +
          ")");
    cells.push_back({x, uint32_t(r * uint64_t(t.cols) + c), s, line_no});
  }
  if (!header) bad(std::string("no header line '") + kHeader + "'");
  std::stable_sort(cells.begin(), cells.end(), [](const entry& p, const entry& q) {
    return p.xbar != q.xbar ? p.xbar < q.xbar : p.index < q.index;
  });
  for (size_t i = 1; i < cells.size(); ++i)
    if (cells[i].xbar == cells[i - 1].xbar && cells[i].index == cells[i - 1].index) {
      line_no = cells[i].line;
      bad("cell (crossbar " + std::to_string(cells[i].xbar) + ", row " +
          std::to_string(cells[i].index / uint32_t(t.cols)) + ", col " +
          std::to_string(cells[i].index % uint32_t(t.cols)) + ") is listed twice (lines " +
          std::to_string(cells[i - 1].line) + " and " + std::to_string(cells[i].line) + ")");
    }
  for (const entry& e : cells) t.xbars[e.xbar].push_back({e.index, e.s});
  t.cells = cells.size();
  return t;
}

void write_stuck_table(std::ostream& os, const fault_map& f, uint64_t xbars, int rows, int cols,
                       const std::string& comment) {
  os << kVersionLine << "\n";
  if (!comment.empty()) os << "# " << error::one_line(comment) << "\n";
  os << kHeader << "\n";
  std::string buf;
  for (uint64_t x = 0; x < xbars; ++x) {
    const xbar_ref ref = f.crossbar(x);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const stuck s = f.stuck_at(ref, r, c);
        if (s == stuck::none) continue;
        buf += std::to_string(x);
        buf += ',';
        buf += std::to_string(r);
        buf += ',';
        buf += std::to_string(c);
        buf += s == stuck::sa0 ? ",SA0\n" : ",SA1\n";
      }
    if (buf.size() > (1u << 20)) {
      os << buf;
      buf.clear();
    }
  }
  os << buf;
}

}  // namespace rramft
