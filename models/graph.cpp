/// @file graph.cpp
/// @brief The graph interpreter: ONNX operator semantics (opset 11-18 as PyTorch exports them)
/// on float32 / int64 tensors. Crossbar layers go through the linear_backend; the rest is
/// digital and reported with linear_backend::digital.
#include "models/graph.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <set>
#include <sstream>

#include "core/error.h"
#include "models/model.h"
#include "models/network.h"

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

namespace {

using shape_t = std::vector<int64_t>;
using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string shape_str(const shape_t& s) {
  std::string o = "[";
  for (size_t i = 0; i < s.size(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
  return o + "]";
}

int64_t numel_of(const shape_t& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

shape_t strides_of(const shape_t& s) {
  shape_t st(s.size(), 1);
  for (int i = int(s.size()) - 2; i >= 0; --i) st[size_t(i)] = st[size_t(i) + 1] * s[size_t(i) + 1];
  return st;
}

/// An axis in [-rank, rank) made non-negative.
int64_t norm_axis(int64_t a, size_t rank, const char* what = "axis") {
  const int64_t r = int64_t(rank);
  if (a < -r || a >= r)
    throw error(std::string(what) + " " + std::to_string(a) + " is outside a tensor of rank " +
                std::to_string(r));
  return a < 0 ? a + r : a;
}

/// The most elements one tensor of the graph may hold (2^32: 16 GiB of floats). A shape beyond
/// it (ConstantOfShape, Expand, Pad or Range of absurd sizes in a malformed file) is refused
/// with the node's name instead of failing the allocation.
constexpr int64_t max_elements = int64_t(1) << 32;

void check_size(const shape_t& s) {
  int64_t n = 1;
  for (int64_t d : s) {
    if (d < 0) throw error("negative dimension in shape " + shape_str(s));
    if (d > 0 && n > max_elements / d)
      throw error("a tensor of shape " + shape_str(s) + " is too large (more than 2^32 elements)");
    n *= d;
  }
}

gtensor make_float(shape_t s) {
  check_size(s);
  gtensor t;
  t.shape = std::move(s);
  t.f.resize(size_t(numel_of(t.shape)));
  return t;
}
gtensor make_int(shape_t s) {
  check_size(s);
  gtensor t;
  t.integer = true;
  t.shape = std::move(s);
  t.i.resize(size_t(numel_of(t.shape)));
  return t;
}

shape_t broadcast(const shape_t& a, const shape_t& b) {
  const size_t r = std::max(a.size(), b.size());
  shape_t o(r);
  for (size_t k = 0; k < r; ++k) {
    const int64_t da = k + a.size() >= r ? a[k + a.size() - r] : 1;
    const int64_t db = k + b.size() >= r ? b[k + b.size() - r] : 1;
    if (da != db && da != 1 && db != 1)
      throw error("shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
    o[k] = da == 1 ? db : da;
  }
  return o;
}

/// Offsets into a tensor of shape @p s broadcast to @p out, one per output element.
std::vector<int64_t> broadcast_index(const shape_t& s, const shape_t& out) {
  check_size(out);
  const size_t r = out.size();
  shape_t st(r, 0);
  const shape_t own = strides_of(s);
  for (size_t k = 0; k < s.size(); ++k)
    if (s[k] != 1) st[r - s.size() + k] = own[k];
  std::vector<int64_t> idx(size_t(numel_of(out)));
  shape_t c(r, 0);
  int64_t off = 0;
  for (size_t e = 0; e < idx.size(); ++e) {
    idx[e] = off;
    for (int k = int(r) - 1; k >= 0; --k) {
      if (++c[size_t(k)] < out[size_t(k)]) {
        off += st[size_t(k)];
        break;
      }
      off -= st[size_t(k)] * (out[size_t(k)] - 1);
      c[size_t(k)] = 0;
    }
  }
  return idx;
}

/// Elementwise binary operation with numpy broadcasting, on floats or on integers.
template <class F, class I>
gtensor binary(const gtensor& a, const gtensor& b, F fop, I iop) {
  const shape_t out = broadcast(a.shape, b.shape);
  const bool ints = a.integer && b.integer;
  if (a.integer != b.integer) throw error("mixes integer and float inputs");
  gtensor o = ints ? make_int(out) : make_float(out);
  const size_t n = size_t(numel_of(out));
  if (!ints && a.shape == out && b.shape == out) {
    for (size_t e = 0; e < n; ++e) o.f[e] = fop(a.f[e], b.f[e]);
    return o;
  }
  if (!ints && a.shape == out && numel_of(b.shape) == 1) {
    const float bv = b.f[0];
    for (size_t e = 0; e < n; ++e) o.f[e] = fop(a.f[e], bv);
    return o;
  }
  // b broadcast over the leading dimensions of a (a bias, say): b's elements repeat.
  if (!ints && a.shape == out && !b.f.empty()) {
    const size_t bn = b.f.size();
    shape_t bs = b.shape;
    while (!bs.empty() && bs.front() == 1) bs.erase(bs.begin());
    bool suffix = bs.size() <= out.size();
    for (size_t k = 0; suffix && k < bs.size(); ++k)
      suffix = bs[k] == out[out.size() - bs.size() + k];
    if (suffix) {
      for (size_t e = 0; e < n; ++e) o.f[e] = fop(a.f[e], b.f[e % bn]);
      return o;
    }
  }
  const std::vector<int64_t> ia = broadcast_index(a.shape, out), ib = broadcast_index(b.shape, out);
  if (ints)
    for (size_t e = 0; e < n; ++e) o.i[e] = iop(a.i[size_t(ia[e])], b.i[size_t(ib[e])]);
  else
    for (size_t e = 0; e < n; ++e) o.f[e] = fop(a.f[size_t(ia[e])], b.f[size_t(ib[e])]);
  return o;
}

/// Comparison with broadcasting; the result is an integer (0/1) tensor.
template <class C>
gtensor compare(const gtensor& a, const gtensor& b, C cmp) {
  if (a.integer != b.integer) throw error("compares integer and float inputs");
  const shape_t out = broadcast(a.shape, b.shape);
  gtensor o = make_int(out);
  const std::vector<int64_t> ia = broadcast_index(a.shape, out), ib = broadcast_index(b.shape, out);
  for (size_t e = 0; e < o.i.size(); ++e)
    o.i[e] = a.integer ? cmp(double(a.i[size_t(ia[e])]), double(b.i[size_t(ib[e])]))
                       : cmp(double(a.f[size_t(ia[e])]), double(b.f[size_t(ib[e])]));
  return o;
}

/// Copies elements of @p x by an index map (reshapes keep the data; transposes/slices gather).
gtensor gather_elements(const gtensor& x, shape_t out, const std::vector<int64_t>& idx) {
  gtensor o = x.integer ? make_int(std::move(out)) : make_float(std::move(out));
  if (x.integer)
    for (size_t e = 0; e < idx.size(); ++e) o.i[e] = x.i[size_t(idx[e])];
  else
    for (size_t e = 0; e < idx.size(); ++e) o.f[e] = x.f[size_t(idx[e])];
  return o;
}

std::vector<int64_t> ints_of(const gtensor& t, const char* what) {
  if (!t.integer) throw error(std::string(what) + " must be an integer tensor");
  return t.i;
}

float scalar_float(const gtensor& t, const char* what) {
  if (t.numel() != 1) throw error(std::string(what) + " must hold one value");
  return t.integer ? float(t.i[0]) : t.f[0];
}

/// Reduces over @p axes (sorted, unique) with @p init / @p acc, then @p fin(sum, count).
template <class A, class F>
gtensor reduce(const gtensor& x, std::vector<int64_t> axes, bool keep, double init, A acc, F fin) {
  if (x.integer) throw error("integer input is not supported");
  const size_t r = x.shape.size();
  for (int64_t& a : axes) a = norm_axis(a, r, "reduction axis");
  if (axes.empty())
    for (size_t k = 0; k < r; ++k) axes.push_back(int64_t(k));
  std::set<int64_t> ax(axes.begin(), axes.end());
  shape_t kept_shape, out_shape;
  for (size_t k = 0; k < r; ++k) {
    const bool red = ax.count(int64_t(k));
    kept_shape.push_back(red ? 1 : x.shape[k]);
    if (!red) out_shape.push_back(x.shape[k]);
  }
  const int64_t count = x.numel() / std::max<int64_t>(1, numel_of(kept_shape));
  std::vector<double> s(size_t(numel_of(kept_shape)), init);
  const std::vector<int64_t> idx = broadcast_index(kept_shape, x.shape);
  for (size_t e = 0; e < x.f.size(); ++e) s[size_t(idx[e])] = acc(s[size_t(idx[e])], x.f[e]);
  gtensor o = make_float(keep ? kept_shape : out_shape);
  for (size_t e = 0; e < s.size(); ++e) o.f[e] = float(fin(s[e], count));
  return o;
}

struct conv_geometry {
  int64_t n, c, h, w, o, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow;
};

/// Pads from auto_pad / pads for a window of extent @p k (dilated) over @p in with stride @p s.
void resolve_pads(const gnode& nd, int64_t in, int64_t k, int64_t s, int64_t& begin, int64_t& end,
                  size_t dim, size_t spatial) {
  auto ap = nd.attrs.find("auto_pad");
  const std::string mode = ap == nd.attrs.end() ? "NOTSET" : ap->second.s;
  if (mode == "NOTSET" || mode.empty()) {
    auto p = nd.attrs.find("pads");
    begin = end = 0;
    if (p != nd.attrs.end()) {
      if (p->second.ints.size() != 2 * spatial) throw error("'pads' has the wrong length");
      begin = p->second.ints[dim];
      end = p->second.ints[dim + spatial];
    }
  } else if (mode == "VALID") {
    begin = end = 0;
  } else if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    const int64_t out = (in + s - 1) / s;
    const int64_t total = std::max<int64_t>(0, (out - 1) * s + k - in);
    begin = mode == "SAME_UPPER" ? total / 2 : total - total / 2;
    end = total - begin;
  } else {
    throw error("auto_pad '" + mode + "' is not supported");
  }
  if (begin < 0 || end < 0) throw error("negative padding is not supported");
}

std::vector<int64_t> attr_ints(const gnode& nd, const char* key, std::vector<int64_t> fallback) {
  auto it = nd.attrs.find(key);
  return it == nd.attrs.end() ? fallback : it->second.ints;
}
int64_t attr_int(const gnode& nd, const char* key, int64_t fallback) {
  auto it = nd.attrs.find(key);
  return it == nd.attrs.end() ? fallback : it->second.i;
}
float attr_float(const gnode& nd, const char* key, float fallback) {
  auto it = nd.attrs.find(key);
  return it == nd.attrs.end() ? fallback : it->second.f;
}

/// Geometry of a 1-D or 2-D window operator on @p x (N, C, [H,] W), kernel @p k.
conv_geometry geometry(const gnode& nd, const shape_t& x, shape_t k, bool ceil_mode = false) {
  if (x.size() != 3 && x.size() != 4)
    throw error("input of shape " + shape_str(x) + ": only 1-D and 2-D windows are supported");
  const size_t sp = x.size() - 2;
  if (k.size() != sp) throw error("kernel rank does not match the input");
  conv_geometry g{};
  g.n = x[0];
  g.c = x[1];
  g.h = sp == 2 ? x[2] : 1;
  g.w = x.back();
  g.kh = sp == 2 ? k[0] : 1;
  g.kw = k.back();
  const shape_t st = attr_ints(nd, "strides", shape_t(sp, 1));
  const shape_t dl = attr_ints(nd, "dilations", shape_t(sp, 1));
  if (st.size() != sp || dl.size() != sp) throw error("strides/dilations have the wrong length");
  g.sh = sp == 2 ? st[0] : 1;
  g.sw = st.back();
  g.dh = sp == 2 ? dl[0] : 1;
  g.dw = dl.back();
  if (g.sh < 1 || g.sw < 1 || g.dh < 1 || g.dw < 1 || g.kh < 1 || g.kw < 1)
    throw error("kernel, strides and dilations must be positive");
  if (sp == 2) {
    resolve_pads(nd, g.h, (g.kh - 1) * g.dh + 1, g.sh, g.pt, g.pb, 0, 2);
    resolve_pads(nd, g.w, (g.kw - 1) * g.dw + 1, g.sw, g.pl, g.pr, 1, 2);
  } else {
    g.pt = g.pb = 0;
    resolve_pads(nd, g.w, (g.kw - 1) * g.dw + 1, g.sw, g.pl, g.pr, 0, 1);
  }
  auto out = [&](int64_t in, int64_t k, int64_t d, int64_t s, int64_t pb, int64_t pe) {
    const int64_t span = in + pb + pe - ((k - 1) * d + 1);
    if (span < 0) throw error("the window is larger than the padded input " + shape_str(x));
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + pb) --o;  // the last window must start inside
    return o;
  };
  g.oh = out(g.h, g.kh, g.dh, g.sh, g.pt, g.pb);
  g.ow = out(g.w, g.kw, g.dw, g.sw, g.pl, g.pr);
  return g;
}

/// im2col of NCHW input: one row of c*kh*kw values per output pixel, ordered (channel, ky, kx).
std::vector<float> im2col(const gtensor& x, const conv_geometry& g) {
  const size_t cols = size_t(g.c * g.kh * g.kw), P = size_t(g.oh * g.ow);
  std::vector<float> out(size_t(g.n) * P * cols);
#pragma omp parallel for schedule(static) if (g.n > 1)
  for (int64_t i = 0; i < g.n; ++i)
    for (int64_t y = 0; y < g.oh; ++y)
      for (int64_t xx = 0; xx < g.ow; ++xx) {
        float* row = &out[((size_t(i) * P) + size_t(y * g.ow + xx)) * cols];
        for (int64_t ch = 0; ch < g.c; ++ch) {
          const float* plane = &x.f[size_t((i * g.c + ch) * g.h * g.w)];
          for (int64_t ky = 0; ky < g.kh; ++ky) {
            const int64_t iy = y * g.sh - g.pt + ky * g.dh;
            for (int64_t kx = 0; kx < g.kw; ++kx) {
              const int64_t ix = xx * g.sw - g.pl + kx * g.dw;
              *row++ = (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) ? plane[iy * g.w + ix] : 0.0f;
            }
          }
        }
      }
  return out;
}

void check_finite_input(const gtensor& t) {
  if (t.integer) throw error("expects a float input, got integers");
}

gtensor matmul_digital(const gtensor& a, const gtensor& b) {
  if (a.integer || b.integer) throw error("integer matrix products are not supported");
  shape_t as = a.shape, bs = b.shape;
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as.insert(as.begin(), 1);
  if (b1) bs.push_back(1);
  if (as.size() < 2 || bs.size() < 2) throw error("scalar operand");
  const int64_t M = as[as.size() - 2], K = as.back(), K2 = bs[bs.size() - 2], N = bs.back();
  if (K != K2)
    throw error("shapes " + shape_str(a.shape) + " and " + shape_str(b.shape) + " do not multiply");
  const shape_t ab(as.begin(), as.end() - 2), bb(bs.begin(), bs.end() - 2);
  const shape_t batch = broadcast(ab, bb);
  const std::vector<int64_t> ia = broadcast_index(ab, batch), ib = broadcast_index(bb, batch);
  shape_t out = batch;
  if (!a1) out.push_back(M);
  if (!b1) out.push_back(N);
  gtensor o = make_float(out);
  const int64_t nb = numel_of(batch);
  for (int64_t t = 0; t < nb; ++t) {
    Eigen::Map<const matf> A(&a.f[size_t(ia[size_t(t)] * M * K)], M, K);
    Eigen::Map<const matf> B(&b.f[size_t(ib[size_t(t)] * K * N)], K, N);
    Eigen::Map<matf> C(&o.f[size_t(t * M * N)], M, N);
    C.noalias() = A * B;
  }
  return o;
}

/// Executes one node. @p be is null while constants are folded (no crossbar layer then).
void exec(const graph& g, const model* m, const gnode& nd, std::vector<const gtensor*>& ptr,
          std::vector<gtensor>& vals, linear_backend* be) {
  auto has = [&](size_t k) { return k < nd.in.size() && nd.in[k] >= 0; };
  auto in = [&](size_t k) -> const gtensor& {
    if (!has(k)) throw error("input " + std::to_string(k) + " is missing");
    const gtensor* t = ptr[size_t(nd.in[k])];
    if (!t) throw error("input '" + g.names[size_t(nd.in[k])] + "' has no value");
    return *t;
  };
  auto set = [&](size_t k, gtensor t) {
    if (k >= nd.out.size() || nd.out[k] < 0) return;
    vals[size_t(nd.out[k])] = std::move(t);
    ptr[size_t(nd.out[k])] = &vals[size_t(nd.out[k])];
  };
  auto digital = [&](const char* op, size_t elements) {
    if (be) be->digital(op, elements);
  };
  auto unary = [&](const char* name, auto fn) {
    const gtensor& x = in(0);
    check_finite_input(x);
    gtensor o = make_float(x.shape);
    for (size_t e = 0; e < o.f.size(); ++e) o.f[e] = fn(x.f[e]);
    digital(name, o.f.size());
    set(0, std::move(o));
  };
  const std::string& op = nd.op;

  if (nd.layer >= 0) {
    if (!be || !m) throw error("internal: crossbar layer without a backend");
    const weight_layer& wl = m->layers[size_t(nd.layer)];
    const gtensor& x = in(0);
    check_finite_input(x);
    if (op == "Conv") {
      const shape_t k(nd.wshape.begin() + 2, nd.wshape.end());
      const conv_geometry geo = geometry(nd, x.shape, k);
      if (geo.c * geo.kh * geo.kw != wl.rows)
        throw error("input of shape " + shape_str(x.shape) + " has " + std::to_string(geo.c) +
                    " channels; the weight " + shape_str(nd.wshape) + " with group " +
                    std::to_string(nd.group) + " expects " +
                    std::to_string(wl.rows / (geo.kh * geo.kw)));
      const std::vector<float> cols = im2col(x, geo);
      const int64_t P = geo.oh * geo.ow, O = wl.cols;
      std::vector<float> y(size_t(geo.n * P * O));
      be->linear(size_t(nd.layer), cols.data(), int(geo.n * P), y.data());
      shape_t os = {geo.n, O};
      if (x.shape.size() == 4) os.push_back(geo.oh);
      os.push_back(geo.ow);
      gtensor o = make_float(os);
      for (int64_t i = 0; i < geo.n; ++i)
        for (int64_t p = 0; p < P; ++p)
          for (int64_t c = 0; c < O; ++c)
            o.f[size_t((i * O + c) * P + p)] = y[size_t((i * P + p) * O + c)];
      set(0, std::move(o));
      return;
    }
    // MatMul / Gemm: x [..., K] (Gemm: [M, K], or [K, M] with transA)
    gtensor xt;
    const gtensor* xp = &x;
    if (op == "Gemm" && attr_int(nd, "transA", 0)) {
      if (x.shape.size() != 2) throw error("Gemm input must be 2-D");
      xt = make_float({x.shape[1], x.shape[0]});
      for (int64_t r = 0; r < x.shape[0]; ++r)
        for (int64_t c = 0; c < x.shape[1]; ++c)
          xt.f[size_t(c * x.shape[0] + r)] = x.f[size_t(r * x.shape[1] + c)];
      xp = &xt;
    }
    if (op == "Gemm" && xp->shape.size() != 2)
      throw error("Gemm input must be 2-D, got " + shape_str(xp->shape));
    if (xp->shape.empty() || xp->shape.back() != wl.rows)
      throw error("input of shape " + shape_str(xp->shape) + " does not fit the weight " +
                  shape_str(nd.wshape) + " (" + std::to_string(wl.rows) + " inputs)");
    const int64_t n = xp->numel() / wl.rows;
    shape_t os(xp->shape.begin(), xp->shape.end() - 1);
    os.push_back(wl.cols);
    gtensor o = make_float(os);
    be->linear(size_t(nd.layer), xp->f.data(), int(n), o.f.data());
    set(0, std::move(o));
    return;
  }

  if (op == "Identity" || op == "Dropout") {
    set(0, in(0));
    if (nd.out.size() > 1 && nd.out[1] >= 0) {  // Dropout's mask: all kept
      gtensor mask = make_int(in(0).shape);
      std::fill(mask.i.begin(), mask.i.end(), 1);
      set(1, std::move(mask));
    }
  } else if (op == "Constant") {
    auto it = nd.attrs.find("value");
    if (it != nd.attrs.end() && it->second.t) {
      set(0, *it->second.t);
    } else if ((it = nd.attrs.find("value_float")) != nd.attrs.end()) {
      gtensor t = make_float({});
      t.f[0] = it->second.f;
      set(0, std::move(t));
    } else if ((it = nd.attrs.find("value_int")) != nd.attrs.end()) {
      gtensor t = make_int({});
      t.i[0] = it->second.i;
      set(0, std::move(t));
    } else if ((it = nd.attrs.find("value_ints")) != nd.attrs.end()) {
      gtensor t = make_int({int64_t(it->second.ints.size())});
      t.i = it->second.ints;
      set(0, std::move(t));
    } else if ((it = nd.attrs.find("value_floats")) != nd.attrs.end()) {
      gtensor t = make_float({int64_t(it->second.floats.size())});
      t.f = it->second.floats;
      set(0, std::move(t));
    } else {
      throw error("no supported value attribute");
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" ||
             op == "Max" || op == "Min") {
    if (op == "Max" || op == "Min") {
      if (nd.in.size() != 2) throw error("only two inputs are supported");
    }
    const gtensor &a = in(0), &b = in(1);
    gtensor o;
    if (op == "Add")
      o = binary(
          a, b, [](float x, float y) { return x + y; }, [](int64_t x, int64_t y) { return x + y; });
    else if (op == "Sub")
      o = binary(
          a, b, [](float x, float y) { return x - y; }, [](int64_t x, int64_t y) { return x - y; });
    else if (op == "Mul")
      o = binary(
          a, b, [](float x, float y) { return x * y; }, [](int64_t x, int64_t y) { return x * y; });
    else if (op == "Div") {
      if (a.integer && b.integer)
        for (int64_t v : b.i)
          if (v == 0 || v == -1) {
            if (v == 0) throw error("integer division by zero");
            for (int64_t u : a.i)  // the one quotient int64 cannot hold
              if (u == std::numeric_limits<int64_t>::min())
                throw error("integer division overflows (INT64_MIN / -1)");
          }
      o = binary(
          a, b, [](float x, float y) { return x / y; }, [](int64_t x, int64_t y) { return x / y; });
    } else if (op == "Max")
      o = binary(
          a, b, [](float x, float y) { return std::max(x, y); },
          [](int64_t x, int64_t y) { return std::max(x, y); });
    else if (op == "Min")
      o = binary(
          a, b, [](float x, float y) { return std::min(x, y); },
          [](int64_t x, int64_t y) { return std::min(x, y); });
    else {
      if (a.integer || b.integer) throw error("integer powers are not supported");
      const bool square = b.numel() == 1 && b.f[0] == 2.0f;
      o = binary(
          a, b, [square](float x, float y) { return square ? x * x : std::pow(x, y); },
          [](int64_t x, int64_t) { return x; });
    }
    if (!o.integer) {
      std::string name = op;
      std::transform(name.begin(), name.end(), name.begin(), ::tolower);
      digital(name.c_str(), o.f.size());
    }
    set(0, std::move(o));
  } else if (op == "Relu") {
    unary("relu", [](float v) { return std::max(v, 0.0f); });
  } else if (op == "LeakyRelu") {
    const float al = attr_float(nd, "alpha", 0.01f);
    unary("leakyrelu", [al](float v) { return v < 0 ? al * v : v; });
  } else if (op == "Sigmoid") {
    unary("sigmoid", [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
  } else if (op == "HardSigmoid") {
    const float al = attr_float(nd, "alpha", 0.2f), bt = attr_float(nd, "beta", 0.5f);
    unary("hardsigmoid", [al, bt](float v) { return std::max(0.0f, std::min(1.0f, al * v + bt)); });
  } else if (op == "HardSwish") {
    unary("hardswish", [](float v) { return v * std::max(0.0f, std::min(1.0f, v / 6.0f + 0.5f)); });
  } else if (op == "Tanh") {
    unary("tanh", [](float v) { return std::tanh(v); });
  } else if (op == "Erf") {
    unary("erf", [](float v) { return std::erf(v); });
  } else if (op == "Exp") {
    unary("exp", [](float v) { return std::exp(v); });
  } else if (op == "Sqrt") {
    unary("sqrt", [](float v) { return std::sqrt(v); });
  } else if (op == "Reciprocal") {
    unary("reciprocal", [](float v) { return 1.0f / v; });
  } else if (op == "Abs" || op == "Neg") {
    const gtensor& x = in(0);
    gtensor o = x;
    const bool neg = op == "Neg";
    if (x.integer)
      for (int64_t& v : o.i) v = neg ? -v : std::abs(v);
    else
      for (float& v : o.f) v = neg ? -v : std::fabs(v);
    if (!x.integer) digital(neg ? "neg" : "abs", o.f.size());
    set(0, std::move(o));
  } else if (op == "Gelu") {
    const auto it = nd.attrs.find("approximate");
    if (it != nd.attrs.end() && it->second.s == "tanh") {
      const float c = std::sqrt(2.0f / float(M_PI));
      unary("gelu", [c](float v) {
        return 0.5f * v * (1.0f + std::tanh(c * (v + 0.044715f * v * v * v)));
      });
    } else {
      unary("gelu", [](float v) { return 0.5f * v * (1.0f + std::erf(v * float(M_SQRT1_2))); });
    }
  } else if (op == "Clip") {
    float lo = -std::numeric_limits<float>::infinity(), hi = -lo;
    if (g.opset < 11) {
      lo = attr_float(nd, "min", lo);
      hi = attr_float(nd, "max", hi);
    } else {
      if (has(1)) lo = scalar_float(in(1), "Clip min");
      if (has(2)) hi = scalar_float(in(2), "Clip max");
    }
    if (in(0).integer) {
      gtensor o = in(0);
      for (int64_t& v : o.i) v = std::max<int64_t>(int64_t(lo), std::min<int64_t>(int64_t(hi), v));
      set(0, std::move(o));
    } else {
      unary("clip", [lo, hi](float v) { return std::max(lo, std::min(hi, v)); });
    }
  } else if (op == "Softmax") {
    const gtensor& x = in(0);
    check_finite_input(x);
    const int64_t ax = norm_axis(attr_int(nd, "axis", g.opset >= 13 ? -1 : 1), x.shape.size());
    gtensor o = make_float(x.shape);
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t k = 0; k < int64_t(x.shape.size()); ++k)
      (k < ax ? outer : (k == ax ? len : inner)) *= x.shape[size_t(k)];
    if (g.opset < 13) {  // the input is coerced to 2-D at axis
      len *= inner;
      inner = 1;
    }
#pragma omp parallel for schedule(static) if (outer * inner > 4096)
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t b = 0; b < inner; ++b) {
        const size_t base = size_t(a * len * inner + b);
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t k = 0; k < len; ++k) mx = std::max(mx, x.f[base + size_t(k * inner)]);
        float s = 0;
        for (int64_t k = 0; k < len; ++k) {
          const float e = std::exp(x.f[base + size_t(k * inner)] - mx);
          o.f[base + size_t(k * inner)] = e;
          s += e;
        }
        for (int64_t k = 0; k < len; ++k) o.f[base + size_t(k * inner)] /= s;
      }
    digital("softmax", o.f.size());
    set(0, std::move(o));
  } else if (op == "LayerNormalization") {
    const gtensor& x = in(0);
    check_finite_input(x);
    const int64_t ax = norm_axis(attr_int(nd, "axis", -1), x.shape.size());
    const double eps = attr_float(nd, "epsilon", 1e-5f);
    int64_t len = 1;
    for (size_t k = size_t(ax); k < x.shape.size(); ++k) len *= x.shape[k];
    const int64_t rows = x.numel() / std::max<int64_t>(len, 1);
    const gtensor& sc = in(1);
    if (sc.numel() != len) throw error("Scale does not match the normalized size");
    const gtensor* bias = has(2) ? &in(2) : nullptr;
    if (bias && bias->numel() != len) throw error("B does not match the normalized size");
    gtensor o = make_float(x.shape);
#pragma omp parallel for schedule(static) if (rows > 64)
    for (int64_t r = 0; r < rows; ++r) {
      const float* p = &x.f[size_t(r * len)];
      double mean = 0, var = 0;
      for (int64_t i = 0; i < len; ++i) mean += p[i];
      mean /= double(len);
      for (int64_t i = 0; i < len; ++i) var += (p[i] - mean) * (p[i] - mean);
      const double inv = 1.0 / std::sqrt(var / double(len) + eps);
      float* q = &o.f[size_t(r * len)];
      for (int64_t i = 0; i < len; ++i)
        q[i] = float((p[i] - mean) * inv) * sc.f[size_t(i)] + (bias ? bias->f[size_t(i)] : 0.0f);
    }
    digital("layernorm", o.f.size());
    set(0, std::move(o));
  } else if (op == "BatchNormalization") {
    const gtensor& x = in(0);
    check_finite_input(x);
    if (x.shape.size() < 2) throw error("input must have a channel dimension");
    const double eps = attr_float(nd, "epsilon", 1e-5f);
    const int64_t C = x.shape[1], inner = x.numel() / std::max<int64_t>(1, x.shape[0] * C);
    const gtensor &sc = in(1), &b = in(2), &mean = in(3), &var = in(4);
    for (const gtensor* t : {&sc, &b, &mean, &var})
      if (t->numel() != C || t->integer)
        throw error("scale, B, mean and var must hold one float per channel (" + std::to_string(C) +
                    ")");
    gtensor o = make_float(x.shape);
    for (int64_t i = 0; i < x.shape[0]; ++i)
      for (int64_t c = 0; c < C; ++c) {
        const float k = float(sc.f[size_t(c)] / std::sqrt(double(var.f[size_t(c)]) + eps));
        const float s = b.f[size_t(c)] - mean.f[size_t(c)] * k;
        const size_t base = size_t((i * C + c) * inner);
        for (int64_t e = 0; e < inner; ++e) o.f[base + size_t(e)] = x.f[base + size_t(e)] * k + s;
      }
    digital("batchnorm", o.f.size());
    set(0, std::move(o));
  } else if (op == "MaxPool" || op == "AveragePool") {
    const gtensor& x = in(0);
    check_finite_input(x);
    if (attr_int(nd, "storage_order", 0) != 0) throw error("storage_order 1 is not supported");
    if (nd.out.size() > 1 && nd.out[1] >= 0) throw error("the Indices output is not supported");
    const conv_geometry geo =
        geometry(nd, x.shape, attr_ints(nd, "kernel_shape", {}), attr_int(nd, "ceil_mode", 0));
    const bool mx = op == "MaxPool";
    const bool include_pad = attr_int(nd, "count_include_pad", 0) != 0;
    shape_t os = {geo.n, geo.c};
    if (x.shape.size() == 4) os.push_back(geo.oh);
    os.push_back(geo.ow);
    gtensor o = make_float(os);
    for (int64_t i = 0; i < geo.n * geo.c; ++i) {
      const float* plane = &x.f[size_t(i * geo.h * geo.w)];
      for (int64_t y = 0; y < geo.oh; ++y)
        for (int64_t xx = 0; xx < geo.ow; ++xx) {
          float best = -std::numeric_limits<float>::infinity();
          float sum = 0;
          int64_t count = 0;
          const int64_t y0 = y * geo.sh - geo.pt, x0 = xx * geo.sw - geo.pl;
          for (int64_t ky = 0; ky < geo.kh; ++ky)
            for (int64_t kx = 0; kx < geo.kw; ++kx) {
              const int64_t iy = y0 + ky * geo.dh, ix = x0 + kx * geo.dw;
              if (iy < 0 || iy >= geo.h || ix < 0 || ix >= geo.w) continue;
              const float v = plane[iy * geo.w + ix];
              best = std::max(best, v);
              sum += v;
              ++count;
            }
          if (!mx && include_pad) {  // PyTorch: the window clipped to the padded input
            const int64_t ye = std::min(y0 + geo.kh, geo.h + geo.pb),
                          xe = std::min(x0 + geo.kw, geo.w + geo.pr);
            count = (ye - y0) * (xe - x0);
          }
          o.f[size_t((i * geo.oh + y) * geo.ow + xx)] =
              mx ? best : (count ? sum / float(count) : 0.0f);
        }
    }
    digital(mx ? "maxpool" : "avgpool", size_t(o.f.size()) * size_t(geo.kh * geo.kw));
    set(0, std::move(o));
  } else if (op == "GlobalAveragePool") {
    const gtensor& x = in(0);
    check_finite_input(x);
    if (x.shape.size() < 3) throw error("input must be N x C x spatial");
    shape_t os = {x.shape[0], x.shape[1]};
    for (size_t k = 2; k < x.shape.size(); ++k) os.push_back(1);
    const int64_t inner = x.numel() / std::max<int64_t>(1, x.shape[0] * x.shape[1]);
    gtensor o = make_float(os);
    for (size_t i = 0; i < o.f.size(); ++i) {
      float s = 0;
      for (int64_t e = 0; e < inner; ++e) s += x.f[i * size_t(inner) + size_t(e)];
      o.f[i] = s / float(inner);
    }
    digital("avgpool", x.f.size());
    set(0, std::move(o));
  } else if (op == "ReduceMean" || op == "ReduceSum" || op == "ReduceMax") {
    const gtensor& x = in(0);
    std::vector<int64_t> axes;
    const bool axes_input = (op == "ReduceSum" && g.opset >= 13) || g.opset >= 18;
    if (axes_input) {
      if (has(1)) axes = ints_of(in(1), "axes");
    } else {
      axes = attr_ints(nd, "axes", {});
    }
    if (axes.empty() && attr_int(nd, "noop_with_empty_axes", 0)) {
      set(0, x);
      return;
    }
    const bool keep = attr_int(nd, "keepdims", 1) != 0;
    gtensor o;
    if (op == "ReduceMax")
      o = reduce(
          x, axes, keep, -std::numeric_limits<double>::infinity(),
          [](double s, float v) { return std::max(s, double(v)); },
          [](double s, int64_t) { return s; });
    else if (op == "ReduceSum")
      o = reduce(
          x, axes, keep, 0.0, [](double s, float v) { return s + v; },
          [](double s, int64_t) { return s; });
    else
      o = reduce(
          x, axes, keep, 0.0, [](double s, float v) { return s + v; },
          [](double s, int64_t n) { return s / double(n); });
    digital("reduce", x.f.size());
    set(0, std::move(o));
  } else if (op == "MatMul" || op == "Gemm") {
    // Both operands computed (attention scores, say): a digital product.
    if (op == "Gemm") {
      if (attr_int(nd, "transA", 0) || attr_int(nd, "transB", 0) ||
          attr_float(nd, "alpha", 1) != 1.0f || attr_float(nd, "beta", 1) != 1.0f || has(2))
        throw error("a Gemm without a constant weight must be a plain product");
    }
    gtensor o = matmul_digital(in(0), in(1));
    const int64_t K = in(0).shape.empty() ? 1 : in(0).shape.back();
    digital("matmul", size_t(o.numel() * K * 2));
    set(0, std::move(o));
  } else if (op == "Shape") {
    const gtensor& x = in(0);
    const int64_t r = int64_t(x.shape.size());
    int64_t s = attr_int(nd, "start", 0), e = attr_int(nd, "end", r);
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = std::clamp<int64_t>(s, 0, r);
    e = std::clamp<int64_t>(e, 0, r);
    gtensor o = make_int({std::max<int64_t>(0, e - s)});
    for (int64_t k = s; k < e; ++k) o.i[size_t(k - s)] = x.shape[size_t(k)];
    set(0, std::move(o));
  } else if (op == "Cast") {
    const int64_t to = attr_int(nd, "to", 1);
    const gtensor& x = in(0);
    const bool to_int = to == 6 || to == 7 || to == 9 || to == 2 || to == 3 || to == 4 || to == 5 ||
                        to == 12 || to == 13;
    const bool to_float = to == 1 || to == 10 || to == 11 || to == 16;
    if (!to_int && !to_float) throw error("cast to type " + std::to_string(to) + " is unsupported");
    gtensor o = to_int ? make_int(x.shape) : make_float(x.shape);
    for (size_t e = 0; e < size_t(x.numel()); ++e) {
      if (to_int) {
        if (to == 9)
          o.i[e] = x.integer ? x.i[e] != 0 : x.f[e] != 0.0f;
        else
          o.i[e] = x.integer ? x.i[e] : int64_t(x.f[e]);
      } else {
        o.f[e] = x.integer ? float(x.i[e]) : x.f[e];
      }
    }
    set(0, std::move(o));
  } else if (op == "Reshape") {
    const gtensor& x = in(0);
    const std::vector<int64_t> want = ints_of(in(1), "shape");
    const bool allowzero = attr_int(nd, "allowzero", 0) != 0;
    shape_t s(want.size());
    int64_t known = 1, infer = -1;
    for (size_t k = 0; k < want.size(); ++k) {
      if (want[k] == 0 && !allowzero) {
        if (k >= x.shape.size()) throw error("shape copies a dimension the input lacks");
        s[k] = x.shape[k];
      } else if (want[k] == -1) {
        if (infer >= 0) throw error("shape has two -1 dimensions");
        infer = int64_t(k);
        continue;
      } else if (want[k] < 0) {
        throw error("shape holds " + std::to_string(want[k]));
      } else {
        s[k] = want[k];
      }
      known *= s[k];
    }
    if (infer >= 0) {
      if (known == 0 || x.numel() % known)
        throw error("cannot reshape " + shape_str(x.shape) + " to " + shape_str(want));
      s[size_t(infer)] = x.numel() / known;
    }
    if (numel_of(s) != x.numel())
      throw error("cannot reshape " + shape_str(x.shape) + " to " + shape_str(want));
    gtensor o = x;
    o.shape = s;
    set(0, std::move(o));
  } else if (op == "Flatten") {
    const gtensor& x = in(0);
    const int64_t r = int64_t(x.shape.size());
    int64_t ax = attr_int(nd, "axis", 1);
    if (ax < -r || ax > r) throw error("axis out of range");
    if (ax < 0) ax += r;
    int64_t a = 1;
    for (int64_t k = 0; k < ax; ++k) a *= x.shape[size_t(k)];
    gtensor o = x;
    o.shape = {a, a ? x.numel() / a : 0};
    set(0, std::move(o));
  } else if (op == "Unsqueeze" || op == "Squeeze") {
    const gtensor& x = in(0);
    std::vector<int64_t> axes;
    if (g.opset >= 13) {
      if (has(1)) axes = ints_of(in(1), "axes");
    } else {
      axes = attr_ints(nd, "axes", {});
    }
    shape_t s = x.shape;
    if (op == "Unsqueeze") {
      const size_t r = s.size() + axes.size();
      for (int64_t& a : axes) a = norm_axis(a, r);
      std::sort(axes.begin(), axes.end());
      for (int64_t a : axes) s.insert(s.begin() + a, 1);
    } else {
      if (axes.empty()) {
        s.erase(std::remove(s.begin(), s.end(), int64_t(1)), s.end());
      } else {
        for (int64_t& a : axes) a = norm_axis(a, s.size());
        std::sort(axes.rbegin(), axes.rend());
        for (int64_t a : axes) {
          if (s[size_t(a)] != 1)
            throw error("cannot squeeze a dimension of size " + std::to_string(s[size_t(a)]));
          s.erase(s.begin() + a);
        }
      }
    }
    gtensor o = x;
    o.shape = s;
    set(0, std::move(o));
  } else if (op == "Transpose") {
    const gtensor& x = in(0);
    const size_t r = x.shape.size();
    std::vector<int64_t> perm = attr_ints(nd, "perm", {});
    if (perm.empty())
      for (size_t k = 0; k < r; ++k) perm.push_back(int64_t(r - 1 - k));
    if (perm.size() != r) throw error("perm does not match the input rank");
    std::vector<bool> seen(r, false);
    shape_t os(r), st = strides_of(x.shape), pst(r);
    for (size_t k = 0; k < r; ++k) {
      const int64_t p = norm_axis(perm[k], r, "perm entry");
      if (seen[size_t(p)]) throw error("perm repeats an axis");
      seen[size_t(p)] = true;
      os[k] = x.shape[size_t(p)];
      pst[k] = st[size_t(p)];
    }
    std::vector<int64_t> idx(size_t(x.numel()));
    shape_t c(r, 0);
    int64_t off = 0;
    for (size_t e = 0; e < idx.size(); ++e) {
      idx[e] = off;
      for (int k = int(r) - 1; k >= 0; --k) {
        if (++c[size_t(k)] < os[size_t(k)]) {
          off += pst[size_t(k)];
          break;
        }
        off -= pst[size_t(k)] * (os[size_t(k)] - 1);
        c[size_t(k)] = 0;
      }
    }
    set(0, gather_elements(x, os, idx));
  } else if (op == "Concat") {
    const gtensor& first = in(0);
    const int64_t ax = norm_axis(attr_int(nd, "axis", 0), first.shape.size());
    shape_t os = first.shape;
    os[size_t(ax)] = 0;
    for (size_t k = 0; k < nd.in.size(); ++k) {
      const gtensor& t = in(k);
      if (t.shape.size() != os.size() || t.integer != first.integer)
        throw error("inputs differ in rank or type");
      for (size_t d = 0; d < os.size(); ++d)
        if (int64_t(d) != ax && t.shape[d] != first.shape[d])
          throw error("input shapes " + shape_str(first.shape) + " and " + shape_str(t.shape) +
                      " differ outside the axis");
      os[size_t(ax)] += t.shape[size_t(ax)];
    }
    gtensor o = first.integer ? make_int(os) : make_float(os);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < int64_t(os.size()); ++d)
      (d < ax ? outer : inner) *= (d == ax ? 1 : os[size_t(d)]);
    size_t pos = 0;
    for (int64_t a = 0; a < outer; ++a)
      for (size_t k = 0; k < nd.in.size(); ++k) {
        const gtensor& t = in(k);
        const size_t len = size_t(t.shape[size_t(ax)] * inner);
        if (o.integer)
          std::copy_n(&t.i[size_t(a) * len], len, &o.i[pos]);
        else
          std::copy_n(t.f.data() + size_t(a) * len, len, o.f.data() + pos);
        pos += len;
      }
    set(0, std::move(o));
  } else if (op == "Split") {
    const gtensor& x = in(0);
    const int64_t ax = norm_axis(attr_int(nd, "axis", 0), x.shape.size());
    std::vector<int64_t> parts;
    if (g.opset >= 13 && has(1))
      parts = ints_of(in(1), "split");
    else
      parts = attr_ints(nd, "split", {});
    const int64_t len = x.shape[size_t(ax)], k = int64_t(nd.out.size());
    if (k < 1) throw error("no outputs");
    for (int64_t p : parts)
      if (p < 0) throw error("split size " + std::to_string(p) + " is negative");
    if (parts.empty()) {
      const int64_t each = (len + k - 1) / k;
      for (int64_t i = 0; i < k; ++i) parts.push_back(std::min(each, len - i * each));
    }
    if (int64_t(parts.size()) != k ||
        std::accumulate(parts.begin(), parts.end(), int64_t(0)) != len)
      throw error("split sizes do not add up to the axis length " + std::to_string(len));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < int64_t(x.shape.size()); ++d)
      if (d != ax) (d < ax ? outer : inner) *= x.shape[size_t(d)];
    int64_t start = 0;
    for (int64_t p = 0; p < k; ++p) {
      shape_t os = x.shape;
      os[size_t(ax)] = parts[size_t(p)];
      std::vector<int64_t> idx;
      idx.reserve(size_t(numel_of(os)));
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t j = 0; j < parts[size_t(p)] * inner; ++j)
          idx.push_back(a * len * inner + start * inner + j);
      set(size_t(p), gather_elements(x, os, idx));
      start += parts[size_t(p)];
    }
  } else if (op == "Slice") {
    const gtensor& x = in(0);
    const size_t r = x.shape.size();
    const std::vector<int64_t> starts = ints_of(in(1), "starts"), ends = ints_of(in(2), "ends");
    std::vector<int64_t> axes, steps;
    if (has(3)) axes = ints_of(in(3), "axes");
    if (has(4)) steps = ints_of(in(4), "steps");
    if (axes.empty())
      for (size_t k = 0; k < starts.size(); ++k) axes.push_back(int64_t(k));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size())
      throw error("starts, ends, axes and steps differ in length");
    shape_t lo(r, 0), st(r, 1), os = x.shape;
    for (size_t k = 0; k < starts.size(); ++k) {
      const size_t a = size_t(norm_axis(axes[k], r));
      const int64_t d = x.shape[a], s = steps[k];
      if (s == 0) throw error("step 0");
      int64_t b = starts[k], e = ends[k];
      if (b < 0) b += d;
      if (e < 0) e += d;
      if (s > 0) {
        b = std::clamp<int64_t>(b, 0, d);
        e = std::clamp<int64_t>(e, 0, d);
        os[a] = e > b ? (e - b + s - 1) / s : 0;
      } else {
        b = std::clamp<int64_t>(b, 0, d - 1);
        e = std::clamp<int64_t>(e, -1, d - 1);
        os[a] = b > e ? (b - e - s - 1) / (-s) : 0;
      }
      lo[a] = b;
      st[a] = s;
    }
    const shape_t xs = strides_of(x.shape);
    std::vector<int64_t> idx(size_t(numel_of(os)));
    shape_t c(r, 0);
    for (size_t e = 0; e < idx.size(); ++e) {
      int64_t off = 0;
      for (size_t k = 0; k < r; ++k) off += (lo[k] + c[k] * st[k]) * xs[k];
      idx[e] = off;
      for (int k = int(r) - 1; k >= 0; --k) {
        if (++c[size_t(k)] < os[size_t(k)]) break;
        c[size_t(k)] = 0;
      }
    }
    set(0, gather_elements(x, os, idx));
  } else if (op == "Gather") {
    const gtensor& x = in(0);
    const gtensor& ind = in(1);
    if (!ind.integer) throw error("indices must be integers");
    const int64_t ax = norm_axis(attr_int(nd, "axis", 0), x.shape.size());
    const int64_t len = x.shape[size_t(ax)];
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < int64_t(x.shape.size()); ++d)
      if (d != ax) (d < ax ? outer : inner) *= x.shape[size_t(d)];
    shape_t os(x.shape.begin(), x.shape.begin() + ax);
    os.insert(os.end(), ind.shape.begin(), ind.shape.end());
    os.insert(os.end(), x.shape.begin() + ax + 1, x.shape.end());
    std::vector<int64_t> idx;
    idx.reserve(size_t(numel_of(os)));
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t v : ind.i) {
        const int64_t j = v < 0 ? v + len : v;
        if (j < 0 || j >= len)
          throw error("index " + std::to_string(v) + " is outside 0.." + std::to_string(len - 1) +
                      " (a token id outside the vocabulary?)");
        for (int64_t b = 0; b < inner; ++b) idx.push_back((a * len + j) * inner + b);
      }
    if (!x.integer) digital("gather", idx.size());
    set(0, gather_elements(x, os, idx));
  } else if (op == "Where") {
    const gtensor &c = in(0), &a = in(1), &b = in(2);
    if (!c.integer) throw error("the condition must be boolean");
    if (a.integer != b.integer) throw error("X and Y differ in type");
    const shape_t os = broadcast(broadcast(c.shape, a.shape), b.shape);
    const auto ic = broadcast_index(c.shape, os), ia = broadcast_index(a.shape, os),
               ib = broadcast_index(b.shape, os);
    gtensor o = a.integer ? make_int(os) : make_float(os);
    for (size_t e = 0; e < ic.size(); ++e) {
      const bool t = c.i[size_t(ic[e])] != 0;
      if (o.integer)
        o.i[e] = t ? a.i[size_t(ia[e])] : b.i[size_t(ib[e])];
      else
        o.f[e] = t ? a.f[size_t(ia[e])] : b.f[size_t(ib[e])];
    }
    if (!o.integer) digital("where", o.f.size());
    set(0, std::move(o));
  } else if (op == "Equal") {
    set(0, compare(in(0), in(1), [](double a, double b) { return a == b; }));
  } else if (op == "Less") {
    set(0, compare(in(0), in(1), [](double a, double b) { return a < b; }));
  } else if (op == "Greater") {
    set(0, compare(in(0), in(1), [](double a, double b) { return a > b; }));
  } else if (op == "Not") {
    gtensor o = in(0);
    if (!o.integer) throw error("input must be boolean");
    for (int64_t& v : o.i) v = !v;
    set(0, std::move(o));
  } else if (op == "Pad") {
    const gtensor& x = in(0);
    auto md = nd.attrs.find("mode");
    if (md != nd.attrs.end() && md->second.s != "constant")
      throw error("mode '" + md->second.s + "' is not supported (constant only)");
    const std::vector<int64_t> pads =
        g.opset >= 11 ? ints_of(in(1), "pads") : attr_ints(nd, "pads", {});
    const size_t r = x.shape.size();
    if (pads.size() != 2 * r) throw error("pads must hold two values per dimension");
    float cv = g.opset >= 11 ? (has(2) ? scalar_float(in(2), "constant_value") : 0.0f)
                             : attr_float(nd, "value", 0.0f);
    shape_t os(r);
    for (size_t k = 0; k < r; ++k) {
      if (pads[k] < 0 || pads[k + r] < 0) throw error("negative pads are not supported");
      os[k] = x.shape[k] + pads[k] + pads[k + r];
    }
    gtensor o = x.integer ? make_int(os) : make_float(os);
    if (x.integer)
      std::fill(o.i.begin(), o.i.end(), int64_t(cv));
    else
      std::fill(o.f.begin(), o.f.end(), cv);
    const shape_t xs = strides_of(x.shape), ost = strides_of(os);
    shape_t c(r, 0);
    for (int64_t e = 0; e < x.numel(); ++e) {
      int64_t off = 0;
      for (size_t k = 0; k < r; ++k) off += (c[k] + pads[k]) * ost[k];
      if (x.integer)
        o.i[size_t(off)] = x.i[size_t(e)];
      else
        o.f[size_t(off)] = x.f[size_t(e)];
      for (int k = int(r) - 1; k >= 0; --k) {
        if (++c[size_t(k)] < x.shape[size_t(k)]) break;
        c[size_t(k)] = 0;
      }
    }
    (void)xs;
    if (!o.integer) digital("pad", o.f.size());
    set(0, std::move(o));
  } else if (op == "Expand") {
    const gtensor& x = in(0);
    const shape_t os = broadcast(x.shape, ints_of(in(1), "shape"));
    set(0, gather_elements(x, os, broadcast_index(x.shape, os)));
  } else if (op == "ConstantOfShape") {
    const shape_t os = ints_of(in(0), "shape");
    for (int64_t d : os)
      if (d < 0) throw error("negative dimension");
    auto it = nd.attrs.find("value");
    gtensor o;
    if (it != nd.attrs.end() && it->second.t && it->second.t->integer) {
      o = make_int(os);
      std::fill(o.i.begin(), o.i.end(), it->second.t->i.at(0));
    } else {
      o = make_float(os);
      std::fill(o.f.begin(), o.f.end(),
                it != nd.attrs.end() && it->second.t ? it->second.t->f.at(0) : 0.0f);
    }
    set(0, std::move(o));
  } else if (op == "Range") {
    const gtensor &s = in(0), &l = in(1), &d = in(2);
    if (s.integer) {
      const int64_t a = s.i.at(0), b = l.i.at(0), st = d.i.at(0);
      if (st == 0) throw error("delta 0");
      if (!(std::ceil((double(b) - double(a)) / double(st)) < double(int64_t(1) << 31)))
        throw error("range too long");
      const int64_t n = std::max<int64_t>(0, (b - a + st + (st > 0 ? -1 : 1)) / st);
      gtensor o = make_int({n});
      for (int64_t k = 0; k < n; ++k) o.i[size_t(k)] = a + k * st;
      set(0, std::move(o));
    } else {
      const float a = s.f.at(0), b = l.f.at(0), st = d.f.at(0);
      if (st == 0) throw error("delta 0");
      const double len = std::ceil((double(b) - double(a)) / double(st));
      if (!(len < double(int64_t(1) << 31))) throw error("range too long");
      const int64_t n = std::max<int64_t>(0, int64_t(len));
      gtensor o = make_float({n});
      for (int64_t k = 0; k < n; ++k) o.f[size_t(k)] = a + float(k) * st;
      set(0, std::move(o));
    }
  } else {
    throw error("operator is not supported");
  }
}

}  // namespace

gtensor run_graph(const graph& g, const model& m, gtensor x, linear_backend& be) {
  std::vector<gtensor> vals(g.names.size());
  std::vector<const gtensor*> ptr(g.names.size(), nullptr);
  for (size_t v = 0; v < g.constants.size(); ++v) ptr[v] = g.constants[v].get();
  vals[size_t(g.input)] = std::move(x);
  ptr[size_t(g.input)] = &vals[size_t(g.input)];
  for (const gnode& nd : g.nodes) {
    try {
      exec(g, &m, nd, ptr, vals, &be);
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
      exec(g, nullptr, nd, ptr, vals, nullptr);
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
