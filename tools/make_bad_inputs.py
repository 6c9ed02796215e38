#!/usr/bin/env python3
"""Writes the model folders of the bad-input catalogue (tests/bad_inputs/<case>/model/)
from the shipped models/zoo/mlp-pruned, each broken in one way. Deterministic; the cases'
`cmd` and `expect` files are written by hand and kept in git beside them.
Run from the repository root: /usr/bin/python3 tools/make_bad_inputs.py"""
import gzip
import json
import os
import shutil
import struct

SRC = "models/zoo/mlp-pruned"
DST = "tests/bad_inputs"


def read_st(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def write_st(path, header, buf):
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + buf)


def case(name, edit_st=None, edit_cfg=None, raw=None):
    d = os.path.join(DST, name, "model")
    os.makedirs(d, exist_ok=True)
    cfg = json.load(open(os.path.join(SRC, "config.json")))
    if edit_cfg:
        cfg = edit_cfg(cfg)
    if isinstance(cfg, str):
        open(os.path.join(d, "config.json"), "w").write(cfg)
    else:
        json.dump(cfg, open(os.path.join(d, "config.json"), "w"), indent=1, sort_keys=True)
    header, buf = read_st(os.path.join(SRC, "model.safetensors"))
    if raw is not None:
        open(os.path.join(d, "model.safetensors"), "wb").write(raw(open(os.path.join(SRC, "model.safetensors"), "rb").read()))
        return
    if edit_st:
        header, buf = edit_st(header, buf)
    write_st(os.path.join(d, "model.safetensors"), header, buf)


def offsets_past_end(h, b):
    h["fc2.weight"]["data_offsets"][1] += 4096
    return h, b


def unknown_dtype(h, b):
    h["fc1.bias"]["dtype"] = "F13"
    return h, b


def nan_weight(h, b):
    b = bytearray(b)
    s = h["fc2.weight"]["data_offsets"][0]
    b[s + 40:s + 44] = struct.pack("<f", float("nan"))
    return h, bytes(b)


def missing_tensor(h, b):
    del h["fc3.weight"]
    return h, b


def shape_mismatch(h, b):
    h["fc2.weight"]["shape"] = [128, 128, 2]
    return h, b


def wrong_shape_for_config(h, b):
    # A consistent file whose fc2 is 256 x 128 where config.json says 128 x 256.
    h["fc2.weight"]["shape"] = [256, 128]
    return h, b


def dtype_size_mismatch(h, b):
    h["fc3.bias"]["dtype"] = "F64"
    return h, b


