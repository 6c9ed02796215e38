#include "sweep/tasks.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "engine/evaluate.h"
#include "io/arch_file.h"
#include "io/output.h"
#include "io/text.h"

namespace rramft::sweep {

std::string task::label() const {
  switch (what) {
    case kind::reference:
      return "reference";
    case kind::trials:
      return "trials " + std::to_string(k0) + "-" + std::to_string(k1 - 1);
    case kind::chip:
      return "chip " + scheme;
  }
  return "?";
}

nlohmann::json task::to_json() const {
  static const char* names[] = {"reference", "trials", "chip"};
  return {{"point", point}, {"kind", names[int(what)]}, {"k0", k0}, {"k1", k1}, {"scheme", scheme}};
}

task task::from_json(const nlohmann::json& j) {
  task t;
  t.point = j.at("point").get<size_t>();
  const std::string k = j.at("kind").get<std::string>();
  t.what = k == "trials" ? kind::trials : k == "chip" ? kind::chip : kind::reference;
  t.k0 = j.at("k0").get<int>();
  t.k1 = j.at("k1").get<int>();
  t.scheme = j.at("scheme").get<std::string>();
  return t;
}

std::vector<task> tasks_of(const grid& g, size_t p) {
  std::vector<task> out;
  // Chip runs first: they are the longest single pieces on small data sets.
  if (g.run)
    for (const auto& s : g.protect) {
      task t;
      t.point = p;
      t.what = task::kind::chip;
      t.scheme = s;
      out.push_back(t);
    }
  task ref;
  ref.point = p;
  out.push_back(ref);
  for (int k = 0; k < g.trials; k += g.trials_per_task) {
    task t;
    t.point = p;
    t.what = task::kind::trials;
    t.k0 = k;
    t.k1 = std::min(g.trials, k + g.trials_per_task);
    out.push_back(t);
  }
  return out;
}

std::string point_dir(const std::string& out, size_t p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/points/%06zu", p);
  return out + buf;
}

worker::worker(grid g, std::string out_dir, std::string exe)
    : g_(std::move(g)), out_(std::move(out_dir)), exe_(std::move(exe)) {}

worker::~worker() = default;

void worker::load() {
  if (loaded_) return;
  model_ = models::load_model(g_.model);
  data_ = models::load_dataset(g_.data, g_.origin + ": eval.data");
  models::bind_data(model_, data_);
  loaded_ = true;
}

engine::experiment& worker::experiment_of(size_t p) {
  load();
  if (cached_ && cached_point_ == p) return *cached_;
  cached_.reset();
  cached_point_ = size_t(-1);
  cached_arch_ = load_arch(g_.arch, g_.overrides(p));
  engine::eval_options opt;
  opt.protect = g_.protect;
  opt.rates = g_.rates;
  opt.trials = g_.trials;
  opt.batch = g_.batch;
  opt.drop = g_.drop;
  bool ranges = false;  // range checks profile their outputs on the calibration images
  for (const auto& p : g_.protect) ranges |= parse_protection(p).range;
  if (cached_arch_.input_scale == input_scale_mode::calibrated || ranges) {
    if (calib_.n == 0) {
      calib_ = models::load_dataset(g_.calib, g_.origin + ": eval.calib");
      models::bind_data(model_, calib_);
    }
    opt.calibration = &calib_;
  }
  cached_ = std::make_unique<engine::experiment>(model_, cached_arch_, data_, opt);
  cached_point_ = p;
  return *cached_;
}

nlohmann::json worker::reference(size_t p) {
  engine::experiment& ex = experiment_of(p);
  nlohmann::json j;
  j["float_accuracy"] = ex.float_accuracy();
  j["schemes"] = nlohmann::json::array();
  for (size_t s = 0; s < ex.schemes(); ++s) {
    const engine::scheme_summary r = ex.reference(s);
    j["schemes"].push_back({{"protect", r.protect},
                            {"fault_free", r.fault_free},
                            {"storage_overhead_pct", r.storage_overhead_pct},
                            {"crossbars", r.crossbars},
                            {"msb_zero_fraction", r.msb_zero_fraction},
                            {"clip", r.clip}});
  }
  j["layers"] = ex.layers();
  j["model"] = model_.dir;
  j["data"] = data_.name;
  j["images"] = data_.n;
  return j;
}

nlohmann::json worker::trials(size_t p, int k0, int k1) {
  engine::experiment& ex = experiment_of(p);
  // acc[scheme][rate][k - k0]
  nlohmann::json acc = nlohmann::json::array();
  for (size_t s = 0; s < ex.schemes(); ++s) {
    nlohmann::json per_rate = nlohmann::json::array();
    for (size_t r = 0; r < ex.rates().size(); ++r) {
      std::vector<double> a;
      for (int k = k0; k < k1; ++k) a.push_back(ex.trial(s, r, k));
      per_rate.push_back(a);
    }
    acc.push_back(per_rate);
  }
  return {{"k0", k0}, {"acc", acc}};
}

nlohmann::json worker::chip(size_t p, const std::string& scheme) {
  const std::string dir = point_dir(out_, p), run_dir = dir + "/run-" + scheme;
  std::error_code ec;
  std::filesystem::remove_all(run_dir, ec);  // what a killed run may have left
  std::filesystem::create_directories(dir, ec);
  std::vector<std::string> argv{exe_, "run", "--model", g_.model, "--arch", g_.arch};
  for (const auto& o : g_.overrides(p)) {
    argv.push_back("--set");
    argv.push_back(o);
  }
  for (const char* a :
       {"--data", g_.run_data.c_str(), "--protect", scheme.c_str(), "--out", run_dir.c_str()})
    argv.emplace_back(a);
  const std::string why = run_child(argv, run_dir + ".log", g_.run_timeout_s);
  if (!why.empty()) throw error("chip model (" + scheme + "): " + why);
  nlohmann::json rep;
  try {
    rep = parse_json(read_file(run_dir + "/report.json", "chip report"), run_dir + "/report.json");
  } catch (const std::exception&) {
    throw error("chip model (" + scheme + "): " + run_dir + "/report.json is unreadable");
  }
  const auto& e = rep.at("energy_pj");
  return {{"scheme", scheme},
          {"images", rep.at("images")},
          {"cycles", rep.at("cycles")},
          {"latency_ns", rep.at("latency_ns")},
          {"latency_ns_per_image", rep.at("latency_ns_per_image")},
          {"energy_pj", e.at("total")},
          {"energy_pj_dynamic", e.at("dynamic")},
          {"energy_pj_leakage", e.at("leakage")},
          {"energy_pj_by_component", e.at("by_component")},
          {"area_mm2", rep.at("area_mm2").at("total")},
          {"tiles_used", rep.at("tiles_used")},
          {"crossbars_used", rep.at("crossbars_used")}};
}

nlohmann::json worker::execute(const task& t) {
  try {
    switch (t.what) {
      case task::kind::reference:
        return reference(t.point);
      case task::kind::trials:
        return trials(t.point, t.k0, t.k1);
      case task::kind::chip:
        return chip(t.point, t.scheme);
    }
    return {{"error", "unknown task"}};
  } catch (const std::bad_alloc&) {
    return {{"error", "out of memory"}};
  } catch (const std::exception& e) {
    return {{"error", e.what()}};
  }
}

namespace {

/// The last line of @p log that says why the child stopped ("rramft: error: ...").
std::string last_error(const std::string& log) {
  std::ifstream f(log);
  std::string line, last, err;
  while (std::getline(f, line)) {
    if (line.empty()) continue;
    last = line;
    const size_t at = line.find("error: ");
    if (at != std::string::npos) err = line.substr(at + 7);
  }
  return err.empty() ? last : err;
}

}  // namespace

std::string run_child(const std::vector<std::string>& argv, const std::string& log,
                      double timeout_s) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return std::string("cannot fork: ") + std::strerror(errno);
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec. The child dies with the thread that
    // started it, so that a sweep killed with -9 leaves no chip run behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    execv(args[0], args.data());
    _exit(127);
  }
  watch_child(pid);  // an interrupted sweep stops its chip runs (they clean up after themselves)
  struct forget {
    pid_t p;
    ~forget() { forget_child(p); }
  } forget_on_return{pid};
  const auto t0 = std::chrono::steady_clock::now();
  int status = 0;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return std::string("waitpid: ") + std::strerror(errno);
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > timeout_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      std::ostringstream o;
      o << "killed after run.timeout_s = " << timeout_s << " s";
      return o.str();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return "";
  std::string why = last_error(log);
  if (WIFSIGNALED(status))
    why = "killed by signal " + std::to_string(WTERMSIG(status)) + (why.empty() ? "" : ": " + why);
  else if (WEXITSTATUS(status) == 127 && why.empty())
    why = "cannot start " + argv[0];
  return why.empty() ? "exit status " + std::to_string(WEXITSTATUS(status)) : why;
}

}  // namespace rramft::sweep
