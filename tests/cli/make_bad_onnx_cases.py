#!/usr/bin/python3
"""Writes the ONNX and numpy cases of the bad-input catalogue (tests/bad_inputs/<case>/): tiny
hand-built ONNX graphs (onnx.helper, a few hundred bytes each) and .npy/.npz files that are
broken in one way each, with the case's args, expect and status (2). The files are committed;
run this again after changing a case here (it rewrites only the cases it lists).

usage: /usr/bin/python3 tests/cli/make_bad_onnx_cases.py [SOURCE_DIR]   (Debian's python3-onnx)"""
import io
import os
import shutil
import struct
import sys
import zipfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
ROOT = os.path.join(SRC, "tests", "bad_inputs")
MAP = "map --model @CASE@/model.onnx --arch @SRC@/configs/default.yaml --out @OUT@"
EVAL = ("eval --model @CASE@/model.onnx --arch @SRC@/configs/default.yaml --data {data} "
        "--rates 1e-3 --trials 1 --out @OUT@")
RUN = "run --model @CASE@/model.onnx --arch @SRC@/configs/default.yaml --data {data} --out @OUT@"
INFER = "infer --model @CASE@/model.onnx --arch @SRC@/configs/default.yaml --data {data} --out @OUT@"

rng = np.random.default_rng(14)
W = rng.standard_normal((3, 4)).astype(np.float32)  # fc: 4 features -> 3 classes
B = rng.standard_normal(3).astype(np.float32)


def tiny(weight=W, bias=B, features="4", nodes=None, inits=None, inputs=None, outputs=None,
         opset=13, extra_opsets=()):
    """x [batch, 4] -> Gemm 'fc' (weight fc.weight, bias fc.bias) -> Relu 'act' -> logits [batch, 3],
    or the given nodes / initializers / inputs / outputs."""
    if inits is None:
        inits = [numpy_helper.from_array(weight, "fc.weight"), numpy_helper.from_array(bias, "fc.bias")]
    if nodes is None:
        nodes = [helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
                 helper.make_node("Relu", ["h"], ["logits"], name="act")]
    if inputs is None:
        inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", int(features)
                                                                         if features.isdigit()
                                                                         else features])]
    if outputs is None:
        outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 3])]
    g = helper.make_graph(nodes, "tiny", inputs, outputs, inits)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(g, opset_imports=opsets, producer_name="rramft-tests")
    m.ir_version = 8
    return m.SerializeToString()


def npy(a):
    b = io.BytesIO()
    np.save(b, a, allow_pickle=False)
    return b.getvalue()