case("truncated_safetensors", raw=lambda r: r[:len(r) // 3])
case("short_file", raw=lambda r: r[:5])
case("header_past_end", raw=lambda r: struct.pack("<Q", 1 << 40) + r[8:200])
case("header_not_json", raw=lambda r: struct.pack("<Q", 16) + b"{not json at all" + r[24:])
case("offsets_past_end", offsets_past_end)
case("unknown_dtype", unknown_dtype)
case("dtype_size_mismatch", dtype_size_mismatch)
case("nan_weight", nan_weight)
case("missing_tensor", missing_tensor)
case("shape_mismatch", shape_mismatch)
case("wrong_shape_for_config", wrong_shape_for_config)
case("unknown_family", edit_cfg=lambda c: dict(c, model_type="resnet50"))
case("config_not_json", edit_cfg=lambda c: "{\"model_type\": \"mlp\",")
case("config_wrong_type", edit_cfg=lambda c: dict(c, layer_sizes="784-256-128-10"))


# --- Cases on a tiny model (a few hundred bytes each): the defect, not the model, is the point.
# mlp 16 -> 8 -> 4; output 5 of fc1 is pruned (zero row), so it maps with the vote scheme.
def tiny_tensors():
    def vals(n, k):
        return [0.0 if (i + k) % 7 == 0 else ((i * 5 + k) % 9 - 4) / 8.0 for i in range(n)]
    w1 = vals(8 * 16, 1)
    w1[5 * 16:6 * 16] = [0.0] * 16
    return {"fc1.weight": ("F32", [8, 16], w1), "fc1.bias": ("F32", [8], vals(8, 2)),
            "fc2.weight": ("F32", [4, 8], vals(32, 3)), "fc2.bias": ("F32", [4], vals(4, 4))}


FMT = {"F32": "<f", "F16": "<e", "F64": "<d", "BOOL": "<B", "I8": "<b"}


def st_bytes(tensors, edit_header=None):
    header, buf = {}, b""
    for name in sorted(tensors):
        dtype, shape, values = tensors[name]
        data = b"".join(struct.pack(FMT[dtype], v) for v in values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    if edit_header:
        edit_header(header)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + buf


TINY_CFG = {"model_type": "mlp", "layer_sizes": [16, 8, 4], "activation": "relu"}


def tiny_case(name, tensors=None, edit_header=None, cfg=None, raw=None):
    """A tiny model folder: tensors (dict) and header edits, or raw bytes, and a config."""
    d = os.path.join(DST, name, "model")
    os.makedirs(d, exist_ok=True)
    cfg = TINY_CFG if cfg is None else cfg
    with open(os.path.join(d, "config.json"), "w") as f:
        f.write(cfg if isinstance(cfg, str) else json.dumps(cfg, indent=1, sort_keys=True))
    data = raw if raw is not None else st_bytes(tensors or tiny_tensors(), edit_header)
    with open(os.path.join(d, "model.safetensors"), "wb") as f:
        f.write(data)


def with_tensor(name, dtype, shape, values):
    t = tiny_tensors()
    t[name] = (dtype, shape, values)
    return t


EMPTY_ST = struct.pack("<Q", 8) + b"{}      "  # a valid file without tensors
inf_bias = tiny_tensors()["fc1.bias"][2][:]
inf_bias[2] = float("inf")
tiny_case("inf_weight", with_tensor("fc1.bias", "F16", [8], inf_bias))
tiny_case("overlapping_tensors",  # fc2.weight moved 8 bytes back, into fc2.bias (size kept)
          edit_header=lambda h: h["fc2.weight"].update(
              data_offsets=[h["fc2.weight"]["data_offsets"][0] - 8, h["fc2.weight"]["data_offsets"][1] - 8]))
tiny_case("offsets_reversed", edit_header=lambda h: h["fc2.bias"].update(data_offsets=[16, 0]))
tiny_case("negative_dim", edit_header=lambda h: h["fc2.weight"].update(shape=[-4, 8]))
tiny_case("dtype_not_string", edit_header=lambda h: h["fc2.weight"].update(dtype=32))
tiny_case("header_runs_past_end", raw=struct.pack("<Q", 4096) + b'{"a": 1}')
tiny_case("mask_not_binary", with_tensor("fc1.out_mask", "F32", [8], [1, 1, 1, 1, 1, 0.5, 1, 1]))
tiny_case("mask_shape", with_tensor("fc1.out_mask", "F32", [9], [1] * 9))
tiny_case("mask_prunes_weights", with_tensor("fc1.out_mask", "BOOL", [8], [1, 1, 0, 1, 1, 0, 1, 1]))
tiny_case("stray_mask", with_tensor("fc9.out_mask", "BOOL", [4], [1, 1, 1, 1]))
tiny_case("config_not_object", cfg="[16, 8, 4]")
tiny_case("mlp_negative_size", cfg=dict(TINY_CFG, layer_sizes=[16, -8, 4]))
tiny_case("mlp_zero_size", cfg=dict(TINY_CFG, layer_sizes=[16, 0, 4]))
tiny_case("mlp_huge_size", cfg=dict(TINY_CFG, layer_sizes=[16, 10 ** 12, 4]))
tiny_case("mlp_unknown_activation", cfg=dict(TINY_CFG, activation="swish"))
tiny_case("lenet5_image_too_small", raw=EMPTY_ST,
          cfg={"model_type": "lenet5", "in_channels": 1, "image_size": 8, "num_classes": 10})
tiny_case("vit_heads_do_not_divide", raw=EMPTY_ST,
          cfg={"model_type": "vit", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 3,
               "intermediate_size": 128, "image_size": 28, "patch_size": 4, "num_channels": 1,
               "num_labels": 10})
tiny_case("vit_missing_key", raw=EMPTY_ST,
          cfg={"model_type": "vit", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
               "intermediate_size": 128, "image_size": 28, "num_channels": 1, "num_labels": 10})
tiny_case("vit_missing_tensor", raw=EMPTY_ST,
          cfg={"model_type": "vit", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
               "intermediate_size": 128, "image_size": 28, "patch_size": 4, "num_channels": 1,
               "num_labels": 10})
tiny_case("bert_wrong_type", raw=EMPTY_ST,
          cfg={"model_type": "bert", "hidden_size": "64", "num_hidden_layers": 2, "num_attention_heads": 4,
               "intermediate_size": 128, "vocab_size": 100, "max_position_embeddings": 32,
               "type_vocab_size": 2})


# --- idx data folders for `rramft eval` (t10k-images-idx3-ubyte + t10k-labels-idx1-ubyte).
def idx_case(name, images, labels, gz=False):
    d = os.path.join(DST, name, "data")
    os.makedirs(d, exist_ok=True)
    suffix = ".gz" if gz else ""
    for base, data in [("t10k-images-idx3-ubyte", images), ("t10k-labels-idx1-ubyte", labels)]:
        with open(os.path.join(d, base + suffix), "wb") as f:
            f.write(data)


def idx_images(n, rows, cols):
    return struct.pack(">IIII", 0x803, n, rows, cols) + bytes((i * 31) % 256 for i in range(n * rows * cols))


def idx_labels(n):
    return struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))


idx_case("eval_empty_idx", b"", idx_labels(2))
idx_case("eval_truncated_labels", idx_images(2, 28, 28), idx_labels(2)[:-1])
idx_case("eval_zero_images", idx_images(0, 28, 28), idx_labels(0))
idx_case("eval_idx_bad_magic", struct.pack(">I", 0x801) + idx_images(2, 28, 28)[4:], idx_labels(2))
idx_case("eval_image_size_mismatch", idx_images(2, 16, 16), idx_labels(2))
corrupt = bytearray(gzip.compress(idx_images(2, 28, 28), mtime=0))
corrupt[-8:-4] = bytes(b ^ 0xff for b in corrupt[-8:-4])  # the CRC-32 of the data is wrong
idx_case("eval_corrupt_gzip", bytes(corrupt), gzip.compress(idx_labels(2), mtime=0), gz=True)
# A 16-byte header announcing 2^32 - 1 images of 4096 x 4096 pixels: refused from the estimate,
# before any attempt to read or allocate them.
idx_case("eval_idx_announces_petabytes", struct.pack(">IIII", 0x803, 0xFFFFFFFF, 4096, 4096), idx_labels(2))


# --- Duplicates (issue 17): JSON that names a key twice. Python's json cannot write one, so the
# second entry is spliced into the dumped text.
def header_with_duplicate(header, name, entry, buf):
    h = json.dumps(header, separators=(",", ":"))
    h = h[:-1] + "," + json.dumps(name) + ":" + json.dumps(entry, separators=(",", ":")) + "}"
    h = h.encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + buf


def dup_tensor_case(name, tensor, nested=None):
    """mlp-pruned with a second entry for `tensor` (zeros appended to the buffer), or with the
    key `nested` given twice inside its entry."""
    d = os.path.join(DST, name, "model")
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(SRC, "config.json"), os.path.join(d, "config.json"))
    header, buf = read_st(os.path.join(SRC, "model.safetensors"))
    if nested:
        h = json.dumps(header, separators=(",", ":"))
        key = json.dumps(tensor) + ":{"
        at = h.index(key) + len(key)
        h = h[:at] + json.dumps(nested) + ":" + json.dumps(header[tensor][nested]) + "," + h[at:]
        h = h.encode()
        h += b" " * ((8 - len(h) % 8) % 8)
        data = struct.pack("<Q", len(h)) + h + buf
    else:
        e = dict(header[tensor])
        n = e["data_offsets"][1] - e["data_offsets"][0]
        e["data_offsets"] = [len(buf), len(buf) + n]
        data = header_with_duplicate(header, tensor, e, buf + bytes(n))
    open(os.path.join(d, "model.safetensors"), "wb").write(data)


