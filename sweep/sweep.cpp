#include "sweep/sweep.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "energy/ert.h"
#include "io/arch_file.h"
#include "io/output.h"
#include "io/text.h"
#include "mapping/floorplan.h"
#include "mapping/mapping.h"
#include "models/idx.h"
#include "models/model.h"
#include "models/network.h"
#include "sweep/plots.h"
#include "sweep/results.h"
#include "sweep/tasks.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace mpi = boost::mpi;

namespace rramft::sweep {

namespace {

constexpr int tag_result = 1;  // worker -> coordinator: a finished task (or hello)
constexpr int tag_task = 2;    // coordinator -> worker: a task, or "stop"
using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "?";
  return buf;
}

std::string duration_text(double s) {
  if (!(s >= 0)) return "?";
  const long t = long(s + 0.5);
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, t / 60 % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

std::string point_text(const grid& g, size_t p) {
  std::string s = "point " + std::to_string(p);
  const auto kv = g.point(p);
  if (kv.empty()) return s;
  s += " (";
  for (size_t i = 0; i < kv.size(); ++i) s += (i ? ", " : "") + kv[i].first + "=" + kv[i].second;
  return s + ")";
}

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_SIZE");
}

int local_ranks() {
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"})
    if (const char* s = std::getenv(v)) {
      const int n = std::atoi(s);
      if (n > 0) return n;
    }
  return 1;
}

void set_threads(int threads) {
#ifdef _OPENMP
  const int hw = int(std::max(1u, std::thread::hardware_concurrency()));
  omp_set_num_threads(threads > 0 ? threads : std::max(1, hw / local_ranks()));
#else
  (void)threads;
#endif
}

/// A finished task as it travels to the coordinator.
struct report {
  task t;
  nlohmann::json result;
  int rank = 0;
  std::string host;
  double wall_s = 0;
};

nlohmann::json report_json(const report& r) {
  return {{"task", r.t.to_json()},
          {"result", r.result},
          {"rank", r.rank},
          {"host", r.host},
          {"wall_s", r.wall_s}};
}

report report_from(const nlohmann::json& j) {
  report r;
  r.t = task::from_json(j.at("task"));
  r.result = j.at("result");
  r.rank = j.at("rank").get<int>();
  r.host = j.at("host").get<std::string>();
  r.wall_s = j.at("wall_s").get<double>();
  return r;
}

/// Carries out one task, timing it.
report work(worker& w, const task& t, int rank, const std::string& host) {
  const auto t0 = clock_type::now();
  report r;
  r.t = t;
  r.result = w.execute(t);
  r.wall_s = seconds_since(t0);
  r.rank = rank;
  r.host = host;
  return r;
}

/// A rank other than 0: asks for work, does it, sends it back, until told to stop.
void remote_worker(mpi::communicator& world, const options& o) {
  set_threads(o.threads);
  const std::string host = host_name();
  std::unique_ptr<worker> w;
  std::string msg = nlohmann::json{{"hello", true}}.dump();
  for (;;) {
    world.send(0, tag_result, msg);
    // Wait without spinning: a blocking receive would keep a core busy polling.
    while (!world.iprobe(0, tag_task)) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::string in;
    world.recv(0, tag_task, in);
    if (in == "stop") return;
    const task t = task::from_json(nlohmann::json::parse(in));
    report r;
    if (!w) {
      try {
        w = std::make_unique<worker>(load_grid(o.grid_file), o.out_dir, o.exe);
      } catch (const std::exception& e) {
        r.t = t;
        r.result = {{"error", e.what()}};
        r.rank = world.rank();
        r.host = host;
        msg = report_json(r).dump();
        continue;
      }
    }
    msg = report_json(work(*w, t, world.rank(), host)).dump();
  }
}

/// Rank 0's own worker thread, fed through a one-slot mailbox.
class local_worker {
 public:
  local_worker(const grid& g, const options& o)
      : w_(g, o.out_dir, o.exe), threads_(o.threads), thread_([this] { loop(); }) {}
  ~local_worker() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool idle() {
    std::lock_guard<std::mutex> l(m_);
    return !next_ && !busy_;
  }
  void give(const task& t) {
    {
      std::lock_guard<std::mutex> l(m_);
      next_ = t;
    }
    cv_.notify_all();
  }
  /// Finished reports; waits up to @p wait for one.
  std::vector<report> take(std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> l(m_);
    done_cv_.wait_for(l, wait, [&] { return !done_.empty(); });
    std::vector<report> out;
    out.swap(done_);
    return out;
  }

