#include "core/keys.h"

#include <cmath>
#include <limits>
#include <sstream>
#include <type_traits>

#include "core/error.h"

namespace rramft {

namespace {

/// The member of arch_spec a key sets, as an accessor that works on const and non-const specs.
#define RRAMFT_FIELD(member) \
  [](auto& s) -> auto& { return s.member; }

std::string number_text(double v) {
  std::ostringstream o;
  if (v == std::floor(v) && std::fabs(v) < 1e9)
    o << static_cast<long long>(v);
  else
    o << v;
  return o.str();
}

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

[[noreturn]] void expected(const std::string& origin, const std::string& key, const YAML::Node& n,
                           const std::string& want) {
  throw error(origin + ": key '" + key + "': expected " + want + ", got '" + value_text(n) + "'");
}

template <class T>
T scalar(const YAML::Node& n, const std::string& origin, const std::string& key, const char* want) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    expected(origin, key, n, want);
  }
}

/// The message every out-of-range value gets (validate() prefixes the origin).
void in_range(const std::string& key, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    std::ostringstream o;
    o << "key '" << key << "': " << v << " is out of range [" << lo << ", " << hi << "]";
    throw error(o.str());
  }
}

struct doc_text {
  const char* unit;
  const char* doc;
  const char* source = "";
};

template <class T, class F>
key_def numeric(const char* name, F field, const char* type, const char* want, double lo, double hi,
                const doc_text& d) {
  key_def k{name, type, number_text(lo) + ".." + number_text(hi), d.unit, d.doc, d.source};
  k.read = [name, field, want](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    field(s) = scalar<T>(n, origin, name, want);
  };
  k.write = [field](const arch_spec& s) { return YAML::Node(field(s)); };
  k.check = [name, field, lo, hi](const arch_spec& s) { in_range(name, double(field(s)), lo, hi); };
  return k;
}

template <class F>
key_def integer(const char* name, F field, double lo, double hi, const doc_text& d) {
  return numeric<int>(name, field, "integer", "an integer", lo, hi, d);
}

template <class F>
key_def number(const char* name, F field, double lo, double hi, const doc_text& d) {
  return numeric<double>(name, field, "number", "a number", lo, hi, d);
}

template <class F>
key_def boolean(const char* name, F field, const doc_text& d) {
  key_def k{name, "boolean", "true | false", d.unit, d.doc, d.source};
  k.read = [name, field](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    field(s) = scalar<bool>(n, origin, name, "true or false");
  };
  k.write = [field](const arch_spec& s) { return YAML::Node(bool(field(s))); };
  return k;
}