dup_tensor_case("dup_tensor", "fc3.weight")
dup_tensor_case("dup_tensor_bias", "fc1.bias")
dup_tensor_case("dup_tensor_dtype", "fc2.weight", nested="dtype")
dup_tensor_case("dup_tensor_offsets", "fc2.bias", nested="data_offsets")
tiny_case("dup_config_key", cfg='{"model_type": "mlp", "layer_sizes": [16, 8, 4],\n'
          ' "activation": "relu",\n "layer_sizes": [16, 4, 4]}\n')
tiny_case("dup_config_nested", raw=EMPTY_ST,
          cfg='{"model_type": "vit", "hidden_size": 64, "num_hidden_layers": 2, '
              '"num_attention_heads": 4, "intermediate_size": 128, "image_size": 28, '
              '"patch_size": 4, "num_channels": 1,\n "id2label": {"0": "a", "1": "b", "0": "c"}}\n')

# --- Values that parse but make no sense: every config.json key the engines read is range-checked.
tiny_case("config_layer_norm_eps_negative", cfg=dict(TINY_CFG, layer_norm_eps=-1))
tiny_case("config_layer_norm_eps_zero", cfg=dict(TINY_CFG, layer_norm_eps=0))
tiny_case("config_input_std_zero", cfg=dict(TINY_CFG, input_std=0))
tiny_case("config_input_mean_huge", cfg=dict(TINY_CFG, input_mean=1e300))
tiny_case("config_hidden_act_unknown", cfg=dict(TINY_CFG, hidden_act="swish"))
tiny_case("config_labels_disagree", raw=EMPTY_ST,
          cfg={"model_type": "vit", "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
               "intermediate_size": 128, "image_size": 28, "patch_size": 4, "num_channels": 1,
               "num_labels": 10, "id2label": {"0": "a", "1": "b"}})

