/// @file graph_shape_ops.cpp
/// @brief The graph interpreter's shape, indexing and comparison operators (Shape, Cast,
/// Reshape, Transpose, Concat, Split, Slice, Gather, Where, Pad, Expand, ...).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "models/graph_ops.h"

namespace rramft::models::ops {

bool exec_shape(node_ctx& c) {
  const graph& g = c.g;
  const gnode& nd = c.nd;
  auto has = [&](size_t k) { return c.has(k); };
  auto in = [&](size_t k) -> const gtensor& { return c.in(k); };
  auto set = [&](size_t k, gtensor t) { c.set(k, std::move(t)); };
  auto digital = [&](const char* op, size_t elements) { c.digital(op, elements); };
  const std::string& op = nd.op;
  if (op == "Shape") {
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
    return false;
  }
  return true;
}

}  // namespace rramft::models::ops
