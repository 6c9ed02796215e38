#include "models/network.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unsupported/Eigen/SpecialFunctions>

#include "core/error.h"
#include "models/graph.h"

namespace rramft::models {

namespace {

using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
/// Leaves new elements uninitialised: every activation buffer here is written in full before
/// it is read, and zeroing them first cost more than some of the layers.
template <class T>
struct uninitialised_allocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = uninitialised_allocator<U>;
  };
  uninitialised_allocator() = default;
  template <class U>
  uninitialised_allocator(const uninitialised_allocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};
using vec = std::vector<float, uninitialised_allocator<float>>;

const tensor& param(const model& m, const std::string& name) { return m.weights.get(name); }

void relu(vec& x) {
  for (float& v : x) v = std::max(v, 0.0f);
}

void gelu(vec& x, bool tanh_approx) {
  if (tanh_approx) {
    const float c = std::sqrt(2.0f / float(M_PI));
    for (float& v : x) v = 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v)));
  } else {
    // Eigen's vectorised erf (a rational approximation accurate to a few ulp in float).
    Eigen::Map<Eigen::ArrayXf> a(x.data(), Eigen::Index(x.size()));
    a = 0.5f * a * (1.0f + (a * float(M_SQRT1_2)).erf());
  }
}

/// Row-wise layer norm of an m x w matrix, into a new matrix. Statistics in double, each
/// row's sums in index order; four rows are summed side by side so that their (independent)
/// addition chains overlap, which changes no bit of any row's result.
vec layer_norm(const vec& x, size_t m, size_t w, const tensor& g, const tensor& b, double eps) {
  vec out(x.size());
  constexpr size_t G = 4;
  const long long groups = (long long)((m + G - 1) / G);
#pragma omp parallel for schedule(static)
  for (long long grp = 0; grp < groups; ++grp) {
    const size_t r0 = size_t(grp) * G, rows = std::min(G, m - r0);
    const float* p[G];
    for (size_t j = 0; j < G; ++j) p[j] = &x[(r0 + std::min(j, rows - 1)) * w];
    double mean[G] = {0, 0, 0, 0}, var[G] = {0, 0, 0, 0};
    for (size_t i = 0; i < w; ++i)
      for (size_t j = 0; j < G; ++j) mean[j] += p[j][i];
    for (size_t j = 0; j < G; ++j) mean[j] /= double(w);
    for (size_t i = 0; i < w; ++i)
      for (size_t j = 0; j < G; ++j) var[j] += (p[j][i] - mean[j]) * (p[j][i] - mean[j]);
    for (size_t j = 0; j < rows; ++j) {
      const double inv = 1.0 / std::sqrt(var[j] / double(w) + eps);
      float* o = &out[(r0 + j) * w];
      for (size_t i = 0; i < w; ++i)
        o[i] = float((p[j][i] - mean[j]) * inv) * g.data[i] + b.data[i];
    }
  }
  return out;
}

vec apply(linear_backend& be, const model& m, size_t idx, const vec& x, size_t n) {
  const weight_layer& l = m.layers[idx];
  if (x.size() != n * size_t(l.rows))
    throw error("layer '" + l.name + "': got " + std::to_string(x.size() / std::max<size_t>(n, 1)) +
                " inputs per vector, expected " + std::to_string(l.rows));
  vec y(n * size_t(l.cols));
  be.linear(idx, x.data(), int(n), y.data());
  return y;
}

/// im2col of NHWC activations for a k x k kernel with stride s and no padding; the columns
/// are ordered (channel, ky, kx) to match a flattened PyTorch conv weight.
vec im2col(const vec& x, int n, int h, int w, int c, int k, int s, int& oh, int& ow) {
  oh = (h - k) / s + 1;
  ow = (w - k) / s + 1;
  const size_t cols = size_t(c) * k * k;
  vec out(size_t(n) * oh * ow * cols);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < oh; ++y)
      for (int xx = 0; xx < ow; ++xx) {
        float* row = &out[((size_t(i) * oh + y) * ow + xx) * cols];
        for (int ch = 0; ch < c; ++ch)
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx)
              row[(size_t(ch) * k + ky) * k + kx] =
                  x[((size_t(i) * h + y * s + ky) * w + xx * s + kx) * c + ch];
      }
  return out;
}

