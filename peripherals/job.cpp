#include "peripherals/job.h"

namespace rramft::sc {

void attach(tlm::tlm_generic_payload& p, block_job& j) {
  p.set_command(tlm::TLM_WRITE_COMMAND);
  p.set_address(0);
  p.set_data_ptr(reinterpret_cast<unsigned char*>(&j));
  p.set_data_length(sizeof(block_job));
  p.set_streaming_width(sizeof(block_job));
  p.set_byte_enable_ptr(nullptr);
  p.set_dmi_allowed(false);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

block_job* job_of(tlm::tlm_generic_payload& p) {
  if (p.get_data_length() != sizeof(block_job) || p.get_data_ptr() == nullptr) {
    p.set_response_status(tlm::TLM_BURST_ERROR_RESPONSE);
    return nullptr;
  }
  return reinterpret_cast<block_job*>(p.get_data_ptr());
}

}  // namespace rramft::sc
