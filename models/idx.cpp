#include "models/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "io/memory.h"
#include "io/text.h"

namespace rramft::models {

namespace {

bool is_gzip(const std::string& raw) {
  return raw.size() >= 2 && uint8_t(raw[0]) == 0x1f && uint8_t(raw[1]) == 0x8b;
}

/// The content of an idx file: gzip (one or more members, as gzip and zlib's gzread accept) or
/// plain. At most @p cap bytes are produced; @p over is set when there would be more, so that
/// a small file that inflates to gigabytes (a gzip bomb) costs no more than the cap.
std::vector<uint8_t> decode(const std::string& raw, const std::string& origin, uint64_t cap,
                            bool& over) {
  over = false;
  std::vector<uint8_t> out;
  if (!is_gzip(raw)) {
    over = raw.size() > cap;
    out.assign(raw.begin(), raw.begin() + std::ptrdiff_t(std::min<uint64_t>(raw.size(), cap)));
    return out;
  }
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw error(origin + ": cannot start zlib");
  std::unique_ptr<z_stream, int (*)(z_streamp)> guard(&z, inflateEnd);
  const auto* in = reinterpret_cast<const Bytef*>(raw.data());
  size_t pos = 0;
  uint8_t buf[1 << 16];
  for (;;) {
    const size_t chunk = std::min<size_t>(raw.size() - pos, 1u << 30);
    z.next_in = const_cast<Bytef*>(in + pos);
    z.avail_in = uInt(chunk);
    z.next_out = buf;
    z.avail_out = sizeof buf;
    const int rc = inflate(&z, Z_NO_FLUSH);
    pos += chunk - z.avail_in;
    const size_t got = sizeof buf - z.avail_out;
    if (out.size() + got > cap) {
      out.insert(out.end(), buf, buf + (cap - out.size()));
      over = true;
      return out;
    }
    out.insert(out.end(), buf, buf + got);
    if (rc == Z_STREAM_END) {
      // Another member may follow (concatenated gzip files); anything else ends the data.
      if (pos < raw.size() && is_gzip(raw.substr(pos, 2))) {
        if (inflateReset(&z) != Z_OK) throw error(origin + ": cannot restart zlib");
        continue;
      }
      if (pos < raw.size())
        throw error(origin + ": " + std::to_string(raw.size() - pos) +
                    " bytes of garbage after the gzip data");
      return out;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR)
      throw error(origin + ": corrupt gzip data (" + (z.msg ? z.msg : "zlib error") + ")");
    if (got == 0 && chunk == z.avail_in)  // no progress: the stream wants more than there is
      throw error(origin + (pos == raw.size() ? ": truncated gzip data" : ": corrupt gzip data"));
  }
}

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}

/// The content of one idx file whose header is @p header_bytes long, of @p what (for messages);
/// @p size computes the exact length of the whole content from the header.
template <class Size>
std::vector<uint8_t> content(const std::string& raw, const std::string& origin, size_t header_bytes,
                             uint32_t magic, const char* what, Size size) {
  bool over = false;
  std::vector<uint8_t> head = decode(raw, origin, header_bytes, over);
  if (head.size() < header_bytes)
    throw error(origin + ": truncated idx header (" + std::to_string(head.size()) + " bytes)");
  if (be32(head, 0) != magic) throw error(origin + ": not an " + what + " file (bad magic)");
  const uint64_t want = size(head);
  memory_estimate need;
  need.add("file", double(raw.size()));
  need.add("content", double(want));
  need.check(origin + ": loading", "the header announces " + std::to_string(want) + " bytes");
  std::vector<uint8_t> all = decode(raw, origin, want, over);
  if (over || all.size() != want)
    throw error(origin + ": truncated or padded: " +
                (over ? "more than " + std::to_string(want - header_bytes)
                      : std::to_string(all.size() - header_bytes)) +
                " data bytes where the header announces " + std::to_string(want - header_bytes));
  return all;
}

}  // namespace

std::string read_data_file(const std::string& path) {
  input_file f(path, "data file");  // a regular file, or a one-line error
  memory_estimate need;
  need.add("file", double(f.size()));
  need.check(path + ": loading");
  return f.read_all(f.size());
}