/// 2x2 max pooling with stride 2 on NHWC activations (floor of odd sizes, as PyTorch).
vec maxpool2(const vec& x, int n, int& h, int& w, int c) {
  const int oh = h / 2, ow = w / 2;
  vec out(size_t(n) * oh * ow * c);
  for (int i = 0; i < n; ++i)
    for (int y = 0; y < oh; ++y)
      for (int xx = 0; xx < ow; ++xx)
        for (int ch = 0; ch < c; ++ch) {
          float v = -std::numeric_limits<float>::infinity();
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx)
              v = std::max(v, x[((size_t(i) * h + 2 * y + dy) * w + 2 * xx + dx) * c + ch]);
          out[((size_t(i) * oh + y) * ow + xx) * c + ch] = v;
        }
  h = oh;
  w = ow;
  return out;
}

/// Multi-head self-attention scores and mixing for @p n sequences of @p t tokens (digital).
vec attention(const vec& q, const vec& k, const vec& v, int n, int t, int hidden, int heads) {
  const int d = hidden / heads;
  const float scale = 1.0f / std::sqrt(float(d));
  vec out(size_t(n) * t * hidden);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    matf s(t, t);
    for (int h = 0; h < heads; ++h) {
      using strided = Eigen::Map<const matf, 0, Eigen::OuterStride<>>;
      const size_t base = size_t(i) * t * hidden + size_t(h) * d;
      strided Q(&q[base], t, d, Eigen::OuterStride<>(hidden));
      strided K(&k[base], t, d, Eigen::OuterStride<>(hidden));
      strided V(&v[base], t, d, Eigen::OuterStride<>(hidden));
      s.noalias() = (Q * K.transpose()) * scale;
      for (int r = 0; r < t; ++r) {
        const float mx = s.row(r).maxCoeff();
        s.row(r) = (s.row(r).array() - mx).exp();
        s.row(r) /= s.row(r).sum();
      }
      Eigen::Map<matf, 0, Eigen::OuterStride<>> O(&out[base], t, d, Eigen::OuterStride<>(hidden));
      O.noalias() = s * V;
    }
  }
  return out;
}

void add_in_place(vec& a, const vec& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
}

}  // namespace

void float_backend::linear(size_t layer, const float* x, int n, float* y) {
  const weight_layer& l = m_.layers[layer];
  Eigen::Map<const matf> X(x, n, l.rows);
  Eigen::Map<const matf> W(l.w.data(), l.cols, l.rows);
  Eigen::Map<matf> Y(y, n, l.cols);
  Y.noalias() = X * W.transpose();
  if (!l.bias.empty()) Y.rowwise() += Eigen::Map<const Eigen::RowVectorXf>(l.bias.data(), l.cols);
}

network::network(const model& m) : m_(m) {
  for (size_t i = 0; i < m.layers.size(); ++i) index_[m.layers[i].name] = i;
  if (m.network_graph) {
    classes_ = m.classes;
    image_size_ = 0;
    return;
  }
  const auto& c = m.config;
  mean_ = m.input_mean;
  std_ = m.input_std;
  ln_eps_ = m.layer_norm_eps;
  gelu_tanh_ = m.gelu_tanh;
  if (m.family == "mlp") {
    channels_ = 1;
    const int in = m.layers.front().rows;
    image_size_ = int(std::lround(std::sqrt(double(in))));
    if (image_size_ * image_size_ != in) image_size_ = 0;  // not an image: flat vectors only
    classes_ = m.layers.back().cols;
    if (c.contains("activation"))
      mlp_act_ = c.at("activation").get<std::string>();  // the loader checked it
  } else if (m.family == "lenet5") {
    channels_ = c.at("in_channels").get<int>();
    image_size_ = c.at("image_size").get<int>();
    classes_ = m.layers.back().cols;
  } else if (m.family == "vit") {
    prefix_ = m.weights.has("vit.embeddings.cls_token") ? "vit." : "";
    channels_ = c.at("num_channels").get<int>();
    image_size_ = c.at("image_size").get<int>();
    classes_ = m.layers.back().cols;
  } else if (m.family == "bert") {
    prefix_ = m.weights.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
    classes_ = m.layers.back().cols;
    image_size_ = 0;
  }
}

