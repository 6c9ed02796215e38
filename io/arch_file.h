#pragma once
/// @file arch_file.h
/// @brief The architecture's files: the architecture YAML (load_arch), the YAML fragments of
/// --set-from (overrides_from_file), and the files that keys name (adc.table, fault.map), read
/// through text.h (regular files, size limits, UTF-8, duplicate keys refused) and handed to the
/// parser (full_spec::from_yaml, chipspec/chip_spec.h), which reads no file itself. What it loads
/// is a full_spec: the accuracy engine takes its arch_spec part, the chip model the whole.
#include <memory>
#include <string>
#include <vector>

#include "chipspec/chip_spec.h"
#include "core/spec.h"

namespace rramft {

/// @brief Loads @p path, applies "a.b=value" overrides, parses and validates
/// (full_spec::from_yaml). @p sources names where each override came from ("--set", a
/// --set-from file, a grid); an error about an overridden key blames that source.
full_spec load_arch(const std::string& path, const std::vector<std::string>& overrides = {},
                    const std::vector<std::string>& sources = {});

/// @brief load_arch() on the file's content @p text (the fuzzers use it); @p path names it in
/// errors and is the folder a relative adc.table or energy_table is found in.
full_spec load_arch_text(const std::string& text, const std::string& path,
                         const std::vector<std::string>& overrides = {},
                         const std::vector<std::string>& sources = {});

/// @brief The reader load_arch passes to the core's parser: read_file (text.h), 0 meaning
/// max_text_bytes.
file_reader arch_file_reader();

/// @brief The keys of the YAML fragment @p path as "a.b=value" overrides (for --set-from), in
/// file order; rramft::error naming the file for unreadable YAML or a value that is a list.
std::vector<std::string> overrides_from_file(const std::string& path);

/// @brief overrides_from_file() on the fragment's text; @p origin names it in errors.
std::vector<std::string> overrides_from_text(const std::string& text, const std::string& origin);

}  // namespace rramft
