#include "io/arch_file.h"

#include <utility>

#include "core/error.h"
#include "io/text.h"

namespace rramft {

namespace {

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

file_reader arch_file_reader() {
  return [](const std::string& path, const std::string& what, uint64_t max_bytes) {
    return read_file(path, what, max_bytes ? max_bytes : max_text_bytes);
  };
}

full_spec load_arch(const std::string& path, const std::vector<std::string>& overrides,
                    const std::vector<std::string>& sources) {
  return load_arch_text(read_file(path, "architecture file"), path, overrides, sources);
}

full_spec load_arch_text(const std::string& text, const std::string& path,
                         const std::vector<std::string>& overrides,
                         const std::vector<std::string>& sources) {
  return full_spec::from_yaml(parse_yaml(text, path), path, overrides, sources, arch_file_reader());
}

std::vector<std::string> overrides_from_file(const std::string& path) {
  return overrides_from_text(read_file(path, "YAML fragment"), path);
}

std::vector<std::string> overrides_from_text(const std::string& text, const std::string& path) {
  const YAML::Node root = parse_yaml(text, path);
  std::vector<std::string> out;
  if (!root || root.IsNull())
    throw error(path + ": the YAML fragment holds no keys (empty, or only comments)");
  if (!root.IsMap()) throw error(path + ": expected a mapping of keys at the top level");
  // Depth first, in file order: a.b.c=value for every leaf.
  std::vector<std::pair<std::string, YAML::Node>> todo{{"", root}};
  while (!todo.empty()) {
    auto [prefix, n] = todo.back();
    todo.pop_back();
    if (n.IsMap()) {
      std::vector<std::pair<std::string, YAML::Node>> kids;
      for (auto it = n.begin(); it != n.end(); ++it)
        kids.emplace_back(prefix.empty() ? it->first.Scalar() : prefix + "." + it->first.Scalar(),
                          it->second);
      todo.insert(todo.end(), kids.rbegin(), kids.rend());
    } else if (n.IsScalar()) {
      if (!is_arch_key(prefix))
        throw error(path + ": unknown key '" + one_line(prefix) + "'" + arch_key_hint(prefix));
      out.push_back(prefix + "=" + n.Scalar());
    } else if (!n.IsNull()) {
      throw error(path + ": key '" + one_line(prefix) + "': expected a single value");
    }
  }
  return out;
}

}  // namespace rramft
