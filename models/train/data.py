"""Fashion-MNIST from the idx files of the Debian package dataset-fashion-mnist, read with
gzip + numpy, and a deterministic, batched augmentation (random shift, horizontal flip)."""
import gzip
import os

import numpy as np
import torch
import torch.nn.functional as F

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"


def data_dir(explicit=None):
    return explicit or os.environ.get("RRAMFT_FMNIST") or DEFAULT_DIR


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[:4], "big")
    if magic >> 8 != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte idx file (magic {magic:#x})")
    nd = magic & 0xFF
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(nd)]
    a = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd)
    if a.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {a.size} bytes of data, header says {shape}")
    return a.reshape(shape).copy()


def load(split, folder=None):
    """(images uint8 [N, 28, 28], labels int64 [N]) of split "train" or "t10k"."""
    d = data_dir(folder)
    x = read_idx(os.path.join(d, f"{split}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(d, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    if len(x) != len(y):
        raise ValueError(f"{d}: {len(x)} {split} images but {len(y)} labels")
    return x, y


def normalize(x_uint8, mean, std):
    """The preprocessing the C++ engine applies: (pixel / 255 - mean) / std, as (N, 1, H, W)."""
    x = x_uint8.float() / 255.0
    return ((x - mean) / std).unsqueeze(1)


def augment(x, gen, background, shift=2, flip=True):
    """x: (B, 1, H, W) normalised; random shift by up to +-shift pixels (the border is
    filled with @p background, the normalised value of pixel 0) and random horizontal flip,
    per image; all randomness from the CPU generator @p gen."""
    b, _, h, w = x.shape
    if shift > 0:
        pad = F.pad(x, (shift, shift, shift, shift), value=float(background))
        d = torch.randint(0, 2 * shift + 1, (2, b), generator=gen).to(x.device)
        iy = d[0][:, None] + torch.arange(h, device=x.device)[None, :]
        ix = d[1][:, None] + torch.arange(w, device=x.device)[None, :]
        x = pad[torch.arange(b, device=x.device)[:, None, None], 0, iy[:, :, None], ix[:, None, :]].unsqueeze(1)
    if flip:
        f = (torch.rand(b, generator=gen) < 0.5).to(x.device)
        x = torch.where(f[:, None, None, None], x.flip(-1), x)
    return x
