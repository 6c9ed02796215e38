#include "io/text.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>

#include <cerrno>
#include <cstring>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

namespace rramft {

namespace {

/// What a file that is not a regular one is, for messages.
const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

[[noreturn]] void not_regular(const std::string& path, const std::string& what, mode_t m) {
  throw error(path + ": the " + what + " must be a regular file, but this is " + kind_of(m));
}

}  // namespace

input_file::input_file(const std::string& path, const std::string& what)
    : path_(path), what_(what) {
  // stat() first, so that a device is never opened at all; then fstat() of what was opened,
  // so that a file swapped in between is caught as well.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) not_regular(path, what, st.st_mode);
  fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd_ < 0) throw error(path + ": cannot open the " + what + ": " + std::strerror(errno));
  if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
    const mode_t m = st.st_mode;
    ::close(fd_);
    fd_ = -1;
    not_regular(path, what, m);
  }
  size_ = uint64_t(st.st_size);
}

input_file::~input_file() {
  if (fd_ >= 0) ::close(fd_);
}

std::string input_file::read_all(uint64_t max_bytes) {
  auto too_big = [&](uint64_t n, bool grew) {
    return error(path_ + ": the " + what_ + (grew ? " grew to " : " is ") + std::to_string(n) +
                 " bytes, more than the limit of " + std::to_string(max_bytes));
  };
  if (size_ > max_bytes) throw too_big(size_, false);
  std::string out;
  out.reserve(size_t(size_));
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw error(path_ + ": read error: " + std::strerror(errno));
    }
    if (n == 0) break;
    out.append(buf, size_t(n));
    if (out.size() > max_bytes) throw too_big(out.size(), true);  // it grew while being read
  }
  return out;
}

std::string read_file(const std::string& path, const std::string& what, uint64_t max_bytes) {
  input_file f(path, what);
  return f.read_all(max_bytes);
}

namespace {

/// Walks the YAML events of a document and refuses a key given twice in one mapping, and a
/// second document. The tree yaml-cpp builds keeps both entries of a duplicated key and its
/// lookup returns the first, so this is the only place where the second can be seen.
class duplicate_check : public YAML::EventHandler {
 public:
  explicit duplicate_check(std::string origin) : origin_(std::move(origin)) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1)
      throw error(origin_ + ": holds more than one YAML document (a second one starts at line " +
                  std::to_string(mark.line + 1) + ")");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, "~", true); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override { leaf(mark, "", false); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    leaf(mark, value, true);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(mark, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open(mark, true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct frame {
    bool map = false, want_key = true;
    std::string path;                 ///< dotted key path of this node
    std::map<std::string, int> keys;  ///< key -> line (0-based) of its first occurrence
    std::string last_key;             ///< the key whose value comes next
    bool last_key_known = false;
  };

  /// The dotted path of a node that starts now in the innermost frame (as a value).
  std::string child_path() const {
    if (stack_.empty()) return "";
    const frame& f = stack_.back();
    if (!f.map || !f.last_key_known) return f.path;
    return f.path.empty() ? f.last_key : f.path + "." + f.last_key;
  }

  /// A scalar, null or alias node: a key (checked) or a value.
  void leaf(const YAML::Mark& mark, const std::string& text, bool is_text) {
    if (stack_.empty()) return;
    frame& f = stack_.back();
    if (f.map && f.want_key) {
      f.last_key_known = is_text;
      f.last_key = text;
      if (is_text) {
        auto [it, fresh] = f.keys.emplace(text, mark.line);
        if (!fresh) {
          const std::string key = f.path.empty() ? text : f.path + "." + text;
          throw error(origin_ + ": key '" + error::one_line(key) + "' appears twice (lines " +
                      std::to_string(it->second + 1) + " and " + std::to_string(mark.line + 1) +
                      ")");
        }
      }
    }
    done();
  }

  void open(const YAML::Mark&, bool map) {
    frame f;
    f.map = map;
    // A mapping or sequence used as a key gets no path: its own keys are still checked.
    const bool is_key = !stack_.empty() && stack_.back().map && stack_.back().want_key;
    f.path = is_key ? "" : child_path();
    if (is_key) stack_.back().last_key_known = false;
    stack_.push_back(std::move(f));
  }

  void close() {
    stack_.pop_back();
    done();
  }

  /// A node of the innermost frame is complete: a key is followed by its value and back.
  void done() {
    if (stack_.empty()) return;
    frame& f = stack_.back();
    if (f.map) f.want_key = !f.want_key;
  }

  std::string origin_;
  int documents_ = 0;
  std::vector<frame> stack_;
};

[[noreturn]] void yaml_failure(const std::string& origin, const YAML::Exception& e) {
  throw error(origin + ": invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
}

}  // namespace

YAML::Node parse_yaml(const std::string& text, const std::string& origin) {
  require_text(text, origin);
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    duplicate_check check(origin);
    while (parser.HandleNextDocument(check)) {
    }
  } catch (const YAML::Exception& e) {
    yaml_failure(origin, e);
  }
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    yaml_failure(origin, e);
  }
}

