#pragma once
/// @file error.h
/// @brief The one exception type for bad input. Its message is a single line that
/// names the file, key or tensor at fault; the CLI prints it and exits non-zero.
#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

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

  /// @brief " (did you mean X?)" for the name of @p names nearest to @p word, or "" when none
  /// is near: the fewest single-character edits (insert, delete, replace, swap of neighbours),
  /// at most a third of the word's length (1 to 3); else a name the word begins ("--rat" for
  /// "--rates"); else, for a word without '.', a key whose last part ("rows" of
  /// "crossbar.rows") is that near. Ties go to the earlier name.
  static std::string did_you_mean(const std::string& word, const std::vector<std::string>& names) {
    const size_t limit = std::clamp<size_t>(word.size() / 3, 1, 3);
    const auto distance = [](const std::string& a, const std::string& b) {
      // Optimal string alignment distance, rows of the dynamic programme kept three at a time.
      std::vector<size_t> pp(b.size() + 1), p(b.size() + 1), c(b.size() + 1);
      for (size_t j = 0; j <= b.size(); ++j) p[j] = j;
      for (size_t i = 1; i <= a.size(); ++i) {
        c[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
          c[j] = std::min({p[j] + 1, c[j - 1] + 1, p[j - 1] + (a[i - 1] != b[j - 1])});
          if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
            c[j] = std::min(c[j], pp[j - 2] + 1);
        }
        std::swap(pp, p);
        std::swap(p, c);
      }
      return p[b.size()];
    };
    const auto nearest = [&](auto part) {
      size_t best = limit + 1;
      std::string found;
      for (const std::string& n : names) {
        const size_t d = distance(word, part(n));
        if (d < best) best = d, found = n;
      }
      return found;
    };
    std::string found = nearest([](const std::string& n) { return n; });
    for (const std::string& n : names)  // a shortened name: "--rat" for "--rates"
      if (found.empty() && word.size() > 2 && n.compare(0, word.size(), word) == 0) found = n;
    if (found.empty() && word.find('.') == std::string::npos)
      found = nearest([](const std::string& n) { return n.substr(n.rfind('.') + 1); });
    return found.empty() || found == word ? "" : " (did you mean " + found + "?)";
  }
};

}  // namespace rramft
