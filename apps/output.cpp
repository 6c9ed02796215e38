#include "apps/output.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "core/error.h"

namespace rramft::app {

void make_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw error(dir + ": cannot create output directory" + (ec ? ": " + ec.message() : ""));
}

void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw error(path + ": cannot write");
    try {
      fill(f);
    } catch (...) {
      f.close();
      std::remove(tmp.c_str());  // whatever stopped the writer, no partial file stays behind
      throw;
    }
    f.flush();
    if (!f) {
      f.close();
      std::remove(tmp.c_str());
      throw error(path + ": write failed (disk full?)");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::remove(tmp.c_str());
    throw error(path + ": cannot rename into place: " + ec.message());
  }
}

}  // namespace rramft::app
