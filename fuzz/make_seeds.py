#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) and their dictionaries
(fuzz/dicts/<target>.dict). Deterministic and small (each seed a few KiB at most); run from the
repository root after changing a format: /usr/bin/python3 fuzz/make_seeds.py"""
import gzip
import json
import os
import re
import struct

OUT = "fuzz/corpus"
DICTS = "fuzz/dicts"

DTYPES = {"F32": "<f", "F64": "<d", "I8": "<b", "I16": "<h", "I32": "<i", "I64": "<q",
          "U8": "<B", "BOOL": "<B", "F16": "<e"}


def pack(dtype, values):
    if dtype == "BF16":
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    return b"".join(struct.pack(DTYPES[dtype], v) for v in values)


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, values)."""
    header, buf = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, values in tensors:
        data = pack(dtype, values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + buf


def values(n, k=0):
    """n small deterministic values, some exactly zero (pruned), none large."""
    return [0.0 if (i + k) % 5 == 0 else ((i * 7 + k) % 11 - 5) / 8.0 for i in range(n)]


def linear(name, i, o, dtype="F32", bias=True, k=0):
    t = [(name + ".weight", dtype, [o, i], values(o * i, k))]
    if bias:
        t.append((name + ".bias", dtype, [o], values(o, k + 1)))
    return t


def norm(name, n):
    return [(name + ".weight", "F32", [n], [1.0] * n), (name + ".bias", "F32", [n], [0.0] * n)]


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def model_seed(config, tensors):
    return json.dumps(config, indent=1).encode() + b"\n#safetensors#\n" + safetensors(tensors)


def seeds_safetensors():
    write("safetensors", "f32", safetensors([("a", "F32", [2, 3], values(6))], {"format": "pt"}))
    for dt in ["F16", "BF16", "F64", "I8", "I16", "I32", "I64", "U8"]:
        write("safetensors", dt.lower(), safetensors([("w", dt, [4], [1, 0, 2, 3])]))
    write("safetensors", "bool", safetensors([("m", "BOOL", [3], [1, 0, 1])]))
    write("safetensors", "scalar_and_empty",
          safetensors([("s", "F32", [], [2.5]), ("e", "F32", [0, 4], [])]))
    write("safetensors", "two", safetensors([("x.weight", "F32", [2, 2], values(4)),
                                              ("x.bias", "F32", [2], [0.5, -0.5])]))
    write("safetensors", "empty_header", safetensors([]))


def seeds_model():
    write("model", "mlp", model_seed({"model_type": "mlp", "layer_sizes": [4, 3, 2], "activation": "relu"},
                                     linear("fc1", 4, 3) + linear("fc2", 3, 2)))
    masked = linear("fc1", 4, 3) + linear("fc2", 3, 2, dtype="F16")
    masked[0] = ("fc1.weight", "F32", [3, 4], [0.0, 1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6])
    masked += [("fc1.out_mask", "F32", [3], [1, 0, 1]), ("fc1.in_mask", "BOOL", [4], [0, 1, 1, 1])]
    write("model", "mlp_masks", model_seed({"model_type": "mlp", "layer_sizes": [4, 3, 2]}, masked))
    lenet = []
    lenet += [("conv1.weight", "I8", [6, 1, 5, 5], [(i % 3) - 1 for i in range(150)]),
              ("conv1.bias", "I8", [6], [0] * 6)]
    lenet += [("conv2.weight", "I8", [16, 6, 5, 5], [(i % 5) - 2 for i in range(2400)]),
              ("conv2.bias", "I8", [16], [0] * 16)]
    lenet += linear("fc1", 16, 120, dtype="I8") + linear("fc2", 120, 84, dtype="I8")
    lenet += linear("fc3", 84, 2, dtype="I8")
    lenet = [(n, d, s, [int(v * 8) for v in vals]) for n, d, s, vals in lenet]
    write("model", "lenet5", model_seed({"model_type": "lenet5", "in_channels": 1, "image_size": 16,
                                         "num_classes": 2}, lenet))
    h, inter, tokens = 4, 8, 5
    vit = [("vit.embeddings.cls_token", "F32", [1, 1, h], values(h)),
           ("vit.embeddings.position_embeddings", "F32", [1, tokens, h], values(tokens * h)),
           ("vit.embeddings.patch_embeddings.projection.weight", "F32", [h, 1, 2, 2], values(16)),
           ("vit.embeddings.patch_embeddings.projection.bias", "F32", [h], values(h))]
    p = "vit.encoder.layer.0."
    vit += norm(p + "layernorm_before", h)
    for q in ["query", "key", "value"]:
        vit += linear(p + "attention.attention." + q, h, h)
    vit += linear(p + "attention.output.dense", h, h) + norm(p + "layernorm_after", h)
    vit += linear(p + "intermediate.dense", h, inter) + linear(p + "output.dense", inter, h)
    vit += norm("vit.layernorm", h) + linear("classifier", h, 2)
    write("model", "vit", model_seed({"model_type": "vit", "hidden_size": h, "num_hidden_layers": 1,
                                      "num_attention_heads": 2, "intermediate_size": inter,
                                      "image_size": 4, "patch_size": 2, "num_channels": 1,
                                      "num_labels": 2, "qkv_bias": True}, vit))
    bert = [("bert.embeddings.word_embeddings.weight", "F32", [6, h], values(6 * h)),
            ("bert.embeddings.position_embeddings.weight", "F32", [4, h], values(4 * h)),
            ("bert.embeddings.token_type_embeddings.weight", "F32", [2, h], values(2 * h))]
    bert += norm("bert.embeddings.LayerNorm", h)
    p = "bert.encoder.layer.0."
    for q in ["query", "key", "value"]:
        bert += linear(p + "attention.self." + q, h, h)
    bert += linear(p + "attention.output.dense", h, h) + norm(p + "attention.output.LayerNorm", h)
    bert += linear(p + "intermediate.dense", h, inter) + linear(p + "output.dense", inter, h)
    bert += norm(p + "output.LayerNorm", h)
    bert += linear("bert.pooler.dense", h, h) + linear("classifier", h, 2)
    write("model", "bert", model_seed({"model_type": "bert", "hidden_size": h, "num_hidden_layers": 1,
                                       "num_attention_heads": 2, "intermediate_size": inter,
                                       "vocab_size": 6, "max_position_embeddings": 4,
                                       "type_vocab_size": 2, "id2label": {"0": "a", "1": "b"}}, bert))

    # resnet: a stem and one stage of one block with a downsample shortcut, widths [2, 3].
    resnet = []

    def conv_bn(conv, bn, cin, cout, k):
        resnet.append((conv + ".weight", "F32", [cout, cin, k, k], values(cout * cin * k * k)))
        resnet.extend([(bn + ".weight", "F32", [cout], values(cout)),
                       (bn + ".bias", "F32", [cout], values(cout, 1)),
                       (bn + ".running_mean", "F32", [cout], values(cout, 2)),
                       (bn + ".running_var", "F32", [cout], [1.0] * cout)])
    conv_bn("conv1", "bn1", 1, 2, 3)
    conv_bn("layer1.0.conv1", "layer1.0.bn1", 2, 2, 3)
    conv_bn("layer1.0.conv2", "layer1.0.bn2", 2, 2, 3)
    conv_bn("layer2.0.downsample.0", "layer2.0.downsample.1", 2, 3, 1)
    conv_bn("layer2.0.conv1", "layer2.0.bn1", 2, 3, 3)
    conv_bn("layer2.0.conv2", "layer2.0.bn2", 3, 3, 3)
    resnet += linear("fc", 3, 2)
    write("model", "resnet", model_seed({"model_type": "resnet", "widths": [2, 3], "blocks": [1, 1],
                                         "in_channels": 1, "image_size": 6, "num_labels": 2}, resnet))


def seeds_arch():
    for name in ["default", "peer-256"]:
        write("arch", name, open("configs/%s.yaml" % name).read())
    write("arch", "empty", "")
    write("arch", "sets", "crossbar:\n  rows: 64\n#set#\nadc.bits=6\nprotection.scheme=tmr\n"
                          "fault.sa0_to_sa1=1.75:9.04\nseed=12345\n")
    write("arch", "set_from", "crossbar:\n  rows: 128\n#set#\nadc.bits=7\n#set-from#\n"
                              "# rramft rtl-timing\ntiming:\n  vote_cycles: 4\n  vote_ii: 1\n"
                              "  opc_cycles: 2\nprotection:\n  candidates: 5\n")
    write("arch", "flow", "{crossbar: {rows: 256, cols: 256}, cell_bits: 2, dac: {bits: 2}, "
                          "fault: {rate: 1e-3, scope: msb}, protection: {candidates: 5}}\n")
    # The schemes of issue 8: combined names, range restriction (quant.clip), range checks.
    write("arch", "schemes", "quant:\n  clip: sigma\n  clip_value: 3\nprotection:\n  scheme: clip+vote+range\n"
                             "range_check:\n  action: zero\n  granularity: output\n  margin: 0.1\n"
                             "#set#\nprotection.scheme=tmr+range\nquant.clip=percentile\n"
                             "quant.clip_value=99.9\nrange_check.margin=0.5\nrange_check.action=clamp\n")


def idx_pair(n, rows, cols, gz=False):
    im = struct.pack(">IIII", 0x803, n, rows, cols) + bytes((i * 37) % 256 for i in range(n * rows * cols))
    lb = struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))
    if gz:
        im, lb = gzip.compress(im, mtime=0), gzip.compress(lb, mtime=0)
    return im + b"#labels#" + lb


