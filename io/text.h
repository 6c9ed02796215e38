#pragma once
/// @file text.h
/// @brief How every input file is opened and read, and how its text is parsed. Inputs must be
/// regular files (a FIFO, device or directory is refused without blocking on it), text inputs
/// have a size limit checked before reading, and YAML and JSON documents that give a key twice
/// are refused, naming both places (yaml-cpp and nlohmann-json would keep one of them
/// silently). Text files (YAML) must be UTF-8 without stray control characters: what they hold
/// ends up in JSON results, and a JSON writer cannot write a string that is not UTF-8.
///
/// A new reader of a file format calls input_file (binary formats: opened, checked, sized
/// before anything is allocated) or read_file (text), then parse_yaml / parse_json for those
/// formats; it never opens a path with std::ifstream or fopen itself.
#include <yaml-cpp/yaml.h>

#include <boost/locale/utf.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"

namespace rramft {

/// @brief Index of the first byte of @p s that is not part of well-formed UTF-8 (Boost.Locale's
/// decoder: no overlong forms, surrogates, code points above U+10FFFF or cut sequences), or npos.
inline size_t invalid_utf8_at(const std::string& s) {
  using utf = boost::locale::utf::utf_traits<char>;
  for (auto p = s.begin(); p != s.end();) {
    const auto start = p;
    const boost::locale::utf::code_point c = utf::decode(p, s.end());
    if (c == boost::locale::utf::illegal || c == boost::locale::utf::incomplete)
      return size_t(start - s.begin());
  }
  return std::string::npos;
}

/// @brief Index of the first control character of @p s that YAML does not allow in a file
/// (anything below 0x20 but tab, line feed and carriage return; 0x7f), or npos.
inline size_t control_char_at(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) return i;
  }
  return std::string::npos;
}

/// @brief Throws rramft::error "<origin>: not UTF-8 text (byte <i> is 0x..)" if @p text is not
/// UTF-8, or "<origin>: not text (byte <i> is the control character 0x..)" if it holds a
/// control character YAML does not allow (yaml-cpp reads a NUL byte in a plain value as a
/// backslash, and its escapes \\N and \\_ as lone bytes 0x85 and 0xa0, which are not UTF-8).
inline void require_text(const std::string& text, const std::string& origin) {
  auto hex = [&](size_t at) {
    char h[8];
    std::snprintf(h, sizeof h, "0x%02x", unsigned(static_cast<unsigned char>(text[at])));
    return std::string(h);
  };
  size_t at = invalid_utf8_at(text);
  if (at != std::string::npos)
    throw error(origin + ": not UTF-8 text (byte " + std::to_string(at) + " is " + hex(at) + ")");
  at = control_char_at(text);
  if (at != std::string::npos)
    throw error(origin + ": not text (byte " + std::to_string(at) + " is the control character " +
                hex(at) + ")");
}

/// @brief Text inputs (architecture, fragments, energy table, grid, config.json) larger than
/// this are refused before a byte is read: 16 MiB, a thousand times the largest shipped one.
constexpr uint64_t max_text_bytes = uint64_t{16} << 20;

/// @brief One input file, open for reading. The constructor opens @p path with O_NONBLOCK (a
/// FIFO or a device never blocks the open), then checks fstat() of the opened descriptor (no
/// race with a file swapped in between): anything but a regular file throws rramft::error
/// "<path>: <what> is a directory|FIFO|character device|..., not a regular file". A missing
/// or unreadable file throws "<path>: cannot open <what>: <reason>".
class input_file {
 public:
  input_file(const std::string& path, const std::string& what);
  ~input_file();
  input_file(const input_file&) = delete;
  input_file& operator=(const input_file&) = delete;

  /// @brief Size in bytes when opened.
  uint64_t size() const { return size_; }
  /// @brief The whole file; throws "<path>: <what> is N bytes, more than the limit of M" when
  /// size() exceeds @p max_bytes (before reading), and stops reading at the limit even if the
  /// file grows meanwhile; "<path>: read error: <reason>" when reading fails.
  std::string read_all(uint64_t max_bytes);
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

 private:
  std::string path_, what_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

/// @brief The whole text file @p path (input_file, limit @p max_bytes) as bytes. An empty file
/// is returned as it is: whether that is an error is the caller's to say.
std::string read_file(const std::string& path, const std::string& what,
                      uint64_t max_bytes = max_text_bytes);

/// @brief @p text (require_text() first) as a YAML document; a syntax error throws rramft::error
/// "<origin>: invalid YAML at line N: <what yaml-cpp says>"; a key given twice in one mapping
/// "<origin>: key 'a.b' appears twice (lines 3 and 9)"; a second document in the file
/// "<origin>: holds more than one YAML document (a second one starts at line N)".
YAML::Node parse_yaml(const std::string& text, const std::string& origin);

/// @brief @p text as a JSON document; a syntax error throws rramft::error "<origin>: invalid
/// JSON: <what nlohmann says>", a key given twice in one object "<origin>: key 'a.b' appears
/// twice (line 1, columns 95 and 812)". @p what names the keys in messages ("key", "tensor").
nlohmann::json parse_json(const std::string& text, const std::string& origin,
                          const std::string& what = "key");

}  // namespace rramft
