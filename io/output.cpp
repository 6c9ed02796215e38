#include "io/output.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <set>
#include <streambuf>
#include <system_error>
#include <thread>

#include "core/error.h"

extern char** environ;

namespace rramft {

namespace {

/// What an interrupt must clean up: temporaries and staging folders not yet committed, and
/// child processes. The interrupt thread takes the mutex and never gives it back, so nothing
/// is created or committed after it has started cleaning.
struct registry {
  std::mutex m;
  std::set<std::string> files, dirs;
  std::set<std::string> created;  ///< output folders this run made: removed when still empty
  std::set<pid_t> children;
  mode_t umask = 022;
};

registry& reg() {
  static registry r;
  return r;
}

const char* signal_name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
  }
  return "a signal";
}

void on_interrupt(int sig) {
  registry& r = reg();
  r.m.lock();  // held until the process ends
  for (pid_t p : r.children) kill(p, SIGTERM);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (pid_t p : r.children) {
    while (waitpid(p, nullptr, WNOHANG) == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    kill(p, SIGKILL);  // gone already: harmless
  }
  for (const auto& f : r.files) ::unlink(f.c_str());
  std::error_code ec;
  for (const auto& d : r.dirs) std::filesystem::remove_all(d, ec);
  for (const auto& d : r.created) ::rmdir(d.c_str());
  // On a terminal a progress line may be open: the message starts a line of its own.
  const std::string line = std::string(isatty(2) ? "\n" : "") + "rramft: interrupted by " +
                           signal_name(sig) + "; no partial results left\n";
  if (::write(2, line.data(), line.size()) < 0) {
  }
  _exit(128 + sig);
}

/// The interrupt signals, blocked in every thread and taken by one.
sigset_t interrupt_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGINT);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGHUP);
  return s;
}

/// RRAMFT_TEST_INTERRUPT=TERM:N (or INT:N, HUP:N): the process sends itself the signal after
/// its N-th result file is written and before it is committed, and waits to be ended. A test
/// aid: a real signal lands at a random moment, this one in the middle of writing results.
void maybe_test_interrupt() {
  static int written = 0;
  const char* v = std::getenv("RRAMFT_TEST_INTERRUPT");
  if (!v) return;
  const std::string s = v;
  const size_t colon = s.find(':');
  if (colon == std::string::npos) return;
  const std::string name = s.substr(0, colon);
  const int n = std::atoi(s.c_str() + colon + 1);
  if (++written != n) return;
  const int sig = name == "INT" ? SIGINT : name == "HUP" ? SIGHUP : SIGTERM;
  kill(getpid(), sig);
  for (;;) pause();  // the interrupt thread ends the process
}

/// A stream buffer over a file descriptor that keeps the errno of a failed write (ENOSPC,
/// EFBIG), so that the message can say why.
class fd_buf : public std::streambuf {
 public:
  explicit fd_buf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return err_; }
  bool flush_all() { return drain(); }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    if (err_) return false;
    for (char* p = pbase(); p < pptr();) {
      const ssize_t n = ::write(fd_, p, size_t(pptr() - p));
      if (n < 0) {
        if (errno == EINTR) continue;
        err_ = errno;
        return false;
      }
      p += n;
    }
    setp(buf_, buf_ + sizeof buf_);
    return true;
  }
  int fd_;
  int err_ = 0;
  char buf_[1 << 16];
};

/// Fills the open file @p fd through @p fill and closes it; throws rramft::error naming
/// @p label when anything fails (the caller removes the file).
void fill_fd(int fd, const std::string& label, const std::function<void(std::ostream&)>& fill) {
  fd_buf buf(fd);
  std::ostream os(&buf);
  try {
    fill(os);
  } catch (...) {
    ::close(fd);
    throw;
  }
  const bool ok = buf.flush_all() && os.good();
  const int err = buf.error();
  const int rc = ::close(fd);
  const int close_err = errno;
  if (!ok || rc != 0)
    throw error(label + ": write failed: " +
                std::strerror(err       ? err
                              : rc != 0 ? close_err
                                        : EIO) +
                (err == ENOSPC || err == EFBIG || err == EDQUOT ? " (nothing was changed)" : ""));
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// A plain file name of a result: no folder part, not "." or "..".
void check_name(const std::string& name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
    throw error("internal: '" + name + "' is not a plain file name");
}

}  // namespace

