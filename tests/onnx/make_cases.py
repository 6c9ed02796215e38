#!/usr/bin/python3
"""Writes the ONNX test cases: small PyTorch modules with random weights (fixed seeds) that
rramft has never seen, exported with torch.onnx.export, each with its inputs and PyTorch's own
logits as the reference.

  OUT/<case>/model.onnx   the export
  OUT/<case>/data.npz     x: the inputs, y: PyTorch's argmax (labels for eval/run)
  OUT/<case>/ref.npy      PyTorch's float32 outputs for x

usage: /usr/bin/python3 tests/onnx/make_cases.py OUT   (Debian's python3-torch 1.13)"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


class Head(nn.Module):
    """op(x) then a linear layer: every case has at least one crossbar layer."""

    def __init__(self, op, features, classes=5):
        super().__init__()
        self.op, self.fc = op, nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.op(x), 1))


class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


class ConvNet(nn.Module):
    """One convolution (any geometry), an activation, then a linear head."""

    def __init__(self, conv, act, features, classes=5):
        super().__init__()
        self.conv, self.act, self.fc = conv, act, nn.Linear(features, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.act(self.conv(x)), 1))


class Block(nn.Module):
    """MobileNet-style residual block: 1x1 expand, depthwise 3x3, 1x1 project, each with
    batch norm; the residual add when the shape allows."""

    def __init__(self, cin, cout, stride, expand=2):
        super().__init__()
        mid = cin * expand
        self.pw = nn.Sequential(nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6())
        self.dw = nn.Sequential(nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False),
                                nn.BatchNorm2d(mid), nn.ReLU6())
        self.proj = nn.Sequential(nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.res = stride == 1 and cin == cout

    def forward(self, x):
        y = self.proj(self.dw(self.pw(x)))
        return x + y if self.res else y


class ResCNN(nn.Module):
    """A residual CNN with depthwise convolutions and batch norm (3 x 16 x 16 inputs)."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1), nn.BatchNorm2d(8), nn.ReLU())
        self.blocks = nn.Sequential(Block(8, 8, 1), Block(8, 16, 2), Block(16, 16, 1))
        self.pool = nn.MaxPool2d(2)
        self.bn = nn.BatchNorm2d(16)  # after pooling: not foldable, runs digitally
        self.head = nn.Linear(16, classes)

    def forward(self, x):
        x = self.bn(self.pool(self.blocks(self.stem(x))))
        x = F.adaptive_avg_pool2d(x, 1)
        return self.head(torch.flatten(x, 1))


class Encoder(nn.Module):
    """A transformer encoder over feature sequences (batch x 12 x 32) with a CLS-free mean pool."""

    def __init__(self, d=32, heads=4, layers=2, classes=6):
        super().__init__()
        layer = nn.TransformerEncoderLayer(d, heads, 64, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.norm(self.enc(x)).mean(dim=1))


