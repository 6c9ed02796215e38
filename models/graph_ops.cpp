/// @file graph_ops.cpp
/// @brief The graph interpreter's operators: crossbar layers (through the linear_backend) and
/// the numeric digital operators (ONNX semantics, opset 11-18 as PyTorch exports them).
#include "models/graph_ops.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

namespace rramft::models::ops {

namespace {

template <class F, class I>
gtensor binary(const gtensor& a, const gtensor& b, F fop, I iop, gtensor* reuse = nullptr) {
  const shape_t out = broadcast(a.shape, b.shape);
  const bool ints = a.integer && b.integer;
  if (a.integer != b.integer) throw error("mixes integer and float inputs");
  // @p reuse: a itself, no longer needed: a float result of a's shape overwrites it in place
  // (each element is read before it is written).
  const bool inplace = reuse == &a && !ints && a.shape == out;
  gtensor fresh = inplace ? gtensor{} : ints ? make_int(out) : make_float(out);
  gtensor& o = inplace ? *reuse : fresh;
  const size_t n = size_t(numel_of(out));
  if (!ints && a.shape == out && b.shape == out) {
    for (size_t e = 0; e < n; ++e) o.f[e] = fop(a.f[e], b.f[e]);
    return std::move(o);
  }
  if (!ints && a.shape == out && numel_of(b.shape) == 1) {
    const float bv = b.f[0];
    for (size_t e = 0; e < n; ++e) o.f[e] = fop(a.f[e], bv);
    return std::move(o);
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
      return std::move(o);
    }
  }
  const std::vector<int64_t> ia = broadcast_index(a.shape, out), ib = broadcast_index(b.shape, out);
  if (ints)
    for (size_t e = 0; e < n; ++e) o.i[e] = iop(a.i[size_t(ia[e])], b.i[size_t(ib[e])]);
  else
    for (size_t e = 0; e < n; ++e) o.f[e] = fop(a.f[size_t(ia[e])], b.f[size_t(ib[e])]);
  return std::move(o);
}

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

}  // namespace

void exec(node_ctx& c) {
  const graph& g = c.g;
  const gnode& nd = c.nd;
  const model* m = c.m;
  linear_backend* be = c.be;
  auto has = [&](size_t k) { return c.has(k); };
  auto in = [&](size_t k) -> const gtensor& { return c.in(k); };
  auto set = [&](size_t k, gtensor t) { c.set(k, std::move(t)); };
  auto digital = [&](const char* op, size_t elements) { c.digital(op, elements); };
  auto unary = [&](const char* name, auto fn) {
    check_finite_input(in(0));
    gtensor o = c.take(0);
    for (float& v : o.f) v = fn(v);
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
      const fvec cols = im2col(x, geo);
      const int64_t P = geo.oh * geo.ow, O = wl.cols;
      fvec y(size_t(geo.n * P * O));
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
      t.f.assign(it->second.floats.begin(), it->second.floats.end());
      set(0, std::move(t));
    } else {
      throw error("no supported value attribute");
    }
  } else if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow" ||
             op == "Max" || op == "Min") {
    if (op == "Max" || op == "Min") {
      if (nd.in.size() != 2) throw error("only two inputs are supported");
    }
    // The first input, when this node is its last reader: an Add writes its result there.
    const bool owned = c.takeable(0);
    gtensor own;
    if (owned) own = c.take(0);
    const gtensor &a = owned ? own : in(0), &b = in(1);
    gtensor o;
    if (op == "Add")
      o = binary(
          a, b, [](float x, float y) { return x + y; }, [](int64_t x, int64_t y) { return x + y; },
          owned ? &own : nullptr);
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
    const gtensor& x = in(0);
    check_finite_input(x);
    gtensor o = make_float(x.shape);
    kernels::erf(x.f.data(), x.f.size(), o.f.data());
    digital("erf", o.f.size());
    set(0, std::move(o));
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
    check_finite_input(in(0));
    gtensor o = c.take(0);
    kernels::gelu(o.f.data(), o.f.size(), it != nd.attrs.end() && it->second.s == "tanh");
    digital("gelu", o.f.size());
    set(0, std::move(o));
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
    if (inner == 1) {
      std::copy(x.f.begin(), x.f.end(), o.f.begin());
      kernels::softmax_rows(o.f.data(), size_t(outer), size_t(len));
    } else {  // the axis is not the last: its values gathered into rows first
      fvec rows(o.f.size());
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t b = 0; b < inner; ++b)
          for (int64_t k = 0; k < len; ++k)
            rows[size_t((a * inner + b) * len + k)] = x.f[size_t((a * len + k) * inner + b)];
      kernels::softmax_rows(rows.data(), size_t(outer * inner), size_t(len));
      for (int64_t a = 0; a < outer; ++a)
        for (int64_t b = 0; b < inner; ++b)
          for (int64_t k = 0; k < len; ++k)
            o.f[size_t((a * len + k) * inner + b)] = rows[size_t((a * inner + b) * len + k)];
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
    kernels::layer_norm(x.f.data(), size_t(rows), size_t(len), sc.f.data(),
                        bias ? bias->f.data() : nullptr, eps, o.f.data());
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
  } else if (!exec_shape(c) && !exec_internal(c)) {
    throw error("operator is not supported");
  }
}

}  // namespace rramft::models::ops
