#pragma once
/// @file support.h
/// @brief What the test binaries share: fresh output folders under the build tree, whole files
/// as text, and running the command-line tool with its output captured in a log.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace rramft::test {

/// @brief The whole file @p path ("" when it cannot be read).
inline std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

/// @brief <build>/tests/<suite>/<name>, emptied; created too when @p create (otherwise left for
/// the command under test to create).
inline std::string fresh_dir(const std::string& suite, const std::string& name,
                             bool create = true) {
  const std::string d = std::string(RRAMFT_BINARY_DIR) + "/tests/" + suite + "/" + name;
  std::filesystem::remove_all(d);
  if (create) std::filesystem::create_directories(d);
  return d;
}

/// @brief Runs @p cmd through the shell, stdout and stderr into @p log; the shell's status.
inline int run_logged(const std::string& cmd, const std::string& log) {
  return std::system((cmd + " > " + log + " 2>&1").c_str());
}

}  // namespace rramft::test