class TextNet(nn.Module):
    """A text classifier: token and position embeddings, a transformer encoder, first token."""

    def __init__(self, vocab=50, seq=10, d=32, classes=4):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Parameter(torch.randn(1, seq, d) * 0.1)
        layer = nn.TransformerEncoderLayer(d, 4, 64, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(d, classes)

    def forward(self, ids):
        return self.head(self.enc(self.tok(ids) + self.pos)[:, 0])


def rand(*shape):
    return torch.randn(*shape)


def cases():
    """(name, module, input, opset, export options)"""
    c = []
    x4 = rand(3, 4, 9, 9)
    # convolution geometries (im2col): padding, stride, dilation, groups, depthwise, 1-D
    c.append(("conv_pad_stride", ConvNet(nn.Conv2d(4, 6, 3, 2, 1), nn.Identity(), 6 * 5 * 5), x4, 13, {}))
    c.append(("conv_dilation", ConvNet(nn.Conv2d(4, 5, 3, 1, 2, dilation=2), nn.ReLU(), 5 * 9 * 9), x4, 14, {}))
    c.append(("conv_groups", ConvNet(nn.Conv2d(4, 8, 3, 1, 1, groups=2), nn.ReLU(), 8 * 81), x4, 17, {}))
    c.append(("conv_depthwise", ConvNet(nn.Conv2d(4, 4, 3, 1, 1, groups=4, bias=False), nn.ReLU6(), 4 * 81), x4, 13, {}))
    c.append(("conv_rect_asym", ConvNet(nn.Conv2d(4, 3, (2, 3), (2, 1), (0, 1)), nn.Sigmoid(), 3 * 4 * 9), x4, 13, {}))
    c.append(("conv1d", ConvNet(nn.Conv1d(4, 6, 3, 1, 1), nn.Tanh(), 6 * 9), rand(3, 4, 9), 13, {}))
    # batch norm: folded after a conv, and kept (training mode PRESERVE) and after an activation
    bn = ConvNet(nn.Sequential(nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6)), nn.ReLU(), 6 * 49)
    c.append(("batchnorm_folded", bn, x4, 14, {}))
    c.append(("batchnorm_node", ConvNet(nn.Sequential(nn.Conv2d(4, 6, 3), nn.BatchNorm2d(6)), nn.ReLU(), 6 * 49),
              x4, 14, {"training": torch.onnx.TrainingMode.PRESERVE}))
    c.append(("batchnorm_digital", Head(nn.Sequential(nn.ReLU(), nn.BatchNorm2d(4)), 4 * 81), x4, 14, {}))
    # pooling
    c.append(("maxpool_ceil_pad", Head(nn.MaxPool2d(3, 2, 1, ceil_mode=True), 4 * 25), x4, 13, {}))
    c.append(("maxpool_dilation", Head(nn.MaxPool2d(2, 1, 0, dilation=2), 4 * 49), x4, 13, {}))
    c.append(("avgpool_include_pad", Head(nn.AvgPool2d(3, 2, 1), 4 * 25), x4, 13, {}))
    c.append(("avgpool_exclude_pad_ceil", Head(nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), 4 * 25), x4, 13, {}))
    c.append(("global_avgpool", Head(nn.AdaptiveAvgPool2d(1), 4), x4, 13, {}))
    # activations and elementwise arithmetic
    x2 = rand(4, 12)
    c.append(("gemm_relu", nn.Sequential(nn.Linear(12, 7), nn.ReLU(), nn.Linear(7, 3)), x2, 13, {}))
    c.append(("clip_hardtanh", Head(nn.Hardtanh(-0.5, 0.7), 12), x2, 13, {}))
    c.append(("leakyrelu", Head(nn.LeakyReLU(0.2), 12), x2, 13, {}))
    c.append(("hardswish_hardsigmoid", Head(nn.Sequential(nn.Hardswish(), nn.Hardsigmoid()), 12), x2, 14, {}))
    c.append(("gelu_erf", Head(nn.GELU(), 12), x2, 13, {}))
    c.append(("gelu_tanh", Head(nn.GELU(approximate="tanh"), 12), x2, 13, {}))
    c.append(("arith", Head(Lambda(lambda x: (x * 1.5 - 0.25) / (x.abs() + 1.0) + x.pow(2) + torch.sqrt(x.abs() + 0.1) - torch.exp(-x.abs())), 12), x2, 13, {}))
    c.append(("softmax", Head(nn.Softmax(dim=-1), 12), x2, 13, {}))
    c.append(("softmax_axis1_opset11", Head(Lambda(lambda x: torch.softmax(x.view(4, 3, 4), dim=1)), 12), x2, 11, {}))
    c.append(("layernorm_op17", Head(nn.LayerNorm(12), 12), x2, 17, {}))
    c.append(("layernorm_decomposed", Head(nn.LayerNorm(12), 12), x2, 14, {}))
    c.append(("reduce_mean", Head(Lambda(lambda x: x.view(4, 3, 4).mean(dim=2)), 3), x2, 13, {}))
    # shapes: Flatten, Reshape from Shape, Transpose, Concat, Split, Slice, (Un)squeeze, Where
    c.append(("reshape_transpose", Head(Lambda(lambda x: x.view(x.size(0), 3, 4).transpose(1, 2).reshape(x.size(0), -1)), 12), x2, 13, {}))
    c.append(("concat_split_slice", Head(Lambda(lambda x: torch.cat([x.chunk(3, dim=1)[2], x[:, 1:7:2], x[:, -2:]], dim=1)), 4 + 3 + 2), x2, 13, {}))
    c.append(("split_uneven", Head(Lambda(lambda x: torch.cat(torch.split(x, [5, 7], dim=1)[::-1], dim=1)), 12), x2, 13, {}))
    c.append(("squeeze_unsqueeze", Head(Lambda(lambda x: x.unsqueeze(1).unsqueeze(-1).squeeze(-1).squeeze(1) * 2), 12), x2, 13, {}))
    c.append(("where_mask", Head(Lambda(lambda x: x.masked_fill(x > 0.3, -1.0)), 12), x2, 13, {}))
    c.append(("matmul_3d", Head(Lambda(lambda x: x.view(4, 3, 4) @ x.view(4, 4, 3)), 9), x2, 13, {}))
    c.append(("linear_3d", Head(nn.Linear(4, 6), 18), rand(4, 3, 4), 13, {}))
    c.append(("embedding_gather", nn.Sequential(nn.Embedding(20, 8), nn.Flatten(), nn.Linear(8 * 5, 4)),
              torch.randint(0, 20, (6, 5)), 13, {}))
    # whole networks
    c.append(("rescnn", ResCNN(), rand(4, 3, 16, 16), 13, {}))
    c.append(("encoder", Encoder(), rand(4, 12, 32), 14, {}))
    c.append(("encoder_op17", Encoder(), rand(4, 12, 32), 17, {}))
    c.append(("textnet", TextNet(), torch.randint(0, 50, (5, 10)), 14, {}))
    # a dynamic batch dimension (the export's dynamic_axes)
    c.append(("rescnn_dynamic_batch", ResCNN(), rand(5, 3, 16, 16), 13,
              {"dynamic_axes": {"x": {0: "batch"}, "logits": {0: "batch"}}}))
    return c


def randomize(m, seed):
    """Non-trivial batch-norm statistics (fresh ones are the identity)."""
    g = torch.Generator().manual_seed(seed)
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm1d, nn.BatchNorm2d)):
            mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.2)
            mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
            mod.weight.data.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
            mod.bias.data.copy_(torch.randn(mod.num_features, generator=g) * 0.2)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for k, (name, module, x, opset, opts) in enumerate(cases()):
        torch.manual_seed(1000 + k)
        for p in module.parameters():  # re-draw so that every case has its own weights
            p.data.copy_(torch.randn_like(p) * (1.0 / max(1, p.shape[-1]) ** 0.5))
        randomize(module, k)
        module.eval()
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        # Gradients stay on: with them off, PyTorch takes the fused transformer fast path,
        # which does not export.
        ref = module(x).detach()
        if True:
            torch.onnx.export(module, (x,), os.path.join(d, "model.onnx"), opset_version=opset,
                              input_names=["x"], output_names=["logits"], **opts)
        xs = x.numpy()
        np.savez(os.path.join(d, "data.npz"), x=xs, y=ref.argmax(-1).numpy().astype(np.int64))
        np.save(os.path.join(d, "ref.npy"), ref.numpy().astype(np.float32))
    print("wrote", len(cases()), "cases to", out)


if __name__ == "__main__":
    main()
