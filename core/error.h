#pragma once
/// @file error.h
/// @brief The one exception type for bad input. Its message is a single line that
/// names the file, key or tensor at fault; the CLI prints it and exits non-zero.
#include <cstdio>
#include <stdexcept>
#include <string>

namespace rramft {

/// @brief Bad input or an impossible request: one line naming what is at fault. Control
/// characters in the message (a newline inside a value echoed from a file, say) are written as
/// escapes, so the message stays one line whatever it quotes.
class error : public std::runtime_error {
 public:
  explicit error(const std::string& what) : std::runtime_error(one_line(what)) {}

  /// @brief @p s with \n, \r, \t as written and every other control character as \xNN.
  static std::string one_line(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c < 0x20 || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", c);
        out += buf;
      } else {
        out += char(c);
      }
    }
    return out;
  }
};

}  // namespace rramft
