#pragma once
/// @file memory.h
/// @brief Memory limits: a job whose memory need would exceed what the machine can give is
/// refused up front with an estimate, instead of being found by the kernel's OOM killer hours
/// into a run. Estimates add the large buffers of a job by name (plain arithmetic in double, so
/// absurd requests cannot overflow); available_memory() asks the machine.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace rramft {

/// @brief Bytes this process can still use: the smallest of MemAvailable (/proc/meminfo), the
/// cgroup's memory.max minus memory.current, and RLIMIT_AS / RLIMIT_DATA. The environment
/// variable RRAMFT_MEMORY_LIMIT (bytes, or with a suffix K, M, G, T: powers of 1024) replaces
/// the answer, for tests and for sharing a machine politely.
double available_memory();

/// @brief "1.5 GiB", "320 MiB", "12 KiB", "100 B".
std::string format_bytes(double bytes);

/// @brief The large buffers of one job, each with a name.
class memory_estimate {
 public:
  /// @brief Adds @p bytes under @p what (parts of the same name add up).
  void add(const std::string& what, double bytes);
  double total() const;
  /// @brief "1.5 GiB (eval batch buffers 1.2 GiB, fault lists 300 MiB)": the parts, largest first.
  std::string describe() const;
  /// @brief Throws rramft::error "<job> needs about <describe()> of memory, more than the <n>
  /// available; <hint>" when total() exceeds available_memory(). Below 64 MiB the machine is
  /// not asked (only RRAMFT_MEMORY_LIMIT applies).
  void check(const std::string& job, const std::string& hint = "") const;
  const std::vector<std::pair<std::string, double>>& parts() const { return parts_; }

 private:
  std::vector<std::pair<std::string, double>> parts_;
};

}  // namespace rramft
