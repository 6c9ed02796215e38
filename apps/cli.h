#pragma once
/// @file cli.h
/// @brief What the subcommands share on the command line: option parsing with one-line errors,
/// and the architecture options (--arch, --set, --set-from) of every command that builds a chip.
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "chipspec/chip_spec.h"

namespace rramft::app {

namespace po = boost::program_options;

/// @brief Parses @p argv against @p opts into @p vm. Prints the help and returns false when
/// --help is given; a bad command line throws rramft::error "<command>: <what>".
bool parse_command(const std::string& command, int argc, char** argv,
                   const po::options_description& opts, po::variables_map& vm);

/// @brief --arch FILE, --set key=value (repeatable), --set-from FILE (repeatable).
struct arch_args {
  std::string file;
  std::vector<std::string> sets, set_from;

  /// @brief Adds the three options to @p opts; @p arch_help describes --arch.
  void add_to(po::options_description& opts, const char* arch_help = "architecture YAML");
  /// @brief The overrides in the order they apply: every key of the --set-from files in order,
  /// then the --set options (so --set wins), then @p extra (keys other options set). A key
  /// given twice by --set is an error (which one was meant?). @p sources, if given, receives
  /// where each override came from (the fragment's file name, "--set").
  std::vector<std::string> overrides(const std::vector<std::string>& extra = {},
                                     std::vector<std::string>* sources = nullptr) const;
  /// @brief The architecture: the file with overrides(@p extra) applied.
  full_spec load(const std::vector<std::string>& extra = {}) const;
};

/// @brief One line for a new user when the ADC of @p a is lossy ("" when it is lossless): the
/// bits a lossless conversion needs against adc.bits, or the adc.range that saturates or
/// coarsens the column sums. map, eval and run print it.
std::string adc_notice(const arch_spec& a);

}  // namespace rramft::app
