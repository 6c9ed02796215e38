#pragma once
/// @file network.h
/// @brief A model's forward pass: its network graph (models/graph.h; built by the ONNX importer
/// or a family front end) run over a batch. Every weight-stationary layer (linear; convolution
/// through im2col) goes through a linear_backend, so the same pass runs in float or through
/// the crossbars; everything else (activations, pooling, layer norm, softmax, attention score
/// products, residual adds) is digital float arithmetic, as the chip's special-function unit
/// computes it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "models/graph.h"
#include "models/idx.h"
#include "models/model.h"

namespace rramft::models {

/// @brief Computes y = W x + b for the weight layers of a model.
class linear_backend {
 public:
  virtual ~linear_backend() = default;
  /// @param layer index into model::layers
  /// @param x n x rows activations, row-major
  /// @param y n x cols outputs, bias included
  virtual void linear(size_t layer, const float* x, int n, float* y) = 0;
  /// @brief Told of every digital (special-function unit) operation the pass performs:
  /// @p op names it (relu, gelu, layernorm, softmax, attention, pool, add, ...), @p elements
  /// counts element operations. The float and mapped engines ignore it; the chip model charges it.
  virtual void digital(const char* op, size_t elements) {}
};

/// @brief Exact float32 products (Eigen GEMM): the reference the mapped runs are compared to.
class float_backend : public linear_backend {
 public:
  explicit float_backend(const model& m) : m_(m) {}
  void linear(size_t layer, const float* x, int n, float* y) override;

 private:
  const model& m_;
};

/// @brief A model's forward pass over a batch.
class network {
 public:
  explicit network(const model& m);
  const model& source() const { return m_; }
  /// @brief Whether forward_images reads 8-bit images (false: floats or token ids).
  bool takes_images() const { return input_type() == sample_type::u8; }
  int image_channels() const { return channels_; }
  int image_size() const { return image_size_; }  ///< side in pixels
  int num_classes() const { return classes_; }
  /// @brief How forward_images reads a sample's bytes: 8-bit pixels (mlp, lenet5, vit), floats
  /// (an ONNX model with a float input) or int64 token ids (bert, an ONNX model with an
  /// integer input).
  sample_type input_type() const;
  /// @brief One sample's shape as forward_images reads it (-1: not yet resolved by data).
  std::vector<int64_t> input_dims() const;
  size_t sample_bytes() const;  ///< bytes of one sample; 0 while a dimension is unresolved
  /// @brief Refuses (rramft::error naming the data) data whose samples forward_images cannot
  /// read: another type or shape, missing labels, labels outside 0..num_classes()-1.
  void check_data(const image_set& data, bool need_labels = true) const;
  /// @brief Logits of @p n samples stored as input_type() says: raw 8-bit pixels
  /// (n x C x H x W) preprocessed as (p/255 - input_mean) / input_std from config.json, or
  /// float / int64 tensors of input_dims() each (models::bind_data converts idx pixels for a
  /// float ONNX input to p/255).
  void forward_images(const uint8_t* pixels, int n, linear_backend& be, float* logits) const;
  /// @brief Logits of @p n token sequences of length @p seq (bert); @p types may be null (all 0).
  void forward_tokens(const int32_t* ids, const int32_t* types, int n, int seq, linear_backend& be,
                      float* logits) const;
  /// @brief Index of the weight layer whose tensor prefix is @p name.
  size_t layer_index(const std::string& name) const;

 private:
  const model& m_;
  int channels_ = 1, image_size_ = 28, classes_ = 10;
  float mean_ = 0, std_ = 1;
  std::map<std::string, size_t> index_;
  void forward_graph(const uint8_t* bytes, int n, linear_backend& be, float* logits,
                     const gtensor* types) const;
};

/// @brief Fits @p data to @p m before any work: resolves the model's dynamic input dimensions
/// from the data's sample shape, converts 8-bit idx pixels to floats p/255 for an ONNX model
/// with a float input, and refuses (one line naming the data and the model) another shape or
/// type, or a label outside the model's classes.
void bind_data(model& m, image_set& data);

/// @brief ONNX models: runs one sample of zeros through the float pass (once the input shape is
/// known) and records the output's classes and positions; shape errors name the node.
void resolve_shapes(model& m);

}  // namespace rramft::models
