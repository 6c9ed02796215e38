#include "tiles/tile.h"

#include <algorithm>
#include <cmath>

#include "core/datapath.h"
#include "core/error.h"
#include "core/mvm.h"
#include "core/quant.h"

namespace rramft::sc {

using sc_core::SC_NS;
using sc_core::sc_time;

crossbar_bank::crossbar_bank(sc_core::sc_module_name name, const arch_spec& a) : sc_module(name) {
  dac2xbar.register_b_transport(this, &crossbar_bank::b_transport);
}

void crossbar_bank::program(size_t li, const mapped_layer& l, int b, int x,
                            const std::vector<cell_error>& errors, const fault_map* chip) {
  std::vector<float>& v = levels_[{li, b, x}];
  v.resize(size_t(l.block_rows(b)) * l.C());
  crossbar_levels(l, errors, b, x, v.data(), chip);
}

const float* crossbar_bank::levels(size_t li, int b, int x) const {
  auto it = levels_.find({li, b, x});
  if (it == levels_.end())
    throw error(std::string(name()) + ": crossbar (" + std::to_string(b) + ", " +
                std::to_string(x) + ") of layer " + std::to_string(li) + " is not programmed here");
  return it->second.data();
}

void crossbar_bank::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  block_job* j = job_of(p);
  if (!j) return;
  const mapped_layer& l = *j->layer;
  const int C = l.C();
  j->levels = levels(j->layer_index, j->block, j->crossbar);
  j->sums.resize(size_t(j->n) * C);
  read_sums(l, j->transients, j->block, j->crossbar, j->slice, j->dac.data(), j->n, j->levels,
            j->sums.data());
  st.reads += uint64_t(j->n);
  xbar2adc->b_transport(p, delay);
}

tile::tile(sc_core::sc_module_name name, const full_spec& a, int id, const block_factory& blocks)
    : sc_module(name),
      i_dac("i_dac", a),
      i_xbar("i_xbar", a),
      i_adc("i_adc", a),
      i_opc(blocks.opc("i_opc", a)),
      i_vote(blocks.vote("i_vote", a)),
      a_(a),
      id_(id) {
  noc2tile.register_b_transport(this, &tile::b_transport);
  tile2dac.bind(i_dac.tsock);
  i_dac.dac2xbar.bind(i_xbar.dac2xbar);
  i_xbar.xbar2adc.bind(i_adc.xbar2adc);
  i_adc.adc2opc.bind(i_opc->adc2opc);
  opc2vote.bind(i_vote->opc2vote);
}

double tile::job_ns(const block_job& j, const std::vector<double>& convert_ns) const {
  // Every crossbar of the row block has its own DACs and ADCs, so they run side by side; the
  // slowest sets the pace. One read per vector and slice; the sample-and-hold lets the next
  // read overlap the conversions of the previous one when pipelining is on.
  const mapped_layer& l = *j.layer;
  const int reads =
      j.n * input_slicing{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed}.count();
  const double r = a_.timing.xbar_read_ns, opc = a_.timing.opc_cycles * a_.cycle_ns();
  double slowest = 0;
  for (double cv : convert_ns) {
    const double c = cv + opc;
    const double t = a_.timing.pipeline ? r + (reads - 1) * std::max(r, c) + c : reads * (r + c);
    slowest = std::max(slowest, t);
  }
  const int O = int(l.kept_cols.size());
  return slowest + i_vote->vote_ns(O, j.n) + a_.timing.accumulate_cycles * a_.cycle_ns();
}

void tile::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  block_job* j = job_of(p);
  if (!j) return;
  const mapped_layer& l = *j->layer;
  const int nslices =
      input_slicing{l.arch.input_bits, l.arch.dac.bits, l.arch.input_signed}.count();
  j->partials.reset(j->n, int(l.kept_cols.size()), l.copies());
  std::vector<double> convert_ns;
  for (int x = 0; x < l.xbars_per_block; ++x) {
    j->crossbar = x;
    for (int k = 0; k < nslices; ++k) {
      j->slice = k;
      sc_time stage = sc_core::SC_ZERO_TIME;  // the closed form below replaces the sum of stages
      tile2dac->b_transport(p, stage);
      if (p.is_response_error()) return;
    }
    convert_ns.push_back(i_adc.convert_ns(l, x));
  }
  sc_time vote_stage = sc_core::SC_ZERO_TIME;
  opc2vote->b_transport(p, vote_stage);
  // Buffer traffic: the inputs come in, the partial sums go out.
  const int in_bytes = (l.arch.input_bits + 7) / 8;
  const uint64_t rd = uint64_t(j->n) * l.block_rows(j->block) * in_bytes;
  const uint64_t wr = uint64_t(j->n) * l.kept_cols.size() * 4;
  const int port = a_.buffer.bytes_per_cycle;
  st.buffer_reads += (rd + port - 1) / port;
  st.buffer_writes += (wr + port - 1) / port;
  const double t = job_ns(*j, convert_ns) +
                   double((rd + port - 1) / port + (wr + port - 1) / port) * a_.cycle_ns();
  ++st.jobs;
  st.busy_ns += t;
  delay += sc_time(t, SC_NS);
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace rramft::sc