size_t network::layer_index(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw error(m_.dir + ": no weight layer '" + name + "'");
  return it->second;
}

sample_type network::input_type() const {
  if (m_.network_graph)
    return m_.network_graph->input_integer ? sample_type::i64 : sample_type::f32;
  return m_.family == "bert" ? sample_type::i64 : sample_type::u8;
}

std::vector<int64_t> network::input_dims() const {
  if (m_.network_graph) return m_.input_dims;
  if (m_.family == "bert") return m_.input_dims.empty() ? std::vector<int64_t>{-1} : m_.input_dims;
  if (m_.family == "mlp" && image_size_ == 0) return {1, 1, m_.layers.front().rows};
  return {channels_, image_size_, image_size_};
}

size_t network::sample_bytes() const {
  size_t v = 1;
  for (int64_t d : input_dims()) {
    if (d < 0) return 0;
    v *= size_t(d);
  }
  const sample_type t = input_type();
  return v * (t == sample_type::u8 ? 1 : t == sample_type::f32 ? 4 : 8);
}

namespace {
std::string dims_str(const std::vector<int64_t>& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i)
    s += (i ? "x" : "") + (d[i] < 0 ? std::string("?") : std::to_string(d[i]));
  return s;
}
const char* type_str(sample_type t) {
  return t == sample_type::u8    ? "8-bit pixels"
         : t == sample_type::f32 ? "floats"
                                 : "integers (token ids)";
}
}  // namespace

void network::check_data(const image_set& data, bool need_labels) const {
  if (data.type != input_type())
    throw error(data.name + ": holds " + type_str(data.type) + ", the model " + m_.dir + " reads " +
                type_str(input_type()));
  const std::vector<int64_t> want = input_dims(), have = data.sample_dims();
  size_t wn = 1, hn = 1;
  for (int64_t d : want) wn *= size_t(std::max<int64_t>(d, 0));
  for (int64_t d : have) hn *= size_t(d);
  if (wn != hn || sample_bytes() == 0)
    throw error(data.name + ": samples are " + dims_str(have) + ", the model " + m_.dir +
                " expects " + dims_str(want));
  if (!need_labels && data.labels.empty()) return;
  if (need_labels && m_.network_graph && m_.positions != 1)
    throw error(m_.dir + ": gives " + std::to_string(m_.positions) +
                " outputs per sample (logits of shape batch x " + std::to_string(m_.positions) +
                " x " + std::to_string(m_.classes) +
                "); eval and run score one class per sample (rramft infer writes the logits)");
  if (data.labels.size() != size_t(data.n))
    throw error(data.name + ": holds no labels (one class index per sample is needed)");
  for (size_t i = 0; i < data.labels.size(); ++i)
    if (data.labels[i] < 0 || data.labels[i] >= num_classes())
      throw error(data.name + ": label " + std::to_string(data.labels[i]) + " of sample " +
                  std::to_string(i) + " is outside the model's " + std::to_string(num_classes()) +
                  " classes");
}

