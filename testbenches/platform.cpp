#include "testbenches/platform.h"

#include <cstring>

#include "core/error.h"
#include "testbenches/blocks.h"

namespace rramft::sc {

using sc_core::SC_NS;
using sc_core::sc_time;

memory::memory(sc_core::sc_module_name name, size_t bytes, double latency_ns)
    : sc_module(name), data(bytes, 0), latency_ns_(latency_ns) {
  bus2mem.register_b_transport(this, &memory::b_transport);
}

void memory::b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  const uint64_t a = p.get_address(), len = p.get_data_length();
  if (a + len > data.size() || p.get_byte_enable_ptr()) {
    p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (p.is_read()) {
    std::memcpy(p.get_data_ptr(), &data[a], len);
    st.reads += len;
  } else {
    std::memcpy(&data[a], p.get_data_ptr(), len);
    st.writes += len;
  }
  delay += sc_time(latency_ns_, SC_NS);
  p.set_response_status(tlm::TLM_OK_RESPONSE);
}

cpu_driver::cpu_driver(sc_core::sc_module_name name, uint32_t input_addr, uint32_t output_addr,
                       uint32_t count)
    : sc_module(name), in_(input_addr), out_(output_addr), count_(count) {
  SC_HAS_PROCESS(cpu_driver);
  SC_THREAD(run);
}

uint32_t cpu_driver::read(uint32_t reg) {
  uint32_t v = 0;
  access(tlm::TLM_READ_COMMAND, reg, v);
  return v;
}

void cpu_driver::write(uint32_t reg, uint32_t v) { access(tlm::TLM_WRITE_COMMAND, reg, v); }

void cpu_driver::access(tlm::tlm_command cmd, uint32_t reg, uint32_t& v) {
  tlm::tlm_generic_payload p;
  sc_time d = sc_core::SC_ZERO_TIME;
  p.set_command(cmd);
  p.set_address(reg);
  p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
  p.set_data_length(4);
  p.set_streaming_width(4);
  p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  cpu2acc->b_transport(p, d);
  if (!p.is_response_ok())
    throw error(std::string("driver: ") + (cmd == tlm::TLM_READ_COMMAND ? "reading" : "writing") +
                " register " + std::to_string(reg) + " failed");
  sc_core::wait(d);
}

void cpu_driver::run() {
  write(accelerator::INPUT_ADDR, in_);
  write(accelerator::OUTPUT_ADDR, out_);
  write(accelerator::COUNT, count_);
  write(accelerator::CTRL, 1);
  sc_core::wait(irq_i.posedge_event());  // interrupt-driven: no polling period adds to the time
  finished = sc_core::sc_time_stamp();
  status = read(accelerator::STATUS);  // the simulation ends when every platform is idle
}

platform::platform(sc_core::sc_module_name name, const full_spec& a,
                   const mapping::chip_mapping& cm, const models::model& m, const fault_map& chip,
                   std::vector<double> scales, const uint8_t* images, int n, size_t image_bytes)
    : sc_module(name),
      i_mem("i_mem", input_base + size_t(n) * image_bytes + size_t(n) * 4 + 64, memory_latency_ns),
      output_base_(uint32_t(input_base + size_t(n) * image_bytes + 15) & ~15u),
      n_(n) {
  // Buffers must hold at least one vector: a row block's inputs and partial sums in a tile,
  // a layer's input and output vector in the global buffer.
  const size_t in_bytes = size_t((a.input_bits + 7) / 8);
  for (const mapped_layer& l : cm.layers) {
    const size_t tile_need = size_t(a.crossbar.rows) * in_bytes + l.kept_cols.size() * 4;
    if (tile_need > size_t(a.buffer.tile_kib) * 1024)
      throw error("key 'buffer.tile_kib': " + std::to_string(a.buffer.tile_kib) +
                  " KiB cannot hold one vector of layer '" + l.name + "' (" +
                  std::to_string(tile_need) + " bytes)");
    const size_t global_need = size_t(l.rows + l.cols) * in_bytes;
    if (global_need > size_t(a.buffer.global_kib) * 1024)
      throw error("key 'buffer.global_kib': " + std::to_string(a.buffer.global_kib) +
                  " KiB cannot hold one input and output vector of layer '" + l.name + "' (" +
                  std::to_string(global_need) + " bytes)");
  }
  std::memcpy(&i_mem.data[input_base], images, size_t(n) * image_bytes);
  i_acc = std::make_unique<accelerator>("i_acc", a, cm, m, chip, std::move(scales), chip_blocks());
  i_cpu = std::make_unique<cpu_driver>("i_cpu", input_base, output_base_, uint32_t(n));
  i_cpu->cpu2acc.bind(i_acc->cpu2acc);
  i_cpu->irq_i.bind(i_acc->s_irq);
  i_acc->acc2mem.bind(i_mem.bus2mem);
}

std::vector<uint32_t> platform::classes() const {
  std::vector<uint32_t> c(static_cast<size_t>(n_));
  std::memcpy(c.data(), &i_mem.data[output_base_], c.size() * 4);
  return c;
}

}  // namespace rramft::sc
