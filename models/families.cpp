/// @file families.cpp
/// @brief The family front ends (mlp, lenet5, vit, bert, resnet): the network graph each builds
/// from config.json and model.safetensors (once models/model.cpp has checked every tensor and made
/// the weight layers), and the few internal operators they use where ONNX would need a chain
/// of shape operators (token assembly, multi-head attention).
#include <algorithm>

#include "models/graph_ops.h"

namespace rramft::models {

namespace {

/// Appends values and nodes to a graph.
class graph_builder {
 public:
  graph_builder(graph& g, const model& m) : g_(g), m_(m) {}

  int value(const std::string& name) {
    g_.names.push_back(name);
    g_.constants.emplace_back();
    return int(g_.names.size()) - 1;
  }
  int constant(const std::string& name, gtensor t) {
    const int v = value(name);
    g_.constants[size_t(v)] = std::make_shared<gtensor>(std::move(t));
    return v;
  }
  /// A weight tensor of the safetensors file as a constant.
  int weight(const std::string& name) {
    const tensor& t = m_.weights.get(name);
    gtensor c;
    c.shape = t.shape;
    c.f.assign(t.data.begin(), t.data.end());
    return constant(name, std::move(c));
  }
  int ints(const std::string& name, std::vector<int64_t> v) {
    gtensor c;
    c.integer = true;
    c.shape = {int64_t(v.size())};
    c.i = std::move(v);
    return constant(name, std::move(c));
  }
  /// A node reading @p in; returns its (one) output.
  int node(const std::string& op, const std::string& name, std::vector<int> in,
           std::map<std::string, gattr> attrs = {}) {
    gnode nd;
    nd.op = op;
    nd.name = name;
    nd.in = std::move(in);
    nd.attrs = std::move(attrs);
    nd.out = {value(name + ":out")};
    g_.nodes.push_back(std::move(nd));
    return g_.nodes.back().out[0];
  }
  /// The crossbar layer @p layer (a weight_layer of the model) applied to @p x.
  int layer(const std::string& layer, int x, std::vector<int64_t> strides = {},
            std::vector<int64_t> pads = {}) {
    size_t idx = m_.layers.size();
    for (size_t k = 0; k < m_.layers.size(); ++k)
      if (m_.layers[k].name == layer) idx = k;
    if (idx == m_.layers.size()) throw error(m_.dir + ": no weight layer '" + layer + "'");
    const weight_layer& l = m_.layers[idx];
    std::map<std::string, gattr> attrs;
    if (!strides.empty()) attrs["strides"].ints = std::move(strides);
    if (!pads.empty()) attrs["pads"].ints = std::move(pads);
    const int y = node(l.kind == "conv2d" ? "Conv" : "MatMul", layer, {x}, std::move(attrs));
    g_.nodes.back().layer = int(idx);
    g_.nodes.back().wshape = l.shape;
    return y;
  }
  bool has_layer(const std::string& layer) const {
    for (const weight_layer& l : m_.layers)
      if (l.name == layer) return true;
    return false;
  }
  int layer_norm(const std::string& prefix, int x) {
    std::map<std::string, gattr> attrs;
    attrs["epsilon"].f = m_.layer_norm_eps;
    return node("LayerNormalization", prefix,
                {x, weight(prefix + ".weight"), weight(prefix + ".bias")}, std::move(attrs));
  }
  /// Row 0 of every sample of an N x t x hidden tensor (the class token): N x hidden.
  int first_token(int x, const std::string& name) {
    const int s = node(
        "Slice", name,
        {x, ints(name + ".starts", {0}), ints(name + ".ends", {1}), ints(name + ".axes", {1})});
    return node("Flatten", name + ".flatten", {s});
  }

