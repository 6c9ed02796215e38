/// @file safetensors.cpp
/// @brief A small, strict safetensors reader and F32 writer over nlohmann-json.
/// Every field of the header is checked before a byte of the buffer is read, so a
/// truncated or hostile file ends in a one-line rramft::error, never in a crash.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "io/memory.h"
#include "io/output.h"
#include "io/text.h"
#include "models/model.h"

namespace rramft::models {

namespace {

/// Headers above this size are refused (the reference implementation uses the same cap).
constexpr uint64_t max_header_bytes = 100ull * 1024 * 1024;

/// Quotes a name for an error message, escaping anything that would break the one-line rule.
std::string quote(const std::string& s) {
  std::string out = "'";
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

/// nlohmann's messages are single-line today; this keeps them so whatever happens.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\r', ' ');
  return s;
}

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

struct dtype_info {
  const char* name;
  int bytes;
};
constexpr dtype_info dtypes[] = {{"F32", 4}, {"F16", 2}, {"BF16", 2}, {"F64", 8}, {"I8", 1},
                                 {"I16", 2}, {"I32", 4}, {"I64", 8},  {"U8", 1},  {"BOOL", 1}};

const dtype_info* find_dtype(const std::string& name) {
  for (const auto& d : dtypes)
    if (name == d.name) return &d;
  return nullptr;
}

std::string supported_dtypes() {
  std::string s;
  for (const auto& d : dtypes) s += (s.empty() ? "" : ", ") + std::string(d.name);
  return s;
}

uint64_t load_le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

float bits_to_f32(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

/// IEEE 754 binary16 to binary32, exact for every input (subnormals, infinities, NaN).
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  if (exp == 0x1f) return bits_to_f32(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    // Subnormal or zero: value = man * 2^-24, exactly representable in float.
    float v = std::ldexp(static_cast<float>(man), -24);
    return sign ? -v : v;
  }
  return bits_to_f32(sign | ((exp + 112u) << 23) | (man << 13));
}

/// Reads a JSON integer that must be >= 0; @p what names it in the error.
uint64_t json_u64(const nlohmann::json& j, const std::string& origin, const std::string& what) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer())
    throw error(origin + ": " + what + " is negative (" + std::to_string(j.get<int64_t>()) + ")");
  throw error(origin + ": " + what + " must be a non-negative integer, got " + one_line(j.dump()));
}

struct entry {
  std::string name;
  const dtype_info* dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end, numel;
};

entry parse_entry(const std::string& name, const nlohmann::json& j, const std::string& origin) {
  const std::string t = "tensor " + quote(name);
  if (!j.is_object())
    throw error(origin + ": " + t + ": header entry must be an object, got " + one_line(j.dump()));
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!j.contains(key)) throw error(origin + ": " + t + ": header entry has no '" + key + "'");

  entry e;
  e.name = name;
  const auto& jd = j.at("dtype");
  if (!jd.is_string())
    throw error(origin + ": " + t + ": 'dtype' must be a string, got " + one_line(jd.dump()));
  e.dtype = find_dtype(jd.get<std::string>());
  if (!e.dtype)
    throw error(origin + ": " + t + ": unsupported dtype " + quote(jd.get<std::string>()) +
                " (supported: " + supported_dtypes() + ")");

  const auto& js = j.at("shape");
  if (!js.is_array())
    throw error(origin + ": " + t + ": 'shape' must be an array, got " + one_line(js.dump()));
  e.numel = 1;
  bool overflow = false;
  for (size_t i = 0; i < js.size(); ++i) {
    const uint64_t d = json_u64(js[i], origin, t + " shape[" + std::to_string(i) + "]");
    if (d > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) overflow = true;
    e.shape.push_back(static_cast<int64_t>(d));
    if (d != 0 && e.numel > std::numeric_limits<uint64_t>::max() / d) overflow = true;
    if (!overflow) e.numel *= d;
  }
  if (overflow || e.numel > std::numeric_limits<uint64_t>::max() / 8)
    throw error(origin + ": " + t + ": shape " + one_line(js.dump()) +
                " has too many elements (overflow)");

  const auto& jo = j.at("data_offsets");
  if (!jo.is_array() || jo.size() != 2)
    throw error(origin + ": " + t + ": 'data_offsets' must be [begin, end], got " +
                one_line(jo.dump()));
  e.begin = json_u64(jo[0], origin, t + " data_offsets[0]");
  e.end = json_u64(jo[1], origin, t + " data_offsets[1]");
  if (e.end < e.begin)
    throw error(origin + ": " + t + ": data_offsets end " + std::to_string(e.end) + " < begin " +
                std::to_string(e.begin));
  return e;
}

