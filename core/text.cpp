#include "core/text.h"

#include <fstream>
#include <sstream>

namespace rramft {

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw error(path + ": cannot open " + what);
  std::ostringstream text;
  text << f.rdbuf();
  if (f.bad()) throw error(path + ": read error");
  return text.str();
}

YAML::Node parse_yaml(const std::string& text, const std::string& origin) {
  require_text(text, origin);
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw error(origin + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " +
                e.msg);
  }
}

}  // namespace rramft
