#include "sweep/results.h"

#include <cstdio>

#include "core/error.h"
#include "engine/evaluate.h"

namespace rramft::sweep {

void point_parts::init(const grid& g) {
  acc.assign(g.protect.size(),
             std::vector<std::vector<double>>(g.rates.size(), std::vector<double>(g.trials)));
}

void point_parts::add_trials(const nlohmann::json& r) {
  const int k0 = r.at("k0").get<int>();
  const auto& a = r.at("acc");
  for (size_t s = 0; s < acc.size(); ++s)
    for (size_t q = 0; q < acc[s].size(); ++q) {
      const auto& v = a.at(s).at(q);
      for (size_t i = 0; i < v.size(); ++i) acc[s][q].at(size_t(k0) + i) = v[i].get<double>();
    }
}

namespace {

nlohmann::json point_head(const grid& g, size_t p, const char* status) {
  nlohmann::json j;
  j["point"] = p;
  j["status"] = status;
  j["keys"] = nlohmann::json::array();
  for (const auto& [k, v] : g.point(p)) j["keys"].push_back({k, v});
  j["overrides"] = g.overrides(p);
  return j;
}

}  // namespace

nlohmann::json finished_point(const grid& g, size_t p, const point_parts& parts) {
  const auto& ref = parts.reference;
  std::vector<engine::scheme_summary> refs;
  for (const auto& s : ref.at("schemes")) {
    engine::scheme_summary r;
    r.protect = s.at("protect").get<std::string>();
    r.fault_free = s.at("fault_free").get<double>();
    r.storage_overhead_pct = s.at("storage_overhead_pct").get<double>();
    r.crossbars = s.at("crossbars").get<int>();
    r.msb_zero_fraction = s.at("msb_zero_fraction").get<double>();
    r.clip = s.at("clip").get<std::string>();
    refs.push_back(r);
  }
  const engine::eval_report rep =
      engine::assemble(ref.at("model").get<std::string>(), ref.at("data").get<std::string>(),
                       ref.at("images").get<int>(), ref.at("float_accuracy").get<double>(), refs,
                       g.rates, parts.acc, ref.at("layers"), g.drop);
  nlohmann::json j = point_head(g, p, "ok");
  j["eval"] = rep.to_json();
  j["chip"] = nlohmann::json::object();
  for (const auto& [s, c] : parts.chips) j["chip"][s] = c;
  return j;
}

nlohmann::json failed_point(const grid& g, size_t p, const std::string& why) {
  nlohmann::json j = point_head(g, p, "failed");
  j["error"] = why;
  return j;
}

std::vector<std::string> columns(const grid& g, const std::vector<std::string>& components) {
  std::vector<std::string> c{"point", "status"};
  for (const auto& k : g.swept_keys()) c.push_back(k);
  c.push_back("float_accuracy");
  for (const auto& s : g.protect) {
    for (const char* m :
         {"crossbars", "storage_overhead_pct", "fault_free", "tolerated_rate", "tolerance_ratio"})
      c.push_back(s + "." + m);
    if (g.run) {
      for (const char* m : {"cycles_per_image", "latency_ns_per_image", "energy_pj_per_image",
                            "energy_pj_per_image.dynamic", "energy_pj_per_image.leakage"})
        c.push_back(s + "." + m);
      for (const auto& comp : components) c.push_back(s + ".energy_pj_per_image." + comp);
      c.push_back(s + ".area_mm2");
    }
    for (double r : g.rates) {
      const std::string at = "@" + rate_text(r);
      for (const char* m : {"acc_mean", "acc_ci95_low", "acc_ci95_high"})
        c.push_back(s + "." + m + at);
      if (g.run) c.push_back(s + ".accurate_latency_ns" + at);
    }
  }
  c.push_back("error");
  return c;
}

std::string number_text(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

std::vector<std::string> row(const grid& g, const std::vector<std::string>& components,
                             const nlohmann::json& pt) {
  std::vector<std::string> r;
  auto num = [&](const nlohmann::json& v) {
    r.push_back(v.is_number() ? number_text(v.get<double>()) : std::string());
  };
  r.push_back(std::to_string(pt.at("point").get<size_t>()));
  const std::string status = pt.at("status").get<std::string>();
  r.push_back(status);
  for (const auto& kv : pt.at("keys")) r.push_back(kv.at(1).get<std::string>());
  const size_t width = columns(g, components).size();
  if (status != "ok") {
    r.resize(width - 1);
    r.push_back(pt.value("error", std::string()));
    return r;
  }
  const auto& ev = pt.at("eval");
  num(ev.at("float_accuracy"));
  for (size_t s = 0; s < g.protect.size(); ++s) {
    const auto& sum = ev.at("schemes").at(s);
    num(sum.at("crossbars"));
    num(sum.at("storage_overhead_pct"));
    num(sum.at("fault_free_accuracy"));
    num(sum.at("tolerated_rate"));
    num(g.protect[s] == "none" ? nlohmann::json() : sum.at("tolerance_ratio_vs_none"));
    double lat = 0;
    bool have_lat = false;
    if (g.run) {
      const auto& c = pt.at("chip").at(g.protect[s]);
      const double n = c.at("images").get<double>();
      lat = c.at("latency_ns_per_image").get<double>();
      have_lat = true;
      num(c.at("cycles").get<double>() / n);
      num(lat);
      num(c.at("energy_pj").get<double>() / n);
      num(c.at("energy_pj_dynamic").get<double>() / n);
      num(c.at("energy_pj_leakage").get<double>() / n);
      const auto& by = c.at("energy_pj_by_component");
      for (const auto& comp : components)
        num(by.contains(comp) ? by.at(comp).get<double>() / n : 0.0);
      num(c.at("area_mm2"));
    }
    for (size_t q = 0; q < g.rates.size(); ++q) {
      const auto& p = ev.at("points").at(s * g.rates.size() + q);
      num(p.at("mean"));
      num(p.at("ci95_low"));
      num(p.at("ci95_high"));
      if (have_lat) num(accurate_latency(lat, p.at("mean").get<double>()));
    }
  }
  r.push_back("");
  if (r.size() != width) throw error("results.csv: row of point " + r[0] + " has the wrong width");
  return r;
}

std::string csv_line(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) out += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\n\r") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char ch : f) {
      if (ch == '"') out += '"';
      out += ch == '\n' || ch == '\r' ? ' ' : ch;
    }
    out += '"';
  }
  return out + "\n";
}

}  // namespace rramft::sweep
