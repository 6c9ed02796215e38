#pragma once
/// @file model.h
/// @brief A neural-network model folder in the Hugging Face layout (config.json plus
/// model.safetensors), reduced to what the mapping compiler and the engines need.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rramft::models {

struct graph;  // models/graph.h

/// @brief One tensor read from a safetensors file, converted to float32.
struct tensor {
  std::string name;
  std::string dtype;           ///< dtype as stored in the file (F32, F16, BF16, F64, I64, ...)
  std::vector<int64_t> shape;  ///< row-major shape
  std::vector<float> data;     ///< values, row-major, converted to float
  int64_t numel() const;
};

/// @brief A parsed safetensors file (https://github.com/huggingface/safetensors format):
/// 8-byte little-endian header length, JSON header, byte buffer. Every offset is validated.
class safetensors {
 public:
  /// @brief Reads and validates @p path; throws rramft::error naming the file and tensor on any
  /// defect.
  static safetensors load(const std::string& path);
  /// @brief Parses an in-memory image (used by load and by the fuzzers); @p origin names it in
  /// errors.
  static safetensors parse(const std::string& bytes, const std::string& origin);
  bool has(const std::string& name) const;
  /// @brief The tensor @p name; throws rramft::error "<file>: missing tensor '<name>'".
  const tensor& get(const std::string& name) const;
  std::vector<std::string> names() const;  ///< sorted
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  std::map<std::string, tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

/// @brief Writes tensors as a safetensors file (F32). Used by tests and tools.
void save_safetensors(const std::string& path, const std::vector<tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// @brief One weight-stationary layer: a linear layer, or a convolution seen through im2col.
/// Crossbar orientation: `rows` are the layer's inputs (in_features, or in_ch*kh*kw for conv),
/// `cols` its outputs (out_features / out_ch). `w` is stored PyTorch-style, out x in, row-major.
struct weight_layer {
  std::string name;  ///< tensor name prefix, e.g. "fc1" or "encoder.layer.0.attention.self.query"
  std::string kind;  ///< "linear" or "conv2d"
  int rows = 0;      ///< inputs (crossbar rows)
  int cols = 0;      ///< outputs (crossbar columns before bit slicing)
  std::vector<float> w;     ///< cols x rows, row-major (PyTorch layout, conv kernels flattened)
  std::vector<float> bias;  ///< cols values, empty if the layer has no bias
  std::vector<uint8_t>
      row_mask;  ///< optional stored mask over inputs (1 = kept); empty = derive from zeros
  std::vector<uint8_t>
      col_mask;  ///< optional stored mask over outputs (1 = kept); empty = derive from zeros
  std::vector<int64_t> shape;  ///< original weight tensor shape
};

/// @brief A model: a folder (family, raw config, weights) or an ONNX file (family "onnx", its
/// graph); every weight-stationary layer in execution order.
struct model {
  std::string dir;        ///< the folder, or the .onnx file
  std::string family;     ///< mlp | lenet5 | vit | bert | resnet | onnx
  nlohmann::json config;  ///< config.json as read (empty for onnx)
  // The keys every family may give, read and range-checked once by the loader.
  float input_mean = 0.0f;        ///< input_mean: pixel / 255 minus this, in [-1, 2]
  float input_std = 1.0f;         ///< input_std: then divided by this, in [1e-3, 1e3]
  float layer_norm_eps = 1e-12f;  ///< layer_norm_eps, in (0, 0.1] (Hugging Face's default)
  bool gelu_tanh = false;         ///< hidden_act gelu_new / gelu_pytorch_tanh (else gelu)
  safetensors weights;            ///< all tensors (empty for onnx)
  std::vector<weight_layer> layers;
  std::shared_ptr<const graph> network_graph;  ///< onnx: the graph the network pass executes
  /// onnx: one sample's input shape (batch dimension removed); -1 marks a dimension the file
  /// leaves dynamic until data resolves it (models::bind_data)
  std::vector<int64_t> input_dims;
  int classes = 0;    ///< onnx: the output's last dimension, once the shapes are resolved
  int positions = 0;  ///< onnx: outputs per sample (1 for a classifier; tokens for a LM)
};

/// @brief Loads DIR/config.json and DIR/model.safetensors, checks that every tensor the family
/// needs is present with the right shape and finite values, that every tensor of the file
/// belongs to a layer of the model, and that every key the engines read is in range; throws
/// rramft::error naming the file, key or tensor otherwise.
/// A path ending in .onnx is read as an ONNX file instead (models/onnx.h).
model load_model(const std::string& dir);

/// @brief load_model on contents already in memory (the fuzzers use it): @p config_text is
/// config.json, @p weights is called for model.safetensors once the config names a known family;
/// @p dir names the folder in errors.
model parse_model(const std::string& config_text, const std::function<safetensors()>& weights,
                  const std::string& dir);
/// @brief parse_model with model.safetensors as bytes.
model parse_model(const std::string& config_text, const std::string& safetensors_bytes,
                  const std::string& dir);

}  // namespace rramft::models
