/// @file onnx.cpp
/// @brief ONNX import (Debian's libonnx protobuf classes) into the network graph.
#include "models/onnx.h"

#include <onnx/onnx_pb.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "models/graph.h"
#include "models/idx.h"
#include "models/network.h"

namespace rramft::models {

namespace {

using shape_t = std::vector<int64_t>;

std::string shape_str(const shape_t& s) {
  std::string o = "[";
  for (size_t i = 0; i < s.size(); ++i) o += (i ? "," : "") + std::to_string(s[i]);
  return o + "]";
}

std::string dir_of(const std::string& path) {
  const size_t p = path.find_last_of('/');
  return p == std::string::npos ? "." : path.substr(0, p);
}

/// External data files already read, by path (a model's tensors usually share one file).
using file_cache = std::map<std::string, std::string>;

/// Bytes [offset, offset+length) of an external data file (length -1: to the end).
std::string read_external(const std::string& path, int64_t offset, int64_t length,
                          const std::string& tensor, file_cache& files) {
  auto it = files.find(path);
  if (it == files.end())  // a regular file, size checked first
    it = files.emplace(path, read_data_file(path)).first;
  const std::string& bytes = it->second;
  const int64_t size = int64_t(bytes.size());
  if (length < 0) length = size - offset;
  if (offset < 0 || length < 0 || offset > size || size - offset < length)
    throw error(path + ": external data of tensor '" + tensor + "' lies outside the file (offset " +
                std::to_string(offset) + ", length " + std::to_string(length) + ", file " +
                std::to_string(size) + " bytes)");
  return bytes.substr(size_t(offset), size_t(length));
}

int64_t parse_int(const std::string& s, const std::string& what) {
  size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(s, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != s.size() || s.empty() || v < 0) throw error(what + " '" + s + "' is not a count");
  return v;
}

/// A TensorProto as a graph tensor (floats or integers); @p where names it in messages.
gtensor convert(const onnx::TensorProto& t, const std::string& origin, const std::string& where,
                file_cache& files) {
  const std::string name = where + " '" + t.name() + "'";
  gtensor o;
  int64_t n = 1;
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && n > (int64_t(1) << 40) / d))
      throw error(origin + ": " + name + " has an impossible shape");
    o.shape.push_back(d);
    n *= d;
  }
  const int type = t.data_type();
  size_t width = 0;
  bool is_float = false;
  switch (type) {
    case onnx::TensorProto::FLOAT:
      width = 4;
      is_float = true;
      break;
    case onnx::TensorProto::DOUBLE:
      width = 8;
      is_float = true;
      break;
    case onnx::TensorProto::FLOAT16:
      width = 2;
      is_float = true;
      break;
    case onnx::TensorProto::BFLOAT16:
      width = 2;
      is_float = true;
      break;
    case onnx::TensorProto::INT64:
      width = 8;
      break;
    case onnx::TensorProto::UINT64:
      width = 8;
      break;
    case onnx::TensorProto::INT32:
      width = 4;
      break;
    case onnx::TensorProto::UINT32:
      width = 4;
      break;
    case onnx::TensorProto::INT16:
      width = 2;
      break;
    case onnx::TensorProto::UINT16:
      width = 2;
      break;
    case onnx::TensorProto::INT8:
      width = 1;
      break;
    case onnx::TensorProto::UINT8:
      width = 1;
      break;
    case onnx::TensorProto::BOOL:
      width = 1;
      break;
    default:
      throw error(origin + ": " + name + " has data type " + std::to_string(type) +
                  " (supported: float, double, float16, bfloat16, integers, bool)");
  }
  o.integer = !is_float;
  std::string raw;
  bool have_raw = false;
  if (t.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto& kv : t.external_data()) {
      if (kv.key() == "location")
        location = kv.value();
      else if (kv.key() == "offset")
        offset = parse_int(kv.value(), origin + ": " + name + " external offset");
      else if (kv.key() == "length")
        length = parse_int(kv.value(), origin + ": " + name + " external length");
    }
    if (location.empty())
      throw error(origin + ": " + name + " is stored externally but names no location");
    if (location[0] == '/' || location.find("..") != std::string::npos)
      throw error(origin + ": " + name + " external location '" + location +
                  "' must be a file beside the model");
    // The file must lie in the model's folder or below it: a location that is a symlink out
    // of it (or into /proc, /dev) is refused like "../" and absolute paths.
    const std::string file = dir_of(origin) + "/" + location;
    {
      std::error_code ec1, ec2;
      const std::filesystem::path base = std::filesystem::canonical(dir_of(origin), ec1);
      const std::filesystem::path real = std::filesystem::weakly_canonical(file, ec2);
      if (!ec1 && !ec2) {
        const std::string b = base.string() + (base.string().back() == '/' ? "" : "/");
        if (real.string().compare(0, b.size(), b) != 0)
          throw error(origin + ": " + name + " external location '" + location +
                      "' leads outside the model's folder (to " + real.string() + ")");
      }
    }
    raw = read_external(file, offset, length, t.name(), files);
    have_raw = true;
  } else if (t.has_raw_data()) {
    raw = t.raw_data();
    have_raw = true;
  }
  if (have_raw && raw.size() != size_t(n) * width)
    throw error(origin + ": " + name + " holds " + std::to_string(raw.size()) +
                " bytes, its shape " + shape_str(o.shape) + " needs " +
                std::to_string(size_t(n) * width));
  auto count = [&](int have) {
    if (int64_t(have) != n)
      throw error(origin + ": " + name + " holds " + std::to_string(have) + " values, its shape " +
                  shape_str(o.shape) + " needs " + std::to_string(n));
  };
  auto put = [&](size_t e, double fv, int64_t iv) {
    if (is_float)
      o.f[e] = float(fv);
    else
      o.i[e] = iv;
  };
  if (is_float)
    o.f.resize(size_t(n));
  else
    o.i.resize(size_t(n));
  for (int64_t e = 0; e < n; ++e) {
    const size_t k = size_t(e);
    if (have_raw) {
      const char* p = raw.data() + k * width;
      switch (type) {
        case onnx::TensorProto::FLOAT: {
          float v;
          std::memcpy(&v, p, 4);
          put(k, v, 0);
          break;
        }
        case onnx::TensorProto::DOUBLE: {
          double v;
          std::memcpy(&v, p, 8);
          put(k, v, 0);
          break;
        }
        case onnx::TensorProto::FLOAT16: {
          uint16_t b;
          std::memcpy(&b, p, 2);
          put(k, double(float(Eigen::numext::bit_cast<Eigen::half>(b))), 0);
          break;
        }
        case onnx::TensorProto::BFLOAT16: {
          uint16_t b;
          std::memcpy(&b, p, 2);
          put(k, double(float(Eigen::numext::bit_cast<Eigen::bfloat16>(b))), 0);
          break;
        }
        case onnx::TensorProto::INT64:
        case onnx::TensorProto::UINT64: {
          int64_t v;
          std::memcpy(&v, p, 8);
          put(k, 0, v);
          break;
        }
        case onnx::TensorProto::INT32: {
          int32_t v;
          std::memcpy(&v, p, 4);
          put(k, 0, v);
          break;
        }
        case onnx::TensorProto::UINT32: {
          uint32_t v;
          std::memcpy(&v, p, 4);
          put(k, 0, v);
          break;
        }
        case onnx::TensorProto::INT16: {
          int16_t v;
          std::memcpy(&v, p, 2);
          put(k, 0, v);
          break;
        }
        case onnx::TensorProto::UINT16: {
          uint16_t v;
          std::memcpy(&v, p, 2);
          put(k, 0, v);
          break;
        }
        case onnx::TensorProto::INT8:
          put(k, 0, int8_t(p[0]));
          break;
        default:
          put(k, 0, uint8_t(p[0]));
          break;  // UINT8, BOOL
      }
    } else {
      switch (type) {
        case onnx::TensorProto::FLOAT:
          if (k == 0) count(t.float_data_size());
          put(k, t.float_data(int(k)), 0);
          break;
        case onnx::TensorProto::DOUBLE:
          if (k == 0) count(t.double_data_size());
          put(k, t.double_data(int(k)), 0);
          break;
        case onnx::TensorProto::INT64:
          if (k == 0) count(t.int64_data_size());
          put(k, 0, t.int64_data(int(k)));
          break;
        case onnx::TensorProto::UINT64:
        case onnx::TensorProto::UINT32:
          if (k == 0) count(t.uint64_data_size());
          put(k, 0, int64_t(t.uint64_data(int(k))));
          break;
        case onnx::TensorProto::FLOAT16:
        case onnx::TensorProto::BFLOAT16: {
          if (k == 0) count(t.int32_data_size());
          const uint16_t b = uint16_t(t.int32_data(int(k)));
          put(k,
              type == onnx::TensorProto::FLOAT16
                  ? double(float(Eigen::numext::bit_cast<Eigen::half>(b)))
                  : double(float(Eigen::numext::bit_cast<Eigen::bfloat16>(b))),
              0);
          break;
        }
        default:
          if (k == 0) count(t.int32_data_size());
          put(k, 0, t.int32_data(int(k)));
          break;
      }
    }
  }
  if (n == 0 && !have_raw) {
    // nothing to read: an empty tensor
  }
  if (is_float)
    for (int64_t e = 0; e < n; ++e)
      if (!std::isfinite(o.f[size_t(e)]))
        throw error(origin + ": " + name + " holds " +
                    (std::isnan(o.f[size_t(e)]) ? "NaN" : "inf") + " at index " +
                    std::to_string(e));
  return o;
}

