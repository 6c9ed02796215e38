#pragma once
/// @file keys.h
/// @brief The machinery of the key tables: one line per architecture key, with its type, unit,
/// allowed values, source and one-line documentation, and the functions that set, write and
/// range-check it in its spec. Two tables use it: the functional keys of arch_spec
/// (core/keys.cpp, arch_keys()) and the chip model's keys of chip_spec (chipspec/chip_keys.cpp,
/// chip_keys()), which the functional core never sees. Everything that handles keys is driven
/// by these tables: parsing (key_tree), the per-key range checks, the effective arch.yaml
/// (write_keys), --set / --set-from and the sweep grid's key check (is_arch_key), the "did you
/// mean" suggestions (arch_key_hint) and the key reference in docs/keys.md (`rramft keys`); the
/// last four and the loader of both live with chip_spec (chipspec/chip_spec.h). The default of a
/// key is the initializer of its spec member; the tables read it from a default-constructed spec.
///
/// Adding a key: a member in arch_spec (core/spec.h) or chip_spec (chipspec/chip_spec.h) and one
/// line in its table.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"

namespace rramft {

/// @brief The names of an enumerated key's values, declared once per enum (parsing, arch.yaml,
/// the documentation and to_string all read this list).
template <class E>
struct enum_names;
#define RRAMFT_ENUM_NAMES(E, ...)                                    \
  template <>                                                        \
  struct enum_names<E> {                                             \
    static constexpr std::pair<const char*, E> list[] = __VA_ARGS__; \
  }

/// @brief The name of an enumerated value (enum_names).
template <class E, class = decltype(enum_names<E>::list)>
const char* to_string(E e) {
  for (const auto& entry : enum_names<E>::list)
    if (entry.second == e) return entry.first;
  return "?";
}

/// @brief What the documentation says of one key (every table's line starts with it).
struct key_info {
  std::string name;     ///< dotted key, e.g. "adc.bits"
  std::string type;     ///< integer | number | boolean | one of | ratio | scheme | path
  std::string allowed;  ///< allowed range or values, as documented ("1..16", "all | msb")
  std::string unit;     ///< unit ("bits", "ns", "count", "fraction", ...), "" when none
  std::string doc;      ///< one line: what the key means
  std::string source;   ///< where the default comes from (citation), "" when it is a choice
};

/// @brief One key of spec @p S (arch_spec or chip_spec).
template <class S>
struct key_def : key_info {
  /// Sets the key from a scalar YAML node; rramft::error "<origin>: key '<name>': ..." otherwise.
  std::function<void(const YAML::Node&, S&, const std::string& origin)> read;
  /// The value as a typed YAML node (what arch.yaml writes).
  std::function<YAML::Node(const S&)> write;
  /// The key's own range check (empty when the type says everything); rramft::error
  /// "key '<name>': ..." otherwise. Checks that involve several keys live in the spec's validate().
  std::function<void(const S&)> check;
};

/// @brief The YAML tree of an architecture file, read key by key: each table reads its keys
/// (read), and whatever no table asked for is an unknown key (check_unknown).
class key_tree {
 public:
  /// @p sources: who gave an overridden key its value (an error about it blames that source).
  key_tree(const YAML::Node& root, std::string origin,
           std::map<std::string, std::string> sources = {});
  /// @brief Sets every key of @p table that the tree holds; remembers them all as known keys.
  template <class S>
  void read(const std::vector<key_def<S>>& table, S& s) {
    for (const key_def<S>& k : table) {
      seen_.insert(k.name);
      const YAML::Node n = find(k.name);
      if (!n || n.IsNull()) continue;
      k.read(n, s, origin_of(k.name));
    }
  }
  /// @brief Every leaf of the tree must be a key that a table read (with a "did you mean").
  void check_unknown() const;
  /// @brief Who gave @p key its value: an override's source, else the file.
  const std::string& origin_of(const std::string& key) const;
  /// @brief Runs @p f (a validation); an error "key 'a.b': ..." it throws is thrown again
  /// prefixed with the origin of a.b.
  void blame(const std::function<void()>& f) const;