 private:
  graph& g_;
  const model& m_;
};

gattr int_attr(int64_t v) {
  gattr a;
  a.i = v;
  return a;
}

void build_mlp_graph(graph_builder& b, const model& m, int x) {
  const std::string act =
      m.config.contains("activation")
          ? m.config.at("activation").get<std::string>()  // the loader checked it
          : "relu";
  static const std::map<std::string, std::string> op = {
      {"relu", "Relu"}, {"gelu", "Gelu"}, {"tanh", "Tanh"}, {"sigmoid", "Sigmoid"}};
  int h = b.node("Flatten", "flatten", {x});
  for (size_t i = 0; i < m.layers.size(); ++i) {
    h = b.layer(m.layers[i].name, h);
    if (i + 1 < m.layers.size() && act != "identity")
      h = b.node(op.at(act), m.layers[i].name + "." + act, {h});
  }
}

void build_lenet5_graph(graph_builder& b, const model&, int x) {
  int h = x;
  for (const char* conv : {"conv1", "conv2"}) {
    h = b.node("Relu", std::string(conv) + ".relu", {b.layer(conv, h)});
    std::map<std::string, gattr> pool;
    pool["kernel_shape"].ints = {2, 2};
    pool["strides"].ints = {2, 2};
    h = b.node("MaxPool", std::string(conv) + ".pool", {h}, std::move(pool));
  }
  h = b.node("Flatten", "flatten", {h});
  h = b.node("Relu", "fc1.relu", {b.layer("fc1", h)});
  h = b.node("Relu", "fc2.relu", {b.layer("fc2", h)});
  b.layer("fc3", h);
}

/// The ResNet (models/model.cpp, build_resnet): every convolution holds its batch norm folded
/// in (weights and bias), so a conv + bn pair is one Conv node; 3x3 convolutions pad 1, the 1x1
/// shortcut convolutions pad 0; the first block of every stage but the first has stride 2.
void build_resnet_graph(graph_builder& b, const model& m, int x) {
  auto conv = [&](const std::string& name, int in, int64_t stride, int64_t pad) {
    return b.layer(name, in, {stride, stride}, {pad, pad, pad, pad});
  };
  int h = b.node("Relu", "relu", {conv("conv1", x, 1, 1)});
  const nlohmann::json& blocks = m.config.at("blocks");  // checked by the loader
  for (size_t s = 0; s < blocks.size(); ++s)
    for (int64_t k = 0; k < blocks[s].get<int64_t>(); ++k) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(k) + ".";
      const int64_t stride = s > 0 && k == 0 ? 2 : 1;
      const int shortcut =
          b.has_layer(p + "downsample.0") ? conv(p + "downsample.0", h, stride, 0) : h;
      const int y = b.node("Relu", p + "relu", {conv(p + "conv1", h, stride, 1)});
      h = b.node("Relu", p + "relu_1",
                 {b.node("Add", p + "residual", {conv(p + "conv2", y, 1, 1), shortcut})});
    }
  h = b.node("Flatten", "flatten", {b.node("GlobalAveragePool", "avgpool", {h})});
  b.layer("fc", h);
}

/// One encoder layer's self-attention: q, k, v layers, the attention op, the output layer.
int self_attention(graph_builder& b, const model& m, const std::string& prefix,
                   const std::string& out_dense, int x) {
  const int q = b.layer(prefix + "query", x), k = b.layer(prefix + "key", x),
            v = b.layer(prefix + "value", x);
  std::map<std::string, gattr> attrs;
  attrs["num_heads"] = int_attr(m.config.at("num_attention_heads").get<int64_t>());
  const int ctx = b.node("rramft.Attention", prefix + "attention", {q, k, v}, std::move(attrs));
  return b.layer(out_dense, ctx);
}

int gelu(graph_builder& b, const model& m, const std::string& name, int x) {
  std::map<std::string, gattr> attrs;
  if (m.gelu_tanh) attrs["approximate"].s = "tanh";
  return b.node("Gelu", name, {x}, std::move(attrs));
}

void build_vit_graph(graph_builder& b, const model& m, int x) {
  const std::string p = m.weights.has("vit.embeddings.cls_token") ? "vit." : "";
  const int64_t patch = m.config.at("patch_size").get<int64_t>();
  const int layers = m.config.at("num_hidden_layers").get<int>();
  const int patches = b.layer(p + "embeddings.patch_embeddings.projection", x, {patch, patch});
  int h = b.node("rramft.PatchTokens", p + "embeddings",
                 {patches, b.weight(p + "embeddings.cls_token"),
                  b.weight(p + "embeddings.position_embeddings")});
  for (int l = 0; l < layers; ++l) {
    const std::string e = p + "encoder.layer." + std::to_string(l) + ".";
    int a = b.layer_norm(e + "layernorm_before", h);
    a = self_attention(b, m, e + "attention.attention.", e + "attention.output.dense", a);
    h = b.node("Add", e + "attention.residual", {h, a});
    a = b.layer_norm(e + "layernorm_after", h);
    a = gelu(b, m, e + "intermediate.gelu", b.layer(e + "intermediate.dense", a));
    h = b.node("Add", e + "output.residual", {h, b.layer(e + "output.dense", a)});
  }
  h = b.layer_norm(p + "layernorm", b.first_token(h, p + "cls"));
  b.layer("classifier", h);
}

void build_bert_graph(graph_builder& b, const model& m, int ids, int types) {
  const std::string p = m.weights.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
  const int layers = m.config.at("num_hidden_layers").get<int>();
  int h = b.node("rramft.TokenEmbeddings", p + "embeddings",
                 {ids, types, b.weight(p + "embeddings.word_embeddings.weight"),
                  b.weight(p + "embeddings.position_embeddings.weight"),
                  b.weight(p + "embeddings.token_type_embeddings.weight")});
  h = b.layer_norm(p + "embeddings.LayerNorm", h);
  for (int l = 0; l < layers; ++l) {
    const std::string e = p + "encoder.layer." + std::to_string(l) + ".";
    int a = self_attention(b, m, e + "attention.self.", e + "attention.output.dense", h);
    h = b.layer_norm(e + "attention.output.LayerNorm",
                     b.node("Add", e + "attention.residual", {a, h}));
    a = gelu(b, m, e + "intermediate.gelu", b.layer(e + "intermediate.dense", h));
    h = b.layer_norm(e + "output.LayerNorm",
                     b.node("Add", e + "output.residual", {b.layer(e + "output.dense", a), h}));
  }
  h = b.first_token(h, p + "cls");
  h = b.node("Tanh", p + "pooler.tanh", {b.layer(p + "pooler.dense", h)});
  b.layer("classifier", h);
}

}  // namespace

