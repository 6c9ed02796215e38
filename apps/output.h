#pragma once
/// @file output.h
/// @brief Result files are written under a temporary name and renamed on success, so a run
/// that fails or is killed never leaves a half-written file behind.
#include <functional>
#include <ostream>
#include <string>

namespace rramft::app {

/// @brief Creates @p dir (and parents); throws rramft::error naming it on failure.
void make_dir(const std::string& dir);
/// @brief Writes @p path through @p fill into "path.tmp", then renames it into place.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill);

}  // namespace rramft::app
