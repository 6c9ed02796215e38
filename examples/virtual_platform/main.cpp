// A virtual platform of one's own with the rramft accelerator on its bus: a RAM, an
// address-decoding bus, a CPU running firmware that programs the accelerator's registers and
// sleeps until its done interrupt, and the accelerator (rramft/chip.h), whose DMA reads the
// inputs from the RAM and writes one 32-bit class per input back.
//
//   vp --model M --arch A.yaml --data D [--set key=value ...] [--out predictions.txt]
//
// Memory map: RAM at 0x0000'0000 (inputs at 0x1000, results after them), the accelerator's
// registers at 0x4000'0000 (docs/chip.md, "Register map"); interrupt: the accelerator's s_irq.
#include <rramft/chip.h>
#include <tlm_utils/multi_passthrough_target_socket.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <fstream>
#include <iostream>
#include <systemc>
#include <tlm>

using namespace sc_core;

/// Byte-addressed RAM, 50 ns per access.
struct ram : sc_module {
  tlm_utils::simple_target_socket<ram> socket{"socket"};
  std::vector<uint8_t> bytes;
  ram(sc_module_name n, size_t size) : sc_module(n), bytes(size) {
    socket.register_b_transport(this, &ram::access);
  }
  void access(tlm::tlm_generic_payload& p, sc_time& delay) {
    const uint64_t a = p.get_address(), len = p.get_data_length();
    if (a + len > bytes.size()) return p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    if (p.is_read())
      std::memcpy(p.get_data_ptr(), &bytes[a], len);
    else
      std::memcpy(&bytes[a], p.get_data_ptr(), len);
    delay += sc_time(50, SC_NS);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

/// Two initiators (CPU, accelerator DMA) and two targets (RAM, accelerator registers); the
/// target sees the address relative to its base.
struct bus : sc_module {
  static constexpr uint64_t acc_base = 0x4000'0000, acc_size = 0x20;
  tlm_utils::multi_passthrough_target_socket<bus> in{"in"};
  tlm_utils::simple_initiator_socket<bus> to_ram{"to_ram"}, to_acc{"to_acc"};
  explicit bus(sc_module_name n) : sc_module(n) { in.register_b_transport(this, &bus::route); }
  void route(int, tlm::tlm_generic_payload& p, sc_time& delay) {
    const uint64_t a = p.get_address();
    if (a >= acc_base && a < acc_base + acc_size) {
      p.set_address(a - acc_base);
      to_acc->b_transport(p, delay);
      p.set_address(a);
    } else {
      to_ram->b_transport(p, delay);
    }
  }
};

/// The CPU's firmware: program the registers, start, sleep until the interrupt, check STATUS.
struct cpu : sc_module {
  tlm_utils::simple_initiator_socket<cpu> socket{"socket"};
  sc_in<bool> irq{"irq"};
  uint32_t input_addr, output_addr, count, status = 0, done = 0;
  cpu(sc_module_name n, uint32_t in, uint32_t out, uint32_t c)
      : sc_module(n), input_addr(in), output_addr(out), count(c) {
    SC_HAS_PROCESS(cpu);
    SC_THREAD(firmware);
  }
  uint32_t reg(tlm::tlm_command cmd, uint32_t offset, uint32_t v = 0) {
    tlm::tlm_generic_payload p;
    sc_time d = SC_ZERO_TIME;
    p.set_command(cmd);
    p.set_address(bus::acc_base + offset);
    p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    p.set_data_length(4);
    p.set_streaming_width(4);
    socket->b_transport(p, d);
    if (!p.is_response_ok()) SC_REPORT_FATAL("cpu", "register access failed");
    wait(d);  // loosely timed: the access's annotated time passes here
    return v;
  }
  void firmware() {
    using A = rramft::sc::accelerator;
    reg(tlm::TLM_WRITE_COMMAND, A::INPUT_ADDR, input_addr);
    reg(tlm::TLM_WRITE_COMMAND, A::OUTPUT_ADDR, output_addr);
    reg(tlm::TLM_WRITE_COMMAND, A::COUNT, count);
    reg(tlm::TLM_WRITE_COMMAND, A::CTRL, 1);
    wait(irq.posedge_event());
    status = reg(tlm::TLM_READ_COMMAND, A::STATUS);
    done = reg(tlm::TLM_READ_COMMAND, A::DONE_COUNT);
  }
};

int sc_main(int argc, char** argv) {
  std::string model, arch_file, data_spec, out = "predictions.txt";
  std::vector<std::string> sets;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model")
      model = v;
    else if (k == "--arch")
      arch_file = v;
    else if (k == "--data")
      data_spec = v;
    else if (k == "--set")
      sets.push_back(v);
    else if (k == "--out")
      out = v;
    else {
      std::cerr << "vp: unknown option " << k << "\n";
      return 2;
    }
  }
  if (model.empty() || arch_file.empty() || data_spec.empty()) {
    std::cerr << "usage: vp --model M --arch A.yaml --data D [--set key=value ...] [--out F]\n";
    return 2;
  }
  try {
    const rramft::full_spec arch = rramft::load_arch(arch_file, sets);
    rramft::models::image_set data = rramft::models::load_dataset(data_spec);
    const auto setup = rramft::prepare_chip(model, arch, data, data_spec);

    const size_t in_bytes = size_t(data.n) * data.image_bytes();
    const uint32_t input_addr = 0x1000, output_addr = uint32_t(0x1000 + in_bytes + 15) & ~15u;
    ram mem("ram", output_addr + 4 * size_t(data.n));
    std::memcpy(&mem.bytes[input_addr], data.pixels.data(), in_bytes);
    bus b("bus");
    cpu c("cpu", input_addr, output_addr, uint32_t(data.n));
    const auto acc = rramft::make_accelerator("acc", *setup);
    c.socket.bind(b.in);
    acc->acc2mem.bind(b.in);
    b.to_ram.bind(mem.socket);
    b.to_acc.bind(acc->cpu2acc);
    c.irq.bind(acc->s_irq);
    sc_start();
    if (c.status & 4 || c.done != uint32_t(data.n)) {
      std::cerr << "vp: the accelerator reported an error (STATUS " << c.status << ")\n";
      return 1;
    }
    std::ofstream f(out);
    for (int i = 0; i < data.n; ++i) {
      uint32_t cls;
      std::memcpy(&cls, &mem.bytes[output_addr + 4 * size_t(i)], 4);
      f << cls << "\n";
    }
    std::cout << "vp: " << data.n << " inputs, " << acc->latency_ns() << " ns, predictions in "
              << out << "\n";
  } catch (const std::exception& e) {
    std::cerr << "vp: error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
