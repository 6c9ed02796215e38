#!/usr/bin/env python3
"""Relative RMS error of one bit-sliced MVM under programming error, computed by CrossSim.

Peer comparison for docs/noise.md (issue 20). It runs only against a CrossSim checkout given
on the command line (sandialabs/cross-sim; needs numpy and scipy), never in CI: its printed
figures are recorded in tests/core/test_peer_crosssim.cpp, which checks rramft against them.

    python3 tests/peers/crosssim_mvm_error.py /path/to/cross-sim [--chips 40]

The configuration, expressed identically in both tools:
- a 128-input x 128-output linear layer of integer weights in [-127, 127] (max |w| = 127, so
  both tools quantize to exactly these integers) from splitmix64 (rramft's mix64), seed 12345;
- 64 input vectors of unsigned 8-bit integers in [0, 255] from the same generator;
- 8-bit sign-magnitude weights in 7 one-bit slices, a differential pair per slice (CrossSim:
  BITSLICED core, BALANCED slices, num_slices 7, subtraction after the ADC; rramft: 1-bit
  cells, scheme none), zero conductance for a 0 bit (CrossSim: infinite on/off ratio);
- one crossbar of 128 rows (the whole input in one analog sum);
- inputs streamed 1 bit per read (8 unsigned input slices);
- every column sum of every input slice converted by an ADC that rounds it to the nearest
  integer count (CrossSim: QuantizerADC, 8 bits, calibrated range [0, 255], adc_per_ibit;
  rramft: the lossless 8-bit ADC of a 128-row crossbar);
- programming error G (1 + N(0, sigma)), drawn once per cell and chip, clipped at 0 only
  (CrossSim: NormalProportionalDevice, clip_conductance false; rramft: fault.variation,
  gaussian); read noise off. With --noise read, read noise G (1 + N(0, sigma)) instead, drawn
  afresh for every input vector and input slice (CrossSim: NormalProportionalDevice as read
  noise, batched per vector; rramft: fault.read_noise), programming error off.
The error of one chip is ||y - y_ideal|| / ||y_ideal|| over all outputs and vectors; the
figure is its mean over chips (numpy seeds 1..chips), with the standard error of that mean.
"""
import argparse
import math
import sys

MASK = (1 << 64) - 1


def mix64(z):
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def layer_and_inputs(n_in=128, n_out=128, vectors=64, seed=12345):
    """The same integers as fixture() in tests/core/test_peer_crosssim.cpp."""
    h = seed
    vals = []

    def nxt():
        nonlocal h
        h = mix64(h)
        return h

    w = [[0] * n_in for _ in range(n_out)]
    for o in range(n_out):
        for i in range(n_in):
            w[o][i] = int(nxt() % 255) - 127
    w[0][0] = 127
    x = [[int(nxt() % 256) for _ in range(n_in)] for _ in range(vectors)]
    return w, x


def read_noise_closed_form(W, X, sigma):
    """Relative RMS error under read noise alone (the same closed form as
    read_noise_closed_form() in tests/core/test_peer_crosssim.cpp): every column sum of
    every read and input slice has its own noise, so the lossless ADC's rounding errors are
    independent; a sum of n ON cells is N(n, sigma^2 n) and its rounding error e has
    E[e^2] = sum_m m^2 P(e = m)."""
    import numpy as np
    from scipy.special import ndtr

    Wi, Xi = W.astype(np.int64), X.T.astype(np.int64)  # n_out x n_in, vectors x n_in
    e2_of = np.zeros(Wi.shape[1] + 1)
    for n in range(1, len(e2_of)):
        sd = sigma * math.sqrt(n)
        mm = np.arange(1, 40)
        e2_of[n] = np.sum(2.0 * mm * mm * (ndtr((mm + 0.5) / sd) - ndtr((mm - 0.5) / sd)))
    total = 0.0
    for k in range(8):
        xb = (Xi >> k) & 1
        for j in range(7):
            for sign in (1, -1):
                b = ((np.abs(Wi) >> j) & 1) * (Wi * sign > 0)
                total += 4.0 ** (k + j) * float(np.sum(e2_of[xb @ b.T]))
    exact = (Xi @ Wi.T).astype(np.float64)
    return math.sqrt(total / float(np.sum(exact * exact)))