namespace {

/// A character iterator that publishes how far the JSON lexer has read: at a key event the
/// lexer has just consumed the key's closing quote, which places the key in the text.
class counting_iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  counting_iterator(const char* p, const char* base, size_t* pos) : p_(p), base_(base), pos_(pos) {}
  reference operator*() const { return *p_; }
  counting_iterator& operator++() {
    ++p_;
    *pos_ = size_t(p_ - base_);
    return *this;
  }
  counting_iterator operator++(int) {
    counting_iterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const counting_iterator& o) const { return p_ == o.p_; }
  bool operator!=(const counting_iterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  const char* base_;
  size_t* pos_;
};

/// nlohmann's DOM builder, with every object's keys remembered to refuse a second one.
class json_duplicate_check {
 public:
  using json = nlohmann::json;
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  json_duplicate_check(json& out, const std::string& text, const size_t& pos, std::string origin,
                       std::string what)
      : dom_(out, true),
        text_(text),
        pos_(pos),
        origin_(std::move(origin)),
        what_(std::move(what)) {}

  bool null() { return value(dom_.null()); }
  bool boolean(bool v) { return value(dom_.boolean(v)); }
  bool number_integer(number_integer_t v) { return value(dom_.number_integer(v)); }
  bool number_unsigned(number_unsigned_t v) { return value(dom_.number_unsigned(v)); }
  bool number_float(number_float_t v, const string_t& s) { return value(dom_.number_float(v, s)); }
  bool string(string_t& v) { return value(dom_.string(v)); }
  bool binary(binary_t& v) { return value(dom_.binary(v)); }
  bool start_object(std::size_t n) {
    frames_.push_back({true, child_path(), {}, ""});
    return dom_.start_object(n);
  }
  bool key(string_t& k) {
    frame& f = frames_.back();
    // The lexer stands just past the key's closing quote; the key starts at its opening one.
    const size_t at = open_quote(pos_);
    auto [it, fresh] = f.keys.emplace(k, at);
    if (!fresh) {
      const std::string name = f.path.empty() ? k : f.path + "." + k;
      throw error(origin_ + ": " + what_ + " '" + error::one_line(name) + "' appears twice (" +
                  place(it->second) + " and " + place(at) + ")");
    }
    f.last_key = k;
    return dom_.key(k);
  }
  bool end_object() {
    frames_.pop_back();
    return value(dom_.end_object());
  }
  bool start_array(std::size_t n) {
    frames_.push_back({false, child_path(), {}, ""});
    return dom_.start_array(n);
  }
  bool end_array() {
    frames_.pop_back();
    return value(dom_.end_array());
  }
  template <class Exception>
  bool parse_error(std::size_t p, const std::string& t, const Exception& ex) {
    return dom_.parse_error(p, t, ex);
  }

 private:
  struct frame {
    bool object;
    std::string path;
    std::map<std::string, size_t> keys;  ///< key -> byte offset of its first occurrence
    std::string last_key;
  };

  std::string child_path() const {
    if (frames_.empty()) return "";
    const frame& f = frames_.back();
    if (!f.object) return f.path;
    return f.path.empty() ? f.last_key : f.path + "." + f.last_key;
  }
  static bool value(bool ok) { return ok; }

  /// Byte offset of the opening quote of the string that ends just before @p end.
  size_t open_quote(size_t end) const {
    if (end == 0 || end > text_.size()) return end;
    size_t i = end - 1;  // the closing quote
    while (i > 0) {
      --i;
      if (text_[i] != '"') continue;
      size_t backslashes = 0;
      for (size_t j = i; j > 0 && text_[j - 1] == '\\'; --j) ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return i;
  }

  /// "line L, column C" (1-based) of byte offset @p at.
  std::string place(size_t at) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(col);
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  const std::string& text_;
  const size_t& pos_;
  std::string origin_, what_;
  std::vector<frame> frames_;
};

}  // namespace

nlohmann::json parse_json(const std::string& text, const std::string& origin,
                          const std::string& what) {
  nlohmann::json out;
  size_t pos = 0;
  const char* base = text.data();
  counting_iterator first(base, base, &pos), last(base + text.size(), base, &pos);
  json_duplicate_check sax(out, text, pos, origin, what);
  try {
    nlohmann::json::sax_parse(first, last, &sax);
  } catch (const nlohmann::json::exception& e) {
    throw error(origin + ": invalid JSON: " + e.what());
  }
  return out;
}

}  // namespace rramft