def npz(**arrays):
    """A .npz with fixed timestamps (the committed bytes do not change when regenerated)."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_STORED) as z:
        for k, v in arrays.items():
            z.writestr(zipfile.ZipInfo(k + ".npy", date_time=(2026, 1, 1, 0, 0, 0)), npy(v))
    return b.getvalue()


X = rng.standard_normal((4, 4)).astype(np.float32)
Y = np.array([0, 1, 2, 1], dtype=np.int64)
GOOD = npz(x=X, y=Y)

cases = {}


def case(name, args, expect, files):
    cases[name] = (args, expect, files)


# ---- malformed ONNX files
case("onnx_empty_file", MAP, "model.onnx: not a valid ONNX file", {"model.onnx": b""})
case("onnx_not_protobuf", MAP, "model.onnx: not a valid ONNX file (the protobuf does not parse)",
     {"model.onnx": b"this is a text file, not an ONNX model\n"})
case("onnx_truncated", MAP, "model.onnx: not a valid ONNX file (the protobuf does not parse)",
     {"model.onnx": tiny()[:150]})
case("onnx_truncated_eval", EVAL.format(data="@CASE@/data.npz"),
     "model.onnx: not a valid ONNX file (the protobuf does not parse)",
     {"model.onnx": tiny()[:-7], "data.npz": GOOD})
no_graph = onnx.ModelProto(ir_version=8, opset_import=[helper.make_opsetid("", 13)])
case("onnx_no_graph", MAP, "model.onnx: not a valid ONNX file (no graph)",
     {"model.onnx": no_graph.SerializeToString()})
case("onnx_missing_file", MAP.replace("model.onnx", "absent.onnx"), "absent.onnx", {})
case("onnx_is_directory", MAP, "model.onnx", {"model.onnx/README": b"a folder named like a model\n"})
m = onnx.load_from_string(tiny())
del m.opset_import[:]
m.opset_import.append(helper.make_opsetid("com.example", 1))
case("onnx_no_default_opset", MAP, "model.onnx: imports no opset of the default ONNX domain",
     {"model.onnx": m.SerializeToString()})
case("onnx_undefined_tensor", MAP,
     "model.onnx: node 'act' (Relu) reads 'hidden', which no earlier node, initializer or input defines",
     {"model.onnx": tiny(nodes=[
         helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
         helper.make_node("Relu", ["hidden"], ["logits"], name="act")])})
case("onnx_nodes_out_of_order", MAP,
     "model.onnx: node 'act' (Relu) reads 'h', which no earlier node, initializer or input defines",
     {"model.onnx": tiny(nodes=[
         helper.make_node("Relu", ["h"], ["logits"], name="act"),
         helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1)])})
case("onnx_output_not_computed", MAP, "model.onnx: output 'probs' is computed by no node",
     {"model.onnx": tiny(outputs=[helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 3])])})
case("onnx_no_crossbar_layer", MAP,
     "model.onnx: the graph has no Conv, Gemm or MatMul with a constant weight",
     {"model.onnx": tiny(inits=[], nodes=[helper.make_node("Relu", ["x"], ["logits"], name="act")])})

# ---- external data
def external(location, offset=None, length=None, raw=None):
    t = numpy_helper.from_array(W, "fc.weight")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    if location is not None:
        t.external_data.add(key="location", value=location)
    if offset is not None:
        t.external_data.add(key="offset", value=offset)
    if length is not None:
        t.external_data.add(key="length", value=length)
    return tiny(inits=[t, numpy_helper.from_array(B, "fc.bias")])


case("onnx_external_missing", MAP, "weights.bin", {"model.onnx": external("weights.bin")})
case("onnx_external_dotdot", MAP,
     "model.onnx: initializer 'fc.weight' external location '../../../../../../etc/passwd' must be a file beside the model",
     {"model.onnx": external("../../../../../../etc/passwd")})
case("onnx_external_dotdot_inside", MAP,
     "model.onnx: initializer 'fc.weight' external location 'data/../../model.onnx' must be a file beside the model",
     {"model.onnx": external("data/../../model.onnx")})
case("onnx_external_absolute", MAP,
     "model.onnx: initializer 'fc.weight' external location '/etc/passwd' must be a file beside the model",
     {"model.onnx": external("/etc/passwd")})
case("onnx_external_symlink", MAP,
     "model.onnx: initializer 'fc.weight' external location 'weights.bin' leads outside the model's folder",
     {"model.onnx": external("weights.bin"), "weights.bin": ("symlink", "/etc/passwd")})
case("onnx_external_short", MAP,
     "weights.bin: external data of tensor 'fc.weight' lies outside the file (offset 0, length 48, file 20 bytes)",
     {"model.onnx": external("weights.bin", length="48"), "weights.bin": W.tobytes()[:20]})
case("onnx_external_past_end", MAP,
     "weights.bin: external data of tensor 'fc.weight' lies outside the file (offset 40, length 48, file 48 bytes)",
     {"model.onnx": external("weights.bin", offset="40", length="48"), "weights.bin": W.tobytes()})
case("onnx_external_wrong_size", MAP,
     "model.onnx: initializer 'fc.weight' holds 44 bytes, its shape [3,4] needs 48",
     {"model.onnx": external("weights.bin"), "weights.bin": W.tobytes()[:44]})
case("onnx_external_no_location", MAP,
     "model.onnx: initializer 'fc.weight' is stored externally but names no location",
     {"model.onnx": external(None)})
case("onnx_external_bad_offset", MAP,
     "model.onnx: initializer 'fc.weight' external offset '-8' is not a count",
     {"model.onnx": external("weights.bin", offset="-8"), "weights.bin": W.tobytes()})
case("onnx_external_is_directory", MAP, "weights", {"model.onnx": external("weights"),
                                                    "weights/README": b"a folder, not a file\n"})

# ---- shapes: dynamic dimensions the data cannot resolve, mismatches between data and model
x3 = npz(x=rng.standard_normal((4, 2, 2)).astype(np.float32), y=Y)
case("onnx_dynamic_rank_mismatch", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: samples are 2x2, the model @CASE@/model.onnx input 'x' expects [?]",
     {"model.onnx": tiny(features="features"), "data.npz": x3})
case("onnx_dynamic_resolves_wrong", EVAL.format(data="@CASE@/data.npz"),
     "model.onnx: node 'fc' (Gemm): input of shape [1,5] does not fit the weight [3,4] (4 inputs)",
     {"model.onnx": tiny(features="features"),
      "data.npz": npz(x=rng.standard_normal((4, 5)).astype(np.float32), y=Y)})
case("onnx_input_no_shape", MAP, "model.onnx: input 'x' has no shape",
     {"model.onnx": tiny(inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, None)])})
case("onnx_data_shape_mismatch", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: samples are 5, the model @CASE@/model.onnx input 'x' expects [4]",
     {"model.onnx": tiny(), "data.npz": npz(x=rng.standard_normal((4, 5)).astype(np.float32), y=Y)})
case("onnx_data_shape_mismatch_run", RUN.format(data="@CASE@/data.npz"),
     "data.npz: samples are 5, the model @CASE@/model.onnx input 'x' expects [4]",
     {"model.onnx": tiny(), "data.npz": npz(x=rng.standard_normal((4, 5)).astype(np.float32), y=Y)})
case("onnx_data_shape_mismatch_infer", INFER.format(data="@CASE@/data.npz"),
     "data.npz: samples are 5, the model @CASE@/model.onnx input 'x' expects [4]",
     {"model.onnx": tiny(), "data.npz": npz(x=rng.standard_normal((4, 5)).astype(np.float32), y=Y)})
case("onnx_data_integers_for_floats", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: holds integers, the model @CASE@/model.onnx input 'x' takes floats",
     {"model.onnx": tiny(), "data.npz": npz(x=np.ones((4, 4), np.int64), y=Y)})
case("onnx_weight_shape_mismatch", MAP,
     "model.onnx: node 'fc' (Gemm): input of shape [1,4] does not fit the weight [3,5] (5 inputs)",
     {"model.onnx": tiny(weight=rng.standard_normal((3, 5)).astype(np.float32))})
case("onnx_bias_shape_mismatch", MAP,
     "model.onnx: node 'fc' (Gemm): bias C of shape [2] is not one value per output",
     {"model.onnx": tiny(bias=np.zeros(2, np.float32))})
case("onnx_raw_data_wrong_size", MAP,
     "model.onnx: initializer 'fc.weight' holds 40 bytes, its shape [3,4] needs 48",
     {"model.onnx": (lambda t: (t.__setattr__("raw_data", W.tobytes()[:40]), tiny(
         inits=[t, numpy_helper.from_array(B, "fc.bias")]))[1])(numpy_helper.from_array(W, "fc.weight"))})
case("onnx_output_integer", MAP,
     "model.onnx: output 'logits' has shape 1; float logits of shape batch x ... x classes are needed",
     {"model.onnx": tiny(nodes=[
         helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
         helper.make_node("ReduceMax", ["h"], ["logits"], name="top", axes=[1], keepdims=0)])})
case("onnx_conv_channels_mismatch", MAP,
     "model.onnx: node 'conv' (Conv): input of shape [1,3,6,6] has 3 channels; the weight [2,1,3,3] with group 1 expects 1",
     {"model.onnx": tiny(
         inits=[numpy_helper.from_array(rng.standard_normal((2, 1, 3, 3)).astype(np.float32), "conv.weight")],
         inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 6, 6])],
         outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 2, 4, 4])],
         nodes=[helper.make_node("Conv", ["x", "conv.weight"], ["logits"], name="conv")])})

# ---- operators rramft does not have
case("onnx_unsupported_op", MAP,
     "model.onnx: node 'pick' has operator TopK (opset 13), which rramft does not support (supported: Abs,",
     {"model.onnx": tiny(nodes=[
         helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
         helper.make_node("Constant", [], ["k"], name="k", value=numpy_helper.from_array(np.array([3], np.int64))),
         helper.make_node("TopK", ["h", "k"], ["logits", "idx"], name="pick")])})
case("onnx_unsupported_op_unnamed", MAP,
     "model.onnx: node 'Einsum#1' has operator Einsum (opset 12), which rramft does not support",
     {"model.onnx": tiny(opset=12, nodes=[
         helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
         helper.make_node("Einsum", ["h"], ["logits"], equation="bi->bi")])})
case("onnx_unsupported_domain", MAP,
     "model.onnx: node 'fused' has operator com.microsoft.FusedGemm (opset 13), which rramft does not support",
     {"model.onnx": tiny(extra_opsets=[("com.microsoft", 1)], nodes=[
         helper.make_node("FusedGemm", ["x", "fc.weight", "fc.bias"], ["logits"], name="fused",
                          domain="com.microsoft", transB=1)])})
case("onnx_unsupported_attribute", MAP,
     "model.onnx: node 'pad' (Pad): mode 'reflect' is not supported",
     {"model.onnx": tiny(nodes=[
         helper.make_node("Constant", [], ["pads"], name="pads",
                          value=numpy_helper.from_array(np.array([0, 1, 0, 1], np.int64))),
         helper.make_node("Pad", ["x", "pads"], ["xp"], name="pad", mode="reflect"),
         helper.make_node("Gemm", ["xp", "fc6.weight"], ["logits"], name="fc", transB=1)],
         inits=[numpy_helper.from_array(rng.standard_normal((3, 6)).astype(np.float32), "fc6.weight")])})

# ---- malformed graphs that used to crash (signal) or exhaust memory before the node was named
def before_fc(nodes):
    """nodes computing 'z' from x [batch, 4], then the crossbar layer fc."""
    return tiny(nodes=nodes + [helper.make_node("Gemm", ["z", "fc.weight", "fc.bias"], ["logits"],
                                                name="fc", transB=1)])


def const(name, a):
    return helper.make_node("Constant", [], [name], name=name, value=numpy_helper.from_array(np.array(a)))


case("onnx_split_without_outputs", MAP, "model.onnx: node 'split' (Split): no outputs",
     {"model.onnx": before_fc([helper.make_node("Split", ["x"], [], name="split", axis=1),
                               helper.make_node("Identity", ["x"], ["z"], name="id")])})
case("onnx_split_negative", MAP, "model.onnx: node 'split' (Split): split size -2 is negative",
     {"model.onnx": before_fc([const("sizes", np.array([6, -2], np.int64)),
                               helper.make_node("Split", ["x", "sizes"], ["z", "rest"], name="split", axis=1)])})
case("onnx_int_division_overflow", MAP,
     "model.onnx: node 'div' (Div): integer division overflows (INT64_MIN / -1)",
     {"model.onnx": before_fc([const("a", np.array([-(1 << 63)], np.int64)), const("b", np.array([-1], np.int64)),
                               helper.make_node("Div", ["a", "b"], ["q"], name="div"),
                               helper.make_node("Identity", ["x"], ["z"], name="id")])})
case("onnx_constant_of_shape_huge", MAP,
     "model.onnx: node 'zeros' (ConstantOfShape): a tensor of shape [1099511627776] is too large",
     {"model.onnx": before_fc([const("shape", np.array([1 << 40], np.int64)),
                               helper.make_node("ConstantOfShape", ["shape"], ["big"], name="zeros"),
                               helper.make_node("Identity", ["x"], ["z"], name="id")])})
case("onnx_expand_huge", MAP,
     "model.onnx: node 'expand' (Expand): a tensor of shape [1048576,1048576,4] is too large",
     {"model.onnx": before_fc([const("shape", np.array([1 << 20, 1 << 20, 4], np.int64)),
                               helper.make_node("Expand", ["x", "shape"], ["big"], name="expand"),
                               helper.make_node("Identity", ["x"], ["z"], name="id")])})
case("onnx_range_float_too_long", MAP, "model.onnx: node 'range' (Range): range too long",
     {"model.onnx": before_fc([const("a", np.array(0, np.float32)), const("b", np.array(1e30, np.float32)),
                               const("d", np.array(1e-30, np.float32)),
                               helper.make_node("Range", ["a", "b", "d"], ["r"], name="range"),
                               helper.make_node("Identity", ["x"], ["z"], name="id")])})

# ---- weights that are not finite
Wn = W.copy(); Wn[1, 2] = np.nan
Bi = B.copy(); Bi[2] = np.inf
case("onnx_nan_weight", MAP, "model.onnx: initializer 'fc.weight' holds NaN at index 6",
     {"model.onnx": tiny(weight=Wn)})
case("onnx_inf_bias", MAP, "model.onnx: initializer 'fc.bias' holds inf at index 2",
     {"model.onnx": tiny(bias=Bi)})
case("onnx_nan_weight_float16", MAP, "model.onnx: initializer 'fc.weight' holds NaN at index 6",
     {"model.onnx": tiny(weight=Wn.astype(np.float16))})
case("onnx_nan_constant_node", MAP,
     "model.onnx: attribute tensor of node 'shift' 'shift_value' holds NaN at index 1",
     {"model.onnx": tiny(nodes=[
         helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
         helper.make_node("Constant", [], ["s"], name="shift",
                          value=numpy_helper.from_array(np.array([0, np.nan, 0], np.float32), "shift_value")),
         helper.make_node("Add", ["h", "s"], ["logits"], name="add")])})
bn = [numpy_helper.from_array(np.ones(3, np.float32), "bn.scale"),
      numpy_helper.from_array(np.zeros(3, np.float32), "bn.shift"),
      numpy_helper.from_array(np.zeros(3, np.float32), "bn.mean"),
      numpy_helper.from_array(np.array([1, -1, 1], np.float32), "bn.var")]
case("onnx_batchnorm_negative_variance", MAP,
     "model.onnx: node 'bn' (BatchNormalization): variance 'bn.var' is negative (-1 at index 1)",
     {"model.onnx": tiny(
         inits=[numpy_helper.from_array(W, "fc.weight"), numpy_helper.from_array(B, "fc.bias")] + bn,
         nodes=[helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
                helper.make_node("BatchNormalization", ["h", "bn.scale", "bn.shift", "bn.mean", "bn.var"],
                                 ["logits"], name="bn")])})
case("onnx_weight_overflows_folding", MAP,
     "model.onnx: node 'fc' (Gemm): the weight is not finite after folding",
     {"model.onnx": tiny(
         inits=[numpy_helper.from_array(W * 1e30, "fc.weight"), numpy_helper.from_array(B, "fc.bias"),
                numpy_helper.from_array(np.full(3, 1e30, np.float32), "bn.scale")] + bn[1:3] +
         [numpy_helper.from_array(np.ones(3, np.float32), "bn.var")],
         nodes=[helper.make_node("Gemm", ["x", "fc.weight", "fc.bias"], ["h"], name="fc", transB=1),
                helper.make_node("BatchNormalization", ["h", "bn.scale", "bn.shift", "bn.mean", "bn.var"],
                                 ["logits"], name="bn")])})

# ---- graphs rramft cannot feed or score
case("onnx_two_inputs", MAP,
     "model.onnx: the graph has 2 data inputs (input_ids, attention_mask); rramft feeds exactly one",
     {"model.onnx": tiny(
         inputs=[helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", 4]),
                 helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", 4])],
         inits=[numpy_helper.from_array(rng.standard_normal((10, 4)).astype(np.float32), "emb"),
                numpy_helper.from_array(W, "fc.weight")],
         nodes=[helper.make_node("Gather", ["emb", "input_ids"], ["e"], name="embed"),
                helper.make_node("Cast", ["attention_mask"], ["mf"], name="cast", to=TensorProto.FLOAT),
                helper.make_node("Mul", ["e", "mf"], ["h"], name="mask"),
                helper.make_node("MatMul", ["h", "fc.weight"], ["logits"], name="fc")],
         outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 4, 3])])})
TOK = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", 5])]
tok_inits = [numpy_helper.from_array(rng.standard_normal((10, 4)).astype(np.float32), "emb"),
             numpy_helper.from_array(W.T.copy(), "fc.weight")]
tok_nodes = [helper.make_node("Gather", ["emb", "input_ids"], ["e"], name="embed"),
             helper.make_node("MatMul", ["e", "fc.weight"], ["logits"], name="fc")]
per_token = tiny(inputs=TOK, inits=tok_inits, nodes=tok_nodes,
                 outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 5, 3])])
tokens = npz(x=rng.integers(0, 10, (4, 5)), y=Y)
case("onnx_per_token_logits_eval", EVAL.format(data="@CASE@/data.npz"),
     "model.onnx: gives 5 outputs per sample (logits of shape batch x 5 x 3)",
     {"model.onnx": per_token, "data.npz": tokens})
case("onnx_per_token_logits_run", RUN.format(data="@CASE@/data.npz"),
     "model.onnx: gives 5 outputs per sample (logits of shape batch x 5 x 3)",
     {"model.onnx": per_token, "data.npz": tokens})
case("onnx_token_outside_vocabulary", INFER.format(data="@CASE@/data.npz"),
     "model.onnx: node 'embed' (Gather): index 10 is outside 0..9 (a token id outside the vocabulary?)",
     {"model.onnx": per_token, "data.npz": npz(x=np.full((4, 5), 10, np.int64), y=Y)})
case("onnx_floats_for_tokens", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: holds floats, the model @CASE@/model.onnx input 'input_ids' takes integers (token ids)",
     {"model.onnx": per_token, "data.npz": npz(x=rng.standard_normal((4, 5)).astype(np.float32), y=Y)})

# ---- labels
case("labels_outside_classes", EVAL.format(data="@CASE@/data.npz"),
     "label 3 of sample 2 is outside the model's 3 classes",
     {"model.onnx": tiny(), "data.npz": npz(x=X, y=np.array([0, 1, 3, 1], np.int64))})
case("labels_outside_classes_run", RUN.format(data="@CASE@/data.npz"),
     "label 3 of sample 2 is outside the model's 3 classes",
     {"model.onnx": tiny(), "data.npz": npz(x=X, y=np.array([0, 1, 3, 1], np.int64))})
case("labels_negative", EVAL.format(data="@CASE@/data.npz"),
     "data.npz:y: label -1 of sample 1 is not a class index",
     {"model.onnx": tiny(), "data.npz": npz(x=X, y=np.array([0, -1, 2, 1], np.int64))})
case("labels_float", EVAL.format(data="@CASE@/data.npz"),
     "data.npz:y: labels must be integers (class indices)",
     {"model.onnx": tiny(), "data.npz": npz(x=X, y=np.array([0, 1.5, 2, 1], np.float32))})
case("labels_two_columns", EVAL.format(data="@CASE@/data.npz"),
     "data.npz:y: labels of shape (4,2,) for 4 samples; one class index per sample is needed",
     {"model.onnx": tiny(), "data.npz": npz(x=X, y=np.zeros((4, 2), np.int64))})
case("labels_count_mismatch", EVAL.format(data="@CASE@/x.npy,@CASE@/y.npy"),
     "y.npy: labels of shape (3,) for 4 samples; one class index per sample is needed",
     {"model.onnx": tiny(), "x.npy": npy(X), "y.npy": npy(Y[:3])})
case("labels_missing_for_eval", EVAL.format(data="@CASE@/x.npy"),
     "x.npy: holds no labels (one class index per sample is needed)",
     {"model.onnx": tiny(), "x.npy": npy(X)})

# ---- .npy files
def raw_npy(header, data=b"", version=1):
    h = header.encode()
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + data
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(h)) + h + data


HDR = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 4), }"
NPYX = EVAL.format(data="@CASE@/x.npy,@CASE@/y.npy")
npy_cases = {
    "npy_complex_dtype": ("x.npy: dtype '<c8' is not supported (floats, integers, bool)",
                          npy(X.astype(np.complex64))),
    "npy_string_dtype": ("x.npy: dtype '<U3' is not supported (floats, integers, bool)",
                         npy(np.array([["abc"] * 4] * 4))),
    "npy_object_dtype": ("x.npy: dtype '|O' is not supported",
                         raw_npy("{'descr': '|O', 'fortran_order': False, 'shape': (4, 4), }\n",
                                 b"\0" * 128)),
    "npy_structured_dtype": ("x.npy: .npy header has no 'descr'",
                             npy(np.zeros(4, dtype=[("a", "<f4"), ("b", "<f4")]))),
    "npy_big_endian": ("x.npy: big-endian dtype '>f4' is not supported", npy(X.astype(">f4"))),
    "npy_fortran_order": ("x.npy: Fortran-ordered arrays are not supported",
                          npy(np.asfortranarray(X))),
    "npy_bad_magic": ("x.npy: not a .npy file (magic \\x93NUMPY missing)",
                      b"PK\x03\x04" + npy(X)[4:]),
    "npy_header_no_shape": ("x.npy: .npy header has no 'shape'",
                            raw_npy("{'descr': '<f4', 'fortran_order': False, }\n", X.tobytes())),
    "npy_header_bad_dimension": ("x.npy: shape entry '-4' is not a dimension",
                                 raw_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-4, 4), }\n",
                                         X.tobytes())),
    "npy_header_past_end": ("x.npy: truncated .npy header", npy(X)[:40]),
    "npy_header_v2_past_end": ("x.npy: truncated .npy header",
                               b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{'descr'"),
    "npy_unknown_version": ("x.npy: .npy format version 9 is not supported",
                            b"\x93NUMPY\x09\x00" + npy(X)[8:]),
    "npy_truncated_data": ("x.npy: holds 60 data bytes, shape (4, 4) of '<f4' needs 64",
                           npy(X)[:-4]),
    "npy_extra_data": ("x.npy: holds 68 data bytes, shape (4, 4) of '<f4' needs 64",
                       npy(X) + b"\0" * 4),
    "npy_nan_input": ("x.npy: sample 2 holds NaN", npy(np.where(np.arange(16).reshape(4, 4) == 9,
                                                                np.nan, X).astype(np.float32))),
    "npy_inf_input": ("x.npy: sample 3 holds inf", npy(np.where(np.arange(16).reshape(4, 4) == 12,
                                                                -np.inf, X).astype(np.float32))),
    "npy_zero_samples": ("x.npy: holds no samples (the first dimension counts samples)",
                         npy(np.zeros((0, 4), np.float32))),
}
for name, (expect, data) in npy_cases.items():
    case(name, NPYX, expect, {"model.onnx": tiny(), "x.npy": data, "y.npy": npy(Y)})
case("npy_count_above_set", EVAL.format(data="@CASE@/data.npz:10"),
     "data.npz:x: asks for 10 samples, but the set holds 4",
     {"model.onnx": tiny(), "data.npz": GOOD})
case("npy_labels_truncated", NPYX, "y.npy: holds 24 data bytes, shape (4,) of '<i8' needs 32",
     {"model.onnx": tiny(), "x.npy": npy(X), "y.npy": npy(Y)[:-8]})
case("npy_missing_file", NPYX.replace("y.npy", "labels.npy"), "labels.npy",
     {"model.onnx": tiny(), "x.npy": npy(X)})

# ---- .npz archives
case("npz_missing_arrays", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: holds no array 'x' (or 'inputs', 'input_ids'); it holds a, b",
     {"model.onnx": tiny(), "data.npz": npz(a=X, b=Y)})
case("npz_empty", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: holds no array 'x' (or 'inputs', 'input_ids'); it holds no arrays",
     {"model.onnx": tiny(), "data.npz": npz()})
case("npz_no_labels", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: holds no labels (one class index per sample is needed)",
     {"model.onnx": tiny(), "data.npz": npz(x=X)})
case("npz_not_zip", EVAL.format(data="@CASE@/data.npz"), "data.npz: not a readable .npz (zip) file",
     {"model.onnx": tiny(), "data.npz": npy(X)})
case("npz_truncated", EVAL.format(data="@CASE@/data.npz"), "data.npz: not a readable .npz (zip) file",
     {"model.onnx": tiny(), "data.npz": GOOD[:len(GOOD) // 2]})
corrupt = bytearray(npz(x=X, y=Y))
corrupt[corrupt.find(b"\x93NUMPY") + 150] ^= 0xFF  # inside x's data: the CRC no longer matches
case("npz_bad_crc", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: entry 'x.npy' is truncated or corrupt",
     {"model.onnx": tiny(), "data.npz": bytes(corrupt)})
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    z.writestr(zipfile.ZipInfo("x.npy", date_time=(2026, 1, 1, 0, 0, 0)), b"plain text\n")
    z.writestr(zipfile.ZipInfo("y.npy", date_time=(2026, 1, 1, 0, 0, 0)), npy(Y))
case("npz_entry_not_npy", EVAL.format(data="@CASE@/data.npz"),
     "data.npz:x: not a .npy file (magic \\x93NUMPY missing)",
     {"model.onnx": tiny(), "data.npz": b.getvalue()})
b = io.BytesIO()
with zipfile.ZipFile(b, "w") as z:
    for n in ("x.npy", "x.npy", "y.npy"):
        z.writestr(zipfile.ZipInfo(n, date_time=(2026, 1, 1, 0, 0, 0)), npy(X if n[0] == "x" else Y))
case("npz_duplicate_array", EVAL.format(data="@CASE@/data.npz"),
     "data.npz: array 'x' appears twice", {"model.onnx": tiny(), "data.npz": b.getvalue()})

for name, (args, expect, files) in sorted(cases.items()):
    d = os.path.join(ROOT, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for f, content in files.items():
        p = os.path.join(d, f)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            os.symlink(content[1], p)
        else:
            with open(p, "wb") as fh:
                fh.write(content)
    with open(os.path.join(d, "args"), "w") as fh:
        fh.write(args + "\n")
    with open(os.path.join(d, "expect"), "w") as fh:
        fh.write(expect + "\n")
    with open(os.path.join(d, "status"), "w") as fh:
        fh.write("2\n")
print(f"{len(cases)} cases written under {ROOT}")