void network::forward_graph(const uint8_t* bytes, int n, linear_backend& be, float* logits) const {
  const graph& g = *m_.network_graph;
  const std::vector<int64_t> dims = m_.input_dims;
  size_t per = 1;
  for (int64_t d : dims) {
    if (d < 0)
      throw error(m_.dir + ": input '" + g.input_name +
                  "' has a dynamic dimension that no data resolved");
    per *= size_t(d);
  }
  const size_t width = g.input_integer ? 8 : 4;
  const int B = g.batch > 0 ? int(g.batch) : n;
  const size_t outs = size_t(m_.positions) * size_t(m_.classes);
  for (int s = 0; s < n; s += B) {
    const int k = std::min(B, n - s);
    gtensor x;
    x.integer = g.input_integer;
    x.shape = {B};
    x.shape.insert(x.shape.end(), dims.begin(), dims.end());
    if (x.integer)
      x.i.resize(size_t(B) * per);
    else
      x.f.resize(size_t(B) * per);
    // A fixed batch larger than the samples left is filled with copies of the last one.
    for (int j = 0; j < B; ++j) {
      const uint8_t* src = bytes + size_t(s + std::min(j, k - 1)) * per * width;
      if (x.integer)
        std::memcpy(&x.i[size_t(j) * per], src, per * width);
      else
        std::memcpy(&x.f[size_t(j) * per], src, per * width);
    }
    const gtensor y = run_graph(g, m_, std::move(x), be);
    if (y.integer || y.shape.empty() || y.shape[0] != B || size_t(y.numel()) != size_t(B) * outs)
      throw error(m_.dir + ": output '" + g.output_name + "' has shape " + dims_str(y.shape) +
                  ", expected " + std::to_string(B) + " samples of " + std::to_string(outs) +
                  " float logits");
    std::copy_n(y.f.data(), size_t(k) * outs, logits + size_t(s) * outs);
  }
}

void network::forward_images(const uint8_t* pixels, int n, linear_backend& be,
                             float* logits) const {
  if (m_.network_graph) return forward_graph(pixels, n, be, logits);
  if (m_.family == "bert") {
    const std::vector<int64_t> d = input_dims();
    if (d.size() != 1 || d[0] < 1) throw error(m_.dir + ": the token sequence length is not set");
    const size_t total = size_t(n) * size_t(d[0]);
    std::vector<int32_t> ids(total);
    for (size_t i = 0; i < total; ++i) {
      int64_t v;
      std::memcpy(&v, pixels + i * 8, 8);
      ids[i] = int32_t(std::clamp<int64_t>(v, -1, INT32_MAX));
    }
    return forward_tokens(ids.data(), nullptr, n, int(d[0]), be, logits);
  }
  const size_t per = size_t(channels_) * image_size_ * image_size_;
  vec x(size_t(n) * per);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (float(pixels[i]) / 255.0f - mean_) / std_;
  forward_float_images(x.data(), n, be, logits);
}

