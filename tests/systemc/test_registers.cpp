// The register map of docs/chip.md against the accelerator model: every row's offset, reset
// value and access rule, the busy rules and the DMA of one run, through the public entry
// rramft/chip.h, as a platform of one's own would use it.
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <systemc>

#include "io/arch_file.h"
#include "models/network.h"
#include "rramft/chip.h"

using namespace rramft;
using A = sc::accelerator;

namespace {
const std::string src = RRAMFT_SOURCE_DIR;

struct row {
  uint32_t offset;
  std::string name, access, reset;
};

/// The rows of the "Register map" table of docs/chip.md.
std::vector<row> documented_registers() {
  std::ifstream f(src + "/docs/chip.md");
  std::string line;
  bool in = false;
  std::vector<row> rows;
  const std::regex re(R"(^\| 0x([0-9A-F]{2}) \| (\w+) \| (RW|R|W) \| (\w+) \|)");
  while (std::getline(f, line)) {
    if (line.rfind("### Register map", 0) == 0)
      in = true;
    else if (in && line.rfind("###", 0) == 0)
      break;
    std::smatch m;
    if (in && std::regex_search(line, m, re))
      rows.push_back({uint32_t(std::stoul(m[1], nullptr, 16)), m[2], m[3], m[4]});
  }
  return rows;
}

struct ram : sc_core::sc_module {
  tlm_utils::simple_target_socket<ram> socket{"socket"};
  std::vector<uint8_t> bytes = std::vector<uint8_t>(1 << 16);
  explicit ram(sc_core::sc_module_name n) : sc_module(n) {
    socket.register_b_transport(this, &ram::access);
  }
  void access(tlm::tlm_generic_payload& p, sc_core::sc_time& d) {
    const uint64_t a = p.get_address(), len = p.get_data_length();
    if (a + len > bytes.size()) return p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    if (p.is_read())
      std::memcpy(p.get_data_ptr(), &bytes[a], len);
    else
      std::memcpy(&bytes[a], p.get_data_ptr(), len);
    d += sc_core::sc_time(10, sc_core::SC_NS);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

/// Performs accesses from its thread and records every response.
struct prober : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<prober> socket{"socket"};
  sc_core::sc_in<bool> irq{"irq"};
  std::function<void(prober&)> script;
  explicit prober(sc_core::sc_module_name n) : sc_module(n) {
    SC_HAS_PROCESS(prober);
    SC_THREAD(run);
  }
  tlm::tlm_response_status access(tlm::tlm_command cmd, uint64_t addr, uint32_t& v,
                                  unsigned len = 4) {
    tlm::tlm_generic_payload p;
    sc_core::sc_time d = sc_core::SC_ZERO_TIME;
    p.set_command(cmd);
    p.set_address(addr);
    p.set_data_ptr(reinterpret_cast<unsigned char*>(&v));
    p.set_data_length(len);
    p.set_streaming_width(len);
    p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    socket->b_transport(p, d);
    wait(d);
    return p.get_response_status();
  }
  void run() { script(*this); }
};

}  // namespace

TEST_CASE("the register map of docs/chip.md is the model's", "[registers]") {
  const std::vector<row> rows = documented_registers();
  const std::map<std::string, uint32_t> code{{"CTRL", A::CTRL},
                                             {"STATUS", A::STATUS},
                                             {"INPUT_ADDR", A::INPUT_ADDR},
                                             {"OUTPUT_ADDR", A::OUTPUT_ADDR},
                                             {"COUNT", A::COUNT},
                                             {"IMAGE_BYTES", A::IMAGE_BYTES},
                                             {"CLASSES", A::CLASSES},
                                             {"DONE_COUNT", A::DONE_COUNT}};
  REQUIRE(rows.size() == code.size());
  for (const row& r : rows) {
    INFO(r.name);
    REQUIRE(code.count(r.name));
    CHECK(code.at(r.name) == r.offset);
  }

  models::image_set data = models::load_dataset("fashion-mnist:2");
  const auto setup =
      prepare_chip(src + "/models/zoo/mlp-pruned", load_arch(src + "/configs/default.yaml"), data,
                   "fashion-mnist:2");
  const models::network net(setup->model);
  const std::map<std::string, uint32_t> model_values{{"IMAGE_BYTES", uint32_t(net.sample_bytes())},
                                                     {"CLASSES", uint32_t(net.num_classes())}};
  const auto acc = make_accelerator("acc", *setup);
  ram mem("mem");
  prober cpu("cpu");
  cpu.socket.bind(acc->cpu2acc);
  acc->acc2mem.bind(mem.socket);
  cpu.irq.bind(acc->s_irq);
  std::memcpy(&mem.bytes[0x100], data.pixels.data(), data.pixels.size());

  std::vector<std::string> failures;
  const auto expect = [&](bool ok, const std::string& what) {
    if (!ok) failures.push_back(what);
  };
  uint32_t status_after = 0, done_after = 0;
  cpu.script = [&](prober& p) {
    using C = tlm::tlm_command;
    const C rd = tlm::TLM_READ_COMMAND, wr = tlm::TLM_WRITE_COMMAND;
    for (const row& r : rows) {
      uint32_t v = 0xdeadbeef;
      expect(p.access(rd, r.offset, v) == tlm::TLM_OK_RESPONSE, r.name + ": read fails");
      const uint32_t reset = r.reset == "model" ? model_values.at(r.name) : std::stoul(r.reset);
      expect(v == reset, r.name + ": reset " + std::to_string(v) + ", documented " + r.reset);
      if (r.access == "R") {
        uint32_t w = 7;
        expect(p.access(wr, r.offset, w) == tlm::TLM_COMMAND_ERROR_RESPONSE,
               r.name + ": a write to a read-only register is accepted");
      } else if (r.access == "RW") {
        uint32_t w = 0x1230 + r.offset, back = 0;
        p.access(wr, r.offset, w);
        p.access(rd, r.offset, back);
        expect(back == w, r.name + ": does not read back what was written");
      }
    }
    uint32_t v = 0;
    expect(p.access(rd, 0x20, v) == tlm::TLM_ADDRESS_ERROR_RESPONSE, "0x20 answers");
    expect(p.access(rd, 0x06, v) == tlm::TLM_ADDRESS_ERROR_RESPONSE, "unaligned 0x06 answers");
    expect(p.access(rd, 0x04, v, 2) == tlm::TLM_ADDRESS_ERROR_RESPONSE, "2-byte access answers");
    // One run of two inputs: the descriptor, the start, the busy rules, the interrupt.
    uint32_t in = 0x100, out = 0x8000, count = 2, one = 1;
    p.access(wr, A::INPUT_ADDR, in);
    p.access(wr, A::OUTPUT_ADDR, out);
    p.access(wr, A::COUNT, count);
    p.access(wr, A::CTRL, one);
    p.access(rd, A::STATUS, v);
    expect(v == 1, "STATUS after a start is not BUSY");
    uint32_t w = 5;
    expect(p.access(wr, A::COUNT, w) == tlm::TLM_GENERIC_ERROR_RESPONSE,
           "COUNT is writable while busy");
    expect(p.access(wr, A::CTRL, one) == tlm::TLM_GENERIC_ERROR_RESPONSE,
           "a second start while busy is accepted");
    wait(p.irq.posedge_event());
    p.access(rd, A::STATUS, status_after);
    p.access(rd, A::DONE_COUNT, done_after);
  };
  sc_core::sc_report_handler::set_actions("/OSCI/SystemC", sc_core::SC_INFO,
                                          sc_core::SC_DO_NOTHING);
  sc_core::sc_start();
  for (const std::string& f : failures) FAIL_CHECK(f);
  CHECK(status_after == 2);  // DONE, no error
  CHECK(done_after == 2);
  // The DMA wrote the classes where the descriptor said, the same the chip's logits give.
  for (int i = 0; i < 2; ++i) {
    uint32_t cls;
    std::memcpy(&cls, &mem.bytes[0x8000 + 4 * size_t(i)], 4);
    const auto& l = acc->logits()[size_t(i)];
    CHECK(cls == uint32_t(std::max_element(l.begin(), l.end()) - l.begin()));
  }
}

// libsystemc.so defines main and needs sc_main; Catch2 provides the main that runs here.
int sc_main(int, char**) { return 0; }
