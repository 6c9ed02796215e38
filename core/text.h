#pragma once
/// @file text.h
/// @brief Text files (YAML) must be UTF-8: what they hold ends up in JSON results, and a JSON
/// writer cannot write a string that is not. Checked once when a file is read.
#include <cstddef>
#include <cstdio>
#include <string>

#include "core/error.h"

namespace rramft {

/// @brief Index of the first byte of @p s that is not part of well-formed UTF-8, or npos.
inline size_t invalid_utf8_at(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;  // no overlong forms
      if (c == 0xed) hi = 0x9f;  // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;  // nothing above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return i;
    for (size_t k = 2; k < len; ++k)
      if (p[i + k] < 0x80 || p[i + k] > 0xbf) return i;
    i += len;
  }
  return std::string::npos;
}

/// @brief Throws rramft::error "<origin>: not UTF-8 text (byte <i> is 0x..)" if @p text is not.
inline void require_utf8(const std::string& text, const std::string& origin) {
  const size_t at = invalid_utf8_at(text);
  if (at == std::string::npos) return;
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02x", unsigned(static_cast<unsigned char>(text[at])));
  throw error(origin + ": not UTF-8 text (byte " + std::to_string(at) + " is " + hex + ")");
}

}  // namespace rramft
