#pragma once
/// @file idx.h
/// @brief Image data sets in the idx format (MNIST, Fashion-MNIST), gzip-compressed or not.
#include <cstdint>
#include <string>
#include <vector>

namespace rramft::models {

/// @brief How one sample's values are stored in image_set::pixels.
enum class sample_type { u8, f32, i64 };

/// @brief Labelled samples: 8-bit images n x channels x rows x cols (idx), or any tensors read
/// from .npy/.npz (floats, or integers such as token ids), row-major, one after the other.
struct image_set {
  std::string name;
  int n = 0, channels = 1, rows = 0, cols = 0;  ///< idx images; npy data: channels = rows = 1
  std::vector<uint8_t> pixels;  ///< the samples' bytes (type below), n * image_bytes()
  std::vector<int32_t> labels;  ///< one class per sample; empty when the data has no labels
  sample_type type = sample_type::u8;
  std::vector<int64_t> dims;  ///< one sample's shape; empty = {channels, rows, cols}
  std::vector<int64_t> sample_dims() const {
    return dims.empty() ? std::vector<int64_t>{channels, rows, cols} : dims;
  }
  size_t sample_values() const {
    size_t v = 1;
    for (int64_t d : sample_dims()) v *= size_t(d);
    return v;
  }
  size_t image_bytes() const {  ///< bytes per sample
    return sample_values() * (type == sample_type::u8 ? 1 : type == sample_type::f32 ? 4 : 8);
  }
};

/// @brief A numpy array (.npy, format versions 1-3) converted to float or int64.
struct npy_array {
  std::vector<int64_t> shape;
  bool integer = false;
  std::vector<float> f;
  std::vector<int64_t> i;
};

/// @brief Samples from numpy arrays (the .npy/.npz readers and the Python bindings): @p x's
/// first dimension counts them; @p y (if given) holds one class index each; @p xn and @p yn
/// name them in errors; at most @p limit samples (0 = all).
image_set from_arrays(const npy_array& x, const npy_array* y, const std::string& xn,
                      const std::string& yn, int limit = 0);

/// @brief Parses the bytes of a .npy file; @p origin names it in errors. Little-endian
/// float16/32/64, signed and unsigned integers and bool; C order only.
npy_array parse_npy(const std::string& bytes, const std::string& origin);

/// @brief A float32 .npy file (format 1.0, C order) of @p values with @p shape.
std::string npy_bytes(const std::vector<int64_t>& shape, const std::vector<float>& values);

/// @brief The arrays of a .npz file (a zip of .npy files, compressed or not), by name without
/// the .npy suffix.
std::vector<std::pair<std::string, npy_array>> load_npz(const std::string& path);

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
/// dataset-fashion-mnist), "fashion-mnist-train[:N]", "DIR[:N]" holding
/// t10k-images-idx3-ubyte[.gz] and t10k-labels-idx1-ubyte[.gz], "FILE.npz[:N]" (arrays x and
/// y, or inputs and labels), "INPUTS.npy,LABELS.npy[:N]", or "INPUTS.npy[:N]" (no labels).
/// The first dimension of an input array counts samples. N above the set's size is an error.
/// @p source names where the spec came from in messages ("--data", "grid.yaml: eval.data").
image_set load_dataset(const std::string& spec, const std::string& source = "--data");

/// @brief True when @p spec names numpy data (.npy / .npz) rather than idx images.
bool is_array_spec(const std::string& spec);

/// @brief The first @p n samples of @p s (all if it holds fewer).
image_set first_samples(const image_set& s, int n);

/// @brief The numpy part of load_dataset: "FILE.npz", "X.npy,Y.npy" or "X.npy", at most
/// @p limit samples (0 = all).
image_set load_arrays(const std::string& what, int limit = 0);

}  // namespace rramft::models
