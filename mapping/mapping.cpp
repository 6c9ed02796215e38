#include "mapping/mapping.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"

namespace rramft::mapping {

namespace {

int ceil_div(int a, int b) { return (a + b - 1) / b; }

/// Hands out free bit columns of a row block in order, opening crossbars as needed.
class column_stream {
 public:
  column_stream(std::vector<column_content>& cols, int C, size_t start_col)
      : cols_(cols), C_(C), pos_(start_col) {}
  column_content& next() {
    while (pos_ < cols_.size() && cols_[pos_].used()) ++pos_;
    if (pos_ >= cols_.size()) cols_.resize(cols_.size() + size_t(C_));
    return cols_[pos_++];
  }

 private:
  std::vector<column_content>& cols_;
  int C_;
  size_t pos_;
};

/// Places the copies 2..T of output @p out's protected slices through @p next.
template <class Next>
void place_copies(int out, int S, int P, int T, Next&& next) {
  for (int t = 1; t < T; ++t)
    for (int s = S - P; s < S; ++s)
      for (int neg = 0; neg < 2; ++neg)
        next() = column_content{out, int16_t(s), int8_t(neg), int8_t(t)};
}

void place_primary(std::vector<column_content>& cols, size_t at, int out, int S) {
  for (int s = 0; s < S; ++s)
    for (int neg = 0; neg < 2; ++neg)
      cols[at + 2 * s + neg] = column_content{out, int16_t(s), int8_t(neg), 0};
}

}  // namespace

void kept_indices(const models::weight_layer& wl, std::vector<int>& rows, std::vector<int>& cols) {
  rows.clear();
  cols.clear();
  for (int i = 0; i < wl.rows; ++i) {
    bool keep;
    if (!wl.row_mask.empty()) {
      keep = wl.row_mask[size_t(i)] != 0;
    } else {
      keep = false;
      for (int o = 0; o < wl.cols && !keep; ++o) keep = wl.w[size_t(o) * wl.rows + i] != 0.0f;
    }
    if (keep) rows.push_back(i);
  }
  for (int o = 0; o < wl.cols; ++o) {
    bool keep;
    if (!wl.col_mask.empty()) {
      keep = wl.col_mask[size_t(o)] != 0;
    } else {
      keep = false;
      for (int i = 0; i < wl.rows && !keep; ++i) keep = wl.w[size_t(o) * wl.rows + i] != 0.0f;
    }
    if (keep) cols.push_back(o);
  }
}

mapped_layer map_layer(const models::weight_layer& wl, const arch_spec& a, uint64_t first_xbar,
                       layer_report& rep) {
  mapped_layer l;
  l.name = wl.name;
  l.rows = wl.rows;
  l.cols = wl.cols;
  l.arch = a;
  l.first_xbar = first_xbar;
  kept_indices(wl, l.kept_rows, l.kept_cols);
  const int K = int(l.kept_rows.size()), O = int(l.kept_cols.size());

  // Quantize the kept submatrix; pruned weights are zero, so the scales are those of the layer.
  std::vector<float> sub(size_t(O) * K);
  for (int o = 0; o < O; ++o)
    for (int r = 0; r < K; ++r)
      sub[size_t(o) * K + r] = wl.w[size_t(l.kept_cols[o]) * wl.rows + l.kept_rows[r]];
  l.w = quantize_weights(sub.data(), O, K, a.weight_bits,
                         a.weight_scale == weight_scale_mode::per_channel, a.quant.clip,
                         a.quant.clip_value);

  const int R = a.crossbar.rows, C = a.crossbar.cols;
  const int S = a.weight_slices(), P = a.protected_slices(), T = a.copies();
  const int unit = 2 * S, copy_unit = 2 * P * (T - 1);
  const int g = C / unit;               // outputs per crossbar; validate() guarantees g >= 1
  const int nb = ceil_div(wl.cols, g);  // dense baseline crossbars per row block
  const int dense_rb = ceil_div(wl.rows, R);
  l.row_blocks = K == 0 || O == 0 ? 0 : ceil_div(K, R);
  const bool in_place = T > 1 && a.protection.embed && a.mapping.copy_scope == copy_scope::crossbar;

  std::vector<column_content>& cols = l.columns;
  if (l.row_blocks > 0) {
    if (!in_place) {
      // Kept outputs packed from crossbar 0; copies in the free columns that follow them
      // (embed) or in crossbars of their own (no embedding).
      cols.assign(size_t(ceil_div(O, g)) * C, column_content{});
      for (int i = 0; i < O; ++i)
        place_primary(cols, size_t(i / g) * C + size_t(i % g) * unit, i, S);
      if (T > 1) {
        column_stream stream(cols, C, a.protection.embed ? 0 : cols.size());
        for (int i = 0; i < O; ++i)
          place_copies(i, S, P, T, [&]() -> column_content& { return stream.next(); });
      }
    } else {
      // Outputs stay where the dense layout puts them; copies go into free columns of the same
      // crossbar, and what does not fit spills into extra crossbars after the baseline ones.
      cols.assign(size_t(nb) * C, column_content{});
      for (int i = 0; i < O; ++i) {
        const int j = l.kept_cols[i];
        place_primary(cols, size_t(j / g) * C + size_t(j % g) * unit, i, S);
      }
      std::vector<column_content> spill;
      column_stream overflow(spill, C, 0);
      for (int x = 0, i = 0; x < nb; ++x) {
        size_t free_pos = size_t(x) * C;
        const size_t end = size_t(x + 1) * C;
        auto next = [&]() -> column_content& {
          while (free_pos < end && cols[free_pos].used()) ++free_pos;
          if (free_pos < end) return cols[free_pos++];
          return overflow.next();
        };
        for (; i < O && l.kept_cols[i] / g == x; ++i) place_copies(i, S, P, T, next);
      }
      cols.insert(cols.end(), spill.begin(), spill.end());
    }
  }
  l.xbars_per_block = int(cols.size()) / C;

  rep = layer_report{};
  rep.name = l.name;
  rep.rows = l.rows;
  rep.cols = l.cols;
  rep.kept_rows = K;
  rep.kept_cols = O;
  rep.col_sparsity = l.cols ? 1.0 - double(O) / l.cols : 0;
  rep.row_sparsity = l.rows ? 1.0 - double(K) / l.rows : 0;
  rep.row_blocks = l.row_blocks;
  rep.crossbars = l.crossbars();
  rep.crossbars_baseline = dense_rb * nb;
  rep.crossbars_pruned = l.row_blocks * ceil_div(O, g);
  // Copies must sit in crossbars of their own row block, so the budget is per row block:
  // the nb crossbars the dense layer spends on each block. Savings from pruned rows are
  // real (crossbars < crossbars_baseline) but cannot host another block's copies.
  rep.extra_crossbars = l.row_blocks * std::max(0, l.xbars_per_block - nb);
  rep.embedded = rep.extra_crossbars == 0;
  int64_t used_cols = 0;
  for (const auto& c : cols) used_cols += c.used();
  rep.cells_used = used_cols * K;  // every row block holds the same columns over its rows
  rep.cells_baseline = int64_t(l.rows) * l.cols * unit;

  // Threshold: the least column sparsity whose copies fit in the baseline's crossbars.
  if (T > 1) {
    if (in_place) {
      // Spread evenly, each crossbar keeps at most floor(C / (unit + copies)) of its g outputs.
      const int keep = std::min(g, C / (unit + copy_unit));
      rep.threshold = 1.0 - double(keep) / g;
    } else {
      int omax = 0;
      for (int o = l.cols; o >= 0; --o) {
        const int np = ceil_div(o, g);
        const int64_t spare = int64_t(np) * C - int64_t(o) * unit;
        const int64_t need = int64_t(o) * copy_unit;
        const int xpb = np + int(need > spare ? ceil_div(int(need - spare), C) : 0);
        if (xpb <= nb) {
          omax = o;
          break;
        }
      }
      rep.threshold = 1.0 - double(omax) / l.cols;
    }
  }
  int64_t msb_zero = 0;
  const int top = (S - 1) * a.cell_bits;
  for (int32_t q : l.w.q) msb_zero += ((std::abs(q) >> top) & a.cell_levels()) == 0;
  rep.msb_zero_fraction = l.w.q.empty() ? 1.0 : double(msb_zero) / double(l.w.q.size());
  return l;
}

chip_mapping map_model(const models::model& m, const arch_spec& arch) {
  chip_mapping cm;
  cm.arch = arch;
  cm.model_dir = m.dir;
  cm.family = m.family;
  uint64_t next_xbar = 0;
  for (const auto& wl : m.layers) {
    layer_report rep;
    cm.layers.push_back(map_layer(wl, arch, next_xbar, rep));
    next_xbar += uint64_t(cm.layers.back().crossbars());
    if (arch.mapping.strict && arch.copies() > 1 && arch.protection.embed && !rep.embedded) {
      std::ostringstream o;
      o.precision(1);
      o << std::fixed << "layer '" << rep.name << "': column sparsity " << 100 * rep.col_sparsity
        << "% is below the " << 100 * rep.threshold << "% its " << arch.copies() - 1
        << " extra copies of " << arch.protected_slices() << " plane(s) need on "
        << arch.crossbar.rows << "x" << arch.crossbar.cols << " crossbars (--strict; it would take "
        << rep.extra_crossbars << " extra crossbars)";
      throw error(o.str());
    }
    cm.reports.push_back(rep);
  }
  // The chip's stuck cells that read wrong, blind and (mapping.fault_aware) placed around.
  const fault_map chip(arch.fault, arch.seed, arch.cell_bits);
  if (chip.has_stuck())
    for (size_t i = 0; i < cm.layers.size(); ++i) {
      layer_report& r = cm.reports[i];
      r.harmful_blind = r.harmful = int64_t(read_errors(cm.layers[i], chip).size());
      if (arch.mapping.fault_aware)
        r.harmful = place_around_faults(cm.layers[i], chip, arch.mapping.fault_aware_rows);
    }
  return cm;
}

int chip_mapping::crossbars_used() const {
  int n = 0;
  for (const auto& r : reports) n += r.crossbars;
  return n;
}

double chip_mapping::msb_zero_fraction() const {
  double zero = 0, all = 0;
  for (size_t i = 0; i < reports.size(); ++i) {
    const double n = double(layers[i].w.q.size());
    zero += reports[i].msb_zero_fraction * n;
    all += n;
  }
  return all > 0 ? zero / all : 1.0;
}

int chip_mapping::crossbars_baseline() const {
  int n = 0;
  for (const auto& r : reports) n += r.crossbars_baseline;
  return n;
}

double chip_mapping::storage_overhead_pct() const {
  int extra = 0;
  for (const auto& r : reports) extra += r.extra_crossbars;
  const int base = crossbars_baseline();
  return base ? 100.0 * extra / base : 0.0;
}

nlohmann::json chip_mapping::to_json() const {
  nlohmann::json j;
  j["model"] = model_dir;
  j["family"] = family;
  j["scheme"] = arch.scheme_name();
  j["quant_clip"] = {{"mode", to_string(arch.quant.clip)}, {"value", arch.quant.clip_value}};
  j["crossbars_used"] = crossbars_used();
  j["crossbars_baseline"] = crossbars_baseline();
  int pruned = 0, extra = 0;
  int64_t cells = 0, cells_base = 0;
  for (const auto& r : reports) {
    pruned += r.crossbars_pruned;
    extra += r.extra_crossbars;
    cells += r.cells_used;
    cells_base += r.cells_baseline;
  }
  j["crossbars_pruned_unprotected"] = pruned;
  j["extra_crossbars"] = extra;
  j["storage_overhead_pct"] = storage_overhead_pct();
  j["cells_used"] = cells;
  j["cells_baseline"] = cells_base;
  j["cells_per_crossbar"] = int64_t(arch.crossbar.rows) * arch.crossbar.cols;
  j["all_embedded"] = extra == 0;
  j["msb_zero_fraction"] = msb_zero_fraction();
  int64_t harmful = 0, harmful_blind = 0;
  for (const auto& r : reports) {
    harmful += std::max<int64_t>(r.harmful, 0);
    harmful_blind += std::max<int64_t>(r.harmful_blind, 0);
  }
  // Stuck cells of the chip that read a wrong level (fault-aware placement against blind).
  j["fault_aware"] = arch.mapping.fault_aware;
  j["harmful_cells"] = harmful;
  j["harmful_cells_blind"] = harmful_blind;
  nlohmann::json jl = nlohmann::json::array();
  for (size_t i = 0; i < reports.size(); ++i) {
    const auto& r = reports[i];
    jl.push_back({{"name", r.name},
                  {"rows", r.rows},
                  {"cols", r.cols},
                  {"kept_rows", r.kept_rows},
                  {"kept_cols", r.kept_cols},
                  {"col_sparsity", r.col_sparsity},
                  {"row_sparsity", r.row_sparsity},
                  {"row_blocks", r.row_blocks},
                  {"crossbars_per_row_block", layers[i].xbars_per_block},
                  {"crossbars", r.crossbars},
                  {"crossbars_baseline", r.crossbars_baseline},
                  {"crossbars_pruned_unprotected", r.crossbars_pruned},
                  {"extra_crossbars", r.extra_crossbars},
                  {"threshold", r.threshold},
                  {"embedded", r.embedded},
                  {"cells_used", r.cells_used},
                  {"cells_baseline", r.cells_baseline},
                  {"msb_zero_fraction", r.msb_zero_fraction},
                  {"harmful_cells", std::max<int64_t>(r.harmful, 0)},
                  {"harmful_cells_blind", std::max<int64_t>(r.harmful_blind, 0)},
                  {"first_crossbar", layers[i].first_xbar}});
  }
  j["layers"] = jl;
  return j;
}

}  // namespace rramft::mapping
