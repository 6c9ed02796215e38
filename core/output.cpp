#include "core/output.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <system_error>

#include "core/error.h"

namespace rramft {

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

void write_atomically(const std::string& path, const std::string& content) {
  write_atomically(path, [&](std::ostream& f) {
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
  });
}

std::string gnuplot_quoted(const std::string& s) {
  std::string o = "'";
  for (char c : s) o += c == '\'' ? std::string("''") : std::string(1, c);
  return o + "'";
}

const char* const plot_colours[plot_colour_count] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                                     "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                                                     "#bcbd22", "#17becf", "#393b79", "#e7ba52"};

bool render_gnuplot(const std::string& script, const std::string& png) {
  // The script's name goes to the shell inside single quotes, quotes escaped.
  std::string arg = "'";
  for (char c : script) arg += c == '\'' ? std::string("'\\''") : std::string(1, c);
  arg += "'";
  FILE* p = popen(("gnuplot " + arg + " 2>&1").c_str(), "r");
  std::string out;
  if (p) {
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
  }
  const int rc = p ? pclose(p) : -1;
  const std::string tmp = png + ".tmp";
  std::error_code ec;
  if (rc != 0 || !std::filesystem::exists(tmp)) {
    std::filesystem::remove(tmp, ec);
    std::cerr << "rramft: warning: gnuplot failed, " << png
              << " not written (install gnuplot-nox): " << out.substr(0, out.find('\n')) << "\n";
    return false;
  }
  std::filesystem::rename(tmp, png, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    std::cerr << "rramft: warning: " << png << " not written: cannot rename into place\n";
    return false;
  }
  return true;
}

}  // namespace rramft