 private:
  void loop() {
    set_threads(threads_);
    const std::string host = host_name();
    for (;;) {
      task t;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return stop_ || next_; });
        if (stop_) return;
        t = *next_;
        next_.reset();
        busy_ = true;
      }
      report r = work(w_, t, 0, host);
      {
        std::lock_guard<std::mutex> l(m_);
        done_.push_back(std::move(r));
        busy_ = false;
      }
      done_cv_.notify_all();
    }
  }

  worker w_;
  int threads_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  std::optional<task> next_;
  bool busy_ = false, stop_ = false;
  std::vector<report> done_;
  std::thread thread_;  // last: starts once the rest is built
};

/// Rank 0: hands out tasks, gathers results, writes the sweep folder.
class coordinator {
 public:
  ~coordinator() {
    if (timings_fd_ >= 0) ::close(timings_fd_);
  }
  coordinator(const options& o, mpi::communicator* world) : o_(o), world_(world) {
    remote_ = world ? world->size() - 1 : 0;
  }

  /// Setup errors (bad input) come out as rramft::error once every worker has stopped; an
  /// error later, with workers busy, has no clean way out under MPI (see sweep::run).
  int run() {
    try {
      setup();
    } catch (...) {
      drain();
      throw;
    }
    started_ = true;
    loop();
    finish();
    return 0;
  }
  bool started() const { return started_; }

 private:
  struct pstate {
    bool finished = false, failed = false, started = false;
    int outstanding = 0;
    point_parts parts;
  };

  void setup() {
    // One sweep per folder at a time: a second one is refused before any work.
    lock_ = std::make_unique<output_lock>(o_.out_dir);
    g_ = load_grid(o_.grid_file);
    components_ = preflight(g_);  // bad input ends here, before any file is written
    cols_ = columns(g_, components_);
    // The folder remembers its grid: a different grid must not resume into it.
    // Paths as absolute ones: the same grid named from another folder is the same sweep.
    nlohmann::json gj = g_.to_json();
    for (const char* k : {"model", "arch"})
      gj[k] = std::filesystem::weakly_canonical(gj[k].get<std::string>()).string();
    const nlohmann::json id = {
        {"grid", gj}, {"arch_text", read_file(g_.arch, "architecture file")}, {"columns", cols_}};
    const std::string idf = o_.out_dir + "/sweep.json";
    if (std::filesystem::exists(idf)) {
      nlohmann::json old;
      try {
        old = parse_json(read_file(idf, "sweep record"), idf);
      } catch (const std::exception&) {
      }
      if (old != id)
        throw error(o_.out_dir +
                    ": holds a sweep of another grid or base architecture; use "
                    "another --out (or remove the folder)");
    }
    std::error_code ec;
    std::filesystem::create_directories(o_.out_dir + "/points", ec);
    if (ec) throw error(o_.out_dir + ": cannot create output directory: " + ec.message());
    write_atomically(idf, id.dump(2) + "\n");
    // Resume: a point whose file exists is finished (a failed one too, unless asked again).
    state_.resize(g_.points());
    size_t resumed = 0;
    for (size_t p = 0; p < g_.points(); ++p) {
      const std::string f = point_dir(o_.out_dir, p) + "/point.json";
      if (std::filesystem::exists(f)) {
        try {
          nlohmann::json pt = parse_json(read_file(f, "point record"), f);
          if (pt.at("overrides") == nlohmann::json(g_.overrides(p)) &&
              (pt.at("status") == "ok" || !o_.retry_failed)) {
            record(p, std::move(pt), false);
            ++resumed;
            continue;
          }
        } catch (const std::exception&) {
          // unreadable: run the point again
        }
      }
      state_[p].parts.init(g_);
      for (const task& t : tasks_of(g_, p)) queue_.push_back(t);
      state_[p].outstanding = int(tasks_of(g_, p).size());
    }
    tasks_total_ = queue_.size();
    std::cerr << "sweep: " << g_.points() << " points x " << g_.protect.size() << " schemes, "
              << tasks_total_ << " tasks to run on " << 1 + remote_ << " ranks";
    if (resumed) std::cerr << " (resumed: " << resumed << " points already finished)";
    std::cerr << "\n";
    session_ = std::to_string(std::time(nullptr));
    const std::string tf = o_.out_dir + "/timings.csv";
    timings_fd_ = open_for_append(tf);  // a log across sessions: appended, never through a link
    timings_path_ = tf;
    struct stat st {};
    if (fstat(timings_fd_, &st) == 0 && st.st_size == 0)
      append_timing("session,point,task,rank,host,start_s,wall_s,status\n");
    write_results(true);
  }