void build_family_graph(model& m) {
  auto g = std::make_shared<graph>();
  g->origin = m.dir;
  g->opset = 17;
  graph_builder b(*g, m);
  const bool tokens = m.family == "bert";
  g->input_name = tokens ? "input_ids" : "pixel_values";
  g->input = b.value(g->input_name);
  g->input_integer = tokens;
  if (m.family == "mlp")
    build_mlp_graph(b, m, g->input);
  else if (m.family == "lenet5")
    build_lenet5_graph(b, m, g->input);
  else if (m.family == "vit")
    build_vit_graph(b, m, g->input);
  else if (m.family == "resnet")
    build_resnet_graph(b, m, g->input);
  else if (m.family == "bert")
    build_bert_graph(b, m, g->input, g->token_types = b.value("token_type_ids"));
  else
    throw error(m.dir + ": no front end for family '" + m.family + "'");
  g->output = g->nodes.back().out[0];
  g->output_name = g->names[size_t(g->output)];
  plan_lifetimes(*g);
  m.network_graph = g;
  m.classes = m.layers.back().cols;
  m.positions = 1;
}

namespace ops {

bool exec_internal(node_ctx& c) {
  const std::string& op = c.nd.op;
  if (op == "rramft.Attention") {
    const gtensor &q = c.in(0), &k = c.in(1), &v = c.in(2);
    if (q.shape.size() != 3 || k.shape != q.shape || v.shape != q.shape)
      throw error("q, k and v must be samples x tokens x hidden of one shape");
    const int n = int(q.shape[0]), t = int(q.shape[1]), hidden = int(q.shape[2]);
    const int heads = int(attr_int(c.nd, "num_heads", 1));
    gtensor o = make_float(q.shape);
    kernels::attention(q.f.data(), k.f.data(), v.f.data(), n, t, hidden, heads, o.f.data());
    c.digital("attention", 2 * size_t(n) * t * t * hidden);
    c.digital("softmax", size_t(n) * heads * t * t);
    c.set(0, std::move(o));
  } else if (op == "rramft.PatchTokens") {
    // N x hidden x gh x gw patch embeddings -> N x (1 + gh*gw) x hidden tokens, the class
    // token first, plus the position embeddings.
    const gtensor &pe = c.in(0), &cls = c.in(1), &pos = c.in(2);
    const int64_t N = pe.shape.at(0), hidden = pe.shape.at(1), np = pe.numel() / (N * hidden),
                  t = np + 1;
    if (cls.numel() != hidden || pos.numel() != t * hidden)
      throw error("class token / position embeddings do not fit " + shape_str(pe.shape));
    gtensor o = make_float({N, t, hidden});
    for (int64_t i = 0; i < N; ++i)
      for (int64_t tok = 0; tok < t; ++tok)
        for (int64_t d = 0; d < hidden; ++d)
          o.f[size_t((i * t + tok) * hidden + d)] =
              (tok == 0 ? cls.f[size_t(d)] : pe.f[size_t((i * hidden + d) * np + tok - 1)]) +
              pos.f[size_t(tok * hidden + d)];
    c.digital("add", o.f.size());
    c.set(0, std::move(o));
  } else if (op == "rramft.TokenEmbeddings") {
    // word + position + token-type embeddings of N x seq token ids.
    const gtensor &ids = c.in(0), &types = c.in(1), &we = c.in(2), &pe = c.in(3), &te = c.in(4);
    if (!ids.integer || ids.shape.size() != 2 || types.shape != ids.shape)
      throw error("token ids must be samples x length integers");
    const int64_t seq = ids.shape[1], hidden = we.shape.at(1), vocab = we.shape.at(0),
                  maxpos = pe.shape.at(0), ntypes = te.shape.at(0);
    if (seq > maxpos)
      throw error("sequence length " + std::to_string(seq) + " exceeds max_position_embeddings " +
                  std::to_string(maxpos));
    const size_t rows = ids.i.size();
    gtensor o = make_float({ids.shape[0], seq, hidden});
    for (size_t r = 0; r < rows; ++r) {
      const int64_t id = ids.i[r], ty = types.i[r], p = int64_t(r) % seq;
      if (id < 0 || id >= vocab)
        throw error("token id " + std::to_string(id) + " outside the vocabulary");
      if (ty < 0 || ty >= ntypes) throw error("token type " + std::to_string(ty) + " out of range");
      for (int64_t d = 0; d < hidden; ++d)
        o.f[r * size_t(hidden) + size_t(d)] = we.f[size_t(id * hidden + d)] +
                                              pe.f[size_t(p * hidden + d)] +
                                              te.f[size_t(ty * hidden + d)];
    }
    c.digital("add", 2 * o.f.size());
    c.set(0, std::move(o));
  } else {
    return false;
  }
  return true;
}

}  // namespace ops

}  // namespace rramft::models
