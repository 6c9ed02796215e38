"""The Python bindings against the rramft command: for the same arguments, every function must
give what the command writes (logits .npy, mapping.json, accuracy.json, report.json), and bad
input must raise rramft.Error with the command's one-line message. ctest runs this with the
built module on PYTHONPATH and RRAMFT_EXE, RRAMFT_SOURCE_DIR set."""
import gzip
import io
import json
import os
import subprocess
import tempfile

import numpy as np
import pytest

import rramft

SRC = os.environ["RRAMFT_SOURCE_DIR"]
EXE = os.environ["RRAMFT_EXE"]
MODEL = os.path.join(SRC, "models/zoo/mlp-pruned")
ARCH = os.path.join(SRC, "configs/default.yaml")
FASHION = "/usr/share/datasets/fashion-mnist"


def fashion(n):
    """The first n Fashion-MNIST test images (uint8, n x 1 x 28 x 28) and labels, read here
    with gzip and numpy, not by rramft."""
    with gzip.open(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
    with gzip.open(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n].astype(np.int64)
    return x, y


def cli(*args):
    """Runs the rramft command; returns its output folder (the last argument after --out)."""
    out = tempfile.mkdtemp(prefix="rramft-py-")
    os.rmdir(out)
    r = subprocess.run([EXE, *args, "--out", out], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def test_version_is_the_command_s():
    r = subprocess.run([EXE, "--version"], capture_output=True, text=True, check=True)
    assert r.stdout.split()[1] == rramft.__version__


def test_logits_equal_rramft_infer_byte_for_byte():
    n = 20
    out = cli("infer", "--model", MODEL, "--arch", ARCH, "--data", f"fashion-mnist:{n}",
              "--protect", "vote", "--rate", "0.02", "--trial", "1", "--set", "seed=5")
    x, y = fashion(n)
    got = rramft.infer(rramft.load_model(MODEL), rramft.load_arch(ARCH, {"seed": 5}), x, y,
                       protect="vote", rate=0.02, trial=1, data_name=f"fashion-mnist:{n}")
    for k in ("float", "mapped", "faulty"):
        assert got[k].dtype == np.float32 and got[k].shape == (n, 10)
        # numpy's own .npy of the array equals the command's file, header and data.
        saved = io.BytesIO()
        np.save(saved, got[k])
        with open(os.path.join(out, k + ".npy"), "rb") as f:
            assert saved.getvalue() == f.read(), k
    # The faults do something at this rate, so the comparison above can fail.
    assert got["faulty"].tobytes() != got["mapped"].tobytes()
    with open(os.path.join(out, "infer.json")) as f:
        assert got["info"] == json.load(f)


def test_map_equals_mapping_json():
    out = cli("map", "--model", MODEL, "--arch", ARCH, "--set", "crossbar.rows=64",
              "--set", "fault.rate=0.001", "--set", "mapping.strict=false")
    arch = rramft.load_arch(ARCH, {"crossbar.rows": 64, "fault.rate": 0.001,
                                   "mapping.strict": False})
    got = rramft.map(rramft.load_model(MODEL), arch)
    with open(os.path.join(out, "mapping.json")) as f:
        assert got == json.load(f)
    assert "crossbar.rows=64" in arch.overrides


def test_evaluate_equals_accuracy_json():
    n = 40
    out = cli("eval", "--model", MODEL, "--arch", ARCH, "--data", f"fashion-mnist:{n}",
              "--rates", "0,0.01,0.03", "--trials", "2", "--protect", "none,vote",
              "--set", "seed=11", "--layer-error-images", "8", "--threads", "1")
    x, y = fashion(n)
    got = rramft.evaluate(rramft.load_model(MODEL), rramft.load_arch(ARCH), x, y,
                          rates=[0, 0.01, 0.03], trials=2, protect=["none", "vote"], seed=11,
                          layer_error_images=8, threads=1, data_name=f"fashion-mnist:{n}")
    with open(os.path.join(out, "accuracy.json")) as f:
        assert got == json.load(f)


def test_run_equals_report_json_and_repeats():
    n = 2
    out = cli("run", "--model", MODEL, "--arch", ARCH, "--data", f"fashion-mnist:{n}",
              "--set", "protection.scheme=vote", "--set", "fault.rate=0.001")
    x, y = fashion(n)
    model = rramft.load_model(MODEL)
    arch = rramft.load_arch(ARCH, {"protection.scheme": "vote", "fault.rate": 0.001})
    first = rramft.run(model, arch, x, y, data_name=f"fashion-mnist:{n}")
    with open(os.path.join(out, "report.json")) as f:
        assert first == json.load(f)
    # A second run in the same process elaborates a fresh chip: the same report.
    assert rramft.run(model, arch, x, y, data_name=f"fashion-mnist:{n}") == first


def test_override_with_a_bad_key_names_it():
    with pytest.raises(rramft.Error) as e:
        rramft.load_arch(ARCH, {"crossbar.row": 64})
    assert str(e.value) == ("overrides: unknown key 'crossbar.row' "
                            "(did you mean crossbar.rows?)")
    assert isinstance(e.value, RuntimeError) and isinstance(e.value, ValueError)
    with pytest.raises(rramft.Error, match="key 'adc.bits'"):
        rramft.load_arch(ARCH, {"adc.bits": 17})


def test_inputs_of_the_wrong_shape_raise():
    model, arch = rramft.load_model(MODEL), rramft.load_arch(ARCH)
    x, y = fashion(4)
    with pytest.raises(rramft.Error, match=r"^x: samples are 27x27"):
        rramft.infer(model, arch, x[:, 0, :27, :27], y)
    with pytest.raises(rramft.Error, match="labels"):
        rramft.evaluate(model, arch, x, y[:3], rates=[0.01], trials=1)
    with pytest.raises(rramft.Error, match="^--rates"):
        rramft.evaluate(model, arch, x, y, rates=[2.0], trials=1)