void network::forward_float_images(const float* input, int n, linear_backend& be,
                                   float* logits) const {
  const model& m = m_;
  const size_t N = size_t(n);
  vec out;
  if (m.family == "mlp") {
    vec x(input, input + N * m.layers.front().rows);
    for (size_t i = 0; i < m.layers.size(); ++i) {
      x = apply(be, m, i, x, N);
      if (i + 1 == m.layers.size()) break;
      be.digital(mlp_act_.c_str(), x.size());
      if (mlp_act_ == "relu")
        relu(x);
      else if (mlp_act_ == "gelu")
        gelu(x, false);
      else if (mlp_act_ == "tanh")
        for (float& v : x) v = std::tanh(v);
      else if (mlp_act_ == "sigmoid")
        for (float& v : x) v = 1.0f / (1.0f + std::exp(-v));
    }
    out = std::move(x);
  } else if (m.family == "lenet5") {
    // NCHW input -> NHWC internally.
    int h = image_size_, w = image_size_, c = channels_, oh, ow;
    vec x(N * c * h * w);
    for (size_t i = 0; i < N; ++i)
      for (int ch = 0; ch < c; ++ch)
        for (int p = 0; p < h * w; ++p)
          x[(i * h * w + p) * c + ch] = input[(i * c + ch) * h * w + p];
    for (const char* conv : {"conv1", "conv2"}) {
      const size_t li = layer_index(conv);
      const int k = int(m.layers[li].shape[2]);
      vec cols = im2col(x, n, h, w, c, k, 1, oh, ow);
      x = apply(be, m, li, cols, N * oh * ow);
      h = oh;
      w = ow;
      c = m.layers[li].cols;
      relu(x);
      be.digital("relu", x.size());
      x = maxpool2(x, n, h, w, c);
      be.digital("pool", x.size() * 4);
    }
    vec flat(x.size());  // NHWC -> (C, H, W) flattening, as PyTorch's view
    for (size_t i = 0; i < N; ++i)
      for (int p = 0; p < h * w; ++p)
        for (int ch = 0; ch < c; ++ch) flat[(i * c + ch) * h * w + p] = x[(i * h * w + p) * c + ch];
    x = apply(be, m, layer_index("fc1"), flat, N);
    relu(x);
    be.digital("relu", x.size());
    x = apply(be, m, layer_index("fc2"), x, N);
    relu(x);
    be.digital("relu", x.size());
    out = apply(be, m, layer_index("fc3"), x, N);
  } else if (m.family == "vit") {
    const std::string& p = prefix_;
    const auto& cfg = m.config;
    const int hidden = cfg.at("hidden_size").get<int>();
    const int heads = cfg.at("num_attention_heads").get<int>();
    const int layers = cfg.at("num_hidden_layers").get<int>();
    const int patch = cfg.at("patch_size").get<int>();
    const int c = channels_, hw = image_size_;
    vec x(N * c * hw * hw);
    for (size_t i = 0; i < N; ++i)
      for (int ch = 0; ch < c; ++ch)
        for (int q = 0; q < hw * hw; ++q)
          x[(i * hw * hw + q) * c + ch] = input[(i * c + ch) * hw * hw + q];
    int gh, gw;
    vec cols = im2col(x, n, hw, hw, c, patch, patch, gh, gw);
    const int np = gh * gw, t = np + 1;
    vec pe = apply(be, m, layer_index(p + "embeddings.patch_embeddings.projection"), cols, N * np);
    const tensor& cls = param(m, p + "embeddings.cls_token");
    const tensor& pos = param(m, p + "embeddings.position_embeddings");
    vec h(N * t * hidden);
    for (size_t i = 0; i < N; ++i)
      for (int tok = 0; tok < t; ++tok)
        for (int d = 0; d < hidden; ++d)
          h[(i * t + tok) * hidden + d] =
              (tok == 0 ? cls.data[d] : pe[(i * np + tok - 1) * hidden + d]) +
              pos.data[size_t(tok) * hidden + d];
    const size_t rows = N * t;
    be.digital("add", h.size());
    for (int l = 0; l < layers; ++l) {
      const std::string b = p + "encoder.layer." + std::to_string(l) + ".";
      vec a = layer_norm(h, rows, hidden, param(m, b + "layernorm_before.weight"),
                         param(m, b + "layernorm_before.bias"), ln_eps_);
      be.digital("layernorm", a.size());
      vec q = apply(be, m, layer_index(b + "attention.attention.query"), a, rows);
      vec k = apply(be, m, layer_index(b + "attention.attention.key"), a, rows);
      vec v = apply(be, m, layer_index(b + "attention.attention.value"), a, rows);
      vec ctx = attention(q, k, v, n, t, hidden, heads);
      be.digital("attention", 2 * N * t * t * hidden);
      be.digital("softmax", N * heads * t * t);
      add_in_place(h, apply(be, m, layer_index(b + "attention.output.dense"), ctx, rows));
      be.digital("add", h.size());
      a = layer_norm(h, rows, hidden, param(m, b + "layernorm_after.weight"),
                     param(m, b + "layernorm_after.bias"), ln_eps_);
      be.digital("layernorm", a.size());
      vec mid = apply(be, m, layer_index(b + "intermediate.dense"), a, rows);
      gelu(mid, gelu_tanh_);
      be.digital("gelu", mid.size());
      add_in_place(h, apply(be, m, layer_index(b + "output.dense"), mid, rows));
      be.digital("add", h.size());
    }
    vec clsv(N * hidden);
    for (size_t i = 0; i < N; ++i) std::copy_n(&h[i * t * hidden], hidden, &clsv[i * hidden]);
    clsv = layer_norm(clsv, N, hidden, param(m, p + "layernorm.weight"),
                      param(m, p + "layernorm.bias"), ln_eps_);
    be.digital("layernorm", clsv.size());
    out = apply(be, m, layer_index("classifier"), clsv, N);
  } else {
    throw error(m.dir + ": family '" + m.family + "' takes token ids, not images");
  }
  std::copy(out.begin(), out.end(), logits);
}

