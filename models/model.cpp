/// @file model.cpp
/// @brief Loads a model folder and reduces it to its weight-stationary layers.
/// Each family states the tensors it needs and their shapes from config.json, so a
/// file that disagrees with its own config is refused with the tensor named.
#include "models/model.h"

#include <cmath>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "models/graph.h"
#include "models/onnx.h"

namespace rramft::models {

namespace {

using json = nlohmann::json;
using shape_t = std::vector<int64_t>;

/// Config integers above this are refused, which keeps every product below in int64 range.
constexpr int64_t max_config_int = int64_t{1} << 30;

std::string shape_str(const shape_t& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

/// config.json with the path kept for messages.
struct config_reader {
  std::string path;
  const json& cfg;

  const json& at(const std::string& key) const {
    if (!cfg.contains(key)) throw error(path + ": missing key '" + key + "'");
    return cfg.at(key);
  }
  /// A positive integer no larger than max_config_int.
  int64_t positive(const std::string& key, const json& v) const {
    if (!v.is_number_integer())
      throw error(path + ": key '" + key + "' must be an integer, got " + one_line(v.dump()));
    const bool huge =
        v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(max_config_int);
    if (huge || v.get<int64_t>() < 1 || v.get<int64_t>() > max_config_int)
      throw error(path + ": key '" + key + "' must be in 1.." + std::to_string(max_config_int) +
                  ", got " + v.dump());
    return v.get<int64_t>();
  }
  int64_t positive(const std::string& key) const { return positive(key, at(key)); }
  std::string string(const std::string& key) const {
    const json& v = at(key);
    if (!v.is_string())
      throw error(path + ": key '" + key + "' must be a string, got " + one_line(v.dump()));
    return v.get<std::string>();
  }
  bool boolean(const std::string& key, bool fallback) const {
    if (!cfg.contains(key)) return fallback;
    const json& v = cfg.at(key);
    if (!v.is_boolean())
      throw error(path + ": key '" + key + "' must be true or false, got " + one_line(v.dump()));
    return v.get<bool>();
  }
  /// A finite number in [@p lo, @p hi] (or (@p lo, @p hi] when @p open_lo), @p fallback if absent.
  double number(const std::string& key, double fallback, double lo, double hi,
                bool open_lo = false) const {
    if (!cfg.contains(key)) return fallback;
    const json& v = cfg.at(key);
    if (!v.is_number() || !std::isfinite(v.get<double>()))
      throw error(path + ": key '" + key + "' must be a finite number, got " + one_line(v.dump()));
    const double x = v.get<double>();
    if (!((open_lo ? x > lo : x >= lo) && x <= hi)) {
      std::ostringstream o;
      o << path << ": key '" << key << "' is " << v.dump() << ", out of range "
        << (open_lo ? "(" : "[") << lo << ", " << hi << "]";
      throw error(o.str());
    }
    return x;
  }
  /// Hugging Face writes num_labels only through id2label, and omits both at the default of 2.
  /// When both are given they must agree, and id2label's keys must be "0".."n-1".
  int64_t num_labels() const {
    int64_t n = cfg.contains("num_labels") ? positive("num_labels") : 0;
    if (cfg.contains("id2label")) {
      const json& v = cfg.at("id2label");
      if (!v.is_object() || v.empty())
        throw error(path + ": key 'id2label' must be a non-empty object, got " +
                    one_line(v.dump()));
      for (int64_t i = 0; i < int64_t(v.size()); ++i)
        if (!v.contains(std::to_string(i)))
          throw error(path + ": key 'id2label' must have the keys \"0\" .. \"" +
                      std::to_string(v.size() - 1) + "\"; \"" + std::to_string(i) +
                      "\" is missing");
      if (n && n != int64_t(v.size()))
        throw error(path + ": key 'num_labels' is " + std::to_string(n) + " but 'id2label' has " +
                    std::to_string(v.size()) + " labels");
      n = int64_t(v.size());
    }
    return n ? n : 2;
  }
  /// A relation between keys that must hold, e.g. heads dividing hidden size.
  void require(bool ok, const std::string& what) const {
    if (!ok) throw error(path + ": " + what);
  }
};

/// Builds the layer list of one model, checking every tensor it touches.
class builder {
 public:
  builder(model& m, std::string family) : m_(m), family_(std::move(family)) {}

  /// The tensor @p name with exactly @p shape.
  const tensor& need(const std::string& name, const shape_t& shape) {
    if (!m_.weights.has(name))
      throw error(m_.weights.origin() + ": missing tensor '" + name + "' (needed by model_type " +
                  family_ + ", expected shape " + shape_str(shape) + ")");
    const tensor& t = m_.weights.get(name);
    if (t.shape != shape)
      throw error(m_.weights.origin() + ": tensor '" + name + "' has shape " + shape_str(t.shape) +
                  ", expected " + shape_str(shape) + " from " + m_.dir + "/config.json");
    used_.insert(name);
    return t;
  }

  /// A LayerNorm-style pair prefix.weight / prefix.bias of width @p n (not a crossbar layer).
  void norm(const std::string& prefix, int64_t n) {
    need(prefix + ".weight", {n});
    need(prefix + ".bias", {n});
  }

  /// A linear layer out x in, with or without bias.
  void linear(const std::string& name, int64_t in, int64_t out, bool bias = true) {
    add(name, "linear", {out, in}, in, out, bias);
  }

  /// A convolution out x in x k x k, seen through im2col as a (in*k*k) x out crossbar.
  void conv(const std::string& name, int64_t in, int64_t out, int64_t k, bool bias = true) {
    add(name, "conv2d", {out, in, k, k}, in * k * k, out, bias);
  }

  /// A bias-free convolution followed by a batch norm (PyTorch BatchNorm2d in eval mode, eps
  /// 1e-5), folded into one crossbar layer as torch.onnx.export folds them: per output channel
  /// s = gamma / sqrt(running_var + eps), weights w * s, bias beta - running_mean * s, each step
  /// rounded to float32 as torch computes it, so the layer holds the ONNX file's initializers
  /// bit for bit.
  void conv_bn(const std::string& name, const std::string& bn, int64_t in, int64_t out, int64_t k) {
    add(name, "conv2d", {out, in, k, k}, in * k * k, out, false);
    const tensor& gamma = need(bn + ".weight", {out});
    const tensor& beta = need(bn + ".bias", {out});
    const tensor& mean = need(bn + ".running_mean", {out});
    const tensor& var = need(bn + ".running_var", {out});
    weight_layer& l = m_.layers.back();
    l.bias.resize(size_t(out));
    const size_t per = size_t(in * k * k);
    for (size_t c = 0; c < size_t(out); ++c) {
      if (!(var.data[c] >= 0.0f))
        throw error(m_.weights.origin() + ": tensor '" + bn + ".running_var' holds a negative " +
                    "variance at index " + std::to_string(c));
      const float s = gamma.data[c] / std::sqrt(var.data[c] + 1e-5f);
      for (size_t e = 0; e < per; ++e) l.w[c * per + e] *= s;
      // Two roundings (torch's mul, then sub), never one fused multiply-add.
      volatile float shift = mean.data[c] * s;
      l.bias[c] = beta.data[c] - shift;
    }
  }

  /// Any tensor left over belongs to no layer of the model the config describes: the file and
  /// the config disagree (a layer more, a second copy under another prefix), and ignoring it
  /// would compute something other than what was trained. Hugging Face's position_ids buffers
  /// (0, 1, 2, ... by construction) are the one exception.
  void check_unused() const {
    for (const std::string& n : m_.weights.names()) {
      if (used_.count(n)) continue;
      const std::string buffer = "position_ids";
      if (n.size() >= buffer.size() &&
          n.compare(n.size() - buffer.size(), buffer.size(), buffer) == 0)
        continue;
      for (const char* suffix : {".in_mask", ".out_mask"}) {
        const std::string s = suffix;
        if (n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0)
          throw error(m_.weights.origin() + ": mask tensor '" + n +
                      "' names no weight layer of this " + family_ + " model");
      }
      throw error(m_.weights.origin() + ": tensor '" + n + "' belongs to no layer of this " +
                  family_ + " model (as " + m_.dir + "/config.json describes it)");
    }
  }

 private:
  void add(const std::string& name, const char* kind, const shape_t& shape, int64_t rows,
           int64_t cols, bool bias) {
    if (rows > std::numeric_limits<int>::max() || cols > std::numeric_limits<int>::max())
      throw error(m_.dir + "/config.json: layer '" + name + "' is too large (" +
                  std::to_string(rows) + " x " + std::to_string(cols) + ")");
    weight_layer l;
    l.name = name;
    l.kind = kind;
    l.rows = static_cast<int>(rows);
    l.cols = static_cast<int>(cols);
    l.shape = shape;
    l.w = need(name + ".weight", shape).data;
    if (bias) l.bias = need(name + ".bias", {cols}).data;
    l.row_mask = mask(name, ".in_mask", rows);
    l.col_mask = mask(name, ".out_mask", cols);
    check_mask_zeros(l);
    m_.layers.push_back(std::move(l));
  }

  std::vector<uint8_t> mask(const std::string& layer, const std::string& suffix, int64_t n) {
    const std::string name = layer + suffix;
    if (!m_.weights.has(name)) return {};
    const tensor& t = m_.weights.get(name);
    if (t.shape != shape_t{n})
      throw error(m_.weights.origin() + ": mask '" + name + "' has shape " + shape_str(t.shape) +
                  ", expected [" + std::to_string(n) + "]");
    used_.insert(name);
    std::vector<uint8_t> out(n);
    for (int64_t i = 0; i < n; ++i) {
      const float v = t.data[i];
      if (v != 0.0f && v != 1.0f) {
        std::ostringstream os;
        os << v;
        throw error(m_.weights.origin() + ": mask '" + name + "' value " + os.str() + " at index " +
                    std::to_string(i) + " is neither 0 nor 1");
      }
      out[i] = v != 0.0f;
    }
    return out;
  }

  /// A mask may only mark as pruned what the weights already show as pruned.
  void check_mask_zeros(const weight_layer& l) const {
    auto fail = [&](const char* what, int idx) {
      throw error(m_.weights.origin() + ": layer '" + l.name + "': " + what + " " +
                  std::to_string(idx) + " is masked as pruned but its weights are not all zero");
    };
    for (int r = 0; r < static_cast<int>(l.row_mask.size()); ++r)
      if (!l.row_mask[r])
        for (int c = 0; c < l.cols; ++c)
          if (l.w[static_cast<size_t>(c) * l.rows + r] != 0.0f) fail("input row", r);
    for (int c = 0; c < static_cast<int>(l.col_mask.size()); ++c)
      if (!l.col_mask[c])
        for (int r = 0; r < l.rows; ++r)
          if (l.w[static_cast<size_t>(c) * l.rows + r] != 0.0f) fail("output column", c);
  }

  model& m_;
  std::string family_;
  std::set<std::string> used_;
};

void build_mlp(model& m, const config_reader& cfg) {
  const json& sizes = cfg.at("layer_sizes");
  if (!sizes.is_array() || sizes.size() < 2)
    throw error(cfg.path + ": key 'layer_sizes' must be an array of at least 2 integers, got " +
                one_line(sizes.dump()));
  std::vector<int64_t> n;
  for (size_t i = 0; i < sizes.size(); ++i)
    n.push_back(cfg.positive("layer_sizes[" + std::to_string(i) + "]", sizes[i]));
  if (cfg.cfg.contains("activation")) {
    const std::string act = cfg.string("activation");
    static const std::set<std::string> known = {"relu", "gelu", "tanh", "sigmoid", "identity"};
    if (!known.count(act))
      throw error(cfg.path + ": key 'activation' is '" + act +
                  "' (supported: relu, gelu, tanh, sigmoid, identity)");
  }
  builder b(m, "mlp");
  for (size_t k = 1; k < n.size(); ++k) b.linear("fc" + std::to_string(k), n[k - 1], n[k]);
  b.check_unused();
}

void build_lenet5(model& m, const config_reader& cfg) {
  const int64_t in = cfg.positive("in_channels");
  const int64_t size = cfg.positive("image_size");
  const int64_t classes = cfg.positive("num_classes");
  // conv5 (valid) -> pool2 -> conv5 (valid) -> pool2, pooling floors like torch.nn.MaxPool2d(2).
  cfg.require(size >= 16,
              "key 'image_size' is " + std::to_string(size) +
                  "; LeNet-5 needs at least 16 (two valid 5x5 convolutions and two 2x2 poolings)");
  const int64_t s = ((size - 4) / 2 - 4) / 2;
  builder b(m, "lenet5");
  b.conv("conv1", in, 6, 5);
  b.conv("conv2", 6, 16, 5);
  b.linear("fc1", 16 * s * s, 120);
  b.linear("fc2", 120, 84);
  b.linear("fc3", 84, classes);
  b.check_unused();
}

/// An array key of positive integers (at least one).
std::vector<int64_t> positive_list(const config_reader& cfg, const std::string& key) {
  const json& v = cfg.at(key);
  if (!v.is_array() || v.empty())
    throw error(cfg.path + ": key '" + key + "' must be a non-empty array of integers, got " +
                one_line(v.dump()));
  std::vector<int64_t> n;
  for (size_t i = 0; i < v.size(); ++i)
    n.push_back(cfg.positive(key + "[" + std::to_string(i) + "]", v[i]));
  return n;
}

/// torchvision-style ResNet of BasicBlocks (models/train/workloads.py): conv1 + bn1, then per
/// stage s the blocks layer<s+1>.<b> (conv1 + bn1, conv2 + bn2, and downsample.0 + downsample.1
/// where the block changes stride or width; stride 2 in the first block of every stage but the
/// first), then fc. Layers in execution order: a block's shortcut before its convolutions.
void build_resnet(model& m, const config_reader& cfg) {
  const std::vector<int64_t> widths = positive_list(cfg, "widths");
  const std::vector<int64_t> blocks = positive_list(cfg, "blocks");
  cfg.require(widths.size() == blocks.size(), "key 'widths' has " + std::to_string(widths.size()) +
                                                  " stages but 'blocks' has " +
                                                  std::to_string(blocks.size()));
  const int64_t in = cfg.positive("in_channels");
  cfg.positive("image_size");
  const int64_t labels = cfg.positive("num_labels");
  builder b(m, "resnet");
  b.conv_bn("conv1", "bn1", in, widths[0], 3);
  int64_t cin = widths[0];
  for (size_t s = 0; s < widths.size(); ++s)
    for (int64_t k = 0; k < blocks[s]; ++k) {
      const std::string p = "layer" + std::to_string(s + 1) + "." + std::to_string(k) + ".";
      const int64_t w = widths[s];
      if ((s > 0 && k == 0) || cin != w)
        b.conv_bn(p + "downsample.0", p + "downsample.1", cin, w, 1);
      b.conv_bn(p + "conv1", p + "bn1", cin, w, 3);
      b.conv_bn(p + "conv2", p + "bn2", w, w, 3);
      cin = w;
    }
  b.linear("fc", cin, labels);
  b.check_unused();
}

/// Finds the optional family prefix ("vit." / "bert.") from a tensor every checkpoint has.
std::string detect_prefix(const model& m, const std::string& prefix, const std::string& probe) {
  if (m.weights.has(prefix + probe)) return prefix;
  if (m.weights.has(probe)) return "";
  throw error(m.weights.origin() + ": missing tensor '" + prefix + probe + "' (nor '" + probe +
              "')");
}

void build_vit(model& m, const config_reader& cfg) {
  const int64_t h = cfg.positive("hidden_size");
  const int64_t layers = cfg.positive("num_hidden_layers");
  const int64_t heads = cfg.positive("num_attention_heads");
  const int64_t inter = cfg.positive("intermediate_size");
  const int64_t image = cfg.positive("image_size");
  const int64_t patch = cfg.positive("patch_size");
  const int64_t channels = cfg.positive("num_channels");
  const int64_t labels = cfg.num_labels();
  const bool qkv_bias = cfg.boolean("qkv_bias", true);
  cfg.require(h % heads == 0, "num_attention_heads " + std::to_string(heads) +
                                  " does not divide hidden_size " + std::to_string(h));
  cfg.require(image % patch == 0, "patch_size " + std::to_string(patch) +
                                      " does not divide image_size " + std::to_string(image));
  const int64_t tokens = (image / patch) * (image / patch) + 1;

  const std::string p = detect_prefix(m, "vit.", "embeddings.cls_token");
  builder b(m, "vit");
  b.need(p + "embeddings.cls_token", {1, 1, h});
  b.need(p + "embeddings.position_embeddings", {1, tokens, h});
  b.conv(p + "embeddings.patch_embeddings.projection", channels, h, patch);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string l = p + "encoder.layer." + std::to_string(i) + ".";
    b.norm(l + "layernorm_before", h);
    b.linear(l + "attention.attention.query", h, h, qkv_bias);
    b.linear(l + "attention.attention.key", h, h, qkv_bias);
    b.linear(l + "attention.attention.value", h, h, qkv_bias);
    b.linear(l + "attention.output.dense", h, h);
    b.norm(l + "layernorm_after", h);
    b.linear(l + "intermediate.dense", h, inter);
    b.linear(l + "output.dense", inter, h);
  }
  b.norm(p + "layernorm", h);
  b.linear("classifier", h, labels);
  b.check_unused();
}

void build_bert(model& m, const config_reader& cfg) {
  const int64_t h = cfg.positive("hidden_size");
  const int64_t layers = cfg.positive("num_hidden_layers");
  const int64_t heads = cfg.positive("num_attention_heads");
  const int64_t inter = cfg.positive("intermediate_size");
  const int64_t vocab = cfg.positive("vocab_size");
  const int64_t positions = cfg.positive("max_position_embeddings");
  const int64_t types = cfg.positive("type_vocab_size");
  const int64_t labels = cfg.num_labels();
  cfg.require(h % heads == 0, "num_attention_heads " + std::to_string(heads) +
                                  " does not divide hidden_size " + std::to_string(h));

  const std::string p = detect_prefix(m, "bert.", "embeddings.word_embeddings.weight");
  builder b(m, "bert");
  b.need(p + "embeddings.word_embeddings.weight", {vocab, h});
  b.need(p + "embeddings.position_embeddings.weight", {positions, h});
  b.need(p + "embeddings.token_type_embeddings.weight", {types, h});
  b.norm(p + "embeddings.LayerNorm", h);
  for (int64_t i = 0; i < layers; ++i) {
    const std::string l = p + "encoder.layer." + std::to_string(i) + ".";
    b.linear(l + "attention.self.query", h, h);
    b.linear(l + "attention.self.key", h, h);
    b.linear(l + "attention.self.value", h, h);
    b.linear(l + "attention.output.dense", h, h);
    b.norm(l + "attention.output.LayerNorm", h);
    b.linear(l + "intermediate.dense", h, inter);
    b.linear(l + "output.dense", inter, h);
    b.norm(l + "output.LayerNorm", h);
  }
  b.linear(p + "pooler.dense", h, h);
  b.linear("classifier", h, labels);
  b.check_unused();
}

}  // namespace

model parse_model(const std::string& config_text, const std::function<safetensors()>& weights,
                  const std::string& dir) {
  model m;
  m.dir = dir;
  const std::string cfg_path = dir + "/config.json";
  m.config = parse_json(config_text, cfg_path);
  if (!m.config.is_object())
    throw error(cfg_path + ": must hold a JSON object, got " + std::string(m.config.type_name()));
  const config_reader cfg{cfg_path, m.config};
  m.family = cfg.string("model_type");
  // Keys every family may give; a value that parses but makes no sense is refused here.
  m.input_mean = float(cfg.number("input_mean", 0.0, -1.0, 2.0));
  m.input_std = float(cfg.number("input_std", 1.0, 1e-3, 1e3));
  m.layer_norm_eps = float(cfg.number("layer_norm_eps", 1e-12, 0.0, 0.1, true));
  if (m.config.contains("hidden_act")) {
    const json& a = m.config.at("hidden_act");
    const std::string act = a.is_string() ? a.get<std::string>() : "";
    if (act == "gelu_new" || act == "gelu_pytorch_tanh")
      m.gelu_tanh = true;
    else if (act != "gelu")
      throw error(cfg_path + ": key 'hidden_act' is " + one_line(a.dump()) +
                  " (supported: gelu, gelu_new, gelu_pytorch_tanh)");
  }

  static const std::map<std::string, std::function<void(model&, const config_reader&)>> families = {
      {"mlp", build_mlp},
      {"lenet5", build_lenet5},
      {"vit", build_vit},
      {"bert", build_bert},
      {"resnet", build_resnet}};
  auto it = families.find(m.family);
  if (it == families.end())
    throw error(cfg_path + ": key 'model_type' is '" + one_line(m.family) + "'" +
                " (supported: mlp, lenet5, vit, bert, resnet)");

  m.weights = weights();
  it->second(m, cfg);
  build_family_graph(m);
  return m;
}

model parse_model(const std::string& config_text, const std::string& safetensors_bytes,
                  const std::string& dir) {
  return parse_model(
      config_text,
      [&] { return safetensors::parse(safetensors_bytes, dir + "/model.safetensors"); }, dir);
}

model load_model(const std::string& dir) {
  if (is_onnx_path(dir)) return load_onnx(dir);
  const std::string cfg_path = dir + "/config.json";
  return parse_model(
      read_file(cfg_path, "model config"),
      [&] { return safetensors::load(dir + "/model.safetensors"); }, dir);
}

}  // namespace rramft::models
