#include "tiles/accelerator.h"

#include <cstring>

#include "core/error.h"
#include "mapping/floorplan.h"
#include "models/network.h"

namespace rramft::sc {

using sc_core::SC_NS;
using sc_core::sc_time;

accelerator::accelerator(sc_core::sc_module_name name, const full_spec& a,
                         const mapping::chip_mapping& cm, const models::model& m,
                         const fault_map& chip, std::vector<double> scales,
                         const block_factory& blocks)
    : sc_module(name), a_(a), m_(m), chip_(chip) {
  for (const mapped_layer& l : cm.layers) errors_.push_back(read_errors(l, chip_));
  std::vector<std::vector<int>> where = mapping::place_blocks(a, cm, tiles_used_);
  i_noc = std::make_unique<noc>("i_noc", a, std::max(1, tiles_used_));
  i_sfu = std::make_unique<sfu>("i_sfu", a);
  // Only the tiles that hold crossbars are instantiated; the rest of the chip idles.
  for (int t = 0; t < std::max(1, tiles_used_); ++t) {
    i_tiles.push_back(
        std::make_unique<tile>(("i_tile_" + std::to_string(t)).c_str(), a, t, blocks));
    i_noc->noc2tile.bind(i_tiles.back()->noc2tile);
  }
  for (size_t li = 0; li < cm.layers.size(); ++li)
    for (int b = 0; b < cm.layers[li].row_blocks; ++b)
      for (int x = 0; x < cm.layers[li].xbars_per_block; ++x)
        i_tiles[size_t(where[li][size_t(b)])]->i_xbar.program(li, cm.layers[li], b, x, errors_[li],
                                                              &chip_);
  i_ctrl = std::make_unique<controller>("i_ctrl", a, cm, m, std::move(where), errors_, chip_,
                                        std::move(scales));
  i_ctrl->counters = [this] { return counters(); };
  i_ctrl->ctrl2noc.bind(i_noc->ctrl2noc);
  i_ctrl->ctrl2sfu.bind(i_sfu->ctrl2sfu);
  cpu2acc.register_b_transport(this, &accelerator::b_transport);
  const models::network net(m);
  regs_[IMAGE_BYTES / 4] = uint32_t(net.sample_bytes());
  regs_[CLASSES / 4] = uint32_t(net.num_classes());
  SC_HAS_PROCESS(accelerator);
  SC_THREAD(run);
}

void accelerator::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  const uint64_t addr = p.get_address();
  if (p.get_data_length() != 4 || addr % 4 || addr >= sizeof regs_) {
    p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  uint32_t& r = regs_[addr / 4];
  if (p.is_read()) {
    std::memcpy(p.get_data_ptr(), &r, 4);
  } else {
    uint32_t v;
    std::memcpy(&v, p.get_data_ptr(), 4);
    if (addr == STATUS || addr == IMAGE_BYTES || addr == CLASSES || addr == DONE_COUNT) {
      p.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);  // read-only
      return;
    }
    if (addr == CTRL && (v & 1)) {
      if (regs_[STATUS / 4] & 1) {
        p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);  // already busy
        return;
      }
      regs_[STATUS / 4] = 1;
      regs_[DONE_COUNT / 4] = 0;
      s_irq.write(false);
      start_.notify(delay);
    } else if (addr != CTRL) {
      if (regs_[STATUS / 4] & 1) {  // the running job keeps its descriptor
        p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
        return;
      }
      r = v;
    }
  }
  delay += sc_time(a_.cycle_ns(), SC_NS);  // one register access
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

void accelerator::run() {
  const models::network net(m_);
  const uint32_t bytes = regs_[IMAGE_BYTES / 4], classes = regs_[CLASSES / 4];
  std::vector<uint8_t> image(bytes);
  std::vector<float> logits(classes);
  for (;;) {
    sc_core::wait(start_);
    started_at_ = sc_core::sc_time_stamp();
    bool ok = true;
    for (uint32_t i = 0; i < regs_[COUNT / 4] && ok; ++i) {
      tlm::tlm_generic_payload p;
      sc_time d = sc_core::SC_ZERO_TIME;
      p.set_command(tlm::TLM_READ_COMMAND);
      p.set_address(uint64_t(regs_[INPUT_ADDR / 4]) + uint64_t(i) * bytes);
      p.set_data_ptr(image.data());
      p.set_data_length(bytes);
      p.set_streaming_width(bytes);
      p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      acc2mem->b_transport(p, d);
      ok = p.is_response_ok();
      if (!ok) break;
      st.dma_reads += bytes;
      sc_core::wait(d);
      i_ctrl->infer_image(image.data(), logits.data(), inputs_run_++);
      logits_.push_back(logits);
      uint32_t cls = 0;
      for (uint32_t c = 1; c < classes; ++c)
        if (logits[c] > logits[cls]) cls = c;
      tlm::tlm_generic_payload w;
      d = sc_core::SC_ZERO_TIME;
      w.set_command(tlm::TLM_WRITE_COMMAND);
      w.set_address(uint64_t(regs_[OUTPUT_ADDR / 4]) + uint64_t(i) * 4);
      w.set_data_ptr(reinterpret_cast<unsigned char*>(&cls));
      w.set_data_length(4);
      w.set_streaming_width(4);
      w.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      acc2mem->b_transport(w, d);
      ok = w.is_response_ok();
      st.dma_writes += 4;
      sc_core::wait(d);
      regs_[DONE_COUNT / 4] = i + 1;
    }
    regs_[STATUS / 4] = ok ? 2u : 6u;  // done (and error)
    done_at_ = sc_core::sc_time_stamp();
    s_irq.write(true);
  }
}

}  // namespace rramft::sc
