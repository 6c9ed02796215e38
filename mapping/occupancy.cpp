#include "mapping/occupancy.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "io/output.h"

namespace rramft::mapping {

namespace {

// Picture limits: they keep the file small enough for a browser and the layout readable.
constexpr double kMaxWidth = 1600;     // px, whole picture
constexpr double kXbarHeight = 48;     // px, one crossbar, whatever R is
constexpr double kXbarGap = 8;         // px between crossbars side by side
constexpr double kLabelBand = 11;      // px above each crossbar for its id
constexpr double kLeftMargin = 96;     // px, row-block labels
constexpr double kMargin = 12;         // px around everything
constexpr int kMaxXbarsPerLayer = 64;  // crossbars drawn per layer
constexpr int kMaxXbarsTotal = 1536;   // crossbars drawn in the whole picture
constexpr int64_t kMaxMarks = 200000;  // fault marks in the whole picture
// Cells whose fault state is looked up for the marks (one hash each): a bound on the time the
// picture takes, whatever the crossbar size (65535 x 65535 crossbars would otherwise take hours).
constexpr int64_t kMaxCellsScanned = int64_t(1) << 27;

/// Colour classes of a bit column; the order is the legend's.
enum column_class { k_free, k_lsb_pos, k_lsb_neg, k_msb_pos, k_msb_neg, k_copy_pos, k_copy_neg };
const char* const kClassName[] = {"fr", "lp", "ln", "mp", "mn", "cp", "cn"};
const char* const kClassFill[] = {"#e3e3e3", "#7fb2e0", "#2e6aa8", "#fdb463",
                                  "#dd6a12", "#8fd18b", "#2e8b3e"};

column_class classify(const mapped_layer& l, const column_content& cc) {
  if (!cc.used()) return k_free;
  if (cc.cand >= 1) return cc.neg ? k_copy_neg : k_copy_pos;
  if (l.copies() > 1 && l.is_protected(cc.slice)) return cc.neg ? k_msb_neg : k_msb_pos;
  return cc.neg ? k_lsb_neg : k_lsb_pos;
}

/// Shortest decimal text of @p v with at most two decimals ("12", "0.5", "45.38").
std::string num(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  std::string s(b);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  if (s == "-0") s = "0";
  return s;
}

std::string pct(double fraction) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * fraction);
  return b;
}

std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (const char ch : s) {
    switch (ch) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&apos;";
        break;
      default:
        // XML 1.0 forbids most control characters; names never need them.
        if (static_cast<unsigned char>(ch) < 0x20 && ch != '\t') {
          o += '?';
        } else {
          o += ch;
        }
    }
  }
  return o;
}

void text(std::ostream& o, double x, double y, const std::string& cls, const std::string& body) {
  o << "<text class=\"" << cls << "\" x=\"" << num(x) << "\" y=\"" << num(y) << "\">" << body
    << "</text>\n";
}

/// Geometry shared by every crossbar of the picture.
struct xbar_geometry {
  int R = 0, C = 0;
  double col_w = 1;  // px per bit column
  double row_h = 1;  // px per row
  double width() const { return C * col_w; }
  double pitch() const { return width() + kXbarGap; }
  double line_h() const { return kLabelBand + kXbarHeight + 6; }
  int per_line() const {
    return std::max(1, int((kMaxWidth - kLeftMargin - kMargin + kXbarGap) / pitch()));
  }
};

/// Accumulates the fault marks of one crossbar as two stroked paths (one per fault type).
struct mark_paths {
  std::string sa0, sa1, sa0_dim, sa1_dim;
  void add(stuck s, bool dim, double x, double y, double w) {
    std::string& d = s == stuck::sa0 ? (dim ? sa0_dim : sa0) : (dim ? sa1_dim : sa1);
    d += 'M';
    d += num(x);
    d += ' ';
    d += num(y);
    d += 'h';
    d += num(w);
  }
  void write(std::ostream& o) const {
    if (!sa1_dim.empty()) o << "<path class=\"s1 dim\" d=\"" << sa1_dim << "\"/>\n";
    if (!sa0_dim.empty()) o << "<path class=\"s0 dim\" d=\"" << sa0_dim << "\"/>\n";
    if (!sa1.empty()) o << "<path class=\"s1\" d=\"" << sa1 << "\"/>\n";
    if (!sa0.empty()) o << "<path class=\"s0\" d=\"" << sa0 << "\"/>\n";
  }
};