template <class F>
key_def one_of(const char* name, F field, const doc_text& d) {
  using E = std::decay_t<decltype(field(std::declval<arch_spec&>()))>;
  std::string allowed;
  for (const auto& entry : enum_names<E>::list)
    allowed += (allowed.empty() ? "" : " | ") + std::string(entry.first);
  key_def k{name, "one of", allowed, d.unit, d.doc, d.source};
  k.read = [name, field, allowed](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    const std::string text = scalar<std::string>(n, origin, name, "a string");
    for (const auto& entry : enum_names<E>::list)
      if (text == entry.first) {
        field(s) = entry.second;
        return;
      }
    throw error(origin + ": key '" + name + "': '" + text + "' is not one of " + allowed);
  };
  k.write = [field](const arch_spec& s) { return YAML::Node(to_string(field(s))); };
  return k;
}

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
key_def sa0_to_sa1(const doc_text& d) {
  const std::string name = "fault.sa0_to_sa1";
  key_def k{name, "ratio", "a:b, a, b >= 0, a + b > 0", d.unit, d.doc, d.source};
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
key_def protection_scheme(const doc_text& d) {
  const std::string name = "protection.scheme";
  key_def k{name, "scheme", "none | vote | tmr, + range, + clip", d.unit, d.doc, d.source};
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

template <class F>
key_def path(const char* name, F field, const doc_text& d) {
  key_def k{name, "path", "a file", d.unit, d.doc, d.source};
  k.read = [name, field](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    field(s) = scalar<std::string>(n, origin, name, "a string");
  };
  k.write = [field](const arch_spec& s) { return YAML::Node(field(s)); };
  return k;
}

/// A path key of a nested struct (fault.map).
template <class F>
key_def file_key(const char* name, F field, const doc_text& d) {
  key_def k{name, "path", "a file", d.unit, d.doc, d.source};
  k.read = [name, field](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    field(s) = scalar<std::string>(n, origin, name, "a string");
  };
  k.write = [field](const arch_spec& s) { return YAML::Node(field(s)); };
  return k;
}

key_def seed_key(const doc_text& d) {
  key_def k{"seed", "integer", "0..2^64-1", d.unit, d.doc, d.source};
  k.read = [](const YAML::Node& n, arch_spec& s, const std::string& origin) {
    s.seed = scalar<uint64_t>(n, origin, "seed", "a non-negative integer");
  };
  k.write = [](const arch_spec& s) { return YAML::Node(s.seed); };
  return k;
}

/// A key whose allowed values depend on other keys: @p allowed documents them, @p check tests them.
key_def depends(key_def k, const char* allowed, std::function<void(const arch_spec&)> check) {
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

key_def chip(key_def k) {
  k.chip_only = true;
  return k;
}

constexpr double kMega = 1 << 20, kKilo = 1 << 16;

std::vector<key_def> make_table() {
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
    file_key("fault.map", RRAMFT_FIELD(fault.map), {"", "measured fault map (CSV, docs/faults.md), a path from the working folder (held as an absolute path once read); its stuck cells replace the drawn ones; empty = none"}),
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
    boolean("mapping.fault_aware", RRAMFT_FIELD(mapping.fault_aware), {"", "place each crossbar's column contents around the chip's known stuck cells (fewest harmful cells; docs/faults.md)", "remapping: Zhang et al., ASP-DAC 2019"}),
    seed_key({"", "chip identity: every fault map derives from (seed, crossbar id, cell)"}),
    chip(number("clock_mhz", RRAMFT_FIELD(clock_mhz), 1e-3, 1e6, {"MHz", "digital periphery clock", "ISAAC runs at 1.2 GHz; 1 GHz keeps 1 ns cycles"})),
    chip(integer("tiles.count", RRAMFT_FIELD(tiles.count), 1, kMega, {"count", "tiles on the chip", "ISAAC: 168"})),
    chip(integer("tiles.crossbars", RRAMFT_FIELD(tiles.crossbars), 1, kKilo, {"count", "crossbars per tile", "ISAAC: 12 IMAs x 8 crossbars"})),
    chip(number("timing.xbar_read_ns", RRAMFT_FIELD(timing.xbar_read_ns), 1e-3, 1e9, {"ns", "one crossbar read: DAC drive, settle, sample-and-hold", "ISAAC: 100 ns"})),
    chip(number("timing.adc_msps", RRAMFT_FIELD(timing.adc_msps), 1e-3, 1e6, {"MS/s", "ADC sample rate", "ISAAC: 1.28 GS/s SAR ADC"})),
    chip(integer("timing.opc_cycles", RRAMFT_FIELD(timing.opc_cycles), 0, kMega, {"cycles", "OPC shift-and-add latency per slice result"})),
    chip(integer("timing.vote_cycles", RRAMFT_FIELD(timing.vote_cycles), 0, kMega, {"cycles", "voting unit latency (median of T)", "the RTL's measured latency (rramft rtl-timing)"})),
    chip(integer("timing.vote_ii", RRAMFT_FIELD(timing.vote_ii), 1, kMega, {"cycles per output", "voting unit initiation interval", "the RTL (rramft rtl-timing)"})),
    chip(integer("timing.accumulate_cycles", RRAMFT_FIELD(timing.accumulate_cycles), 0, kMega, {"cycles", "tile accumulator latency per row block"})),
    chip(boolean("timing.pipeline", RRAMFT_FIELD(timing.pipeline), {"", "overlap the next slice's crossbar read with the ADC conversions (sample-and-hold)", "ISAAC"})),
    chip(integer("programming.verify_iterations", RRAMFT_FIELD(programming.verify_iterations), 1, kMega, {"count", "write pulse + verify read iterations per cell (mean); every row's verify is one crossbar read", "an assumption for 1-bit cells (NeuRRAM, Wan et al., Nature 2022, Ext. Data Fig. 3f, for multi-level)"})),
    chip(number("programming.write_pulse_ns", RRAMFT_FIELD(programming.write_pulse_ns), 1e-3, 1e9, {"ns", "one write pulse", "NeuroSim's ideal RRAM: 10 ns"})),
    chip(integer("buffer.tile_kib", RRAMFT_FIELD(buffer.tile_kib), 1, 1 << 24, {"KiB", "input/output buffer per tile", "ISAAC eDRAM: 64 KB"})),
    chip(integer("buffer.global_kib", RRAMFT_FIELD(buffer.global_kib), 1, 1 << 24, {"KiB", "global buffer"})),
    chip(integer("buffer.bytes_per_cycle", RRAMFT_FIELD(buffer.bytes_per_cycle), 1, kKilo, {"bytes per cycle", "buffer port width", "ISAAC: 256-bit"})),
    chip(one_of("noc.topology", RRAMFT_FIELD(noc.topology), {"", "interconnect between tiles"})),
    chip(integer("noc.hop_cycles", RRAMFT_FIELD(noc.hop_cycles), 0, kMega, {"cycles", "router + link latency per hop"})),
    chip(integer("noc.bytes_per_cycle", RRAMFT_FIELD(noc.bytes_per_cycle), 1, kKilo, {"bytes per cycle", "link width"})),
    chip(integer("sfu.ops_per_cycle", RRAMFT_FIELD(sfu.ops_per_cycle), 1, kMega, {"element ops per cycle", "digital special-function unit throughput"})),
    chip(path("energy_table", RRAMFT_FIELD(energy_table), {"", "energy and area reference table, relative to the arch file", "ISAAC Table 6 and Accelergy's ISAAC library (configs/ert/isaac.yaml)"})),
    chip(boolean("rtl.opc", RRAMFT_FIELD(rtl.opc), {"", "run the output peripheral component as verilated RTL (rtl/opc_unit.sv)"})),
    chip(boolean("rtl.vote", RRAMFT_FIELD(rtl.vote), {"", "run the voting unit as verilated RTL (rtl/vote_unit.sv)"})),
  };
  // clang-format on
}

std::string cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

}  // namespace

const std::vector<key_def>& arch_keys() {
  static const std::vector<key_def> table = make_table();
  return table;
}

std::string keys_markdown() {
  const arch_spec defaults;
  std::ostringstream o;
  o << "| key | default | type: allowed | unit | meaning | source |\n"
    << "|---|---|---|---|---|---|\n";
  for (const key_def& k : arch_keys()) {
    YAML::Emitter e;
    e << k.write(defaults);
    o << "| `" << k.name << "`" << (k.chip_only ? " (chip)" : "") << " | `" << e.c_str() << "` | "
      << k.type << ": " << cell(k.allowed) << " | " << k.unit << " | " << cell(k.doc) << " | "
      << cell(k.source) << " |\n";
  }
  return o.str();
}

}  // namespace rramft
