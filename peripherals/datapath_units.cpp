#include "peripherals/datapath_units.h"

#include <algorithm>
#include <cmath>

#include "core/datapath.h"
#include "core/error.h"

namespace rramft::sc {

using sc_core::SC_NS;
using sc_core::sc_time;

dac_array::dac_array(sc_core::sc_module_name name, const arch_spec&) : sc_module(name) {
  tsock.register_b_transport(this, &dac_array::b_transport);
}

void dac_array::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  block_job* j = job_of(p);
  if (!j) return;
  const mapped_layer& l = *j->layer;
  const int rows = l.block_rows(j->block);
  j->dac.resize(size_t(j->n) * rows);
  dac_levels(l, j->xk, j->n, j->block, j->slice, j->dac.data());
  st.drives += uint64_t(j->n) * rows;
  dac2xbar->b_transport(p, delay);  // the drive is part of the crossbar read time
}

adc_bank::adc_bank(sc_core::sc_module_name name, const full_spec& a)
    : sc_module(name), a_(a), adc_(a) {
  xbar2adc.register_b_transport(this, &adc_bank::b_transport);
}

double adc_bank::convert_ns(const mapped_layer& l, int x) const {
  // Converter g serves columns [g*share, (g+1)*share); the busiest one sets the time.
  const int C = l.C(), share = a_.adc.share;
  int busiest = 0;
  for (int g = 0; g * share < C; ++g) {
    int used = 0;
    for (int c = g * share; c < std::min(C, (g + 1) * share); ++c)
      used += l.columns[size_t(x) * C + c].used();
    busiest = std::max(busiest, used);
  }
  return busiest * 1e3 / a_.timing.adc_msps;
}

void adc_bank::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  block_job* j = job_of(p);
  if (!j) return;
  const mapped_layer& l = *j->layer;
  j->converted.resize(size_t(j->n) * l.C());
  st.conversions +=
      uint64_t(adc_convert(l, adc_, j->crossbar, j->sums.data(), j->n, j->converted.data()));
  adc2opc->b_transport(p, delay);
}

opc_unit::opc_unit(sc_core::sc_module_name name, const full_spec&) : sc_module(name) {
  adc2opc.register_b_transport(this, &opc_unit::b_transport);
}

void opc_unit::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  block_job* j = job_of(p);
  if (!j) return;
  st.adds += uint64_t(
      opc_accumulate(*j->layer, j->crossbar, j->slice, j->converted.data(), j->n, j->partials));
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

vote_unit::vote_unit(sc_core::sc_module_name name, const full_spec& a) : sc_module(name), a_(a) {
  opc2vote.register_b_transport(this, &vote_unit::b_transport);
}

double vote_unit::vote_ns(int outputs, int n) const {
  if (a_.copies() < 2 || outputs == 0) return 0;
  return (a_.timing.vote_cycles + double(outputs) * n * a_.timing.vote_ii - a_.timing.vote_ii) *
         a_.cycle_ns();
}

void vote_unit::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  block_job* j = job_of(p);
  if (!j) return;
  const int O = int(j->layer->kept_cols.size());
  j->result.assign(size_t(j->n) * O, 0);
  st.compares += uint64_t(vote_accumulate(j->partials, j->result.data()));
  st.outputs += uint64_t(j->n) * O;
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

namespace {

[[noreturn]] void no_rtl(const char* key) {
  throw error(std::string("key '") + key +
              "': this chip was elaborated without RTL stand-ins (a build without Verilator: "
              "run tools/setup.sh and rebuild; or a platform that passed the TLM blocks)");
}

}  // namespace

block_factory block_factory::tlm() {
  block_factory f;
  f.opc = [](const char* name, const full_spec& a) -> std::unique_ptr<opc_unit> {
    if (a.rtl.opc) no_rtl("rtl.opc");
    return std::make_unique<opc_unit>(name, a);
  };
  f.vote = [](const char* name, const full_spec& a) -> std::unique_ptr<vote_unit> {
    if (a.rtl.vote) no_rtl("rtl.vote");
    return std::make_unique<vote_unit>(name, a);
  };
  return f;
}

}  // namespace rramft::sc
