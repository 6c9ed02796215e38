#include "io/memory.h"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace rramft {

namespace {

constexpr double unlimited = 1e30;

/// "123", "4K", "1.5G" -> bytes; negative when the text is not such a size.
double parse_size(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || !(v >= 0) || !std::isfinite(v)) return -1;
  std::string unit(end);
  if (unit.size() > 1 && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (unit.size() > 1 && (unit.back() == 'i')) unit.pop_back();
  if (unit.empty()) return v;
  if (unit.size() != 1) return -1;
  switch (unit[0]) {
    case 'k':
    case 'K':
      return v * 1024;
    case 'm':
    case 'M':
      return v * 1024 * 1024;
    case 'g':
    case 'G':
      return v * 1024 * 1024 * 1024;
    case 't':
    case 'T':
      return v * 1024 * 1024 * 1024 * 1024;
  }
  return -1;
}

/// A number from the first line of @p path ("max" and missing files: unlimited).
double read_number(const std::string& path) {
  std::ifstream f(path);
  std::string s;
  if (!(f >> s) || s == "max") return unlimited;
  const double v = parse_size(s);
  return v >= 0 ? v : unlimited;
}

double meminfo_available() {
  std::ifstream f("/proc/meminfo");
  for (std::string key; f >> key;) {
    double kb = 0;
    f >> kb;
    if (key == "MemAvailable:") return kb * 1024;
    f.ignore(1 << 10, '\n');
  }
  return unlimited;
}

/// The cgroup (v2) this process runs in, as "/sys/fs/cgroup/<path>".
std::string cgroup_dir() {
  std::ifstream f("/proc/self/cgroup");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  return "";
}

}  // namespace

double available_memory() {
  if (const char* env = std::getenv("RRAMFT_MEMORY_LIMIT")) {
    const double v = parse_size(env);
    if (v < 0)
      throw error("RRAMFT_MEMORY_LIMIT: '" + std::string(env) +
                  "' is not a size (bytes, or a number with K, M, G or T)");
    return v;
  }
  double avail = meminfo_available();
  const std::string cg = cgroup_dir();
  if (!cg.empty()) {
    const double max = read_number(cg + "/memory.max");
    if (max < unlimited)
      avail =
          std::min(avail, std::max(0.0, max - std::min(max, read_number(cg + "/memory.current"))));
  }
  for (int which : {RLIMIT_AS, RLIMIT_DATA}) {
    rlimit r{};
    if (getrlimit(which, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
      avail = std::min(avail, double(r.rlim_cur));
  }
  return avail;
}

std::string format_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (bytes >= 1024 && u < 6) {
    bytes /= 1024;
    ++u;
  }
  char buf[64];
  if (u == 0)
    std::snprintf(buf, sizeof buf, "%.0f B", bytes);
  else if (bytes >= 1e6)
    std::snprintf(buf, sizeof buf, "%.3g %s", bytes, units[u]);
  else
    std::snprintf(buf, sizeof buf, bytes < 10 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
  return buf;
}

void memory_estimate::add(const std::string& what, double bytes) {
  if (!(bytes > 0)) return;
  for (auto& [name, b] : parts_)
    if (name == what) {
      b += bytes;
      return;
    }
  parts_.emplace_back(what, bytes);
}

double memory_estimate::total() const {
  double t = 0;
  for (const auto& p : parts_) t += p.second;
  return t;
}

std::string memory_estimate::describe() const {
  auto sorted = parts_;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string s = format_bytes(total()) + " (";
  for (size_t i = 0; i < sorted.size(); ++i)
    s += (i ? ", " : "") + sorted[i].first + " " + format_bytes(sorted[i].second);
  return s + ")";
}

void memory_estimate::check(const std::string& job, const std::string& hint) const {
  // Small jobs fit any machine this tool runs on; only a limit set by hand applies to them.
  if (total() < 64.0 * 1024 * 1024 && !std::getenv("RRAMFT_MEMORY_LIMIT")) return;
  const double avail = available_memory();
  if (total() <= avail) return;
  throw error(job + " needs about " + describe() + " of memory, more than the " +
              format_bytes(avail) + " available" + (hint.empty() ? "" : "; " + hint));
}

}  // namespace rramft
