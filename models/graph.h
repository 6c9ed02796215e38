#pragma once
/// @file graph.h
/// @brief A network as a graph of operators over tensors with constant weights: what every
/// front end produces (the ONNX importer, models/onnx.cpp; the families mlp, lenet5, vit, resnet
/// and bert, models/families.cpp) and what network::forward_* executes. Every MatMul, Gemm and Conv
/// whose weight is constant is a weight_layer of the model (a crossbar layer) and runs through the
/// linear_backend; every other operator is digital float arithmetic, reported to the backend with
/// linear_backend::digital (the chip model's special-function unit).
///
/// Convolutions run as im2col: each output pixel's receptive field (padding, stride and
/// dilation applied) is one crossbar input vector of in_ch*kh*kw values, ordered (channel, ky,
/// kx) like a flattened PyTorch kernel. A grouped convolution (depthwise included) is one
/// crossbar layer whose weight matrix is block-diagonal: output channel o holds its group's
/// kernel on the rows of that group's input channels and zeros elsewhere. The zeros are cells
/// like any other (stored, mapped, possibly faulty); rows or columns that are all zero are
/// compacted away by the mapping as for any pruned layer.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/kernels.h"

namespace rramft::models {

class linear_backend;
struct model;

/// @brief A tensor of the graph: float32 values, or integers (int64; booleans as 0/1).
struct gtensor {
  bool integer = false;
  std::vector<int64_t> shape;
  fvec f;                  ///< values when !integer, row-major (not zeroed when sized)
  std::vector<int64_t> i;  ///< values when integer, row-major
  int64_t numel() const;
};

/// @brief One attribute of a node (ONNX AttributeProto reduced to what the operators use).
struct gattr {
  int64_t i = 0;
  float f = 0;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::shared_ptr<gtensor> t;
};

struct gnode {
  std::string name;          ///< node name (or "<op>#<index>" when the file gives none)
  std::string op;            ///< operator type, e.g. "Conv"
  std::vector<int> in, out;  ///< value ids; -1 for an omitted optional input
  std::map<std::string, gattr> attrs;
  int layer = -1;  ///< model::layers index of a crossbar layer (Conv/Gemm/MatMul), else -1
  std::vector<int64_t> wshape;  ///< a crossbar layer's weight shape as the graph holds it
  int64_t group = 1;            ///< Conv groups
  std::vector<int> last_use;    ///< values whose last reader is this node (freed after it)
};

struct graph {
  std::string origin;  ///< the file, for messages
  int opset = 0;
  std::vector<std::string> names;                   ///< value id -> tensor name
  std::vector<std::shared_ptr<gtensor>> constants;  ///< value id -> constant, or null
  std::vector<gnode> nodes;                         ///< in execution (topological) order
  int input = -1, output = -1;                      ///< the data input and the logits output
  int token_types = -1;  ///< bert: a second input, token type ids (zeros unless given)
  std::string input_name, output_name;
  bool input_integer = false;       ///< token ids (int64) instead of floats
  std::vector<int64_t> input_dims;  ///< per sample (batch dimension removed); -1 = dynamic
  int64_t batch = 0;                ///< the first dimension when fixed (e.g. 1), else 0
};

/// @brief The operator types the interpreter executes (sorted).
const std::vector<std::string>& supported_ops();

/// @brief Runs @p g on @p x (shape batch x input_dims) and returns the output tensor. Crossbar
/// layers go through @p be; @p m supplies their weight_layer entries. @p types: the token type
/// ids of a graph with token_types (null: zeros).
gtensor run_graph(const graph& g, const model& m, gtensor x, linear_backend& be,
                  const gtensor* types = nullptr);

/// @brief The family front ends (models/families.cpp): builds @p m's network graph from its
/// config and weights (mlp, lenet5, vit, bert, resnet; the layers already made by the loader) and
/// sets network_graph, classes and positions.
void build_family_graph(model& m);

/// @brief Evaluates every node whose inputs are all constant (Constant, Shape-free chains,
/// transposed weights, ...) once, at import, and removes it from the graph.
void fold_constants(graph& g);

/// @brief Marks, for every node, the values that are no longer needed after it.
void plan_lifetimes(graph& g);

}  // namespace rramft::models