def seeds_idx():
    write("idx", "plain", idx_pair(3, 2, 2))
    write("idx", "gzip", idx_pair(2, 4, 3, gz=True))
    write("idx", "one", idx_pair(1, 1, 1))


def seeds_ert():
    write("ert", "isaac", open("configs/ert/isaac.yaml").read())
    write("ert", "small", "actions:\n  adc.convert: {pj: 2.0, scaling: adc_bits_sar, ref: 8}\n"
                          "  xbar.read: {pj: 1.0, scaling: cells, ref: 16384}\n"
                          "components:\n  adc: {area_mm2: 0.001, leakage_mw: 0.1, scaling: adc_bits_flash, ref: 8}\n")


def seeds_grid():
    write("grid", "example", open("configs/sweeps/example.yaml").read())
    write("grid", "minimal", "model: m\narch: a.yaml\neval: {rates: [0.01]}\n")
    write("grid", "flow", "model: m\narch: a.yaml\nset: {fault.scope: msb}\n"
                          "eval: {rates: [0.1, 1e-3], protect: [none, tmr], data: d:5, trials: 3}\n"
                          "sweep: {adc.bits: [6, 8], seed: [1, 2, 3]}\n"
                          "zip: [{crossbar.rows: [64, 128], crossbar.cols: [32, 256]}]\n"
                          "run: {data: fashion-mnist:1}\nplots: {rate: 0.1, heatmap: [seed, adc.bits]}\n")
    write("grid", "schemes", "model: m\narch: a.yaml\nset: {quant.clip: sigma, quant.clip_value: 3}\n"
                             "eval: {rates: [0.01], protect: [none, vote+range, clip+vote, range], "
                             "calib: d:5, data: d:5}\n"
                             "sweep: {range_check.margin: [0, 0.5], range_check.granularity: [layer, output]}\n")