 private:
  YAML::Node find(const std::string& key) const;
  void walk(const YAML::Node& n, const std::string& prefix) const;
  YAML::Node root_;
  std::string origin_;
  std::map<std::string, std::string> sources_;
  std::set<std::string> seen_;
};

/// @brief Runs the per-key checks of @p table on @p s.
template <class S>
void check_keys(const std::vector<key_def<S>>& table, const S& s) {
  for (const key_def<S>& k : table)
    if (k.check) k.check(s);
}

/// @brief Sets the dotted key @p key of @p root to @p value, creating maps on the way.
void yaml_set(YAML::Node& root, const std::string& key, const YAML::Node& value);

/// @brief Writes @p table's keys of @p s into @p root ("a.b" as nested maps), in table order.
template <class S>
void write_keys(const std::vector<key_def<S>>& table, const S& s, YAML::Node& root) {
  for (const key_def<S>& k : table) yaml_set(root, k.name, k.write(s));
}

/// @brief One row of docs/keys.md's table for key @p k whose default is @p def; @p chip marks
/// the chip model's keys.
std::string key_markdown_row(const key_info& k, const YAML::Node& def, bool chip);

/// @brief The builders of table lines, shared by both tables.
namespace keys {

/// The member of a spec a key sets, as an accessor that works on const and non-const specs.
#define RRAMFT_FIELD(member) \
  [](auto& s) -> auto& { return s.member; }

/// @brief What a line documents: unit, meaning, source.
struct doc_text {
  const char* unit;
  const char* doc;
  const char* source = "";
};

std::string number_text(double v);
[[noreturn]] void expected(const std::string& origin, const std::string& key, const YAML::Node& n,
                           const std::string& want);
/// The message every out-of-range value gets (validate() prefixes the origin).
void in_range(const std::string& key, double v, double lo, double hi);

template <class T>
T scalar(const YAML::Node& n, const std::string& origin, const std::string& key, const char* want) {
  try {
    return n.as<T>();
  } catch (const YAML::Exception&) {
    expected(origin, key, n, want);
  }
}

/// @brief The kinds of table line, for a table of spec @p S: a table is built inside a class
/// derived from key_lines<S>, so that its lines read integer(...), boolean(...), ...
template <class S>
struct key_lines {
  template <class T, class F>
  static key_def<S> numeric(const char* name, F field, const char* type, const char* want,
                            double lo, double hi, const doc_text& d) {
    key_def<S> k;
    static_cast<key_info&>(k) = {name,   type,  number_text(lo) + ".." + number_text(hi),
                                 d.unit, d.doc, d.source};
    k.read = [name, field, want](const YAML::Node& n, S& s, const std::string& origin) {
      field(s) = scalar<T>(n, origin, name, want);
    };
    k.write = [field](const S& s) { return YAML::Node(field(s)); };
    k.check = [name, field, lo, hi](const S& s) { in_range(name, double(field(s)), lo, hi); };
    return k;
  }

  template <class F>
  static key_def<S> integer(const char* name, F field, double lo, double hi, const doc_text& d) {
    return numeric<int>(name, field, "integer", "an integer", lo, hi, d);
  }

  template <class F>
  static key_def<S> number(const char* name, F field, double lo, double hi, const doc_text& d) {
    return numeric<double>(name, field, "number", "a number", lo, hi, d);
  }

  template <class F>
  static key_def<S> boolean(const char* name, F field, const doc_text& d) {
    key_def<S> k;
    static_cast<key_info&>(k) = {name, "boolean", "true | false", d.unit, d.doc, d.source};
    k.read = [name, field](const YAML::Node& n, S& s, const std::string& origin) {
      field(s) = scalar<bool>(n, origin, name, "true or false");
    };
    k.write = [field](const S& s) { return YAML::Node(bool(field(s))); };
    return k;
  }

  template <class F>
  static key_def<S> one_of(const char* name, F field, const doc_text& d) {
    using E = std::decay_t<decltype(field(std::declval<S&>()))>;
    std::string allowed;
    for (const auto& entry : enum_names<E>::list)
      allowed += (allowed.empty() ? "" : " | ") + std::string(entry.first);
    key_def<S> k;
    static_cast<key_info&>(k) = {name, "one of", allowed, d.unit, d.doc, d.source};
    k.read = [name, field, allowed](const YAML::Node& n, S& s, const std::string& origin) {
      const std::string text = scalar<std::string>(n, origin, name, "a string");
      for (const auto& entry : enum_names<E>::list)
        if (text == entry.first) {
          field(s) = entry.second;
          return;
        }
      throw error(origin + ": key '" + name + "': '" + text + "' is not one of " + allowed);
    };
    k.write = [field](const S& s) { return YAML::Node(to_string(field(s))); };
    return k;
  }

  /// A key naming a file (held as the loader resolves it).
  template <class F>
  static key_def<S> path(const char* name, F field, const doc_text& d) {
    key_def<S> k;
    static_cast<key_info&>(k) = {name, "path", "a file", d.unit, d.doc, d.source};
    k.read = [name, field](const YAML::Node& n, S& s, const std::string& origin) {
      field(s) = scalar<std::string>(n, origin, name, "a string");
    };
    k.write = [field](const S& s) { return YAML::Node(field(s)); };
    return k;
  }
};

}  // namespace keys

/// @brief The file a path key names, as an absolute path: @p p joined onto the folder @p base
/// when relative. Stored so, the effective arch.yaml a command writes into its output folder
/// names the same file wherever it is read from. rramft::error when it cannot be resolved.
std::string absolute_file(const std::string& base, const std::string& p);

}  // namespace rramft
