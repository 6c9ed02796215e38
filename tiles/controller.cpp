#include "tiles/controller.h"

#include <algorithm>

#include "core/error.h"
#include "core/mvm.h"
#include "peripherals/job.h"
#include "peripherals/sfu.h"

namespace rramft::sc {

using sc_core::SC_NS;
using sc_core::sc_time;

controller::controller(sc_core::sc_module_name name, const full_spec& a,
                       const mapping::chip_mapping& cm, const models::model& m,
                       std::vector<std::vector<int>> block_tile,
                       const std::vector<std::vector<cell_error>>& errors, const fault_map& chip,
                       std::vector<double> scales)
    : sc_module(name),
      a_(a),
      cm_(cm),
      m_(m),
      net_(m),
      block_tile_(std::move(block_tile)),
      errors_(errors),
      chip_(chip),
      scales_(std::move(scales)) {
  for (const mapped_layer& l : cm.layers)
    if (l.arch.protection.range && !l.out_range.set())
      throw error("layer '" + l.name + "': scheme '" + l.arch.scheme_name() +
                  "' checks output ranges, but none was profiled (engine::profile_ranges)");
}

void controller::infer_image(const uint8_t* pixels, float* logits, uint64_t input) {
  input_ = input;
  net_.forward_images(pixels, 1, *this, logits);
}

namespace {
action_counts minus(const action_counts& after, const action_counts& before) {
  action_counts d;
  for (const auto& [k, v] : after) {
    auto it = before.find(k);
    const uint64_t b = it == before.end() ? 0 : it->second;
    if (v != b) d[k] = v - b;
  }
  return d;
}
}  // namespace

void controller::record(const std::string& name, sc_time start, const action_counts& before) {
  step_record r;
  r.name = name;
  r.start_ns = start.to_seconds() * 1e9;
  r.end_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  if (counters) r.actions = minus(counters(), before);
  if (on_step) on_step(r);
  steps_.push_back(std::move(r));
}

void controller::linear(size_t layer, const float* x, int n, float* y) {
  const mapped_layer& l = cm_.layers[layer];
  const sc_time start = sc_core::sc_time_stamp();
  const action_counts before = counters ? counters() : action_counts{};
  s_state.write(1);
  std::vector<double> sx(static_cast<size_t>(n));
  std::vector<int32_t> xk(size_t(n) * l.kept_rows.size());
  quantize_kept_inputs(l, x, n, scales_.empty() ? 0.0 : scales_[layer], xk.data(), sx.data());
  const size_t O = l.kept_cols.size();
  std::vector<int64_t> yk(size_t(n) * O, 0);
  // Global buffer: the layer's inputs are read once, its outputs written once.
  const uint64_t port = uint64_t(a_.buffer.bytes_per_cycle);
  const uint64_t in_bytes = uint64_t(n) * l.rows * uint64_t((a_.input_bits + 7) / 8);
  const uint64_t out_bytes = uint64_t(n) * l.cols * uint64_t((a_.input_bits + 7) / 8);
  st.gbuf_reads += (in_bytes + port - 1) / port;
  st.gbuf_writes += (out_bytes + port - 1) / port;
  // Row blocks run side by side in their tiles; the layer takes as long as the slowest.
  sc_time slowest = sc_core::SC_ZERO_TIME;
  std::vector<block_job> jobs(size_t(l.row_blocks));
  for (int b = 0; b < l.row_blocks; ++b) {
    block_job& j = jobs[size_t(b)];
    j.layer = &l;
    j.errors = &errors_[layer];
    j.transients = {&chip_, {input_, n}};  // one input: its n vectors are reads 0..n-1
    j.layer_index = layer;
    j.block = b;
    j.xk = xk.data();
    j.n = n;
    tlm::tlm_generic_payload p;
    attach(p, j);
    p.set_address(uint64_t(block_tile_[layer][size_t(b)]));
    sc_time d = sc_core::SC_ZERO_TIME;
    ctrl2noc->b_transport(p, d);
    if (p.is_response_error())
      throw error("layer '" + l.name + "': row block " + std::to_string(b) +
                  " failed in the chip model (" + p.get_response_string() + ")");
    slowest = std::max(slowest, d);
    if (on_job) on_job(block_tile_[layer][size_t(b)], l.name, b, start, d);
    for (size_t i = 0; i < yk.size(); ++i) yk[i] += j.result[i];
    ++st.jobs;
  }
  st.acc_adds += uint64_t(std::max(0, l.row_blocks - 1)) * n * O;
  st.vectors += uint64_t(n);
  st.macs += uint64_t(n) * uint64_t(l.rows) * uint64_t(l.cols);
  const double buf_ns =
      double((in_bytes + port - 1) / port + (out_bytes + port - 1) / port) * a_.cycle_ns();
  const double acc_ns = std::max(0, l.row_blocks - 1) * a_.timing.accumulate_cycles * a_.cycle_ns();
  sc_core::wait(slowest + sc_time(buf_ns + acc_ns, SC_NS));
  const auto& bias = m_.layers[layer].bias;
  dequantize_kept_outputs(l, yk.data(), n, sx.data(), bias.empty() ? nullptr : bias.data(), y);
  s_state.write(0);
  record(l.name, start, before);
  if (l.arch.protection.range) check_range(l, y, size_t(n) * size_t(l.cols));
}

void controller::send_sfu(sfu_request& r, const std::string& what) {
  tlm::tlm_generic_payload p;
  p.set_command(tlm::TLM_WRITE_COMMAND);
  p.set_data_ptr(reinterpret_cast<unsigned char*>(&r));
  p.set_data_length(sizeof r);
  p.set_streaming_width(sizeof r);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  sc_time d = sc_core::SC_ZERO_TIME;
  ctrl2sfu->b_transport(p, d);
  if (!p.is_response_ok())
    throw error(what + " failed in the chip model (" + p.get_response_string() + ")");
  sc_core::wait(d);
}

void controller::check_range(const mapped_layer& l, float* y, size_t count) {
  const sc_time start = sc_core::sc_time_stamp();
  const action_counts before = counters ? counters() : action_counts{};
  s_state.write(2);
  sfu_request r;
  r.op = "range";
  r.elements = count;
  r.values = y;
  r.cols = size_t(l.cols);
  r.bounds = &l.out_range;
  r.action = l.arch.range_check.action;
  send_sfu(r, "layer '" + l.name + "': range check");
  s_state.write(0);
  record("sfu:range", start, before);
}

void controller::digital(const char* op, size_t elements) {
  const sc_time start = sc_core::sc_time_stamp();
  const action_counts before = counters ? counters() : action_counts{};
  s_state.write(2);
  sfu_request r;
  r.op = op;
  r.elements = elements;
  send_sfu(r, std::string("SFU operation '") + op + "'");
  s_state.write(0);
  record(std::string("sfu:") + op, start, before);
}

}  // namespace rramft::sc