image_set parse_idx(const std::string& images_raw, const std::string& labels_raw,
                    const std::string& images, const std::string& labels, int limit) {
  uint64_t rows = 0, cols = 0, n = 0;
  std::vector<uint8_t> im =
      content(images_raw, images, 16, 0x00000803, "idx3 unsigned-byte image",
              [&](const std::vector<uint8_t>& h) {
                n = be32(h, 4), rows = be32(h, 8), cols = be32(h, 12);
                if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
                  throw error(images + ": image size " + std::to_string(rows) + "x" +
                              std::to_string(cols) + " is not plausible");
                if (n == 0) throw error(images + ": holds no images");
                return 16 + n * rows * cols;
              });
  std::vector<uint8_t> lb =
      content(labels_raw, labels, 8, 0x00000801, "idx1 unsigned-byte label", [&](const auto& h) {
        const uint64_t nl = be32(h, 4);
        if (n != nl)
          throw error(images + ": holds " + std::to_string(n) + " images but " + labels +
                      " holds " + std::to_string(nl) + " labels");
        return 8 + nl;
      });
  image_set s;
  s.name = images;
  s.n = int(limit > 0 ? std::min<uint64_t>(n, uint64_t(limit)) : std::min<uint64_t>(n, INT32_MAX));
  s.rows = int(rows);
  s.cols = int(cols);
  // The header goes, the rest is kept in place (no second copy of the pixels).
  im.erase(im.begin(), im.begin() + 16);
  im.resize(size_t(s.n) * rows * cols);
  im.shrink_to_fit();
  s.pixels = std::move(im);
  s.labels.assign(lb.begin() + 8, lb.begin() + 8 + s.n);
  for (uint8_t l : s.labels)
    if (l > 254) throw error(labels + ": label " + std::to_string(l) + " out of range");
  return s;
}

image_set load_idx(const std::string& images, const std::string& labels, int limit) {
  return parse_idx(read_data_file(images), read_data_file(labels), images, labels, limit);
}

image_set from_arrays(const npy_array& x, const npy_array* y, const std::string& xn,
                      const std::string& yn, int limit) {
  if (x.shape.empty() || x.shape[0] < 1)
    throw error(xn + ": holds no samples (the first dimension counts samples)");
  image_set s;
  const int64_t total = x.shape[0];
  s.n = int(limit > 0 ? std::min<int64_t>(total, limit) : std::min<int64_t>(total, INT32_MAX));
  s.dims.assign(x.shape.begin() + 1, x.shape.end());
  if (s.dims.empty()) s.dims = {1};
  s.channels = s.rows = 1;
  s.type = x.integer ? sample_type::i64 : sample_type::f32;
  const size_t per = s.sample_values();
  s.cols = int(std::min<size_t>(per, INT32_MAX));
  s.pixels.resize(size_t(s.n) * s.image_bytes());
  if (limit > total)
    throw error(xn + ": asks for " + std::to_string(limit) + " samples, but the set holds " +
                std::to_string(total));
  if (x.integer) {
    std::memcpy(s.pixels.data(), x.i.data(), s.pixels.size());
  } else {
    // A NaN or infinite input has no class: refused, not scored as a wrong answer.
    for (size_t e = 0; e < size_t(s.n) * per; ++e)
      if (!std::isfinite(x.f[e]))
        throw error(xn + ": sample " + std::to_string(e / per) + " holds " +
                    (std::isnan(x.f[e]) ? "NaN" : "inf") + " (value " + std::to_string(e % per) +
                    ")");
    std::memcpy(s.pixels.data(), x.f.data(), s.pixels.size());
  }
  if (y) {
    if (!y->integer) throw error(yn + ": labels must be integers (class indices)");
    if (y->shape.size() != 1 || y->shape[0] != total)
      throw error(yn + ": labels of shape (" +
                  [&] {
                    std::string d;
                    for (int64_t v : y->shape) d += std::to_string(v) + ",";
                    return d;
                  }() +
                  ") for " + std::to_string(total) +
                  " samples; one class index per sample is needed");
    for (int64_t k = 0; k < s.n; ++k) {
      const int64_t v = y->i[size_t(k)];
      if (v < 0 || v > INT32_MAX)
        throw error(yn + ": label " + std::to_string(v) + " of sample " + std::to_string(k) +
                    " is not a class index");
      s.labels.push_back(int32_t(v));
    }
  }
  return s;
}