bool is_float_type(int t) {
  return t == onnx::TensorProto::FLOAT || t == onnx::TensorProto::DOUBLE ||
         t == onnx::TensorProto::FLOAT16 || t == onnx::TensorProto::BFLOAT16;
}
bool is_int_type(int t) {
  return t == onnx::TensorProto::INT64 || t == onnx::TensorProto::INT32 ||
         t == onnx::TensorProto::UINT8 || t == onnx::TensorProto::INT8 ||
         t == onnx::TensorProto::INT16 || t == onnx::TensorProto::UINT16 ||
         t == onnx::TensorProto::UINT32 || t == onnx::TensorProto::UINT64;
}

/// How many consumers each value has (graph outputs count as one).
std::vector<int> consumers(const graph& g) {
  std::vector<int> c(g.names.size(), 0);
  for (const gnode& nd : g.nodes)
    for (int v : nd.in)
      if (v >= 0) ++c[size_t(v)];
  if (g.output >= 0) ++c[size_t(g.output)];
  return c;
}

/// Turns constant-weight Conv / Gemm / MatMul into crossbar layers, folding a following
/// BatchNormalization (Conv, Gemm) or bias Add (MatMul) into the layer.
void make_layers(graph& g, model& m) {
  std::set<std::string> names;
  std::vector<int> uses = consumers(g);
  auto sole_reader = [&](int v, const char* op) -> int {
    if (v < 0 || uses[size_t(v)] != 1 || v == g.output) return -1;
    for (size_t k = 0; k < g.nodes.size(); ++k)
      if (g.nodes[k].op == op && !g.nodes[k].in.empty() && g.nodes[k].in[0] == v) return int(k);
    return -1;
  };
  std::vector<bool> drop(g.nodes.size(), false);
  for (size_t k = 0; k < g.nodes.size(); ++k) {
    gnode& nd = g.nodes[k];
    if (nd.op != "Conv" && nd.op != "Gemm" && nd.op != "MatMul") continue;
    if (nd.in.size() < 2 || nd.in[1] < 0 || !g.constants[size_t(nd.in[1])]) continue;
    const gtensor& W = *g.constants[size_t(nd.in[1])];
    const auto fail = [&](const std::string& what) {
      throw error(g.origin + ": node '" + nd.name + "' (" + nd.op + "): " + what);
    };
    if (W.integer) fail("integer weights are not supported");
    weight_layer l;
    l.name = nd.name;
    for (int dup = 2; names.count(l.name); ++dup) l.name = nd.name + "#" + std::to_string(dup);
    names.insert(l.name);
    l.shape = W.shape;
    nd.wshape = W.shape;
    const gtensor* bias =
        nd.in.size() > 2 && nd.in[2] >= 0 ? g.constants[size_t(nd.in[2])].get() : nullptr;
    if (nd.in.size() > 2 && nd.in[2] >= 0 && !bias) {
      if (nd.op == "Conv") fail("a computed (non-constant) bias is not supported");
      continue;  // Gemm with a computed C: a digital product
    }
    if (nd.op == "Conv") {
      if (W.shape.size() != 3 && W.shape.size() != 4)
        fail("weight " + shape_str(W.shape) + ": only 1-D and 2-D convolutions are supported");
      const int64_t group = nd.attrs.count("group") ? nd.attrs.at("group").i : 1;
      const int64_t O = W.shape[0], Cg = W.shape[1];
      int64_t K = 1;
      for (size_t d = 2; d < W.shape.size(); ++d) K *= W.shape[d];
      if (group < 1 || O % group)
        fail("group " + std::to_string(group) + " does not divide " + std::to_string(O) +
             " output channels");
      nd.group = group;
      const int64_t C = Cg * group, Og = O / group;
      if (C * K > std::numeric_limits<int>::max() || O > std::numeric_limits<int>::max())
        fail("weight " + shape_str(W.shape) + " is too large");
      l.kind = "conv2d";
      l.rows = int(C * K);
      l.cols = int(O);
      // Block-diagonal over groups: output o reads only its group's input channels.
      l.w.assign(size_t(O * C * K), 0.0f);
      for (int64_t o = 0; o < O; ++o) {
        const int64_t c0 = (o / Og) * Cg;
        std::copy_n(&W.f[size_t(o * Cg * K)], size_t(Cg * K), &l.w[size_t((o * C + c0) * K)]);
      }
      if (bias) {
        if (bias->numel() != O)
          fail("bias of shape " + shape_str(bias->shape) + " for " + std::to_string(O) +
               " output channels");
        l.bias.assign(bias->f.begin(), bias->f.end());
      }
    } else {
      if (W.shape.size() != 2) continue;  // a batched constant operand: digital
      float alpha = 1, beta = 1;
      bool transB = false;
      if (nd.op == "Gemm") {
        if (nd.attrs.count("alpha")) alpha = nd.attrs.at("alpha").f;
        if (nd.attrs.count("beta")) beta = nd.attrs.at("beta").f;
        transB = nd.attrs.count("transB") && nd.attrs.at("transB").i;
      }
      const int64_t K = transB ? W.shape[1] : W.shape[0], N = transB ? W.shape[0] : W.shape[1];
      if (K > std::numeric_limits<int>::max() || N > std::numeric_limits<int>::max())
        fail("weight " + shape_str(W.shape) + " is too large");
      l.kind = "linear";
      l.rows = int(K);
      l.cols = int(N);
      l.w.resize(size_t(K * N));
      for (int64_t o = 0; o < N; ++o)
        for (int64_t i = 0; i < K; ++i)
          l.w[size_t(o * K + i)] =
              alpha * (transB ? W.f[size_t(o * K + i)] : W.f[size_t(i * N + o)]);
      if (bias) {
        if (bias->integer) fail("integer bias");
        if (bias->numel() == N) {
          l.bias.assign(bias->f.begin(), bias->f.end());
        } else if (bias->numel() == 1) {
          l.bias.assign(size_t(N), bias->f[0]);
        } else {
          fail("bias C of shape " + shape_str(bias->shape) + " is not one value per output");
        }
        for (float& b : l.bias) b *= beta;
      }
      if (nd.op == "MatMul") {
        // MatMul followed by the Add of a constant vector: a linear layer with a bias.
        const int v = nd.out[0];
        int add = -1, other = -1;
        if (v >= 0 && v != g.output && uses[size_t(v)] == 1)
          for (size_t q = 0; q < g.nodes.size() && add < 0; ++q)
            if (g.nodes[q].op == "Add" && g.nodes[q].in.size() == 2 &&
                (g.nodes[q].in[0] == v || g.nodes[q].in[1] == v)) {
              add = int(q);
              other = g.nodes[q].in[0] == v ? g.nodes[q].in[1] : g.nodes[q].in[0];
            }
        if (add >= 0 && other >= 0 && other != v) {
          gnode& a = g.nodes[size_t(add)];
          const gtensor* b = g.constants[size_t(other)].get();
          if (b && !b->integer && b->shape.size() == 1 && b->shape[0] == N) {
            l.bias.assign(b->f.begin(), b->f.end());
            nd.out[0] = a.out[0];
            drop[size_t(add)] = true;
          }
        }
      }
    }
    if (nd.op == "Conv" || nd.op == "Gemm") {
      // BatchNormalization right after: scale the weights, shift the bias.
      const int bn = sole_reader(nd.out[0], "BatchNormalization");
      if (bn >= 0) {
        gnode& b = g.nodes[size_t(bn)];
        bool ok = b.in.size() >= 5 && (b.out.size() == 1 || b.out[1] < 0);
        for (size_t q = 1; ok && q < 5; ++q) ok = b.in[q] >= 0 && g.constants[size_t(b.in[q])];
        if (ok) {
          const gtensor &sc = *g.constants[size_t(b.in[1])], &sh = *g.constants[size_t(b.in[2])],
                        &mean = *g.constants[size_t(b.in[3])], &var = *g.constants[size_t(b.in[4])];
          const size_t O = size_t(l.cols);
          ok = sc.f.size() == O && sh.f.size() == O && mean.f.size() == O && var.f.size() == O;
          if (ok) {
            const double eps = b.attrs.count("epsilon") ? b.attrs.at("epsilon").f : 1e-5;
            if (l.bias.empty()) l.bias.assign(O, 0.0f);
            for (size_t o = 0; o < O; ++o) {
              const float kf = float(sc.f[o] / std::sqrt(double(var.f[o]) + eps));
              for (int r = 0; r < l.rows; ++r) l.w[o * size_t(l.rows) + size_t(r)] *= kf;
              l.bias[o] = (l.bias[o] - mean.f[o]) * kf + sh.f[o];
            }
            nd.out[0] = b.out[0];
            drop[size_t(bn)] = true;
          }
        }
      }
    }
    for (float v : l.w)
      if (!std::isfinite(v)) fail("the weight is not finite after folding");
    nd.layer = int(m.layers.size());
    m.layers.push_back(std::move(l));
  }
  std::vector<gnode> kept;
  for (size_t k = 0; k < g.nodes.size(); ++k)
    if (!drop[k]) kept.push_back(std::move(g.nodes[k]));
  g.nodes = std::move(kept);
}

}  // namespace