void install_interrupt_handling() {
  registry& r = reg();
  const mode_t old = ::umask(022);
  ::umask(old);
  r.umask = old;
  signal(SIGXFSZ, SIG_IGN);
  sigset_t s = interrupt_signals();
  pthread_sigmask(SIG_BLOCK, &s, nullptr);
  std::thread([s] {
    int sig = 0;
    while (sigwait(&s, &sig) != 0) {
    }
    on_interrupt(sig);
  }).detach();
}

void watch_child(pid_t pid) {
  std::lock_guard<std::mutex> g(reg().m);
  reg().children.insert(pid);
}

void forget_child(pid_t pid) {
  std::lock_guard<std::mutex> g(reg().m);
  reg().children.erase(pid);
}

void make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw error(dir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
}

output_lock::output_lock(const std::string& dir) : dir_(dir) {
  // created_ only when this run's own mkdir made the folder: two runs that both find it
  // missing must not both think it theirs (the loser would remove the winner's folder).
  created_ = ::mkdir(dir.c_str(), 0777) == 0;
  if (!created_ && errno == ENOENT) {
    const size_t slash = dir.find_last_of('/');
    if (slash != std::string::npos && slash > 0) make_dir(dir.substr(0, slash));
    created_ = ::mkdir(dir.c_str(), 0777) == 0;
  }
  if (!created_) make_dir(dir);  // an existing folder is fine; anything else: its one-line error
  if (created_) {
    std::lock_guard<std::mutex> g(reg().m);
    reg().created.insert(dir);
  }
  auto undo = [&] {
    if (!created_) return;
    std::lock_guard<std::mutex> g(reg().m);
    ::rmdir(dir.c_str());
    reg().created.erase(dir);
  };
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) {
    const int e = errno;
    undo();
    throw error(dir + ": cannot open the output folder: " + std::strerror(e));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    // The folder is the lock holder's now (even if this run made it): leave it.
    if (created_) {
      std::lock_guard<std::mutex> g(reg().m);
      reg().created.erase(dir);
      created_ = false;
    }
    if (e == EWOULDBLOCK)
      throw error(dir +
                  ": another rramft run is writing this folder; wait for it to end or use "
                  "another --out");
    throw error(dir + ": cannot lock the output folder: " + std::strerror(e));
  }
}

output_lock::~output_lock() {
  if (created_) {
    std::lock_guard<std::mutex> g(reg().m);
    ::rmdir(dir_.c_str());  // only if still empty: a run that wrote nothing
    reg().created.erase(dir_);
  }
  if (fd_ >= 0) ::close(fd_);
}

result_set::result_set(const std::string& dir) : dir_(dir) {
  std::string tmpl = dir + "/.rramft-XXXXXX";
  std::lock_guard<std::mutex> g(reg().m);
  if (!::mkdtemp(tmpl.data()))
    throw error(dir + ": cannot create a staging folder for the results: " + std::strerror(errno));
  stage_ = tmpl;
  reg().dirs.insert(stage_);
}

result_set::~result_set() {
  if (committed_) return;
  std::lock_guard<std::mutex> g(reg().m);
  std::error_code ec;
  std::filesystem::remove_all(stage_, ec);
  reg().dirs.erase(stage_);
}

std::string result_set::staged(const std::string& name) {
  check_name(name);
  drop(name);  // not committed unless the library writes it
  return stage_ + "/" + name;
}

void result_set::write(const std::string& name, const std::function<void(std::ostream&)>& fill) {
  check_name(name);
  const std::string path = stage_ + "/" + name;
  int fd;
  {
    std::lock_guard<std::mutex> g(reg().m);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  }
  if (fd < 0) throw error(dir_ + "/" + name + ": cannot write: " + std::strerror(errno));
  fill_fd(fd, dir_ + "/" + name, fill);
  names_.push_back(name);
  maybe_test_interrupt();
}

