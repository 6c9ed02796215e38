#pragma once
/// @file output.h
/// @brief How every part writes its results, so that a result folder always holds one run's
/// complete results, or the previous ones, never a mix and never a half-written file:
///   - output_lock: a run locks its output folder for its whole life (flock on the folder, so
///     the lock goes with the process however it ends); a second run on the same folder is
///     refused at once;
///   - result_set: the files of one result are written into a private staging folder inside
///     the output folder (mkdtemp: created exclusively, never through a symlink) and renamed
///     into place together by commit(), with interrupts held off; optional outputs the run
///     did not produce are removed at the same moment, so no file of an older run stays
///     beside the new ones;
///   - write_atomically: a single file the same way (an exclusive temporary beside it);
///   - interrupts: SIGINT, SIGTERM and SIGHUP are taken by one thread, which removes every
///     temporary and staging folder not yet committed and ends the process with 128 + signal
///     and one line on stderr (install_interrupt_handling(), first thing in main).
/// A full disk (ENOSPC) or a file size limit (EFBIG) fails the write, the temporaries go, and
/// the error names the file. A new writer of results goes through result_set or
/// write_atomically; it never opens an output path with std::ofstream or fopen itself.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace rramft {

/// @brief Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and so in every thread it
/// starts later) and starts the thread that waits for them; ignores SIGXFSZ (a write past
/// RLIMIT_FSIZE fails with EFBIG instead of killing the process). Call once, first in main.
/// On a signal: children registered with watch_child() get SIGTERM (SIGKILL after 2 s),
/// temporaries are removed, "rramft: interrupted by SIGINT; no partial results left" goes to
/// stderr, and the process exits with 130 (SIGINT), 143 (SIGTERM) or 129 (SIGHUP).
void install_interrupt_handling();

/// @brief Registers / forgets a child process to stop when the run is interrupted.
void watch_child(pid_t pid);
void forget_child(pid_t pid);

/// @brief Creates @p dir (and parents); throws rramft::error naming it on failure.
void make_dir(const std::string& dir);

/// @brief The lock of an output folder for the life of this object: creates the folder if
/// needed and takes flock(LOCK_EX | LOCK_NB) on it. Another run holding it throws
/// rramft::error "<dir>: another rramft run is writing this folder; wait for it or use another
/// --out". A folder this object created and that is still empty when it goes (a run that
/// failed before writing) is removed again.
class output_lock {
 public:
  explicit output_lock(const std::string& dir);
  ~output_lock();
  output_lock(const output_lock&) = delete;
  output_lock& operator=(const output_lock&) = delete;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  int fd_ = -1;
  bool created_ = false;
};

/// @brief The files of one result, staged in a private folder "<dir>/.rramft-XXXXXX" and
/// renamed into @p dir together by commit(). Until then nothing in @p dir changes; if the
/// object goes without commit() (an exception, an error), the staging folder goes with it.
class result_set {
 public:
  /// @brief @p dir must exist (output_lock creates it).
  explicit result_set(const std::string& dir);
  ~result_set();
  result_set(const result_set&) = delete;
  result_set& operator=(const result_set&) = delete;

  const std::string& dir() const { return dir_; }
  /// @brief The staged path of @p name, for a library that writes a file by name itself (a
  /// VCD writer); the file it writes there is committed with the rest.
  std::string staged(const std::string& name);
  /// @brief Writes @p name through @p fill. A failing write (disk full, file too large) or a
  /// throwing @p fill throws rramft::error naming dir/name; nothing is committed then.
  void write(const std::string& name, const std::function<void(std::ostream&)>& fill);
  void write(const std::string& name, const std::string& content);
  /// @brief Writes the gnuplot script @p gp (which must write its picture to the file named
  /// by the gnuplot variable `out`: see gnuplot_output()) and runs gnuplot on it in the staging
  /// folder, so that the script's relative file names are the staged files. A missing gnuplot
  /// or a failing script is not an error of the run: one warning line on stderr ("<png> not
  /// written ..."), @p png is dropped, and false is returned.
  bool plot(const std::string& gp, const std::string& png, const std::string& script);
  /// @brief @p name is not part of this result: if the folder holds one from an earlier run,
  /// commit() removes it.
  void drop(const std::string& name);
  /// @brief Renames every staged file into the folder and removes the dropped ones, with
  /// interrupts held off; the staging folder goes.
  void commit();

 private:
  std::string dir_, stage_;
  std::vector<std::string> names_, dropped_;
  bool committed_ = false;
};

/// @brief The lines that make a gnuplot script write its picture to the variable `out`,
/// set to @p png (a name relative to the script's folder) unless the caller set it.
std::string gnuplot_output(const std::string& png);

/// @brief Writes @p path through @p fill into an exclusive temporary beside it, then renames it
/// into place. If @p fill throws, or the write or the rename fails, the temporary is removed and
/// the old file (if any) stays as it was; failures throw rramft::error naming @p path.
void write_atomically(const std::string& path, const std::function<void(std::ostream&)>& fill);
/// @brief write_atomically() of a finished text.
void write_atomically(const std::string& path, const std::string& content);

/// @brief Opens @p path for appending (a log that grows across runs), creating it if needed,
/// never through a symlink; throws rramft::error naming it. The caller closes the descriptor.
int open_for_append(const std::string& path);

/// @brief @p s as a gnuplot single-quoted string (quotes doubled).
std::string gnuplot_quoted(const std::string& s);

/// @brief The palette of every picture (category10, then two more), as gnuplot colour strings.
constexpr int plot_colour_count = 12;
extern const char* const plot_colours[plot_colour_count];

}  // namespace rramft