/// Converts and checks the values of one tensor; @p p points at its first byte.
std::vector<float> convert(const entry& e, const unsigned char* p, const std::string& origin) {
  std::vector<float> out(e.numel);
  const std::string dt = e.dtype->name;
  const int nb = e.dtype->bytes;
  for (uint64_t i = 0; i < e.numel; ++i) {
    const unsigned char* q = p + i * nb;
    float v = 0;
    if (dt == "F32") {
      v = bits_to_f32(static_cast<uint32_t>(load_le(q, 4)));
    } else if (dt == "F16") {
      v = half_to_float(static_cast<uint16_t>(load_le(q, 2)));
    } else if (dt == "BF16") {
      v = bits_to_f32(static_cast<uint32_t>(load_le(q, 2)) << 16);
    } else if (dt == "F64") {
      const uint64_t b = load_le(q, 8);
      double d;
      std::memcpy(&d, &b, sizeof d);
      if (std::isfinite(d) && std::fabs(d) > std::numeric_limits<float>::max()) {
        std::ostringstream os;
        os.precision(17);
        os << d;
        throw error(origin + ": tensor " + quote(e.name) + ": F64 value " + os.str() +
                    " at index " + std::to_string(i) + " is out of float range");
      }
      v = static_cast<float>(d);
    } else if (dt == "I8") {
      v = static_cast<float>(static_cast<int8_t>(q[0]));
    } else if (dt == "I16") {
      v = static_cast<float>(static_cast<int16_t>(load_le(q, 2)));
    } else if (dt == "I32") {
      v = static_cast<float>(static_cast<int32_t>(load_le(q, 4)));
    } else if (dt == "I64") {
      v = static_cast<float>(static_cast<int64_t>(load_le(q, 8)));
    } else if (dt == "U8") {
      v = static_cast<float>(q[0]);
    } else if (dt == "BOOL") {
      if (q[0] > 1)
        throw error(origin + ": tensor " + quote(e.name) + ": BOOL byte " + std::to_string(q[0]) +
                    " at index " + std::to_string(i) + " is neither 0 nor 1");
      v = q[0];
    }
    if (!std::isfinite(v))
      throw error(origin + ": tensor " + quote(e.name) + ": " + (std::isnan(v) ? "NaN" : "Inf") +
                  " at index " + std::to_string(i) + " (" + dt + ")");
    out[i] = v;
  }
  return out;
}

}  // namespace

int64_t tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

safetensors safetensors::load(const std::string& path) {
  input_file in(path, "safetensors file");  // a regular file, or a one-line error
  memory_estimate need;  // the values as float are checked once the header is read (parse)
  need.add("file", double(in.size()));
  need.check(path + ": loading");
  return parse(in.read_all(in.size()), path);
}