void result_set::write(const std::string& name, const std::string& content) {
  write(name, [&](std::ostream& f) {
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

void result_set::drop(const std::string& name) {
  check_name(name);
  dropped_.push_back(name);
}

bool result_set::plot(const std::string& gp, const std::string& png, const std::string& script) {
  write(gp, script);
  check_name(png);
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0)
    throw error("cannot create a pipe: " + std::string(std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addchdir_np(&fa, stage_.c_str());
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGXFSZ, SIGPIPE}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char arg0[] = "gnuplot";
  std::string script_arg = gp;
  char* argv[] = {arg0, script_arg.data(), nullptr};
  pid_t pid = -1;
  int rc;
  {
    std::lock_guard<std::mutex> g(reg().m);
    rc = posix_spawnp(&pid, "gnuplot", &fa, &attr, argv, environ);
    if (rc == 0) reg().children.insert(pid);
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(pipefd[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (out.size() < 4096) out.append(buf, size_t(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  if (rc == 0) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    forget_child(pid);
  }
  const std::string staged_png = stage_ + "/" + png;
  struct stat st {};
  if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      ::lstat(staged_png.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    ::unlink(staged_png.c_str());
    drop(png);
    std::cerr << "rramft: warning: gnuplot failed, " << dir_ << "/" << png
              << " not written (install gnuplot-nox): "
              << (rc != 0 ? std::string(std::strerror(rc)) : out.substr(0, out.find('\n'))) << "\n";
    return false;
  }
  names_.push_back(png);
  return true;
}

void result_set::commit() {
  std::lock_guard<std::mutex> g(reg().m);
  // Everything is checked before the first rename, so that the renames cannot fail halfway.
  for (const auto& n : names_) {
    struct stat st {};
    const std::string to = dir_ + "/" + n;
    if (::lstat(to.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
      throw error(to + ": is a directory; cannot put the result there");
  }
  std::set<std::string> done;
  for (const auto& n : names_) {
    const std::string from = stage_ + "/" + n, to = dir_ + "/" + n;
    if (::rename(from.c_str(), to.c_str()) != 0)
      throw error(to + ": cannot rename into place: " + std::strerror(errno));
    done.insert(n);
  }
  // Files a library wrote by name (staged()), and optional outputs this run did not make.
  for (const auto& n : dropped_) {
    if (done.count(n)) continue;
    const std::string from = stage_ + "/" + n, to = dir_ + "/" + n;
    struct stat st {};
    if (::lstat(from.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      if (::rename(from.c_str(), to.c_str()) != 0)
        throw error(to + ": cannot rename into place: " + std::strerror(errno));
      done.insert(n);
    } else if (::lstat(to.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) {
      ::unlink(to.c_str());
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(stage_, ec);
  reg().dirs.erase(stage_);
  committed_ = true;
}

std::string gnuplot_output(const std::string& png) {
  return "if (!exists('out')) out = " + gnuplot_quoted(png) + "\nset output out\n";
}

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  // An exclusive name beside the file: never an existing file, never through a symlink.
  std::string tmp = folder_of(path) + "/." + base_of(path) + ".rramft-XXXXXX";
  int fd;
  {
    std::lock_guard<std::mutex> g(reg().m);
    fd = ::mkostemp(tmp.data(), O_CLOEXEC);
    if (fd >= 0) reg().files.insert(tmp);
  }
  if (fd < 0) throw error(path + ": cannot write: " + std::strerror(errno));
  auto forget = [&] {
    std::lock_guard<std::mutex> g(reg().m);
    ::unlink(tmp.c_str());
    reg().files.erase(tmp);
  };
  ::fchmod(fd, 0666 & ~reg().umask);  // mkstemp makes 0600; results are as readable as others
  try {
    fill_fd(fd, path, fill);
  } catch (...) {
    forget();
    throw;
  }
  maybe_test_interrupt();
  std::lock_guard<std::mutex> g(reg().m);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    ::unlink(tmp.c_str());
    reg().files.erase(tmp);
    throw error(path + ": is a directory; cannot put the result there");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    reg().files.erase(tmp);
    throw error(path + ": cannot rename into place: " + std::strerror(e));
  }
  reg().files.erase(tmp);
}

void write_atomically(const std::string& path, const std::string& content) {
  write_atomically(path, [&](std::ostream& f) {
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

int open_for_append(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) throw error(path + ": cannot write: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw error(path + ": is not a regular file; cannot append to it");
  }
  return fd;
}

std::string gnuplot_quoted(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
  return o + "'";
}

const char* const plot_colours[plot_colour_count] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                     "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                     "#bcbd22", "#17becf", "#393b79", "#e7ba52"};

}  // namespace rramft