void network::forward_tokens(const int32_t* ids, const int32_t* types, int n, int seq,
                             linear_backend& be, float* logits) const {
  const model& m = m_;
  if (m.family != "bert")
    throw error(m.dir + ": family '" + m.family + "' takes images, not tokens");
  const std::string& p = prefix_;
  const auto& cfg = m.config;
  const int hidden = cfg.at("hidden_size").get<int>();
  const int heads = cfg.at("num_attention_heads").get<int>();
  const int layers = cfg.at("num_hidden_layers").get<int>();
  const int vocab = cfg.at("vocab_size").get<int>();
  const int maxpos = cfg.at("max_position_embeddings").get<int>();
  const int ntypes = cfg.at("type_vocab_size").get<int>();
  if (seq > maxpos)
    throw error(m.dir + ": sequence length " + std::to_string(seq) +
                " exceeds max_position_embeddings " + std::to_string(maxpos));
  const tensor& we = param(m, p + "embeddings.word_embeddings.weight");
  const tensor& pe = param(m, p + "embeddings.position_embeddings.weight");
  const tensor& te = param(m, p + "embeddings.token_type_embeddings.weight");
  const size_t N = size_t(n), rows = N * seq;
  vec h(rows * hidden);
  for (size_t r = 0; r < rows; ++r) {
    const int id = ids[r], ty = types ? types[r] : 0, pos = int(r % seq);
    if (id < 0 || id >= vocab)
      throw error(m.dir + ": token id " + std::to_string(id) + " outside the vocabulary");
    if (ty < 0 || ty >= ntypes)
      throw error(m.dir + ": token type " + std::to_string(ty) + " out of range");
    for (int d = 0; d < hidden; ++d)
      h[r * hidden + d] = we.data[size_t(id) * hidden + d] + pe.data[size_t(pos) * hidden + d] +
                          te.data[size_t(ty) * hidden + d];
  }
  h = layer_norm(h, rows, hidden, param(m, p + "embeddings.LayerNorm.weight"),
                 param(m, p + "embeddings.LayerNorm.bias"), ln_eps_);
  be.digital("add", 2 * h.size());
  be.digital("layernorm", h.size());
  for (int l = 0; l < layers; ++l) {
    const std::string b = p + "encoder.layer." + std::to_string(l) + ".";
    vec q = apply(be, m, layer_index(b + "attention.self.query"), h, rows);
    vec k = apply(be, m, layer_index(b + "attention.self.key"), h, rows);
    vec v = apply(be, m, layer_index(b + "attention.self.value"), h, rows);
    vec ctx = attention(q, k, v, n, seq, hidden, heads);
    be.digital("attention", 2 * N * seq * seq * hidden);
    be.digital("softmax", N * heads * seq * seq);
    vec a = apply(be, m, layer_index(b + "attention.output.dense"), ctx, rows);
    add_in_place(a, h);
    be.digital("add", a.size());
    be.digital("layernorm", a.size());
    h = layer_norm(a, rows, hidden, param(m, b + "attention.output.LayerNorm.weight"),
                   param(m, b + "attention.output.LayerNorm.bias"), ln_eps_);
    vec mid = apply(be, m, layer_index(b + "intermediate.dense"), h, rows);
    gelu(mid, gelu_tanh_);
    be.digital("gelu", mid.size());
    vec o = apply(be, m, layer_index(b + "output.dense"), mid, rows);
    add_in_place(o, h);
    be.digital("add", o.size());
    be.digital("layernorm", o.size());
    h = layer_norm(o, rows, hidden, param(m, b + "output.LayerNorm.weight"),
                   param(m, b + "output.LayerNorm.bias"), ln_eps_);
  }
  vec cls(N * hidden);
  for (size_t i = 0; i < N; ++i) std::copy_n(&h[i * seq * hidden], hidden, &cls[i * hidden]);
  vec pooled = apply(be, m, layer_index(p + "pooler.dense"), cls, N);
  for (float& x : pooled) x = std::tanh(x);
  be.digital("tanh", pooled.size());
  vec out = apply(be, m, layer_index("classifier"), pooled, N);
  std::copy(out.begin(), out.end(), logits);
}

}  // namespace rramft::models

