#pragma once
/// @file helpers.h
/// @brief Byte-level builders and a scratch folder shared by the models tests.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace rramft::test {

/// The per-process scratch root; removed when the test process exits.
inline std::filesystem::path scratch_root() {
  return std::filesystem::temp_directory_path() /
         ("rramft_test_models_" + std::to_string(::getpid()));
}

inline const struct scratch_cleanup {
  ~scratch_cleanup() {
    std::error_code ec;
    std::filesystem::remove_all(scratch_root(), ec);
  }
} scratch_cleanup_at_exit{};

/// A fresh, empty folder under the system temp dir, unique per process and tag.
inline std::string scratch(const std::string& tag) {
  namespace fs = std::filesystem;
  const fs::path p = scratch_root() / tag;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(f.good());
}

inline std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE(f.good());
  return std::string(std::istreambuf_iterator<char>(f), {});
}

/// @p n as @p bytes little-endian bytes.
inline std::string le(uint64_t n, int bytes) {
  std::string s;
  for (int i = 0; i < bytes; ++i) s += static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

inline std::string f32(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return le(b, 4);
}

inline std::string f64(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return le(b, 8);
}

/// A safetensors image: u64 header length, the header text as given, then @p buffer.
inline std::string image(const std::string& header, const std::string& buffer) {
  return le(header.size(), 8) + header + buffer;
}

/// The message of the rramft::error that @p f throws; fails the test if it throws none.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const rramft::error& e) {
    const std::string msg = e.what();
    INFO("message: " << msg);
    CHECK(msg.find('\n') == std::string::npos);
    return msg;
  }
  FAIL("expected a rramft::error, none was thrown");
  return {};
}

}  // namespace rramft::test