bool is_array_spec(const std::string& spec) {
  return spec.find(".npy") != std::string::npos || spec.find(".npz") != std::string::npos;
}

image_set first_samples(const image_set& s, int n) {
  image_set o = s;
  o.n = std::min(s.n, n);
  o.pixels.resize(size_t(o.n) * s.image_bytes());
  if (!o.labels.empty()) o.labels.resize(size_t(o.n));
  return o;
}

image_set load_arrays(const std::string& what, int limit) {
  const size_t comma = what.find(',');
  if (comma != std::string::npos) {
    const std::string xf = what.substr(0, comma), yf = what.substr(comma + 1);
    const npy_array x = parse_npy(read_data_file(xf), xf), y = parse_npy(read_data_file(yf), yf);
    return from_arrays(x, &y, xf, yf, limit);
  }
  if (what.size() > 4 && what.compare(what.size() - 4, 4, ".npy") == 0) {
    const npy_array x = parse_npy(read_data_file(what), what);
    return from_arrays(x, nullptr, what, "", limit);
  }
  {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(what, ec)) throw error(what + ": no such data file");
  }
  const auto arrays = load_npz(what);
  const npy_array *x = nullptr, *y = nullptr;
  std::string xn, yn;
  for (const auto& [name, a] : arrays) {
    if (name == "x" || name == "inputs" || name == "input_ids") x = &a, xn = name;
    if (name == "y" || name == "labels") y = &a, yn = name;
  }
  if (!x) {
    std::string held;
    for (const auto& [name, a] : arrays) held += (held.empty() ? "" : ", ") + name;
    throw error(what + ": holds no array 'x' (or 'inputs', 'input_ids'); it holds " +
                (held.empty() ? "no arrays" : held));
  }
  return from_arrays(*x, y, what + ":" + xn, what + ":" + yn, limit);
}

image_set load_dataset(const std::string& spec, const std::string& source) {
  std::string what = spec;
  int limit = 0;
  const size_t colon = spec.rfind(':');
  if (colon != std::string::npos) {
    const std::string num = spec.substr(colon + 1);
    what = spec.substr(0, colon);
    size_t used = 0;
    long v = -1;
    try {
      v = std::stol(num, &used);
    } catch (const std::exception&) {
    }
    if (used != num.size() || v <= 0)
      throw error(source + " '" + spec + "': the count after ':' must be a positive integer");
    limit = int(std::min<long>(v, 1 << 30));
  }
  auto ends = [&](const std::string& suf) {
    return what.size() > suf.size() && what.compare(what.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends(".npz") || ends(".npy")) {
    image_set s = load_arrays(what, limit);
    s.name = spec;
    return s;
  }
  std::string dir = what, split = "t10k";
  if (what == "fashion-mnist") {
    dir = "/usr/share/datasets/fashion-mnist";
  } else if (what == "fashion-mnist-train") {
    dir = "/usr/share/datasets/fashion-mnist";
    split = "train";
  }
  if (!std::filesystem::is_directory(dir))
    throw error(source + " '" + spec + "': " + dir + " is not a folder" +
                (what.rfind("fashion-mnist", 0) == 0 ? " (install dataset-fashion-mnist)" : ""));
  auto pick = [&](const std::string& base) {
    const std::string p = dir + "/" + base;
    return std::filesystem::exists(p + ".gz") ? p + ".gz" : p;
  };
  image_set s = load_idx(pick(split + "-images-idx3-ubyte"), pick(split + "-labels-idx1-ubyte"));
  if (limit > s.n)
    throw error(source + " '" + spec + "': asks for " + std::to_string(limit) +
                " images, but the set holds " + std::to_string(s.n));
  if (limit > 0) {
    s.n = limit;
    s.pixels.resize(size_t(limit) * s.image_bytes());
    s.pixels.shrink_to_fit();
    s.labels.resize(size_t(limit));
  }
  s.name = spec;
  return s;
}

}  // namespace rramft::models
