#pragma once
/// @file graph_ops.h
/// @brief Internal to the graph interpreter (models/graph*.cpp): tensor helpers shared by the
/// operator files, and the context one node executes in.
#include <Eigen/Dense>
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "models/graph.h"
#include "models/kernels.h"
#include "models/model.h"
#include "models/network.h"

namespace rramft::models::ops {

using shape_t = std::vector<int64_t>;
using matf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

std::string shape_str(const shape_t& s);
int64_t numel_of(const shape_t& s);
shape_t strides_of(const shape_t& s);
/// An axis in [-rank, rank) made non-negative.
int64_t norm_axis(int64_t a, size_t rank, const char* what = "axis");
/// Refuses a negative dimension or a tensor above 2^32 elements.
void check_size(const shape_t& s);
/// A tensor of the shape, its elements not yet written.
gtensor make_float(shape_t s);
gtensor make_int(shape_t s);
shape_t broadcast(const shape_t& a, const shape_t& b);
/// Offsets into a tensor of shape @p s broadcast to @p out, one per output element.
std::vector<int64_t> broadcast_index(const shape_t& s, const shape_t& out);
/// Copies elements of @p x by an index map (reshapes keep the data; transposes/slices gather).
gtensor gather_elements(const gtensor& x, shape_t out, const std::vector<int64_t>& idx);
std::vector<int64_t> ints_of(const gtensor& t, const char* what);
float scalar_float(const gtensor& t, const char* what);
std::vector<int64_t> attr_ints(const gnode& nd, const char* key, std::vector<int64_t> fallback);
int64_t attr_int(const gnode& nd, const char* key, int64_t fallback);
float attr_float(const gnode& nd, const char* key, float fallback);

struct conv_geometry {
  int64_t n, c, h, w, o, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow;
};
/// Geometry of a 1-D or 2-D window operator on @p x (N, C, [H,] W), kernel @p k.
conv_geometry geometry(const gnode& nd, const shape_t& x, shape_t k, bool ceil_mode = false);
/// im2col of NCHW input: one row of c*kh*kw values per output pixel, ordered (channel, ky, kx).
fvec im2col(const gtensor& x, const conv_geometry& g);
void check_finite_input(const gtensor& t);
gtensor matmul_digital(const gtensor& a, const gtensor& b);

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

/// One node being executed: its inputs, where its outputs go, the backend (null while
/// constants are folded: no crossbar layer then, no digital operation reported).
struct node_ctx {
  const graph& g;
  const model* m;
  const gnode& nd;
  std::vector<const gtensor*>& ptr;
  std::vector<gtensor>& vals;
  linear_backend* be;

  bool has(size_t k) const { return k < nd.in.size() && nd.in[k] >= 0; }
  const gtensor& in(size_t k) const {
    if (!has(k)) throw error("input " + std::to_string(k) + " is missing");
    const gtensor* t = ptr[size_t(nd.in[k])];
    if (!t) throw error("input '" + g.names[size_t(nd.in[k])] + "' has no value");
    return *t;
  }
  void set(size_t k, gtensor t) {
    if (k >= nd.out.size() || nd.out[k] < 0) return;
    vals[size_t(nd.out[k])] = std::move(t);
    ptr[size_t(nd.out[k])] = &vals[size_t(nd.out[k])];
  }
  /// Whether input @p k may be moved out: a computed value (no constant, not the graph's
  /// output) that this node reads once and last, while the graph runs.
  bool takeable(size_t k) const {
    if (!be || !has(k)) return false;
    const int v = nd.in[k];
    return !g.constants[size_t(v)] && v != g.output && ptr[size_t(v)] == &vals[size_t(v)] &&
           std::count(nd.in.begin(), nd.in.end(), v) == 1 &&
           std::find(nd.last_use.begin(), nd.last_use.end(), v) != nd.last_use.end();
  }
  /// Input @p k to overwrite: moved out when takeable(k), else a copy.
  gtensor take(size_t k) {
    if (!takeable(k)) return in(k);
    const int v = nd.in[k];
    ptr[size_t(v)] = nullptr;
    return std::move(vals[size_t(v)]);
  }
  void digital(const char* op, size_t elements) {
    if (be) be->digital(op, elements);
  }
};

/// Executes one node (any operator); errors are left to the caller to name the node.
void exec(node_ctx& c);
/// The shape, indexing and comparison operators (graph_shape_ops.cpp); false: not one of them.
bool exec_shape(node_ctx& c);
/// The internal operators the family front ends use (models/families.cpp); false: not one.
bool exec_internal(node_ctx& c);

}  // namespace rramft::models::ops