namespace rramft::models {

void resolve_shapes(model& m) {
  if (!m.network_graph) return;
  const graph& g = *m.network_graph;
  for (int64_t d : m.input_dims)
    if (d < 0) return;  // resolved once data gives the shape (bind_data)
  const int B = g.batch > 0 ? int(g.batch) : 1;
  gtensor x;
  x.integer = g.input_integer;
  x.shape = {B};
  x.shape.insert(x.shape.end(), m.input_dims.begin(), m.input_dims.end());
  if (x.integer)
    x.i.assign(size_t(x.numel()), 0);
  else
    x.f.assign(size_t(x.numel()), 0.0f);
  float_backend fb(m);
  const gtensor y = run_graph(g, m, std::move(x), fb);
  if (y.integer || y.shape.size() < 2 || y.shape[0] != B || y.shape.back() < 1)
    throw error(m.dir + ": output '" + g.output_name + "' has shape " + dims_str(y.shape) +
                "; float logits of shape batch x ... x classes are needed");
  m.classes = int(y.shape.back());
  m.positions = int(y.numel() / B / y.shape.back());
}

void bind_data(model& m, image_set& data) {
  if (m.network_graph) {
    const graph& g = *m.network_graph;
    const std::vector<int64_t> have = data.sample_dims();
    std::vector<int64_t> dims = m.input_dims;
    bool fixed = true;
    size_t wn = 1, hn = 1;
    for (int64_t d : dims) fixed &= d > 0, wn *= size_t(std::max<int64_t>(d, 0));
    for (int64_t d : have) hn *= size_t(d);
    const std::string want = "[" + dims_str(dims) + "]";
    if (fixed && wn == hn) {
      // same size: an idx image 1x28x28 for an input [784], say
    } else if (have.size() == dims.size()) {
      for (size_t k = 0; k < dims.size(); ++k) {
        if (dims[k] < 0)
          dims[k] = have[k];
        else if (dims[k] != have[k])
          throw error(data.name + ": samples are " + dims_str(have) + ", the model " + m.dir +
                      " input '" + g.input_name + "' expects " + want);
      }
    } else {
      throw error(data.name + ": samples are " + dims_str(have) + ", the model " + m.dir +
                  " input '" + g.input_name + "' expects " + want);
    }
    if (g.input_integer && data.type != sample_type::i64)
      throw error(data.name + ": holds " + type_str(data.type) + ", the model " + m.dir +
                  " input '" + g.input_name + "' takes integers (token ids)");
    if (!g.input_integer && data.type == sample_type::i64)
      throw error(data.name + ": holds integers, the model " + m.dir + " input '" + g.input_name +
                  "' takes floats");
    if (data.type == sample_type::u8) {
      std::vector<uint8_t> f(data.pixels.size() * 4);
      for (size_t i = 0; i < data.pixels.size(); ++i) {
        const float v = float(data.pixels[i]) / 255.0f;
        std::memcpy(&f[i * 4], &v, 4);
      }
      data.pixels = std::move(f);
      data.type = sample_type::f32;
    }
    if (m.input_dims != dims) {
      m.input_dims = dims;
      resolve_shapes(m);
    }
    data.dims = m.input_dims;
  } else if (m.family == "bert") {
    if (data.type != sample_type::i64)
      throw error(data.name + ": holds " + type_str(data.type) + ", the model " + m.dir +
                  " (bert) takes token ids (an integer .npy/.npz of shape samples x length)");
    if (data.sample_dims().size() != 1)
      throw error(data.name + ": samples are " + dims_str(data.sample_dims()) + "; the model " +
                  m.dir + " (bert) takes one token sequence per sample");
    m.input_dims = data.sample_dims();
  }
  network(m).check_data(data, false);
}

}  // namespace rramft::models
