#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "models/idx.h"

using rramft::models::load_idx;

namespace {
std::string dir() {
  const std::string d = std::string(RRAMFT_BINARY_DIR) + "/tests/eval/idx";
  std::filesystem::create_directories(d);
  return d;
}
std::vector<uint8_t> header(uint32_t magic, std::vector<uint32_t> dims) {
  std::vector<uint8_t> b;
  auto put = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(uint8_t(v >> s));
  };
  put(magic);
  for (auto d : dims) put(d);
  return b;
}
std::string write(const std::string& name, const std::vector<uint8_t>& bytes, bool gz) {
  const std::string p = dir() + "/" + name;
  if (gz) {
    gzFile f = gzopen(p.c_str(), "wb");
    gzwrite(f, bytes.data(), unsigned(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(p, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  }
  return p;
}
/// 3 images of 2x2, pixels 0..11, labels 7 8 9.
std::pair<std::string, std::string> good(bool gz) {
  auto im = header(0x803, {3, 2, 2});
  for (int i = 0; i < 12; ++i) im.push_back(uint8_t(i));
  auto lb = header(0x801, {3});
  for (uint8_t l : {7, 8, 9}) lb.push_back(l);
  return {write(gz ? "im.gz" : "im", im, gz), write(gz ? "lb.gz" : "lb", lb, gz)};
}
}  // namespace

TEST_CASE("idx files are read, gzipped or not", "[idx]") {
  for (bool gz : {false, true}) {
    auto [im, lb] = good(gz);
    auto s = load_idx(im, lb);
    CHECK(s.n == 3);
    CHECK(s.rows == 2);
    CHECK(s.pixels[5] == 5);
    CHECK(s.labels == std::vector<int32_t>{7, 8, 9});
    CHECK(load_idx(im, lb, 2).n == 2);
  }
}

TEST_CASE("bad idx files get one line naming the file", "[idx][bad-input]") {
  auto [im, lb] = good(false);
  auto img = header(0x803, {3, 2, 2});
  for (int i = 0; i < 11; ++i) img.push_back(0);  // one pixel short
  CHECK_THROWS_WITH(load_idx(write("short", img, false), lb),
                    Catch::Contains("short: truncated or padded"));
  CHECK_THROWS_WITH(load_idx(write("empty", {}, false), lb),
                    Catch::Contains("empty: truncated idx header"));
  auto wrong = header(0x801, {3, 2, 2});
  wrong.resize(wrong.size() + 12, 0);
  CHECK_THROWS_WITH(load_idx(write("magic", wrong, false), lb),
                    Catch::Contains("magic: not an idx3"));
  CHECK_THROWS_WITH(load_idx(im, im), Catch::Contains("not an idx1"));
  auto lb2 = header(0x801, {2});
  lb2.push_back(1);
  lb2.push_back(2);
  CHECK_THROWS_WITH(load_idx(im, write("lb2", lb2, false)), Catch::Contains("holds 3 images but"));
  CHECK_THROWS_WITH(load_idx(dir() + "/nothing", lb),
                    Catch::Contains("nothing: cannot open the data file: No such file"));
  // A gzip stream cut in the middle.
  auto big = header(0x803, {100, 28, 28});
  big.resize(16 + 100 * 784, 3);
  const std::string gz = write("cut.gz", big, true);
  const auto size = std::filesystem::file_size(gz);
  std::filesystem::resize_file(gz, size / 2);
  CHECK_THROWS_WITH(load_idx(gz, lb), Catch::Contains("cut.gz"));
  CHECK_THROWS_WITH(rramft::models::load_dataset("fashion-mnist:0"),
                    Catch::Contains("positive integer"));
  CHECK_THROWS_WITH(rramft::models::load_dataset("/no/such/dir"),
                    Catch::Contains("/no/such/dir is not a folder"));
}

TEST_CASE("Debian's Fashion-MNIST test split loads", "[idx][data]") {
  auto s = rramft::models::load_dataset("fashion-mnist:100");
  CHECK(s.n == 100);
  CHECK(s.rows == 28);
  CHECK(s.cols == 28);
  CHECK(s.labels[0] == 9);  // the first test image is an ankle boot
  auto all = rramft::models::load_dataset("fashion-mnist");
  CHECK(all.n == 10000);
}

namespace {
std::string gz_bytes(const std::vector<uint8_t>& raw) {
  // zlib's gzip writer into memory: deflateInit2 with 16 + MAX_WBITS.
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, uLong(raw.size())), '\0');
  z.next_in = const_cast<Bytef*>(raw.data());
  z.avail_in = uInt(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(&out[0]);
  z.avail_out = uInt(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}
std::string str(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }
}  // namespace

TEST_CASE("gzip members, garbage and bombs", "[idx][bad-input]") {
  using rramft::models::parse_idx;
  auto im = header(0x803, {3, 2, 2});
  for (int i = 0; i < 12; ++i) im.push_back(uint8_t(i));
  auto lb = header(0x801, {3});
  for (uint8_t l : {7, 8, 9}) lb.push_back(l);
  // Two gzip members one after the other hold the file's two halves (what `cat a.gz b.gz` gives).
  const std::vector<uint8_t> first(im.begin(), im.begin() + 10), second(im.begin() + 10, im.end());
  const auto s = parse_idx(gz_bytes(first) + gz_bytes(second), str(lb), "im", "lb");
  CHECK(s.pixels == std::vector<uint8_t>(im.begin() + 16, im.end()));
  CHECK_THROWS_WITH(parse_idx(gz_bytes(im) + "junk", str(lb), "im", "lb"),
                    Catch::Contains("im: 4 bytes of garbage after the gzip data"));
  // A bomb: 40 bytes of gzip that inflate to 64 MiB behind a header announcing 12 pixels. The
  // reader stops at what the header announces instead of inflating (and holding) all of it.
  std::vector<uint8_t> bomb = im;
  bomb.resize(size_t(64) << 20, 0);
  const std::string packed = gz_bytes(bomb);
  CHECK(packed.size() < 100000);
  CHECK_THROWS_WITH(parse_idx(packed, str(lb), "bomb", "lb"),
                    Catch::Contains("bomb: truncated or padded: more than 12 data bytes"));
  // Plain files are checked the same way.
  CHECK_THROWS_WITH(parse_idx(str(im) + "x", str(lb), "pad", "lb"),
                    Catch::Contains("pad: truncated or padded: more than 12 data bytes"));
}
