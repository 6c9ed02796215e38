#pragma once
/// @file error.h
/// @brief The one exception type for bad input. Its message is a single line that
/// names the file, key or tensor at fault; the CLI prints it and exits non-zero.
#include <stdexcept>
#include <string>

namespace rramft {

/// @brief Bad input or an impossible request: one line naming what is at fault.
class error : public std::runtime_error {
 public:
  explicit error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace rramft
