#pragma once
/// @file network.h
/// @brief Forward passes of the supported families (mlp, lenet5, vit, bert). Every
/// weight-stationary layer (linear; convolution through im2col) goes through a
/// linear_backend, so the same pass runs in float or through the crossbars; everything
/// else (activations, pooling, layer norm, softmax, attention score products, residual
/// adds) is digital float arithmetic, as the chip's special-function unit computes it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

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
  bool takes_images() const { return m_.family != "bert"; }
  int image_channels() const { return channels_; }
  int image_size() const { return image_size_; }  ///< side in pixels
  int num_classes() const { return classes_; }
  /// @brief Throws rramft::error unless @p data can be fed to this model and scored: images of
  /// the model's input size, and every label one of its classes (a label outside them would
  /// count as a wrong answer and lower the accuracy silently).
  void check_images(const image_set& data) const;
  /// @brief Logits of @p n images given as raw 8-bit pixels (n x C x H x W), preprocessed as
  /// (p/255 - input_mean) / input_std from config.json.
  void forward_images(const uint8_t* pixels, int n, linear_backend& be, float* logits) const;
  /// @brief Logits of @p n token sequences of length @p seq (bert); @p types may be null (all 0).
  void forward_tokens(const int32_t* ids, const int32_t* types, int n, int seq, linear_backend& be,
                      float* logits) const;
  /// @brief The same pass on already preprocessed float images (n x C x H x W).
  void forward_float_images(const float* x, int n, linear_backend& be, float* logits) const;
  /// @brief Index of the weight layer whose tensor prefix is @p name.
  size_t layer_index(const std::string& name) const;

 private:
  const model& m_;
  int channels_ = 1, image_size_ = 28, classes_ = 10;
  float mean_ = 0, std_ = 1;
  double ln_eps_ = 1e-12;
  bool gelu_tanh_ = false;
  std::string mlp_act_ = "relu";  ///< mlp hidden activation
  std::map<std::string, size_t> index_;
  std::string prefix_;  ///< "vit." / "bert." or ""
};

}  // namespace rramft::models
