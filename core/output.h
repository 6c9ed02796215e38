#pragma once
/// @file output.h
/// @brief How every part writes its result files: under a temporary name, renamed into place on
/// success, so that a run that fails or is killed never leaves a half-written file behind; and
/// how pictures are drawn (gnuplot scripts that write "<png>.tmp").
#include <functional>
#include <ostream>
#include <string>

namespace rramft {

/// @brief Creates @p dir (and parents); throws rramft::error naming it on failure.
void make_dir(const std::string& dir);

/// @brief Writes @p path through @p fill into "path.tmp", then renames it into place. If @p fill
/// throws, or the write or the rename fails, the temporary is removed and the old file (if any)
/// stays as it was; failures throw rramft::error naming @p path.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill);
/// @brief write_atomically() of a finished text.
void write_atomically(const std::string& path, const std::string& content);

/// @brief @p s as a gnuplot single-quoted string (quotes doubled).
std::string gnuplot_quoted(const std::string& s);

/// @brief The palette of every picture (category10, then two more), as gnuplot colour strings.
constexpr int plot_colour_count = 12;
extern const char* const plot_colours[plot_colour_count];

/// @brief Runs gnuplot on @p script, which must write @p png + ".tmp", and renames that into
/// place. A missing gnuplot or a failing script is not an error of the run: it prints one
/// warning line on stderr ("<png> not written ...") and returns false.
bool render_gnuplot(const std::string& script, const std::string& png);

}  // namespace rramft
