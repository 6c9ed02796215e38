#!/usr/bin/python3
"""The text task of the zoo's language transformer is reproducible: runs
models/text/prepare_fortunes.py again on the installed Debian package `fortunes` into WORK_DIR
and requires every file it writes to equal the shipped one in models/text/fortunes byte for
byte (the token ids the tests and results use, the vocabulary, the training split, meta.json).

Exit status 77 (ctest: skipped) with a message naming the missing files when the corpus is
absent (tools/setup.sh installs the package).

usage: check_fortunes.py SOURCE_DIR WORK_DIR"""
import filecmp
import os
import shutil
import subprocess
import sys

FILES = ["vocab.txt", "train.npz", "test_ids.npy", "test_labels.npy", "meta.json"]


def main():
    src, work = sys.argv[1:3]
    sys.path.insert(0, os.path.join(src, "models", "text"))
    import prepare_fortunes as pf  # the script's own category list and corpus folder

    missing = [c for c in pf.CATEGORIES if not os.path.isfile(os.path.join(pf.DEFAULT_DIR, c))]
    if missing:
        print(f"SKIPPED: the fortunes corpus is absent ({pf.DEFAULT_DIR}: no "
              f"{', '.join(missing)}); install the Debian package 'fortunes' (tools/setup.sh)")
        return 77
    shutil.rmtree(work, ignore_errors=True)
    r = subprocess.run([sys.executable, os.path.join(src, "models", "text", "prepare_fortunes.py"),
                        "--out", work], capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"prepare_fortunes.py exited {r.returncode}: {r.stderr.strip()[-500:]}")
    shipped = os.path.join(src, "models", "text", "fortunes")
    written = sorted(os.listdir(work))
    if written != sorted(FILES) or sorted(os.listdir(shipped)) != sorted(FILES):
        raise SystemExit(f"files differ: written {written}, shipped {sorted(os.listdir(shipped))}, "
                         f"expected {sorted(FILES)}")
    bad = [f for f in FILES if not filecmp.cmp(os.path.join(work, f), os.path.join(shipped, f),
                                               shallow=False)]
    if bad:
        raise SystemExit("not byte-identical to models/text/fortunes: " + ", ".join(bad))
    print(f"ok: {', '.join(FILES)} byte-identical to models/text/fortunes ({r.stdout.strip()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
