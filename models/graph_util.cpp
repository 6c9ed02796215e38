/// @file graph_util.cpp
/// @brief Tensor helpers of the graph interpreter (models/graph_ops.h).
#include <algorithm>
#include <set>

#include "models/graph_ops.h"

namespace rramft::models::ops {

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
int64_t norm_axis(int64_t a, size_t rank, const char* what) {
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

conv_geometry geometry(const gnode& nd, const shape_t& x, shape_t k, bool ceil_mode) {
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

fvec im2col(const gtensor& x, const conv_geometry& g) {
  const size_t cols = size_t(g.c * g.kh * g.kw), P = size_t(g.oh * g.ow);
  fvec out(size_t(g.n) * P * cols);
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

}  // namespace rramft::models::ops
