/// @file npy.cpp
/// @brief numpy's .npy format
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html) and .npz archives (zip,
/// read with libzip).
#include <zip.h>

#include <Eigen/Core>
#include <cstring>
#include <memory>
#include <regex>

#include "core/error.h"
#include "io/memory.h"
#include "models/idx.h"

namespace rramft::models {

npy_array parse_npy(const std::string& b, const std::string& origin) {
  static const char magic[] = "\x93NUMPY";
  if (b.size() < 10 || b.compare(0, 6, magic, 6) != 0)
    throw error(origin + ": not a .npy file (magic \\x93NUMPY missing)");
  const int major = uint8_t(b[6]);
  size_t hlen = 0, start = 0;
  if (major == 1) {
    hlen = size_t(uint8_t(b[8])) | size_t(uint8_t(b[9])) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw error(origin + ": truncated .npy header");
    for (int k = 0; k < 4; ++k) hlen |= size_t(uint8_t(b[8 + size_t(k)])) << (8 * k);
    start = 12;
  } else {
    throw error(origin + ": .npy format version " + std::to_string(major) + " is not supported");
  }
  if (hlen > b.size() - start) throw error(origin + ": truncated .npy header");
  const std::string h = b.substr(start, hlen);
  std::smatch mt;
  if (!std::regex_search(h, mt, std::regex("'descr'\\s*:\\s*'([^']*)'")))
    throw error(origin + ": .npy header has no 'descr'");
  const std::string descr = mt[1];
  if (!std::regex_search(h, mt, std::regex("'fortran_order'\\s*:\\s*(True|False)")))
    throw error(origin + ": .npy header has no 'fortran_order'");
  if (mt[1] == "True")
    throw error(origin +
                ": Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
  if (!std::regex_search(h, mt, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw error(origin + ": .npy header has no 'shape'");
  npy_array a;
  const std::string dims = mt[1];
  size_t n = 1;
  static const std::regex entry("[^,\\s]+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), entry), end; it != end; ++it) {
    const std::string d = it->str();
    if (d.find_first_not_of("0123456789") != std::string::npos || d.size() > 12)
      throw error(origin + ": shape entry '" + d + "' is not a dimension");
    const int64_t v = std::stoll(d);
    if (v > 0 && n > (size_t(1) << 40) / size_t(v))
      throw error(origin + ": shape (" + dims + ") is too large");
    a.shape.push_back(v);
    n *= size_t(v);
  }
  if (descr.size() < 3) throw error(origin + ": dtype '" + descr + "' is not supported");
  const char order = descr[0], kind = descr[1];
  const std::string width_s = descr.substr(2);
  if (width_s.find_first_not_of("0123456789") != std::string::npos)
    throw error(origin + ": dtype '" + descr + "' is not supported");
  const size_t width = size_t(std::stoul(width_s));
  if (order == '>' && width > 1)
    throw error(origin + ": big-endian dtype '" + descr + "' is not supported");
  const bool fl = kind == 'f' && (width == 2 || width == 4 || width == 8);
  const bool in =
      (kind == 'i' || kind == 'u') && (width == 1 || width == 2 || width == 4 || width == 8);
  const bool bo = kind == 'b' && width == 1;
  if (!fl && !in && !bo)
    throw error(origin + ": dtype '" + descr + "' is not supported (floats, integers, bool)");
  const size_t data = start + hlen;
  if (b.size() - data != n * width)
    throw error(origin + ": holds " + std::to_string(b.size() - data) + " data bytes, shape (" +
                dims + ") of '" + descr + "' needs " + std::to_string(n * width));
  const char* p = b.data() + data;
  a.integer = !fl;
  if (fl) {
    a.f.resize(n);
    for (size_t e = 0; e < n; ++e, p += width) {
      if (width == 4) {
        std::memcpy(&a.f[e], p, 4);
      } else if (width == 8) {
        double v;
        std::memcpy(&v, p, 8);
        a.f[e] = float(v);
      } else {
        uint16_t v;
        std::memcpy(&v, p, 2);
        a.f[e] = float(Eigen::numext::bit_cast<Eigen::half>(v));
      }
    }
  } else {
    a.i.resize(n);
    for (size_t e = 0; e < n; ++e, p += width) {
      int64_t v = 0;
      if (kind == 'u' || kind == 'b') {
        uint64_t u = 0;
        std::memcpy(&u, p, width);
        v = int64_t(u);
      } else if (width == 1) {
        v = int8_t(*p);
      } else if (width == 2) {
        int16_t t;
        std::memcpy(&t, p, 2);
        v = t;
      } else if (width == 4) {
        int32_t t;
        std::memcpy(&t, p, 4);
        v = t;
      } else {
        std::memcpy(&v, p, 8);
      }
      a.i[e] = v;
    }
  }
  return a;
}

std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<float>& values) {
  std::string dims;
  for (int64_t d : shape) dims += std::to_string(d) + (shape.size() == 1 ? "," : ", ");
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64
  const size_t total = (10 + h.size() + 1 + 63) / 64 * 64;
  h.append(total - 10 - h.size() - 1, ' ');
  h += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += char(h.size() & 0xff);
  out += char(h.size() >> 8);
  out += h;
  const size_t at = out.size();
  out.resize(at + values.size() * 4);
  std::memcpy(out.data() + at, values.data(), values.size() * 4);
  return out;
}

std::vector<std::pair<std::string, npy_array>> load_npz(const std::string& path) {
  // Read through read_data_file (a regular file, size checked before reading; FIFOs and
  // devices refused), then opened from memory.
  const std::string raw = read_data_file(path);
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t* src = zip_source_buffer_create(raw.data(), raw.size(), 0, &ze);
  zip_t* opened = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : nullptr;
  if (!opened) {
    if (src) zip_source_free(src);
    const std::string msg = zip_error_strerror(&ze);
    zip_error_fini(&ze);
    throw error(path + ": not a readable .npz (zip) file: " + msg);
  }
  zip_error_fini(&ze);
  std::unique_ptr<zip_t, decltype(&zip_discard)> z(opened, &zip_discard);
  std::vector<std::pair<std::string, npy_array>> out;
  const zip_int64_t entries = zip_get_num_entries(z.get(), 0);
  for (zip_int64_t k = 0; k < entries; ++k) {
    zip_stat_t st;
    if (zip_stat_index(z.get(), zip_uint64_t(k), 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE) ||
        !(st.valid & ZIP_STAT_NAME))
      throw error(path + ": entry " + std::to_string(k) + " cannot be read");
    std::string name = st.name;
    if (st.size > (zip_uint64_t(1) << 36))
      throw error(path + ": entry '" + name + "' is too large");
    {
      memory_estimate need;  // an entry announcing more than the machine has is refused
      need.add("entry '" + name + "'", double(st.size));
      need.check(path + ": loading");
    }
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(
        zip_fopen_index(z.get(), zip_uint64_t(k), 0), &zip_fclose);
    if (!f) throw error(path + ": entry '" + name + "' cannot be opened");
    std::string bytes(size_t(st.size), '\0');
    const zip_int64_t got = zip_fread(f.get(), bytes.data(), st.size);
    // One more read must find the end: libzip checks the entry's CRC-32 only there.
    char past = 0;
    if (got < 0 || zip_uint64_t(got) != st.size || zip_fread(f.get(), &past, 1) != 0)
      throw error(path + ": entry '" + name + "' is truncated or corrupt (" +
                  zip_file_strerror(f.get()) + ")");
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
      name.resize(name.size() - 4);
    for (const auto& [seen, a] : out)
      if (seen == name)
        throw error(path + ": array '" + name + "' appears twice (entries of the same name)");
    out.emplace_back(name, parse_npy(bytes, path + ":" + name));
  }
  return out;
}

}  // namespace rramft::models