struct picture_stats {
  int64_t marks = 0;                   // drawn
  int64_t marks_skipped = 0;           // found after the cap
  int64_t xbars_unscanned = 0;         // drawn without fault marks (scan limit reached)
  int64_t sa0 = 0, sa1 = 0;            // stuck cells found in drawn crossbars
  int64_t sa0_live = 0, sa1_live = 0;  // of which on cells that hold a weight bit
  int64_t xbars_drawn = 0, xbars_not_drawn = 0;
  int64_t cells_scanned = 0;
};

/// Draws one layer's section at height @p y; returns the height it took.
double draw_layer(std::ostream& o, const mapped_layer& l, const layer_report& rep,
                  const xbar_geometry& g, const fault_map& chip, double y0, int& total_budget,
                  picture_stats& st) {
  double y = y0;
  // Title: what the layer is and what it cost.
  {
    std::ostringstream t;
    t << "<tspan class=\"b\">" << xml_escape(l.name) << "</tspan>  kept rows " << rep.kept_rows
      << "/" << rep.rows << ", kept cols " << rep.kept_cols << "/" << rep.cols
      << ", column sparsity " << pct(rep.col_sparsity);
    if (l.copies() > 1) t << " (copies need " << pct(rep.threshold) << ")";
    t << "  |  " << rep.row_blocks << " row block" << (rep.row_blocks == 1 ? "" : "s") << " x "
      << l.xbars_per_block << " = " << rep.crossbars << " crossbars, baseline "
      << rep.crossbars_baseline << ", extra " << rep.extra_crossbars;
    if (rep.extra_crossbars > 0 && l.copies() > 1)
      t << " <tspan class=\"warn\">(copies did not all fit)</tspan>";
    text(o, kMargin, y + 14, "h2", t.str());
    y += 22;
  }
  if (l.crossbars() == 0) {
    text(o, kLeftMargin, y + 12, "note",
         "no crossbars: every row or column of this layer is pruned");
    return y + 20 - y0;
  }
  const int want = std::min(l.crossbars(), kMaxXbarsPerLayer);
  const int draw = std::min(want, std::max(0, total_budget));
  total_budget -= draw;
  if (draw == 0) {
    text(o, kLeftMargin, y + 12, "note",
         std::to_string(l.crossbars()) + " crossbars not drawn (picture limit of " +
             std::to_string(kMaxXbarsTotal) + " crossbars reached)");
    st.xbars_not_drawn += l.crossbars();
    return y + 20 - y0;
  }

  // Run-length merged column layout of each crossbar position k, defined once and reused by
  // every row block (all row blocks share the layout).
  const int C = l.C(), R = l.R();
  const int kmax = std::min(l.xbars_per_block, draw);
  const std::string lid = "L" + std::to_string(l.first_xbar) + "k";
  o << "<defs>\n";
  for (int k = 0; k < kmax; ++k) {
    o << "<g id=\"" << lid << k << "\">";
    int c = 0;
    while (c < C) {
      const column_class cls = classify(l, l.columns[size_t(k) * C + c]);
      int e = c + 1;
      while (e < C && classify(l, l.columns[size_t(k) * C + e]) == cls) ++e;
      o << "<rect class=\"" << kClassName[cls] << "\" x=\"" << num(c * g.col_w) << "\" width=\""
        << num((e - c) * g.col_w) << "\" height=\"" << num(kXbarHeight) << "\"/>";
      c = e;
    }
    o << "</g>\n";
  }
  o << "</defs>\n";

  // Which row blocks to draw: all of them if they fit; else the first ones and the last one
  // (the last usually holds fewer rows); a row block too wide for the limit is cut.
  const int xpb = l.xbars_per_block, nrb = l.row_blocks;
  std::vector<int> blocks;
  if (nrb * xpb <= draw) {
    for (int b = 0; b < nrb; ++b) blocks.push_back(b);
  } else {
    const int fit = draw / xpb;
    for (int b = 0; b + 1 < fit; ++b) blocks.push_back(b);
    blocks.push_back(fit >= 2 ? nrb - 1 : 0);
  }

  const int per_line = g.per_line();
  int drawn = 0, prev = -1;
  for (const int b : blocks) {
    if (b != prev + 1) {
      const int skipped = (b - prev - 1) * xpb;
      text(o, kLeftMargin, y + 12, "note",
           "... row block" + std::string(b - prev - 1 == 1 ? " " : "s ") +
               std::to_string(prev + 1) + (b - prev - 1 == 1 ? "" : ".." + std::to_string(b - 1)) +
               " (" + std::to_string(skipped) +
               " crossbars) not drawn: same column layout, other "
               "inputs and faults");
      y += 20;
    }
    prev = b;
    const int used_rows = l.block_rows(b);
    text(o, kMargin, y + kLabelBand + 14, "lbl", "row block " + std::to_string(b));
    text(o, kMargin, y + kLabelBand + 26, "sm",
         std::to_string(used_rows) + "/" + std::to_string(R) + " rows used");
    for (int k = 0; k < xpb && drawn < draw; ++k, ++drawn) {
      if (k > 0 && k % per_line == 0) y += g.line_h();
      const double x = kLeftMargin + (k % per_line) * g.pitch();
      const uint64_t id = l.xbar_id(b, k);
      text(o, x, y + kLabelBand - 2, "sm",
           "#" + std::to_string(id) + " (" + std::to_string(b) + "," + std::to_string(k) + ")");
      const double yx = y + kLabelBand;
      o << "<g transform=\"translate(" << num(x) << " " << num(yx) << ")\">";
      o << "<use xlink:href=\"#" << lid << k << "\"/>";
      if (used_rows < R)
        o << "<rect class=\"un\" y=\"" << num(used_rows * g.row_h) << "\" width=\""
          << num(g.width()) << "\" height=\"" << num((R - used_rows) * g.row_h) << "\"/>";
      o << "\n";

      const bool scan = chip.has_stuck() && st.cells_scanned + int64_t(R) * C <= kMaxCellsScanned;
      if (chip.has_stuck() && !scan) ++st.xbars_unscanned;
      if (scan) {
        mark_paths mp;
        const double mw = std::max(g.col_w, 2.0), mh = 2.0;  // mark size, px
        const xbar_ref key = chip.crossbar(id);
        for (int c = 0; c < C; ++c) {
          const column_content& cc = l.columns[size_t(k) * C + c];
          const bool live_col = cc.used() && l.in_fault_scope(cc.slice);
          for (int r = 0; r < R; ++r) {
            const stuck s = chip.stuck_at(key, r, c);
            if (s == stuck::none) continue;
            const bool live = live_col && r < used_rows;
            if (s == stuck::sa0) {
              ++st.sa0;
              st.sa0_live += live;
            } else {
              ++st.sa1;
              st.sa1_live += live;
            }
            if (st.marks >= kMaxMarks) {
              ++st.marks_skipped;
              continue;
            }
            ++st.marks;
            // Centred on the cell, kept inside the crossbar's outline.
            const double mx = std::clamp((c + 0.5) * g.col_w - mw / 2, 0.0, g.width() - mw);
            const double my = std::clamp((r + 0.5) * g.row_h, mh / 2, kXbarHeight - mh / 2);
            mp.add(s, !live, mx, my, mw);
          }
        }
        st.cells_scanned += int64_t(R) * C;
        mp.write(o);
      }
      o << "<rect class=\"ol\" width=\"" << num(g.width()) << "\" height=\"" << num(kXbarHeight)
        << "\"/></g>\n";
    }
    y += g.line_h();
    if (b != blocks.back())
      o << "<line class=\"sep\" x1=\"" << num(kMargin) << "\" x2=\"" << num(kMaxWidth - kMargin)
        << "\" y1=\"" << num(y - 3) << "\" y2=\"" << num(y - 3) << "\"/>\n";
  }
  st.xbars_drawn += drawn;
  if (drawn < l.crossbars()) {
    const int more = l.crossbars() - drawn;
    st.xbars_not_drawn += more;
    text(o, kLeftMargin, y + 10, "note",
         "... " + std::to_string(more) + " more crossbar" + (more == 1 ? "" : "s") +
             " not drawn (" + std::to_string(drawn) + " of " + std::to_string(l.crossbars()) +
             " drawn; the picture shows at most " + std::to_string(kMaxXbarsPerLayer) +
             " per layer)");
    y += 18;
  }
  return y + 8 - y0;
}