def dicts():
    os.makedirs(DICTS, exist_ok=True)
    keys = set(re.findall(r"^\s*([a-z_0-9]+):", open("configs/default.yaml").read(), re.M))
    with open(os.path.join(DICTS, "arch.dict"), "w") as f:
        for k in sorted(keys):
            f.write('"%s:"\n' % k)
        for w in ["#set#", "#set-from#", "=", "true", "false", "null", "1e9", "-1", "{", "}", "[", "]", "&a", "*a", "!!str",
                  "+", "none", "vote", "tmr", "range", "clip", "vote+range", "tmr+range", "clip+vote",
                  "percentile", "sigma", "clamp", "zero", "layer", "output", "msb", "all",
                  "protection.scheme=", "quant.clip=", "quant.clip_value=", "range_check.margin=",
                  "range_check.granularity=", "range_check.action="]:
            f.write('"%s"\n' % w.replace('"', '\\"'))
    with open(os.path.join(DICTS, "grid.dict"), "w") as f:
        for w in ["model:", "arch:", "set:", "eval:", "data:", "calib:", "protect:", "rates:", "trials:",
                  "batch:", "trials_per_task:", "drop:", "run:", "timeout_s:", "plots:", "rate:",
                  "heatmap:", "sweep:", "zip:", "none", "vote", "tmr", "crossbar.rows:", "adc.bits:",
                  "range", "clip", "vote+range", "clip+vote", "quant.clip:", "quant.clip_value:", "sigma",
                  "range_check.margin:", "range_check.granularity:", "protection.scheme:",
                  "[", "]", "{", "}", "- ", "100000", "-1", "1e300"]:
            f.write('"%s"\n' % w)
    with open(os.path.join(DICTS, "model.dict"), "w") as f:
        words = ["model_type", "mlp", "lenet5", "vit", "bert", "layer_sizes", "activation", "in_channels",
                 "image_size", "num_classes", "hidden_size", "num_hidden_layers", "num_attention_heads",
                 "intermediate_size", "patch_size", "num_channels", "num_labels", "id2label", "qkv_bias",
                 "vocab_size", "max_position_embeddings", "type_vocab_size", "resnet", "widths", "blocks",
                 ".running_mean", ".running_var", ".downsample.0", "dtype", "shape",
                 "data_offsets", "__metadata__", "F32", "F16", "BF16", "F64", "I8", "I64", "BOOL",
                 ".in_mask", ".out_mask", ".weight", ".bias", "#safetensors#", "1073741824", "-1"]
        for w in words:
            f.write('"%s"\n' % w)
    with open(os.path.join(DICTS, "safetensors.dict"), "w") as f:
        for w in ["dtype", "shape", "data_offsets", "__metadata__", "F32", "F16", "BF16", "F64", "I8",
                  "I16", "I32", "I64", "U8", "BOOL", "18446744073709551615", "-1", "[]", "{}"]:
            f.write('"%s"\n' % w)


if __name__ == "__main__":
    seeds_safetensors()
    seeds_model()
    seeds_arch()
    seeds_idx()
    seeds_ert()
    seeds_grid()
    dicts()