def crosssim_params(CrossSimParameters, sigma, n_in, adc_bits=8, noise="programming"):
    p = CrossSimParameters()
    p.core.style = "BITSLICED"
    p.core.rows_max = n_in
    p.core.cols_max = 1024
    p.core.weight_bits = 8
    p.core.bit_sliced.style = "BALANCED"
    p.core.bit_sliced.num_slices = 7
    p.core.balanced.subtract_current_in_xbar = False  # each array of the pair has its own ADC
    p.core.mapping.weights.percentile = None
    p.core.mapping.weights.min = -127.0
    p.core.mapping.weights.max = 127.0
    p.core.mapping.inputs.mvm.min = 0.0
    p.core.mapping.inputs.mvm.max = 1.0
    p.simulation.disable_fast_balanced = True
    d = p.xbar.device
    d.infinite_on_off_ratio = True
    d.clip_conductance = False
    e = d.programming_error if noise == "programming" else d.read_noise
    e.enable = sigma > 0
    e.model = "NormalProportionalDevice"
    e.magnitude = sigma
    p.xbar.adc.mvm.model = "QuantizerADC"  # replaces the mvm object: set it first
    a = p.xbar.adc.mvm
    a.bits = adc_bits  # 0: no ADC (CrossSim's ideal, analog accumulation)
    a.signed = False
    a.adc_per_ibit = adc_bits > 0
    a.adc_range_option = "CALIBRATED"
    a.calibrated_range = [[0.0, 255.0]] * 7
    p.xbar.dac.mvm.model = "QuantizerDAC"
    c = p.xbar.dac.mvm
    c.bits = 8
    c.signed = False
    c.input_bitslicing = True
    c.slice_size = 1
    # Check that every setting took (some setters replace objects).
    got = (p.xbar.adc.mvm.bits, p.xbar.adc.mvm.adc_per_ibit, p.xbar.dac.mvm.bits,
           p.xbar.dac.mvm.input_bitslicing, d.programming_error.enable, d.read_noise.enable)
    want = (adc_bits, adc_bits > 0, 8, True, noise == "programming" and sigma > 0,
            noise == "read" and sigma > 0)
    assert got == want, got
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("crosssim", help="a CrossSim checkout (the folder holding simulator/)")
    ap.add_argument("--chips", type=int, default=40)
    ap.add_argument("--sigmas", default="0.05,0.1,0.2")
    ap.add_argument("--noise", choices=["programming", "read"], default="programming",
                    help="programming error (once per cell and chip; rramft fault.variation) or "
                    "read noise (per input vector and input slice; rramft fault.read_noise)")
    ap.add_argument("--no-adc", action="store_true",
                    help="no ADC (CrossSim only; rramft always converts): the error is then "
                    "linear in sigma, and the script prints its closed form beside it")
    args = ap.parse_args()
    if args.no_adc and args.noise != "programming":
        ap.error("--no-adc goes with --noise programming (its closed form is that one's)")
    sys.path.insert(0, args.crosssim)
    import numpy as np
    from simulator import AnalogCore, CrossSimParameters

    w, x = layer_and_inputs()
    W = np.array(w, dtype=np.float64)
    X = np.array(x, dtype=np.float64).T  # n_in x vectors
    exact = W @ X
    n_in = W.shape[1]

    # Without error the MVM must be exact up to one output scale: find it, check it.
    core = AnalogCore(W, crosssim_params(CrossSimParameters, 0.0, n_in))
    y0 = core.matmat(X / 255.0)
    scale = float(np.sum(y0 * exact) / np.sum(exact * exact))
    dev = float(np.max(np.abs(y0 / scale - exact)))
    print(f"# ideal CrossSim output = {scale!r} x W x, max deviation {dev:.2e} (integer units)")
    if dev > 1e-6 * float(np.max(np.abs(exact))):
        sys.exit("CrossSim's ideal output is not the exact product: configuration mismatch")

    adc_bits = 0 if args.no_adc else 8
    # Closed form without an ADC: output (v, o) is off by sum_r x_vr sum_j +-2^j b_j(w_or) d,
    # one independent d ~ N(0, sigma^2) per ON cell: variance sigma^2 sum_r x_vr^2 sum_j 4^j b_j.
    mag = np.abs(W).astype(np.int64)
    g = sum(((mag >> j) & 1) * 4.0**j for j in range(7))  # sum_j 4^j b_j per weight
    unit = math.sqrt(float(np.sum(g @ (X * X))) / float(np.sum(exact * exact)))
    read_cf = args.noise == "read" and not args.no_adc
    print("sigma,chips,mean_rel_rms,stderr" + (",closed_form_no_adc" if args.no_adc else "")
          + (",closed_form" if read_cf else ""))
    for sigma in [float(s) for s in args.sigmas.split(",")]:
        errs = []
        for chip in range(1, args.chips + 1):
            np.random.seed(chip)
            p = crosssim_params(CrossSimParameters, sigma, n_in, adc_bits, args.noise)
            core = AnalogCore(W, p)
            y = core.matmat(X / 255.0) / scale
            errs.append(float(np.linalg.norm(y - exact) / np.linalg.norm(exact)))
        m = sum(errs) / len(errs)
        se = math.sqrt(sum((e - m) ** 2 for e in errs) / (len(errs) - 1) / len(errs))
        extra = f",{sigma * unit:.6e}" if args.no_adc else ""
        if read_cf:
            extra = f",{read_noise_closed_form(W, X, sigma):.6e}"
        print(f"{sigma},{len(errs)},{m:.6e},{se:.2e}{extra}")


if __name__ == "__main__":
    main()