void swatch(std::ostream& o, double x, double y, const std::string& cls, const std::string& label) {
  o << "<rect class=\"" << cls << " ol2\" x=\"" << num(x) << "\" y=\"" << num(y - 9)
    << "\" width=\"14\" height=\"10\"/>";
  text(o, x + 18, y, "lg", label);
}

void mark_swatch(std::ostream& o, double x, double y, const std::string& cls,
                 const std::string& label) {
  o << "<rect class=\"fr ol2\" x=\"" << num(x) << "\" y=\"" << num(y - 9)
    << "\" width=\"14\" height=\"10\"/><path class=\"" << cls << "\" d=\"M" << num(x + 5) << " "
    << num(y - 4) << "h4\"/>";
  text(o, x + 18, y, "lg", label);
}

}  // namespace

std::string occupancy_svg(const chip_mapping& cm, const fault_map& chip) {
  const arch_spec& a = cm.arch;
  xbar_geometry g;
  g.R = a.crossbar.rows;
  g.C = a.crossbar.cols;
  // 1 px per bit column for ordinary crossbars; small ones are widened, huge ones narrowed so
  // that at least one crossbar fits on a line.
  g.col_w = g.C < 64 ? std::floor(96.0 / g.C) : (g.C > 512 ? 512.0 / g.C : 1.0);
  g.row_h = kXbarHeight / g.R;

  // Body first: the legend reports what the body found (fault counts, caps).
  std::ostringstream body;
  picture_stats st;
  int budget = kMaxXbarsTotal;
  const double legend_h = 150;
  double y = kMargin + legend_h;
  for (size_t i = 0; i < cm.layers.size() && i < cm.reports.size(); ++i) {
    body << "<g class=\"layer\">\n";
    y += draw_layer(body, cm.layers[i], cm.reports[i], g, chip, y, budget, st);
    body << "</g>\n";
  }
  const double height = y + kMargin;
  const double width = kMaxWidth;

  std::ostringstream o;
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
    << "width=\"" << num(width) << "\" height=\"" << num(height) << "\" viewBox=\"0 0 "
    << num(width) << " " << num(height) << "\">\n"
    << "<title>rramft crossbar occupancy: " << xml_escape(cm.model_dir) << "</title>\n"
    << "<style>\n"
    << "text{font-family:DejaVu Sans,Arial,Helvetica,sans-serif;fill:#222}\n"
    << ".h1{font-size:16px;font-weight:bold}.h2{font-size:12px}.b{font-weight:bold}\n"
    << ".lg{font-size:11px}.lbl{font-size:11px}.sm{font-size:8px;fill:#555}\n"
    << ".note{font-size:11px;font-style:italic;fill:#555}.warn{fill:#c00;font-weight:bold}\n";
  for (int c = 0; c < 7; ++c) o << "." << kClassName[c] << "{fill:" << kClassFill[c] << "}";
  o << "\n.un{fill:#fff;fill-opacity:.78}\n"
    << ".ol{fill:none;stroke:#444;stroke-width:.6}.ol2{stroke:#444;stroke-width:.6}\n"
    << ".s0{stroke:#000;stroke-width:2;fill:none}.s1{stroke:#e0001b;stroke-width:2;fill:none}\n"
    << ".dim{stroke-opacity:.35}.sep{stroke:#ccc;stroke-width:.5}\n"
    << "</style>\n"
    << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";

  // Legend.
  double ly = kMargin + 14;
  text(o, kMargin, ly, "h1",
       "Crossbar occupancy: " + xml_escape(cm.model_dir) + " (" + xml_escape(cm.family) + ")");
  ly += 20;
  {
    std::ostringstream t;
    t << "arch: crossbar " << a.crossbar.rows << " x " << a.crossbar.cols << " (R x C), cell_bits "
      << a.cell_bits << ", weight_bits " << a.weight_bits << " (" << a.weight_slices()
      << " magnitude slices), scheme " << a.scheme_name() << ", T = " << a.copies()
      << ", protected planes " << a.protected_slices() << ", flip " << (a.flipped() ? "on" : "off")
      << ", embed " << (a.protection.embed ? "on" : "off") << ", copy_scope "
      << to_string(a.mapping.copy_scope) << ", seed " << a.seed;
    text(o, kMargin, ly, "lg", t.str());
  }
  ly += 16;
  {
    std::ostringstream t;
    t << "faults: stuck-at rate " << a.fault.rate << " (SA0:SA1 = " << a.fault.sa0 << ":"
      << a.fault.sa1 << "), scope " << to_string(a.fault.scope) << ", transient rate "
      << a.fault.transient_rate;
    if (chip.has_stuck())
      t << "  |  in drawn crossbars: " << st.sa0 << " SA0 (" << st.sa0_live << " on weight bits), "
        << st.sa1 << " SA1 (" << st.sa1_live << " on weight bits) in " << st.cells_scanned
        << " cells";
    if (chip.table()) t << "  |  measured map " << a.fault.map;
    if (chip.has_stuck()) {
      int64_t harmful = 0, blind = 0;
      for (const auto& r : cm.reports) {
        harmful += std::max<int64_t>(r.harmful, 0);
        blind += std::max<int64_t>(r.harmful_blind, 0);
      }
      t << "  |  harmful stuck cells " << harmful << " ("
        << (a.mapping.fault_aware ? "fault-aware placement; blind " : "blind placement; ") << blind
        << ")";
    }
    text(o, kMargin, ly, "lg", t.str());
  }
  ly += 16;
  {
    std::ostringstream t;
    char ov[32];
    std::snprintf(ov, sizeof ov, "%.2f%%", cm.storage_overhead_pct());
    t << "totals: " << cm.crossbars_used() << " crossbars used, " << cm.crossbars_baseline()
      << " in the dense unprotected baseline, storage overhead " << ov << "  |  drawn "
      << st.xbars_drawn << " crossbars";
    if (st.xbars_not_drawn > 0) t << ", " << st.xbars_not_drawn << " not drawn";
    text(o, kMargin, ly, "lg", t.str());
  }
  ly += 22;
  const bool fl = a.flipped();
  const std::string inv = fl ? ", stored inverted" : "";
  const std::string prot = a.protection.scheme == scheme::tmr ? "protected plane (tmr: every plane)"
                                                              : "protected (MSB) plane";
  const double col1 = kMargin, col2 = kMargin + 330, col3 = kMargin + 690, col4 = kMargin + 1050;
  swatch(o, col1, ly, "fr", "free bit column");
  swatch(o, col2, ly, "mp", prot + ", candidate 0, + array" + inv);
  swatch(o, col3, ly, "cp", "candidate copies (cand >= 1), + array" + inv);
  mark_swatch(o, col4, ly, "s0", "SA0 cell (reads 0)");
  ly += 16;
  swatch(o, col1, ly, "lp", "LSB / unprotected plane, + array");
  swatch(o, col2, ly, "mn", prot + ", candidate 0, - array" + inv);
  swatch(o, col3, ly, "cn", "candidate copies (cand >= 1), - array" + inv);
  mark_swatch(o, col4, ly, "s1", "SA1 cell (reads max level)");
  ly += 16;
  swatch(o, col1, ly, "ln", "LSB / unprotected plane, - array");
  o << "<rect class=\"lp ol2\" x=\"" << num(col2) << "\" y=\"" << num(ly - 9)
    << "\" width=\"14\" height=\"10\"/><rect class=\"un\" x=\"" << num(col2) << "\" y=\""
    << num(ly - 9) << "\" width=\"14\" height=\"10\"/>";
  text(o, col2 + 18, ly, "lg", "pale: rows past the row block's kept inputs (unused)");
  mark_swatch(o, col4, ly, "s1 dim", "faded mark: cell holds no weight bit / out of scope");
  ly += 18;
  {
    std::ostringstream t;
    t << "Grid per layer: one line per row block, crossbar (b, k) labelled #id (b,k); each "
         "crossbar is "
      << g.C << " bit columns wide (" << num(g.col_w) << " px each) and " << g.R << " rows tall ("
      << num(kXbarHeight) << " px).";
    if (st.marks_skipped > 0)
      t << " <tspan class=\"warn\">Fault marks capped at " << kMaxMarks << ": " << st.marks_skipped
        << " stuck cells not marked.</tspan>";
    else if (!chip.has_stuck())
      t << " No faults on this chip (fault.rate = 0).";
    if (st.xbars_unscanned > 0)
      t << " <tspan class=\"warn\">Fault scan capped at " << kMaxCellsScanned
        << " cells: " << st.xbars_unscanned << " drawn crossbars without fault marks.</tspan>";
    text(o, kMargin, ly, "note", t.str());
  }
  o << "<line class=\"sep\" x1=\"" << num(kMargin) << "\" x2=\"" << num(width - kMargin)
    << "\" y1=\"" << num(kMargin + legend_h - 6) << "\" y2=\"" << num(kMargin + legend_h - 6)
    << "\"/>\n";

  o << body.str() << "</svg>\n";
  return o.str();
}

}  // namespace rramft::mapping
