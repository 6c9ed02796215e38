/// @file graph.cpp
/// @brief The graph interpreter's driver: runs the nodes in order, folds constants at import,
/// plans tensor lifetimes. The operators are in graph_ops.cpp, graph_shape_ops.cpp and (the
/// family front ends' internal ones) families.cpp.
#include "models/graph.h"

#include "models/graph_ops.h"

namespace rramft::models {

int64_t gtensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const std::vector<std::string>& supported_ops() {
  static const std::vector<std::string> ops = {"Abs",
                                               "Add",
                                               "AveragePool",
                                               "BatchNormalization",
                                               "Cast",
                                               "Clip",
                                               "Concat",
                                               "Constant",
                                               "ConstantOfShape",
                                               "Conv",
                                               "Div",
                                               "Dropout",
                                               "Equal",
                                               "Erf",
                                               "Exp",
                                               "Expand",
                                               "Flatten",
                                               "Gather",
                                               "Gelu",
                                               "Gemm",
                                               "GlobalAveragePool",
                                               "Greater",
                                               "HardSigmoid",
                                               "HardSwish",
                                               "Identity",
                                               "LayerNormalization",
                                               "LeakyRelu",
                                               "Less",
                                               "MatMul",
                                               "Max",
                                               "MaxPool",
                                               "Min",
                                               "Mul",
                                               "Neg",
                                               "Not",
                                               "Pad",
                                               "Pow",
                                               "Range",
                                               "Reciprocal",
                                               "ReduceMax",
                                               "ReduceMean",
                                               "ReduceSum",
                                               "Relu",
                                               "Reshape",
                                               "Shape",
                                               "Sigmoid",
                                               "Slice",
                                               "Softmax",
                                               "Split",
                                               "Sqrt",
                                               "Squeeze",
                                               "Sub",
                                               "Tanh",
                                               "Transpose",
                                               "Unsqueeze",
                                               "Where"};
  return ops;
}

gtensor run_graph(const graph& g, const model& m, gtensor x, linear_backend& be,
                  const gtensor* types) {
  std::vector<gtensor> vals(g.names.size());
  std::vector<const gtensor*> ptr(g.names.size(), nullptr);
  for (size_t v = 0; v < g.constants.size(); ++v) ptr[v] = g.constants[v].get();
  if (g.token_types >= 0) {
    gtensor& t = vals[size_t(g.token_types)];
    if (types) {
      t = *types;
    } else {
      t.integer = true;
      t.shape = x.shape;
      t.i.assign(size_t(x.numel()), 0);
    }
    ptr[size_t(g.token_types)] = &t;
  }
  vals[size_t(g.input)] = std::move(x);
  ptr[size_t(g.input)] = &vals[size_t(g.input)];
  for (const gnode& nd : g.nodes) {
    try {
      ops::node_ctx c{g, &m, nd, ptr, vals, &be};
      ops::exec(c);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {  // rramft::error, and std::out_of_range of a malformed file
      throw error(g.origin + ": node '" + nd.name + "' (" + nd.op + "): " + e.what());
    }
    for (int v : nd.last_use)
      if (v != g.output && !g.constants[size_t(v)]) {
        vals[size_t(v)] = gtensor{};
        ptr[size_t(v)] = nullptr;
      }
  }
  if (!ptr[size_t(g.output)])
    throw error(g.origin + ": output '" + g.output_name + "' was never computed");
  return std::move(vals[size_t(g.output)]);
}

void fold_constants(graph& g) {
  std::vector<gtensor> vals(g.names.size());
  std::vector<const gtensor*> ptr(g.names.size(), nullptr);
  for (size_t v = 0; v < g.constants.size(); ++v) ptr[v] = g.constants[v].get();
  std::vector<gnode> kept;
  for (gnode& nd : g.nodes) {
    bool all = true;
    for (int v : nd.in)
      if (v >= 0 && !g.constants[size_t(v)]) all = false;
    if (!all) {
      kept.push_back(std::move(nd));
      continue;
    }
    try {
      ops::node_ctx c{g, nullptr, nd, ptr, vals, nullptr};
      ops::exec(c);
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      throw error(g.origin + ": node '" + nd.name + "' (" + nd.op + "): " + e.what());
    }
    for (int v : nd.out)
      if (v >= 0) {
        g.constants[size_t(v)] = std::make_shared<gtensor>(std::move(vals[size_t(v)]));
        ptr[size_t(v)] = g.constants[size_t(v)].get();
      }
  }
  g.nodes = std::move(kept);
}

void plan_lifetimes(graph& g) {
  std::vector<int> last(g.names.size(), -1);
  for (size_t k = 0; k < g.nodes.size(); ++k)
    for (int v : g.nodes[k].in)
      if (v >= 0) last[size_t(v)] = int(k);
  for (gnode& nd : g.nodes) nd.last_use.clear();
  for (size_t v = 0; v < last.size(); ++v)
    if (last[v] >= 0) g.nodes[size_t(last[v])].last_use.push_back(int(v));
}

}  // namespace rramft::models