bool is_onnx_path(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

model parse_onnx(const std::string& bytes, const std::string& origin) {
  onnx::ModelProto mp;
  if (bytes.size() > size_t(std::numeric_limits<int>::max()) ||
      !mp.ParseFromArray(bytes.data(), int(bytes.size())))
    throw error(origin + ": not a valid ONNX file (the protobuf does not parse)");
  if (!mp.has_graph()) throw error(origin + ": not a valid ONNX file (no graph)");
  auto g = std::make_shared<graph>();
  g->origin = origin;
  for (const auto& os : mp.opset_import())
    if (os.domain().empty() || os.domain() == "ai.onnx") g->opset = int(os.version());
  if (g->opset == 0) throw error(origin + ": imports no opset of the default ONNX domain");
  const onnx::GraphProto& gp = mp.graph();

  // Every operator is checked before anything is converted.
  const std::vector<std::string>& ops = supported_ops();
  for (int k = 0; k < gp.node_size(); ++k) {
    const onnx::NodeProto& n = gp.node(k);
    const std::string name = n.name().empty() ? n.op_type() + "#" + std::to_string(k) : n.name();
    const bool std_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (!std_domain || !std::binary_search(ops.begin(), ops.end(), n.op_type())) {
      std::string list;
      for (const auto& o : ops) list += (list.empty() ? "" : ", ") + o;
      throw error(origin + ": node '" + name + "' has operator " +
                  (std_domain ? "" : n.domain() + ".") + n.op_type() + " (opset " +
                  std::to_string(g->opset) +
                  "), which rramft does not support (supported: " + list + ")");
    }
  }

  file_cache files;
  std::map<std::string, int> id;
  auto value = [&](const std::string& name) {
    auto it = id.find(name);
    if (it != id.end()) return it->second;
    const int v = int(g->names.size());
    id[name] = v;
    g->names.push_back(name);
    g->constants.push_back(nullptr);
    return v;
  };
  std::vector<bool> defined;
  auto define = [&](int v) {
    if (size_t(v) >= defined.size()) defined.resize(size_t(v) + 1, false);
    defined[size_t(v)] = true;
  };
  auto is_defined = [&](int v) { return size_t(v) < defined.size() && defined[size_t(v)]; };

  for (const auto& t : gp.initializer()) {
    if (t.name().empty()) throw error(origin + ": an initializer has no name");
    const int v = value(t.name());
    if (is_defined(v)) throw error(origin + ": initializer '" + t.name() + "' is defined twice");
    g->constants[size_t(v)] = std::make_shared<gtensor>(convert(t, origin, "initializer", files));
    define(v);
  }
  // The data input: the graph input that no initializer defines.
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& in : gp.input())
    if (!id.count(in.name())) inputs.push_back(&in);
  if (inputs.size() != 1) {
    std::string list;
    for (const auto* in : inputs) list += (list.empty() ? "" : ", ") + in->name();
    throw error(origin + ": the graph has " + std::to_string(inputs.size()) + " data inputs (" +
                list + "); rramft feeds exactly one");
  }
  const onnx::ValueInfoProto& in = *inputs[0];
  g->input_name = in.name();
  g->input = value(in.name());
  define(g->input);
  if (!in.type().has_tensor_type())
    throw error(origin + ": input '" + in.name() + "' is not a tensor");
  const int et = in.type().tensor_type().elem_type();
  if (is_int_type(et))
    g->input_integer = true;
  else if (!is_float_type(et))
    throw error(origin + ": input '" + in.name() + "' has element type " + std::to_string(et) +
                " (supported: floats, integers)");
  if (!in.type().tensor_type().has_shape() || in.type().tensor_type().shape().dim_size() < 1)
    throw error(origin + ": input '" + in.name() +
                "' has no shape (rank >= 1 with a batch "
                "dimension first is needed)");
  const auto& dims = in.type().tensor_type().shape().dim();
  g->batch = dims[0].has_dim_value() && dims[0].dim_value() > 0 ? dims[0].dim_value() : 0;
  for (int k = 1; k < dims.size(); ++k)
    g->input_dims.push_back(dims[k].has_dim_value() && dims[k].dim_value() > 0 ? dims[k].dim_value()
                                                                               : -1);
  if (gp.output_size() < 1) throw error(origin + ": the graph has no output");
  g->output_name = gp.output(0).name();

  for (int k = 0; k < gp.node_size(); ++k) {
    const onnx::NodeProto& n = gp.node(k);
    gnode nd;
    nd.op = n.op_type();
    nd.name = n.name().empty() ? n.op_type() + "#" + std::to_string(k) : n.name();
    for (const auto& s : n.input()) {
      if (s.empty()) {
        nd.in.push_back(-1);
        continue;
      }
      const int v = value(s);
      if (!is_defined(v))
        throw error(origin + ": node '" + nd.name + "' (" + nd.op + ") reads '" + s +
                    "', which no earlier node, initializer or input defines");
      nd.in.push_back(v);
    }
    for (const auto& s : n.output()) {
      if (s.empty()) {
        nd.out.push_back(-1);
        continue;
      }
      const int v = value(s);
      if (is_defined(v))
        throw error(origin + ": node '" + nd.name + "' (" + nd.op + ") redefines '" + s + "'");
      define(v);
      nd.out.push_back(v);
    }
    for (const auto& a : n.attribute()) {
      gattr at;
      switch (a.type()) {
        case onnx::AttributeProto::FLOAT:
          at.f = a.f();
          break;
        case onnx::AttributeProto::INT:
          at.i = a.i();
          break;
        case onnx::AttributeProto::STRING:
          at.s = a.s();
          break;
        case onnx::AttributeProto::FLOATS:
          at.floats.assign(a.floats().begin(), a.floats().end());
          break;
        case onnx::AttributeProto::INTS:
          at.ints.assign(a.ints().begin(), a.ints().end());
          break;
        case onnx::AttributeProto::TENSOR:
          at.t = std::make_shared<gtensor>(
              convert(a.t(), origin, "attribute tensor of node '" + nd.name + "'", files));
          break;
        default:
          throw error(origin + ": node '" + nd.name + "' (" + nd.op + "): attribute '" + a.name() +
                      "' has a type rramft does not read");
      }
      nd.attrs[a.name()] = std::move(at);
    }
    g->nodes.push_back(std::move(nd));
  }
  if (!id.count(g->output_name) || !is_defined(id.at(g->output_name)))
    throw error(origin + ": output '" + g->output_name + "' is computed by no node");
  g->output = id.at(g->output_name);

  fold_constants(*g);
  // A batch norm's constant variance must be >= 0 (sqrt(var + eps) of a negative one is NaN,
  // folded or not).
  for (const gnode& nd : g->nodes)
    if (nd.op == "BatchNormalization" && nd.in.size() >= 5 && nd.in[4] >= 0)
      if (const gtensor* var = g->constants[size_t(nd.in[4])].get(); var && !var->integer)
        for (size_t k = 0; k < var->f.size(); ++k)
          if (var->f[k] < 0) {
            std::ostringstream v;
            v << var->f[k];
            throw error(origin + ": node '" + nd.name + "' (BatchNormalization): variance '" +
                        g->names[size_t(nd.in[4])] + "' is negative (" + v.str() + " at index " +
                        std::to_string(k) + ")");
          }
  model m;
  m.dir = origin;
  m.family = "onnx";
  make_layers(*g, m);
  if (m.layers.empty())
    throw error(origin +
                ": the graph has no Conv, Gemm or MatMul with a constant weight (nothing "
                "to place on crossbars)");
  plan_lifetimes(*g);
  m.input_dims = g->input_dims;
  m.network_graph = g;
  return m;
}

model load_onnx(const std::string& path) {
  model m = parse_onnx(read_data_file(path), path);  // a regular file, size checked first
  resolve_shapes(m);                                 // a dry run when the input's shape is fixed
  return m;
}

}  // namespace rramft::models
