#include "traces/spans.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace rramft::traces {

namespace {
double ns(sc_core::sc_time t) { return t.to_seconds() * 1e9; }
/// ns to microseconds, rounded to the kernel's resolution (1 ps) to drop rounding noise.
double us(double ns) { return std::round(ns * 1e3) / 1e6; }
}  // namespace

span_recorder::span_recorder(sc::accelerator& acc) {
  sc::controller& c = acc.ctrl();
  c.on_job = [this, prev = std::move(c.on_job)](int tile, const std::string& layer, int block,
                                                sc_core::sc_time start, sc_core::sc_time delay) {
    if (prev) prev(tile, layer, block, start, delay);
    jobs_.push_back({tile, layer, block, ns(start), ns(delay)});
  };
  sc::noc& n = acc.interconnect();
  n.on_transfer = [this, prev = std::move(n.on_transfer)](int tile, uint64_t bytes,
                                                          sc_core::sc_time latency) {
    if (prev) prev(tile, bytes, latency);
    // The controller calls the NoC from its thread at the layer's start: that is now.
    transfers_.push_back({tile, bytes, ns(sc_core::sc_time_stamp()), ns(latency)});
  };
}

nlohmann::json chrome_trace(sc::accelerator& acc, const span_recorder& rec,
                            const energy::table& ert, const full_spec& a) {
  using nlohmann::json;
  constexpr int pid = 1;
  std::vector<json> meta, spans;
  auto name_track = [&](int tid, const std::string& name) {
    meta.push_back({{"ph", "M"},
                    {"name", "thread_name"},
                    {"pid", pid},
                    {"tid", tid},
                    {"args", {{"name", name}}}});
    meta.push_back({{"ph", "M"},
                    {"name", "thread_sort_index"},
                    {"pid", pid},
                    {"tid", tid},
                    {"args", {{"sort_index", tid}}}});
  };
  meta.push_back({{"ph", "M"},
                  {"name", "process_name"},
                  {"pid", pid},
                  {"tid", 0},
                  {"args", {{"name", std::string(acc.name())}}}});
  name_track(controller_tid, "controller");
  name_track(sfu_tid, "sfu");
  name_track(noc_tid, "noc");
  for (const auto& t : acc.tiles())
    name_track(tile_tid + t->id(), "tile " + std::to_string(t->id()));

  // Per track, spans sorted by start and, at equal starts, longest first: spans that share a
  // start (row blocks of one layer on one tile, transfers of one layer) nest as Perfetto wants.
  struct span {
    int tid;
    double start_ns, dur_ns;
    json ev;
  };
  std::vector<span> all;
  auto add = [&](int tid, const std::string& name, const char* cat, double start_ns, double dur_ns,
                 json args) {
    all.push_back({tid, start_ns, dur_ns,
                   json{{"ph", "X"},
                        {"name", name},
                        {"cat", cat},
                        {"pid", pid},
                        {"tid", tid},
                        {"ts", us(start_ns)},
                        {"dur", us(dur_ns)},
                        {"args", std::move(args)}}});
  };
  std::map<std::string, double> price;  // action -> pJ
  for (const sc::step_record& s : acc.ctrl().steps()) {
    double pj = 0;
    for (const auto& [key, n] : s.actions) {
      const std::string action = key.substr(key.find('/') + 1);
      auto it = price.find(action);
      if (it == price.end()) it = price.emplace(action, ert.energy_pj(action, a)).first;
      pj += double(n) * it->second;
    }
    const bool digital = s.name.rfind("sfu:", 0) == 0;
    add(controller_tid, s.name, digital ? "sfu" : "layer", s.start_ns, s.end_ns - s.start_ns,
        {{"energy_pj", pj}});
    if (digital)
      add(sfu_tid, s.name.substr(4), "sfu", s.start_ns, s.end_ns - s.start_ns, {{"energy_pj", pj}});
  }
  for (const job_span& j : rec.jobs())
    add(tile_tid + j.tile, j.layer, "job", j.start_ns, j.dur_ns,
        {{"block", j.block}, {"delay_ns", j.dur_ns}});
  for (const transfer_span& t : rec.transfers())
    add(noc_tid, "tile " + std::to_string(t.tile), "transfer", t.start_ns, t.dur_ns,
        {{"bytes", t.bytes}});
  std::stable_sort(all.begin(), all.end(), [](const span& x, const span& y) {
    return std::make_tuple(x.tid, x.start_ns, -x.dur_ns) <
           std::make_tuple(y.tid, y.start_ns, -y.dur_ns);
  });
  json events = json::array();
  for (auto& m : meta) events.push_back(std::move(m));
  for (auto& s : all) events.push_back(std::move(s.ev));
  return json{{"traceEvents", std::move(events)},
              {"displayTimeUnit", "ns"},
              {"otherData", {{"time_unit", "us"}, {"clock_mhz", a.clock_mhz}}}};
}

}  // namespace rramft::traces