# --- Tensors of layers that do not exist (a stray mask was refused; now every stray tensor is).
tiny_case("stray_layer_tensor", with_tensor("fc3.weight", "F32", [4, 4], [0.5] * 16))
tiny_case("stray_prefixed_tensor", with_tensor("model.fc1.bias", "F32", [8], [0.25] * 8))

# --- Labels outside the model's classes (mlp-pruned has 10).
idx_case("eval_label_outside_classes", idx_images(3, 28, 28),
         struct.pack(">II", 0x801, 3) + bytes([1, 10, 2]))
idx_case("eval_label_far_outside", idx_images(2, 28, 28), struct.pack(">II", 0x801, 2) + bytes([200, 3]))
idx_case("eval_count_above_set", idx_images(2, 28, 28), idx_labels(2))
idx_case("grid_data_count_above_set", idx_images(2, 28, 28), idx_labels(2))

# --- The resnet family (issue 15) on a tiny ResNet: widths [2, 4], one block per stage (the
# second with a 1x1 downsample shortcut), 1 input channel, 8x8 images, 3 classes.
TINY_RESNET_CFG = {"model_type": "resnet", "widths": [2, 4], "blocks": [1, 1], "in_channels": 1,
                   "image_size": 8, "num_labels": 3}


def tiny_resnet_tensors():
    def vals(n, k):
        return [((i * 5 + k) % 9 - 4) / 8.0 for i in range(n)]
    t = {}

    def conv_bn(conv, bn, cin, cout, ksize):
        t[conv + ".weight"] = ("F32", [cout, cin, ksize, ksize], vals(cout * cin * ksize * ksize, len(t)))
        t[bn + ".weight"] = ("F32", [cout], [1.0 + 0.25 * i for i in range(cout)])
        t[bn + ".bias"] = ("F32", [cout], vals(cout, len(t)))
        t[bn + ".running_mean"] = ("F32", [cout], vals(cout, len(t)))
        t[bn + ".running_var"] = ("F32", [cout], [0.5 + 0.5 * i for i in range(cout)])
    conv_bn("conv1", "bn1", 1, 2, 3)
    conv_bn("layer1.0.conv1", "layer1.0.bn1", 2, 2, 3)
    conv_bn("layer1.0.conv2", "layer1.0.bn2", 2, 2, 3)
    conv_bn("layer2.0.downsample.0", "layer2.0.downsample.1", 2, 4, 1)
    conv_bn("layer2.0.conv1", "layer2.0.bn1", 2, 4, 3)
    conv_bn("layer2.0.conv2", "layer2.0.bn2", 4, 4, 3)
    t["fc.weight"] = ("F32", [3, 4], vals(12, 1))
    t["fc.bias"] = ("F32", [3], vals(3, 2))
    return t


def resnet_edit(edit):
    t = tiny_resnet_tensors()
    edit(t)
    return t


tiny_case("resnet_missing_key", resnet_edit(lambda t: None),
          cfg={k: v for k, v in TINY_RESNET_CFG.items() if k != "blocks"})
tiny_case("resnet_stages_disagree", resnet_edit(lambda t: None), cfg=dict(TINY_RESNET_CFG, blocks=[1]))
tiny_case("resnet_widths_not_list", resnet_edit(lambda t: None), cfg=dict(TINY_RESNET_CFG, widths=16))
tiny_case("resnet_wrong_shape", cfg=TINY_RESNET_CFG, tensors=resnet_edit(
    lambda t: t.update({"layer2.0.bn1.running_var": ("F32", [2], [1.0, 1.0])})))
tiny_case("resnet_missing_batch_norm", cfg=TINY_RESNET_CFG,
          tensors=resnet_edit(lambda t: t.pop("layer1.0.bn2.running_mean")))
tiny_case("resnet_negative_variance", cfg=TINY_RESNET_CFG, tensors=resnet_edit(
    lambda t: t.update({"layer1.0.bn1.running_var": ("F32", [2], [1.0, -0.5])})))
tiny_case("resnet_shortcut_missing", cfg=TINY_RESNET_CFG,
          tensors=resnet_edit(lambda t: [t.pop(k) for k in list(t) if ".downsample." in k]))
