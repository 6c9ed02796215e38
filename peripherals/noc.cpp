#include "peripherals/noc.h"

#include <cmath>

#include "peripherals/job.h"

namespace rramft::sc {

noc::noc(sc_core::sc_module_name name, const chip_spec& a, int tiles)
    : sc_module(name), a_(a), tiles_(tiles), side_(int(std::ceil(std::sqrt(double(tiles))))) {
  ctrl2noc.register_b_transport(this, &noc::b_transport);
}

int noc::hops(int t) const {
  if (a_.noc.topology == noc_topology::bus) return 1;
  return 1 + t % side_ + t / side_;  // from the global buffer's router at (0, 0)
}

void noc::b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
  const int t = int(p.get_address());
  block_job* j = job_of(p);
  if (!j || t < 0 || t >= tiles_) {
    p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const mapped_layer& l = *j->layer;
  const uint64_t bytes =
      uint64_t(j->n) * (uint64_t(l.block_rows(j->block)) * ((l.arch.input_bits + 7) / 8) +
                        uint64_t(l.kept_cols.size()) * 4);
  const uint64_t flits =
      (bytes + uint64_t(a_.noc.bytes_per_cycle) - 1) / uint64_t(a_.noc.bytes_per_cycle);
  const int h = hops(t);
  st.flit_hops += flits * uint64_t(h);
  ++st.transfers;
  // Out and back: the head crosses the hops twice, the body streams behind it.
  const sc_core::sc_time lat((2.0 * h * a_.noc.hop_cycles + double(flits)) * a_.cycle_ns(),
                             sc_core::SC_NS);
  if (on_transfer) on_transfer(t, bytes, lat);
  delay += lat;
  noc2tile[size_t(t)]->b_transport(p, delay);
}

}  // namespace rramft::sc
