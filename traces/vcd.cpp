#include "traces/vcd.h"

#include <sysc/tracing/sc_tracing_ids.h>

#include <algorithm>

namespace rramft::traces {

using sc_core::sc_time;

vcd_recorder::vcd_recorder(sc_core::sc_module_name name, sc::accelerator& acc,
                           const std::string& file_base)
    : sc_module(name), acc_(acc), path_(file_base + ".vcd") {
  const auto& tiles = acc.tiles();
  until_.assign(tiles.size(), sc_core::SC_ZERO_TIME);
  conversions_.assign(tiles.size(), 0);
  compares_.assign(tiles.size(), 0);
  // The default timescale (the kernel's resolution, 1 ps) keeps every annotated time exact.
  sc_core::sc_report_handler::set_actions(sc_core::SC_ID_TRACING_TIMESCALE_DEFAULT_,
                                          sc_core::SC_INFO, sc_core::SC_DO_NOTHING);
  tf_ = sc_core::sc_create_vcd_trace_file(file_base.c_str());
  const std::string acc_name = acc.name();
  sc_core::sc_trace(tf_, acc.s_irq, acc_name + ".irq");
  sc_core::sc_trace(tf_, acc.ctrl().s_state, std::string(acc.ctrl().name()) + ".state");
  for (const auto& t : tiles) {
    const std::string tn = t->name(), base = t->basename();
    s_conversions_.push_back(
        std::make_unique<sc_core::sc_signal<sc_dt::uint64>>((base + "_adc_conversions").c_str()));
    s_compares_.push_back(
        std::make_unique<sc_core::sc_signal<sc_dt::uint64>>((base + "_vote_compares").c_str()));
    sc_core::sc_trace(tf_, t->s_busy, tn + ".busy");
    sc_core::sc_trace(tf_, *s_conversions_.back(), tn + ".adc_conversions");
    sc_core::sc_trace(tf_, *s_compares_.back(), tn + ".vote_compares");
  }
  sc::controller& c = acc.ctrl();
  c.on_job = [this, prev = std::move(c.on_job)](int tile, const std::string& layer, int block,
                                                sc_time start, sc_time delay) {
    if (prev) prev(tile, layer, block, start, delay);
    const size_t t = size_t(tile);
    until_[t] = std::max(until_[t], start + delay);
    // The job has run (loosely timed): these are the tile's counts once it ends.
    conversions_[t] = acc_.tiles()[t]->i_adc.st.conversions;
    compares_[t] = acc_.tiles()[t]->i_vote->st.compares;
    job_.notify(sc_core::SC_ZERO_TIME);
  };
  SC_HAS_PROCESS(vcd_recorder);
  SC_METHOD(drive);
  sensitive << job_;
  dont_initialize();
}

vcd_recorder::~vcd_recorder() { close(); }

void vcd_recorder::close() {
  if (tf_) sc_core::sc_close_vcd_trace_file(tf_);
  tf_ = nullptr;
}

void vcd_recorder::drive() {
  // The only writer of every tile's s_busy and of this recorder's counters.
  const sc_time now = sc_core::sc_time_stamp();
  sc_time next = sc_core::SC_ZERO_TIME;
  const auto& tiles = acc_.tiles();
  for (size_t t = 0; t < tiles.size(); ++t) {
    const bool busy = until_[t] > now;
    tiles[t]->s_busy.write(busy);
    if (busy) {
      const sc_time left = until_[t] - now;
      if (next == sc_core::SC_ZERO_TIME || left < next) next = left;
    } else {
      s_conversions_[t]->write(conversions_[t]);
      s_compares_[t]->write(compares_[t]);
    }
  }
  if (next > sc_core::SC_ZERO_TIME)
    next_trigger(next, job_);  // the next job end, or another job
  else
    next_trigger();  // static sensitivity: the next job
}

}  // namespace rramft::traces
