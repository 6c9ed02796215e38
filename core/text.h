#pragma once
/// @file text.h
/// @brief Text files (YAML) must be UTF-8 without stray control characters: what they hold ends
/// up in JSON results, and a JSON writer cannot write a string that is not UTF-8. Checked once
/// when a file is read. Also how every text input is read: whole files, and YAML with errors that
/// name the file and line.
#include <yaml-cpp/yaml.h>

#include <boost/locale/utf.hpp>
#include <cstddef>
#include <cstdio>
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

/// @brief The whole file @p path as bytes. Throws rramft::error "<path>: cannot open <what>"
/// when it cannot be opened, "<path>: read error" when reading fails.
std::string read_file(const std::string& path, const std::string& what);

/// @brief @p text (require_text() first) as a YAML document; a syntax error throws rramft::error
/// "<origin>: invalid YAML at line N: <what yaml-cpp says>".
YAML::Node parse_yaml(const std::string& text, const std::string& origin);

}  // namespace rramft
