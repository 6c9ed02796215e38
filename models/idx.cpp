#include "models/idx.h"

#include <zlib.h>

#include <filesystem>
#include <memory>

#include "core/error.h"

namespace rramft::models {

namespace {

/// Whole file through zlib, which reads plain files as they are.
std::vector<uint8_t> read_all(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw error(path + ": no such data file");
  std::unique_ptr<gzFile_s, int (*)(gzFile)> f(gzopen(path.c_str(), "rb"), gzclose);
  if (!f) throw error(path + ": cannot open");
  std::vector<uint8_t> out;
  uint8_t buf[1 << 16];
  for (;;) {
    const int got = gzread(f.get(), buf, sizeof buf);
    if (got < 0) {
      int code = 0;
      throw error(path + ": corrupt or truncated gzip data (" + gzerror(f.get(), &code) + ")");
    }
    if (got == 0) break;
    out.insert(out.end(), buf, buf + got);
    if (out.size() > (size_t(1) << 32)) throw error(path + ": larger than 4 GiB, refused");
  }
  return out;
}

uint32_t be32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}

}  // namespace

image_set load_idx(const std::string& images, const std::string& labels, int limit) {
  const std::vector<uint8_t> im = read_all(images), lb = read_all(labels);
  if (im.size() < 16)
    throw error(images + ": truncated idx header (" + std::to_string(im.size()) + " bytes)");
  if (lb.size() < 8)
    throw error(labels + ": truncated idx header (" + std::to_string(lb.size()) + " bytes)");
  if (be32(im, 0) != 0x00000803)
    throw error(images + ": not an idx3 unsigned-byte image file (bad magic)");
  if (be32(lb, 0) != 0x00000801)
    throw error(labels + ": not an idx1 unsigned-byte label file (bad magic)");
  const uint64_t n = be32(im, 4), rows = be32(im, 8), cols = be32(im, 12), nl = be32(lb, 4);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096)
    throw error(images + ": image size " + std::to_string(rows) + "x" + std::to_string(cols) +
                " is not plausible");
  if (n != nl)
    throw error(images + ": holds " + std::to_string(n) + " images but " + labels + " holds " +
                std::to_string(nl) + " labels");
  if (im.size() != 16 + n * rows * cols)
    throw error(images + ": truncated or padded: " + std::to_string(im.size() - 16) +
                " pixel bytes for " + std::to_string(n) + " images of " +
                std::to_string(rows * cols));
  if (lb.size() != 8 + n)
    throw error(labels + ": truncated or padded: " + std::to_string(lb.size() - 8) +
                " label bytes for " + std::to_string(n) + " labels");
  if (n == 0) throw error(images + ": holds no images");
  image_set s;
  s.name = images;
  s.n = int(limit > 0 ? std::min<uint64_t>(n, uint64_t(limit)) : n);
  s.rows = int(rows);
  s.cols = int(cols);
  s.pixels.assign(im.begin() + 16, im.begin() + 16 + size_t(s.n) * rows * cols);
  s.labels.assign(lb.begin() + 8, lb.begin() + 8 + s.n);
  for (uint8_t l : s.labels)
    if (l > 254) throw error(labels + ": label " + std::to_string(l) + " out of range");
  return s;
}

image_set load_dataset(const std::string& spec) {
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
      throw error("--data '" + spec + "': the count after ':' must be a positive integer");
    limit = int(std::min<long>(v, 1 << 30));
  }
  std::string dir = what, split = "t10k";
  if (what == "fashion-mnist") {
    dir = "/usr/share/datasets/fashion-mnist";
  } else if (what == "fashion-mnist-train") {
    dir = "/usr/share/datasets/fashion-mnist";
    split = "train";
  }
  if (!std::filesystem::is_directory(dir))
    throw error("--data '" + spec + "': " + dir + " is not a folder" +
                (what.rfind("fashion-mnist", 0) == 0 ? " (install dataset-fashion-mnist)" : ""));
  auto pick = [&](const std::string& base) {
    const std::string p = dir + "/" + base;
    return std::filesystem::exists(p + ".gz") ? p + ".gz" : p;
  };
  image_set s =
      load_idx(pick(split + "-images-idx3-ubyte"), pick(split + "-labels-idx1-ubyte"), limit);
  s.name = spec;
  return s;
}

}  // namespace rramft::models
