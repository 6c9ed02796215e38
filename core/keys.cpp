#include "core/keys.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <type_traits>

#include "core/error.h"
#include "core/spec.h"

namespace rramft {

namespace keys {

std::string number_text(double v) {
  std::ostringstream o;
  if (v == std::floor(v) && std::fabs(v) < 1e9)
    o << static_cast<long long>(v);
  else
    o << v;
  return o.str();
}

namespace {

std::string value_text(const YAML::Node& n) {
  std::string got;
  if (n.IsScalar()) {
    got = n.Scalar();
  } else {
    YAML::Emitter e;
    e << YAML::Flow << n;
    got = e.c_str();
  }
  return got.size() > 80 ? got.substr(0, 77) + "..." : got;
}

}  // namespace

void expected(const std::string& origin, const std::string& key, const YAML::Node& n,
              const std::string& want) {
  throw error(origin + ": key '" + key + "': expected " + want + ", got '" + value_text(n) + "'");
}

void in_range(const std::string& key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    std::ostringstream o;
    o << "key '" << key << "': " << v << " is out of range [" << lo << ", " << hi << "]";
    throw error(o.str());
  }
}

}  // namespace keys

namespace {

using namespace keys;
using arch_key = key_def<arch_spec>;

/// The shortest text that reads back as the same double, so that arch.yaml reproduces the run.
std::string exact(double v) {
  std::string t;
  for (int digits = 6; digits <= std::numeric_limits<double>::max_digits10; ++digits) {
    std::ostringstream o;
    o.precision(digits);
    o << v;
    t = o.str();
    if (std::stod(t) == v) break;
  }
  return t;
}

/// fault.sa0_to_sa1: "a:b" (or a single number a, meaning a:1) with a, b >= 0 and a + b > 0.
arch_key sa0_to_sa1(const doc_text& d) {
  const std::string name = "fault.sa0_to_sa1";
  arch_key k{{name, "ratio", "a:b, a, b >= 0, a + b > 0", d.unit, d.doc, d.source}};
  k.read = [name](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    const std::string text = scalar<std::string>(n, origin, name, "a string");
    auto bad = [&] {
      throw error(origin + ": key '" + name +
                  "': expected 'a:b' with a, b >= 0 and a + b > 0, got '" +
                  (text.size() > 80 ? text.substr(0, 77) + "..." : text) + "'");
    };
    double a = 0, b = 0;
    try {
      const size_t colon = text.find(':');
      size_t used = 0;
      if (colon == std::string::npos) {
        a = std::stod(text, &used);
        if (used != text.size()) bad();
        b = 1.0;
      } else {
        const std::string l = text.substr(0, colon), r = text.substr(colon + 1);
        a = std::stod(l, &used);
        if (used != l.size()) bad();
        b = std::stod(r, &used);
        if (used != r.size()) bad();
      }
    } catch (const std::logic_error&) {
      bad();
    }
    if (!(a >= 0) || !(b >= 0) || !(a + b > 0) || !std::isfinite(a) || !std::isfinite(b)) bad();
    s.fault.sa0 = a;
    s.fault.sa1 = b;
  };
  k.write = [](const arch_spec& s) {
    return YAML::Node(exact(s.fault.sa0) + ":" + exact(s.fault.sa1));
  };
  return k;
}

/// protection.scheme: none | vote | tmr combined with range and clip (parse_protection).
arch_key protection_scheme(const doc_text& d) {
  const std::string name = "protection.scheme";
  arch_key k{{name, "scheme", "none | vote | tmr, + range, + clip", d.unit, d.doc, d.source}};
  k.read = [name](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    const std::string text = scalar<std::string>(n, origin, name, "a string");
    try {
      const protection_parts p = parse_protection(text);
      s.protection.scheme = p.base;
      s.protection.range = p.range;
      s.protection.clip = p.clip;
    } catch (const error& e) {
      throw error(origin + ": key '" + name + "': " + e.what());
    }
  };
  k.write = [](const arch_spec& s) { return YAML::Node(s.scheme_name()); };
  return k;
}

arch_key seed_key(const doc_text& d) {
  arch_key k{{"seed", "integer", "0..2^64-1", d.unit, d.doc, d.source}};
  k.read = [](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    s.seed = scalar<uint64_t>(n, origin, "seed", "a non-negative integer");
  };
  k.write = [](const arch_spec& s) { return YAML::Node(s.seed); };
  return k;
}

/// A key whose allowed values depend on other keys: @p allowed documents them, @p check tests them.
arch_key depends(arch_key k, const char* allowed, std::function<void(const arch_spec&)> check) {
  k.allowed = allowed;
  k.check = std::move(check);
  return k;
}

void check_candidates(const arch_spec& s) {
  if (s.protection.scheme != scheme::vote) return;
  in_range("protection.candidates", s.protection.candidates, 1, 15);
  if (s.protection.candidates % 2 == 0)
    throw error("key 'protection.candidates': T = " + std::to_string(s.protection.candidates) +
                " is even; the median vote needs an odd number of candidates");
}

void check_planes(const arch_spec& s) {
  in_range("protection.planes", s.protection.planes, 0, s.weight_slices());
  if (s.protection.scheme == scheme::vote && s.protection.planes < 1)
    throw error("key 'protection.planes': the vote scheme needs at least one protected plane");
}

void check_clip_value(const arch_spec& s) {
  const double v = s.quant.clip_value;
  std::ostringstream o;
  if (s.quant.clip == clip_mode::percentile && !(v > 0 && v <= 100))
    o << "key 'quant.clip_value': percentile clipping needs a percent in (0, 100], got " << v;
  if (s.quant.clip == clip_mode::sigma && !(v > 0 && v <= 1000))
    o << "key 'quant.clip_value': sigma clipping needs k in (0, 1000] (clip |w| at k standard "
         "deviations), got "
      << v;
  if (!o.str().empty()) throw error(o.str());
}

/// The table: built inside a class derived from key_lines, so that its lines read integer(...).
struct arch_table : key_lines<arch_spec> {
  static std::vector<arch_key> make();
};

std::vector<arch_key> arch_table::make() {
  // clang-format off
  return {
    integer("crossbar.rows", RRAMFT_FIELD(crossbar.rows), 1, 65535, {"count", "R: cells per bit line (word lines)", "ISAAC (Shafiee et al., ISCA 2016): 128"}),
    integer("crossbar.cols", RRAMFT_FIELD(crossbar.cols), 1, 65535, {"count", "C: cells per word line (bit lines)", "ISAAC: 128"}),
    integer("cell_bits", RRAMFT_FIELD(cell_bits), 1, 4, {"bits", "bits stored per ReRAM cell", "arXiv 2401.11664 (ISAAC uses 2)"}),
    integer("weight_bits", RRAMFT_FIELD(weight_bits), 2, 16, {"bits", "n: sign + (n-1) magnitude bits, sign-magnitude"}),
    one_of("weight_scale", RRAMFT_FIELD(weight_scale), {"", "one quantization scale per layer or per output"}),
    integer("input_bits", RRAMFT_FIELD(input_bits), 1, 16, {"bits", "a: activation bits streamed through the DACs"}),
    boolean("input_signed", RRAMFT_FIELD(input_signed), {"", "two's complement activations (top slice weighs -2^(a-1)), else unsigned"}),
    one_of("input_scale", RRAMFT_FIELD(input_scale), {"", "activation scale from each input vector's max |x|, or one per layer from calibration data"}),
    integer("adc.bits", RRAMFT_FIELD(adc.bits), 1, 16, {"bits", "ADC resolution; lossless when 2^bits > R*(2^cell_bits-1)*(2^dac.bits-1)", "ISAAC: 8"}),
    integer("adc.share", RRAMFT_FIELD(adc.share), 1, 65535, {"count", "columns multiplexed onto one ADC (timing and area)", "ISAAC: one ADC per 128-column crossbar"}),
    number("adc.range", RRAMFT_FIELD(adc.range), 0, 1e12, {"column-sum units", "ADC full-scale input; 0 = R*(2^cell_bits-1)*(2^dac.bits-1); smaller values saturate large sums"}),
    number("adc.offset", RRAMFT_FIELD(adc.offset), -1e6, 1e6, {"LSB", "ADC offset error, added before rounding; 0 = ideal (docs/noise.md)", "static ADC characterization (IEEE 1241)"}),
    number("adc.gain_error", RRAMFT_FIELD(adc.gain_error), -0.99, 100, {"fraction", "ADC gain error (0.01: the transfer curve is 1% too steep); 0 = ideal", "static ADC characterization (IEEE 1241)"}),
    path("adc.table", RRAMFT_FIELD(adc.table), {"", "ADC transfer table: 2^bits-1 ascending code transition levels in column-sum units, one a line, relative to the arch file (held as an absolute path once read, so a written arch.yaml names the same file); code = count of levels <= sum; \"\" = parametric (offset, gain_error). Any of the three makes the ADC lossy", "IEEE 1241 code transition levels (INL/DNL)"}),
    integer("dac.bits", RRAMFT_FIELD(dac.bits), 1, 8, {"bits", "bits per input slice (DAC resolution)", "ISAAC: 1"}),
    number("fault.rate", RRAMFT_FIELD(fault.rate), 0, 1, {"probability", "probability that a cell is stuck (SA0 or SA1)"}),
    sa0_to_sa1({"ratio", "SA0:SA1 ratio of stuck cells (only the ratio matters)", "Chen et al., IEEE TC 2015, as used by arXiv 2401.11664: 1.75:9.04"}),
    one_of("fault.scope", RRAMFT_FIELD(fault.scope), {"", "all cells, or only cells of the top protection.planes planes and their copies"}),
    number("fault.transient_rate", RRAMFT_FIELD(fault.transient_rate), 0, 1, {"probability", "probability that a cell reads one bit flipped during one read (each input vector, each crossbar)"}),
    number("fault.variation", RRAMFT_FIELD(fault.variation), 0, 10, {"fraction", "programming error: relative sigma of a cell's conductance, drawn once per cell from (seed, crossbar, row, column); 0 = off", "CrossSim NormalProportionalDevice; RRAM_Milo (Milo et al., IRPS 2021): 1.2% at Gmax to 8.7% at 50 uS"}),
    one_of("fault.variation_model", RRAMFT_FIELD(fault.variation_dist), {"", "gaussian (1 + sigma z, clamped at 0) or lognormal (exp(s z - s^2/2), mean 1, sd sigma)"}),
    number("fault.read_noise", RRAMFT_FIELD(fault.read_noise), 0, 10, {"fraction", "read noise: relative sigma of a cell's conductance during one read and input slice; 0 = off", "CrossSim read noise (proportional: G(1 + N(0, sigma)))"}),
    number("fault.wordline_rate", RRAMFT_FIELD(fault.wordline_rate), 0, 1, {"probability", "probability that a whole word line (row) of a crossbar fails, its cells stuck alike (docs/faults.md)", "line failure patterns: Chen et al., IEEE TC 2015; off by default"}),
    number("fault.bitline_rate", RRAMFT_FIELD(fault.bitline_rate), 0, 1, {"probability", "probability that a whole bit line (column) of a crossbar fails, its cells stuck alike (docs/faults.md)", "line failure patterns: Chen et al., IEEE TC 2015; off by default"}),
    integer("fault.cluster", RRAMFT_FIELD(fault.cluster), 1, 64, {"cells", "stuck cells come in cluster x cluster squares at the same cell rate; 1 = independent cells", "clustered defects: Stapper, IBM J. Res. Dev. 1986"}),
    number("fault.spread", RRAMFT_FIELD(fault.spread), 0, 10, {"coefficient of variation", "crossbar-to-crossbar spread of fault.rate (gamma); 0 = none", "negative binomial model: Stapper, Armstrong, Saji, Proc. IEEE 1983"}),
    path("fault.map", RRAMFT_FIELD(fault.map), {"", "measured fault map (CSV, docs/faults.md), a path from the working folder (held as an absolute path once read); its stuck cells replace the drawn ones; empty = none"}),
    one_of("quant.clip", RRAMFT_FIELD(quant.clip), {"", "range restriction of the weights before quantization", "ZOBNN, arXiv 2407.04964"}),
    depends(number("quant.clip_value", RRAMFT_FIELD(quant.clip_value), 0, 0, {"percent or k", "percentile: percent of |w| kept unclipped; sigma: clip |w| at k standard deviations"}), "percentile: (0, 100]; sigma: (0, 1000]", check_clip_value),
    protection_scheme({"", "the protection scheme: vote (flip + T candidates + median), tmr (3 copies of every plane), none; + range checks, + clip", "arXiv 2401.11664"}),
    depends(integer("protection.candidates", RRAMFT_FIELD(protection.candidates), 0, 0, {"count", "T: copies of each protected plane (vote only)", "arXiv 2401.11664: 3"}), "odd, 1..15", check_candidates),
    depends(integer("protection.planes", RRAMFT_FIELD(protection.planes), 0, 0, {"count", "P: protected weight planes counted from the MSB", "arXiv 2401.11664: 1"}), "0..weight slices (vote: 1 or more)", check_planes),
    boolean("protection.flip", RRAMFT_FIELD(protection.flip), {"", "store protected planes inverted, so a stored 1 only fears SA0 (vote only)", "arXiv 2401.11664"}),
    boolean("protection.embed", RRAMFT_FIELD(protection.embed), {"", "place copies 2..T in bit columns freed by pruning (else in extra crossbars)", "arXiv 2401.11664"}),
    one_of("range_check.action", RRAMFT_FIELD(range_check.action), {"", "what the special-function unit does to a weight layer's output outside its profiled [lo, hi]", "SAVE"}),
    one_of("range_check.granularity", RRAMFT_FIELD(range_check.granularity), {"", "one [lo, hi] per weight layer (SAVE) or per output (2 bound registers per output)"}),
    number("range_check.margin", RRAMFT_FIELD(range_check.margin), 0, 100, {"fraction of hi - lo", "widening of the profiled [lo, hi] on each side"}),
    one_of("mapping.copy_scope", RRAMFT_FIELD(mapping.copy_scope), {"", "copies in any crossbar of the same row block, or outputs in their dense place and copies in the same crossbar"}),
    boolean("mapping.strict", RRAMFT_FIELD(mapping.strict), {"", "fail when a layer's copies do not fit in the space pruning freed (else add crossbars)"}),
    boolean("mapping.fault_aware", RRAMFT_FIELD(mapping.fault_aware), {"", "place each crossbar's column contents (and, with mapping.fault_aware_rows, each row block's inputs) around the chip's known stuck cells (fewest harmful cells; docs/faults.md)", "remapping: Zhang et al., ASP-DAC 2019"}),
    boolean("mapping.fault_aware_rows", RRAMFT_FIELD(mapping.fault_aware_rows), {"", "with mapping.fault_aware: also permute the inputs (word lines) within each row block, alternating with the column placement (docs/faults.md)", "row permutation: Zhang et al., ASP-DAC 2019"}),
    seed_key({"", "chip identity: every fault map derives from (seed, crossbar id, cell)"}),
  };
  // clang-format on
}

std::string cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

const std::vector<key_def<arch_spec>>& arch_keys() {
  static const std::vector<key_def<arch_spec>> table = arch_table::make();
  return table;
}

std::string key_markdown_row(const key_info& k, const YAML::Node& def, bool chip) {
  YAML::Emitter e;
  e << def;
  std::ostringstream o;
  o << "| `" << k.name << "`" << (chip ? " (chip)" : "") << " | `" << e.c_str() << "` | " << k.type
    << ": " << cell(k.allowed) << " | " << k.unit << " | " << cell(k.doc) << " | " << cell(k.source)
    << " |\n";
  return o.str();
}

void yaml_set(YAML::Node& root, const std::string& key, const YAML::Node& value) {
  // Walk down "a.b", creating maps; yaml-cpp nodes are handles, so assign in place.
  YAML::Node node = root;
  size_t start = 0;
  for (size_t dot; (dot = key.find('.', start)) != std::string::npos; start = dot + 1) {
    const std::string part = key.substr(start, dot - start);
    if (!node[part].IsMap()) node[part] = YAML::Node(YAML::NodeType::Map);
    node.reset(node[part]);
  }
  node[key.substr(start)] = value;
}

key_tree::key_tree(const YAML::Node& root, std::string origin,
                   std::map<std::string, std::string> sources)
    : root_(root), origin_(std::move(origin)), sources_(std::move(sources)) {}

const std::string& key_tree::origin_of(const std::string& key) const {
  auto it = sources_.find(key);
  return it != sources_.end() ? it->second : origin_;
}

YAML::Node key_tree::find(const std::string& key) const {
  YAML::Node n = YAML::Clone(root_);
  std::stringstream ss(key);
  std::string part;
  while (std::getline(ss, part, '.')) {
    if (!n || !n.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    n = n[part];
  }
  return n;
}

void key_tree::check_unknown() const { walk(root_, ""); }

void key_tree::walk(const YAML::Node& n, const std::string& prefix) const {
  if (!n.IsMap()) {
    if (!prefix.empty() && !seen_.count(prefix))
      throw error(origin_ + ": unknown key '" + prefix + "'" +
                  error::did_you_mean(prefix, {seen_.begin(), seen_.end()}));
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    std::string k = it->first.Scalar();
    std::string path = prefix.empty() ? k : prefix + "." + k;
    if (seen_.count(path) && it->second.IsMap())
      throw error(origin_ + ": key '" + path + "': expected a value, got a mapping");
    walk(it->second, path);
  }
}

void key_tree::blame(const std::function<void()>& f) const {
  // Values are checked against the place they came from: the key a message starts with.
  try {
    f();
  } catch (const error& e) {
    const std::string what = e.what(), lead = "key '";
    std::string key;
    if (what.rfind(lead, 0) == 0)
      key = what.substr(lead.size(), what.find('\'', lead.size()) - lead.size());
    throw error(origin_of(key) + ": " + what);
  }
}

std::string absolute_file(const std::string& base, const std::string& p) {
  namespace fs = std::filesystem;
  try {
    fs::path q(p);
    if (q.is_relative()) q = fs::path(base) / q;
    return fs::absolute(q).lexically_normal().string();
  } catch (const fs::filesystem_error& e) {
    throw error(p + ": cannot resolve the path (" + e.code().message() + ")");
  }
}

}  // namespace rramft