safetensors safetensors::parse(const std::string& bytes, const std::string& origin) {
  const auto* base = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() < 8)
    throw error(origin + ": file is " + std::to_string(bytes.size()) +
                " bytes, shorter than the 8-byte header length");
  const uint64_t n = load_le(base, 8);
  if (n > max_header_bytes)
    throw error(origin + ": header length " + std::to_string(n) + " is absurdly large (limit " +
                std::to_string(max_header_bytes) + ")");
  if (n > bytes.size() - 8)
    throw error(origin + ": header length " + std::to_string(n) +
                " runs past the end of the file (" + std::to_string(bytes.size()) + " bytes)");

  // A tensor named twice is refused (nlohmann alone would keep the last one silently).
  const nlohmann::json header = parse_json(bytes.substr(8, n), origin + ": header");
  if (!header.is_object())
    throw error(origin + ": header must be a JSON object, got " + header.type_name());

  safetensors st;
  st.origin_ = origin;
  const uint64_t buf_size = bytes.size() - 8 - n;
  const unsigned char* buf = base + 8 + n;

  std::vector<entry> entries;
  for (const auto& [name, j] : header.items()) {
    if (name == "__metadata__") {
      if (!j.is_object()) throw error(origin + ": '__metadata__' must be an object of strings");
      for (const auto& [k, v] : j.items()) {
        if (!v.is_string())
          throw error(origin + ": '__metadata__' key " + quote(k) + " must be a string, got " +
                      one_line(v.dump()));
        st.metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    if (name.empty()) throw error(origin + ": header has a tensor with an empty name");
    entry e = parse_entry(name, j, origin);
    if (e.end > buf_size)
      throw error(origin + ": tensor " + quote(name) + ": data_offsets end " +
                  std::to_string(e.end) + " is past the end of the data buffer (" +
                  std::to_string(buf_size) + " bytes)");
    const uint64_t want = e.numel * static_cast<uint64_t>(e.dtype->bytes);
    if (e.end - e.begin != want)
      throw error(origin + ": tensor " + quote(name) + ": data_offsets span " +
                  std::to_string(e.end - e.begin) + " bytes but shape " + shape_str(e.shape) +
                  " of " + e.dtype->name + " needs " + std::to_string(want));
    entries.push_back(std::move(e));
  }

  // Overlap: after sorting by begin, each non-empty range must start at or after the previous end.
  std::vector<const entry*> order;
  for (const auto& e : entries)
    if (e.end > e.begin) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](const entry* a, const entry* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->name < b->name;
  });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->begin < order[i - 1]->end)
      throw error(origin + ": tensors " + quote(order[i - 1]->name) + " and " +
                  quote(order[i]->name) + " overlap in the data buffer");

  // The values as float beside the file's bytes (4 per value whatever the stored dtype).
  memory_estimate need;
  for (const auto& e : entries) need.add("values as float", double(e.numel) * 4);
  need.check(origin + ": loading");
  for (const auto& e : entries) {
    tensor t;
    t.name = e.name;
    t.dtype = e.dtype->name;
    t.shape = e.shape;
    t.data = convert(e, buf + e.begin, origin);
    st.tensors_.emplace(e.name, std::move(t));
  }
  return st;
}

bool safetensors::has(const std::string& name) const { return tensors_.count(name) != 0; }

const tensor& safetensors::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw error(origin_ + ": missing tensor " + quote(name));
  return it->second;
}

std::vector<std::string> safetensors::names() const {
  std::vector<std::string> out;
  for (const auto& kv : tensors_) out.push_back(kv.first);
  return out;
}

void save_safetensors(const std::string& path, const std::vector<tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<const tensor*> sorted;
  for (const auto& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(),
            [](const tensor* a, const tensor* b) { return a->name < b->name; });

  // nlohmann's default object is a std::map, so the header's keys come out sorted as well.
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const tensor& t = *sorted[i];
    if (t.name.empty() || t.name == "__metadata__")
      throw error(path + ": cannot save a tensor named " + quote(t.name));
    if (i > 0 && sorted[i - 1]->name == t.name)
      throw error(path + ": duplicate tensor " + quote(t.name));
    for (int64_t d : t.shape)
      if (d < 0) throw error(path + ": tensor " + quote(t.name) + " has a negative dimension");
    if (t.numel() != static_cast<int64_t>(t.data.size()))
      throw error(path + ": tensor " + quote(t.name) + " has shape " + shape_str(t.shape) +
                  " but " + std::to_string(t.data.size()) + " values");
    const uint64_t size = t.data.size() * 4;
    header[t.name] = {
        {"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + size}}};
    offset += size;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + h.size() + offset);
  for (int i = 0; i < 8; ++i)
    out += static_cast<char>((static_cast<uint64_t>(h.size()) >> (8 * i)) & 0xff);
  out += h;
  for (const tensor* t : sorted)
    for (float v : t->data) {
      uint32_t b;
      std::memcpy(&b, &v, sizeof b);
      for (int i = 0; i < 4; ++i) out += static_cast<char>((b >> (8 * i)) & 0xff);
    }

  write_atomically(path, out);  // never a half-written model
}

}  // namespace rramft::models
