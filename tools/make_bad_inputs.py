#!/usr/bin/env python3
"""Writes the model folders of the bad-input catalogue (tests/bad_inputs/<case>/model/)
from the shipped models/zoo/mlp-pruned, each broken in one way. Deterministic; the cases'
`cmd` and `expect` files are written by hand and kept in git beside them.
Run from the repository root: /usr/bin/python3 tools/make_bad_inputs.py"""
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
case("unknown_family", edit_cfg=lambda c: dict(c, model_type="resnet"))
case("config_not_json", edit_cfg=lambda c: "{\"model_type\": \"mlp\",")
case("config_wrong_type", edit_cfg=lambda c: dict(c, layer_sizes="784-256-128-10"))
