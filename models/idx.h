#pragma once
/// @file idx.h
/// @brief Image data sets in the idx format (MNIST, Fashion-MNIST), gzip-compressed or not.
#include <cstdint>
#include <string>
#include <vector>

namespace rramft::models {

/// @brief Labelled 8-bit images, n x channels x rows x cols, row-major.
struct image_set {
  std::string name;
  int n = 0, channels = 1, rows = 0, cols = 0;
  std::vector<uint8_t> pixels;
  std::vector<uint8_t> labels;
  size_t image_bytes() const { return size_t(channels) * rows * cols; }
};

/// @brief Reads an idx image file and its label file; every header field and length is
/// checked, and a truncated or inconsistent file is a one-line error naming it.
/// @param limit read at most this many images (0 = all)
image_set load_idx(const std::string& images, const std::string& labels, int limit = 0);

/// @brief load_idx on file contents already in memory (the fuzzers use it): @p images_raw and
/// @p labels_raw as read from disk (gzip or plain), @p images and @p labels name them in errors.
image_set parse_idx(const std::string& images_raw, const std::string& labels_raw,
                    const std::string& images, const std::string& labels, int limit = 0);

/// @brief A data file's bytes as stored; rramft::error naming it if it cannot be read.
std::string read_data_file(const std::string& path);

/// @brief Resolves a data spec: "fashion-mnist[:N]" (the 10,000 test images from Debian's
/// dataset-fashion-mnist), "fashion-mnist-train[:N]", or "DIR[:N]" holding
/// t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz]. N above the set's size is an
/// error. @p source names where the spec came from in messages ("--data", "grid.yaml: eval.data").
image_set load_dataset(const std::string& spec, const std::string& source = "--data");

}  // namespace rramft::models
