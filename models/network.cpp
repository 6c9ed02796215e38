#include "models/network.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.h"
#include "models/graph.h"

namespace rramft::models {

namespace {
using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
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
  if (!m.network_graph) throw error(m.dir + ": the model has no network graph (load it first)");
  for (size_t i = 0; i < m.layers.size(); ++i) index_[m.layers[i].name] = i;
  classes_ = m.classes;
  if (m.family == "onnx" || m.family == "bert") {
    image_size_ = 0;
    return;
  }
  const auto& c = m.config;
  mean_ = m.input_mean;
  std_ = m.input_std;
  if (m.family == "mlp") {
    channels_ = 1;
    const int in = m.layers.front().rows;
    image_size_ = int(std::lround(std::sqrt(double(in))));
    if (image_size_ * image_size_ != in) image_size_ = 0;  // not an image: flat vectors only
  } else if (m.family == "lenet5" || m.family == "resnet") {
    channels_ = c.at("in_channels").get<int>();
    image_size_ = c.at("image_size").get<int>();
  } else if (m.family == "vit") {
    channels_ = c.at("num_channels").get<int>();
    image_size_ = c.at("image_size").get<int>();
  }
}

size_t network::layer_index(const std::string& name) const {
  auto it = index_.find(name);
  if (it == index_.end()) throw error(m_.dir + ": no weight layer '" + name + "'");
  return it->second;
}

sample_type network::input_type() const {
  if (m_.family == "onnx")
    return m_.network_graph->input_integer ? sample_type::i64 : sample_type::f32;
  return m_.family == "bert" ? sample_type::i64 : sample_type::u8;
}

std::vector<int64_t> network::input_dims() const {
  if (m_.family == "onnx") return m_.input_dims;
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
  if (need_labels && m_.positions != 1)
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

void network::forward_graph(const uint8_t* bytes, int n, linear_backend& be, float* logits,
                            const gtensor* types) const {
  const graph& g = *m_.network_graph;
  const std::vector<int64_t> dims = input_dims();
  size_t per = 1;
  for (int64_t d : dims) {
    if (d < 0)
      throw error(m_.dir + ": input '" + g.input_name +
                  "' has a dynamic dimension that no data resolved");
    per *= size_t(d);
  }
  const bool pixels = input_type() == sample_type::u8;
  const size_t width = pixels ? 1 : g.input_integer ? 8 : 4;
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
      if (pixels) {  // 8-bit pixels of a family model, normalised as its config.json says
        float* dst = &x.f[size_t(j) * per];
        for (size_t i = 0; i < per; ++i) dst[i] = (float(src[i]) / 255.0f - mean_) / std_;
      } else if (x.integer) {
        std::memcpy(&x.i[size_t(j) * per], src, per * width);
      } else {
        std::memcpy(&x.f[size_t(j) * per], src, per * width);
      }
    }
    const gtensor y = run_graph(g, m_, std::move(x), be, types);
    if (y.integer || y.shape.empty() || y.shape[0] != B || size_t(y.numel()) != size_t(B) * outs)
      throw error(m_.dir + ": output '" + g.output_name + "' has shape " + dims_str(y.shape) +
                  ", expected " + std::to_string(B) + " samples of " + std::to_string(outs) +
                  " float logits");
    std::copy_n(y.f.data(), size_t(k) * outs, logits + size_t(s) * outs);
  }
}

void network::forward_images(const uint8_t* pixels, int n, linear_backend& be,
                             float* logits) const {
  if (m_.family == "bert") {
    const std::vector<int64_t> d = input_dims();
    if (d.size() != 1 || d[0] < 1) throw error(m_.dir + ": the token sequence length is not set");
  }
  forward_graph(pixels, n, be, logits, nullptr);
}

void network::forward_tokens(const int32_t* ids, const int32_t* types, int n, int seq,
                             linear_backend& be, float* logits) const {
  if (m_.family != "bert")
    throw error(m_.dir + ": family '" + m_.family + "' takes images, not tokens");
  const size_t total = size_t(n) * size_t(seq);
  std::vector<int64_t> x(ids, ids + total);
  gtensor ty;
  ty.integer = true;
  ty.shape = {n, seq};
  ty.i.assign(total, 0);
  if (types) std::copy_n(types, total, ty.i.begin());
  const graph& g = *m_.network_graph;
  gtensor in;
  in.integer = true;
  in.shape = {n, seq};
  in.i = std::move(x);
  const gtensor y = run_graph(g, m_, std::move(in), be, &ty);
  std::copy_n(y.f.data(), size_t(n) * size_t(m_.classes), logits);
}

}  // namespace rramft::models

namespace rramft::models {

void resolve_shapes(model& m) {
  if (m.family != "onnx") return;
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
  if (m.family == "onnx") {
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