  /// Answers every worker with "stop" until none is left (also after a setup error).
  void drain() {
    while (world_ && remote_ > 0) {
      if (auto st = world_->iprobe(mpi::any_source, tag_result)) {
        std::string in;
        world_->recv(st->source(), tag_result, in);
        world_->send(st->source(), tag_task, std::string("stop"));
        --remote_;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }

  std::optional<task> next_task() {
    while (!queue_.empty()) {
      task t = queue_.front();
      queue_.pop_front();
      if (state_[t.point].failed || state_[t.point].finished) continue;  // point gave up
      state_[t.point].started = true;
      running_[key(t)] = {clock_type::now(), t.what};
      return t;
    }
    return std::nullopt;
  }

  static std::string key(const task& t) { return std::to_string(t.point) + " " + t.label(); }

  void loop() {
    t0_ = clock_type::now();
    local_ = std::make_unique<local_worker>(g_, o_);
    progress(true);
    for (;;) {
      bool changed = false;
      if (local_->idle())
        if (auto t = next_task()) local_->give(*t);
      for (report& r : local_->take(std::chrono::milliseconds(world_ ? 10 : 500))) {
        handle(r);
        changed = true;
      }
      while (world_) {
        auto st = world_->iprobe(mpi::any_source, tag_result);
        if (!st) break;
        std::string in;
        world_->recv(st->source(), tag_result, in);
        const nlohmann::json j = nlohmann::json::parse(in);
        if (!j.contains("hello")) {
          handle(report_from(j));
          changed = true;
        }
        if (auto t = next_task()) {
          world_->send(st->source(), tag_task, t->to_json().dump());
        } else {
          world_->send(st->source(), tag_task, std::string("stop"));
          --remote_;
        }
      }
      progress(changed);
      if (running_.empty() && queue_.empty() && remote_ == 0 && local_->idle()) break;
    }
    local_.reset();
  }

  void handle(const report& r) {
    const task& t = r.t;
    const double wall = r.wall_s;
    running_.erase(key(t));
    const bool ok = !r.result.contains("error");
    append_timing(session_ + "," + std::to_string(t.point) + "," + t.label() + "," +
                  std::to_string(r.rank) + "," + r.host + "," +
                  number_text(seconds_since(t0_) - wall) + "," + number_text(wall) + "," +
                  (ok ? "ok" : "failed") + "\n");
    ++tasks_done_;
    auto& mean = mean_s_[int(t.what)];
    mean.first += wall;
    mean.second += 1;
    pstate& s = state_[t.point];
    if (s.failed || s.finished) return;
    if (!ok) {
      const std::string why = t.label() + ": " + r.result.at("error").get<std::string>();
      std::cerr << (tty_ ? "\r\033[K" : "") << "sweep: " << point_text(g_, t.point)
                << " failed: " << why << "\n";
      record(t.point, failed_point(g_, t.point, why), true);
      return;
    }
    try {
      switch (t.what) {
        case task::kind::reference:
          s.parts.reference = r.result;
          break;
        case task::kind::trials:
          s.parts.add_trials(r.result);
          break;
        case task::kind::chip:
          s.parts.chips[t.scheme] = r.result;
          break;
      }
      if (--s.outstanding == 0) record(t.point, finished_point(g_, t.point, s.parts), true);
    } catch (const error& e) {
      record(t.point, failed_point(g_, t.point, t.label() + ": " + e.what()), true);
    } catch (const nlohmann::json::exception& e) {
      record(t.point, failed_point(g_, t.point, t.label() + ": malformed result: " + e.what()),
             true);
    }
  }

  /// A point is finished (ok or failed): its file first (unless it came from one), then its row.
  void record(size_t p, nlohmann::json pt, bool write) {
    pstate& s = state_[p];
    s.finished = pt.at("status") == "ok";
    s.failed = !s.finished;
    s.parts = point_parts();  // free the pieces
    if (write) {
      // The point's files are one result: both of this run, or (interrupted) none.
      const std::string dir = point_dir(o_.out_dir, p);
      make_dir(dir);
      result_set out(dir);
      if (pt.contains("eval"))
        out.write("accuracy.json", pt["eval"].dump(2) + "\n");
      else
        out.drop("accuracy.json");
      out.write("point.json", pt.dump(1) + "\n");
      out.commit();
    }
    rows_[p] = csv_line(row(g_, components_, pt));
    points_[p] = std::move(pt);
    dirty_ = true;
  }

  void write_results(bool now) {
    if (!dirty_ && !now) return;
    if (!now && seconds_since(last_write_) < 2) return;
    std::string text = csv_line(cols_);
    for (const auto& [p, line] : rows_) text += line;  // point order, whatever the finishing order
    write_atomically(o_.out_dir + "/results.csv", text);
    dirty_ = false;
    last_write_ = clock_type::now();
  }

  void progress(bool changed) {
    write_results(false);
    if (!changed && seconds_since(last_progress_) < (tty_ ? 1 : 30)) return;
    size_t ok = 0, failed = 0, running = 0, pending = 0;
    for (const auto& s : state_) {
      if (s.finished)
        ++ok;
      else if (s.failed)
        ++failed;
      else if (s.started)
        ++running;
      else
        ++pending;
    }
    // Time left: the tasks not yet finished at the mean time of their kind, over the workers.
    double all = 0, n = 0;
    for (const auto& [k, m] : mean_s_) {
      all += m.first;
      n += m.second;
    }
    double left = -1;
    if (n > 0) {
      left = 0;
      auto mean_of = [&](task::kind k) {
        auto it = mean_s_.find(int(k));
        return it != mean_s_.end() && it->second.second > 0 ? it->second.first / it->second.second
                                                            : all / n;
      };
      for (const task& t : queue_)
        if (!state_[t.point].failed) left += mean_of(t.what);
      for (const auto& [k, r] : running_)
        left += std::max(0.0, mean_of(r.second) - seconds_since(r.first));
      left /= double(1 + (world_ ? world_->size() - 1 : 0));
    }
    const double el = seconds_since(t0_);
    std::ostringstream line;
    line << "sweep: " << ok << "/" << state_.size() << " points done, " << running << " running, "
         << failed << " failed, " << pending << " pending | tasks " << tasks_done_ << "/"
         << tasks_total_ << " | " << duration_text(el) << " elapsed, ~" << duration_text(left)
         << " left";
    if (tty_)
      std::cerr << "\r\033[K" << line.str() << std::flush;
    else
      std::cerr << line.str() << "\n";
    last_progress_ = clock_type::now();
    nlohmann::json pj = {{"points", state_.size()},
                         {"done", ok},
                         {"failed", failed},
                         {"running", running},
                         {"pending", pending},
                         {"tasks_done", tasks_done_},
                         {"tasks_total", tasks_total_},
                         {"elapsed_s", el},
                         {"eta_s", left >= 0 ? nlohmann::json(left) : nlohmann::json()}};
    write_atomically(o_.out_dir + "/progress.json", pj.dump(2) + "\n");
  }

  void finish() {
    write_results(true);
    if (tty_) std::cerr << "\n";
    std::vector<nlohmann::json> pts;
    for (auto& [p, pt] : points_) pts.push_back(pt);
    const std::vector<std::string> wrote = write_plots(g_, pts, o_.out_dir);
    size_t failed = 0;
    for (const auto& s : state_) failed += s.failed;
    std::printf("sweep: %zu points, %zu ok, %zu failed, %s\n", state_.size(),
                state_.size() - failed, failed, duration_text(seconds_since(t0_)).c_str());
    std::printf("wrote %s/results.csv, timings.csv", o_.out_dir.c_str());
    for (const auto& w : wrote) std::printf(", %s", w.c_str());
    std::printf("\n");
    if (failed)
      std::cerr << "rramft: warning: " << failed
                << " points failed; their rows in results.csv say why (run again with "
                   "--retry-failed to retry them)\n";
  }

  options o_;
  mpi::communicator* world_;
  int remote_ = 0;  // remote workers not yet told to stop
  grid g_;
  std::vector<std::string> components_, cols_;
  std::vector<pstate> state_;
  std::deque<task> queue_;
  std::map<std::string, std::pair<clock_type::time_point, task::kind>> running_;
  std::map<int, std::pair<double, double>> mean_s_;  // kind -> (seconds, count)
  std::map<size_t, std::string> rows_;
  std::map<size_t, nlohmann::json> points_;
  std::unique_ptr<local_worker> local_;
  /// One line of timings.csv, written at once (a line is never split by an interruption).
  void append_timing(const std::string& line) {
    for (size_t done = 0; done < line.size();) {
      const ssize_t n = ::write(timings_fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw error(timings_path_ + ": write failed: " + std::strerror(errno));
      done += size_t(n);
    }
  }

  std::unique_ptr<output_lock> lock_;
  int timings_fd_ = -1;
  std::string timings_path_;
  std::string session_;
  size_t tasks_total_ = 0, tasks_done_ = 0;
  bool dirty_ = false, tty_ = isatty(2), started_ = false;
  clock_type::time_point t0_ = clock_type::now(), last_write_{}, last_progress_{};
};

}  // namespace

std::vector<std::string> preflight(const grid& g) {
  models::model m = models::load_model(g.model);
  {
    models::image_set d = models::load_dataset(g.data, g.origin + ": eval.data");
    models::bind_data(m, d);
    models::network(m).check_data(d);
  }
  if (g.run) {
    models::image_set d = models::load_dataset(g.run_data, g.origin + ": run.data");
    models::bind_data(m, d);
  }
  std::set<std::string> comps;
  std::map<std::string, energy::table> tables;
  for (size_t p = 0; p < g.points(); ++p) {
    try {
      const std::vector<std::string> o = g.overrides(p);
      const full_spec a = load_arch(g.arch, o, std::vector<std::string>(o.size(), "grid"));
      if (p == 0) {
        bool ranges = false;
        for (const auto& s : g.protect) ranges |= parse_protection(s).range;
        if (a.input_scale == input_scale_mode::calibrated || ranges) {
          models::image_set d = models::load_dataset(g.calib, g.origin + ": eval.calib");
          models::bind_data(m, d);
        }
      }
      for (const std::string& s : g.protect) {
        full_spec as = a;
        apply_scheme(as, s);
        const mapping::chip_mapping cm = mapping::map_model(m, as);
        if (!g.run) continue;
        int tiles = 0;
        mapping::place_blocks(as, cm, tiles);
        const std::string& ert = as.energy_table;  // absolute once loaded
        if (!tables.count(ert)) {
          tables.emplace(ert, energy::table::load(ert));
          for (const auto& [action, price] : tables.at(ert).actions())
            comps.insert(energy::component_of(action));
        }
      }
    } catch (const error& e) {
      throw error(g.origin + ": " + point_text(g, p) + ": " + e.what());
    }
  }
  return {comps.begin(), comps.end()};
}

int run(int argc, char** argv, const options& o) {
  if (!launched_by_mpirun()) {
    coordinator c(o, nullptr);
    return c.run();
  }
  mpi::environment env(argc, argv, mpi::threading::funneled, false);
  mpi::communicator world;
  if (world.rank() != 0) {
    remote_worker(world, o);
    return 0;
  }
  coordinator c(o, world.size() > 1 ? &world : nullptr);
  try {
    return c.run();
  } catch (const std::exception& e) {
    if (!c.started() || world.size() == 1) throw;  // every worker has been told to stop
    std::cerr << "rramft: error: sweep: " << e.what() << "\n";
    env.abort(3);  // workers are busy: take them down with us
  }
  return 3;
}

}  // namespace rramft::sweep
