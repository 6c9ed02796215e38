#include "peripherals/sfu.h"

namespace rramft::sc {

sfu::sfu(sc_core::sc_module_name name, const chip_spec& a)
    : sc_module(name), cycle_ns_(a.cycle_ns()), per_cycle_(a.sfu.ops_per_cycle) {
  ctrl2sfu.register_b_transport(this, &sfu::b_transport);
}

void sfu::b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  if (p.get_data_length() != sizeof(sfu_request) || !p.get_data_ptr()) {
    p.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return;
  }
  auto* r = reinterpret_cast<sfu_request*>(p.get_data_ptr());
  if (r->values) {
    if (!r->bounds || r->cols == 0 || r->elements % r->cols) {
      p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
      return;
    }
    // Range-check lanes work at the unit's element rate; priced as range.check, not sfu.op.
    r->out_of_range =
        range_check(r->values, size_t(r->elements / r->cols), r->cols, *r->bounds, r->action);
    st.range_checks += r->elements;
    st.out_of_range += r->out_of_range;
  } else {
    st.ops += r->elements;
    st.by_op[r->op] += r->elements;
  }
  const uint64_t cycles = (r->elements + uint64_t(per_cycle_) - 1) / uint64_t(per_cycle_);
  delay += sc_core::sc_time(double(cycles) * cycle_ns_, sc_core::SC_NS);
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace rramft::sc
