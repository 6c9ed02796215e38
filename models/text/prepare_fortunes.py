"""Builds the text-classification task of the zoo's language transformer from the Debian
package `fortunes` (plain text under /usr/share/games/fortunes): each fortune is one example,
its label the file (category) it comes from.

Deterministic (no randomness, no hashing of Python objects): the same package gives the same
files byte for byte. Run from the repository root:

    /usr/bin/python3 models/text/prepare_fortunes.py --out models/text/fortunes

Steps:
  1. Read the CATEGORIES files (bytes decoded as UTF-8, undecodable bytes as U+FFFD), split at
     lines holding only '%', drop overstriking (a character followed by backspace), collapse
     whitespace, drop empty fortunes and exact duplicates (first occurrence kept, files in
     CATEGORIES order).
  2. Split: within each category, in file order, every 5th fortune (index % 5 == 4) is a test
     example, the others are training examples.
  3. Tokenizer: lower-case, then the regular expression [a-z0-9]+|[^\\sa-z0-9] (words, numbers,
     single punctuation characters). The vocabulary is [PAD]=0, [UNK]=1, [CLS]=2, then the
     training split's tokens that occur at least MIN_COUNT times, by count descending, ties by
     the token's code points ascending, cut at VOCAB_SIZE entries in all.
  4. Each example becomes [CLS] + its first SEQ_LEN-1 token ids, padded with [PAD] to SEQ_LEN.

Output (in --out): vocab.txt (one token per line, line i = id i), train.npz (ids int64
[N, SEQ_LEN], labels int64 [N], compressed), test_ids.npy (int64 [N, SEQ_LEN]),
test_labels.npy (int64 [N]), meta.json (categories, sizes, settings, token statistics).
"""
import argparse
import json
import os
import re
import sys

import numpy as np

CATEGORIES = ["computers", "definitions", "people", "politics", "science", "songs-poems"]
SEQ_LEN = 64
VOCAB_SIZE = 4096
MIN_COUNT = 2
SPECIALS = ["[PAD]", "[UNK]", "[CLS]"]
TOKEN_RE = re.compile(r"[a-z0-9]+|[^\sa-z0-9]")
DEFAULT_DIR = "/usr/share/games/fortunes"


def read_category(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", errors="replace")
    out = []
    for block in re.split(r"^%[ \t]*$", text, flags=re.M):
        block = re.sub(r".\x08", "", block)
        block = " ".join(block.split())
        if block:
            out.append(block)
    return out


def tokenize(text):
    return TOKEN_RE.findall(text.lower())


def build(src):
    seen = set()
    train, test = [], []
    counts = {}
    for label, cat in enumerate(CATEGORIES):
        path = os.path.join(src, cat)
        if not os.path.isfile(path):
            raise SystemExit(f"error: {path}: missing (install the Debian package 'fortunes')")
        kept = []
        for fortune in read_category(path):
            if fortune in seen:
                continue
            seen.add(fortune)
            kept.append(fortune)
        for i, fortune in enumerate(kept):
            (test if i % 5 == 4 else train).append((tokenize(fortune), label))
        counts[cat] = len(kept)
    freq = {}
    for toks, _ in train:
        for t in toks:
            freq[t] = freq.get(t, 0) + 1
    words = sorted((w for w, c in freq.items() if c >= MIN_COUNT), key=lambda w: (-freq[w], w))
    vocab = SPECIALS + words[:VOCAB_SIZE - len(SPECIALS)]
    index = {w: i for i, w in enumerate(vocab)}

    def encode(split):
        ids = np.zeros((len(split), SEQ_LEN), dtype=np.int64)
        labels = np.array([lab for _, lab in split], dtype=np.int64)
        n_tok = n_unk = n_cut = 0
        for r, (toks, _) in enumerate(split):
            seq = [index["[CLS]"]] + [index.get(t, index["[UNK]"]) for t in toks[:SEQ_LEN - 1]]
            ids[r, :len(seq)] = seq
            n_tok += min(len(toks), SEQ_LEN - 1)
            n_unk += sum(1 for t in toks[:SEQ_LEN - 1] if t not in index)
            n_cut += len(toks) > SEQ_LEN - 1
        return ids, labels, {"examples": len(split), "tokens": n_tok, "unknown_tokens": n_unk,
                             "truncated_examples": int(n_cut)}

    return vocab, encode(train), encode(test), counts


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--src", default=DEFAULT_DIR, help=f"fortune files (default {DEFAULT_DIR})")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    vocab, (xtr, ytr, str_), (xte, yte, ste), counts = build(a.src)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("".join(w + "\n" for w in vocab))
    # savez_compressed stores a zip with fixed timestamps: byte-identical when run again.
    np.savez_compressed(os.path.join(a.out, "train.npz"), ids=xtr, labels=ytr)
    np.save(os.path.join(a.out, "test_ids.npy"), xte)
    np.save(os.path.join(a.out, "test_labels.npy"), yte)
    meta = {"source": "Debian package fortunes, " + a.src, "categories": CATEGORIES,
            "fortunes_per_category": counts, "seq_len": SEQ_LEN, "vocab_size": len(vocab),
            "min_count": MIN_COUNT, "specials": SPECIALS, "token_regex": TOKEN_RE.pattern,
            "split": "per category, file order: index % 5 == 4 -> test",
            "train": str_, "test": ste,
            "train_label_counts": np.bincount(ytr, minlength=len(CATEGORIES)).tolist(),
            "test_label_counts": np.bincount(yte, minlength=len(CATEGORIES)).tolist()}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    print(f"{a.out}: {len(xtr)} training / {len(xte)} test examples, {len(vocab)} tokens, "
          f"{len(CATEGORIES)} classes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
