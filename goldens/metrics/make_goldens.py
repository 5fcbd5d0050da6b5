"""Independent reference for src/compare/metrics.ts: numpy computes every metric from the
definitions in docs/metrics.md, on arrays this script writes as .npy. Run:
    python3 goldens/metrics/make_goldens.py
It rewrites goldens/metrics/cases/*.npy and goldens/metrics/expected.json."""
import json
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
REL_EPS = 1e-6


def metrics(a: np.ndarray, b: np.ndarray) -> dict:
    a = a.astype(np.float64).ravel()
    b = b.astype(np.float64).ravel()
    fa, fb = np.isfinite(a), np.isfinite(b)
    both = fa & fb
    x, y = a[both], b[both]
    d = x - y
    s_ref2, s_test2, s_dot, s_err2 = float(np.dot(x, x)), float(np.dot(y, y)), float(np.dot(x, y)), float(np.dot(d, d))
    if s_ref2 == 0 and s_test2 == 0:
        cos = 1.0
    elif s_ref2 == 0 or s_test2 == 0:
        cos = 0.0
    else:
        cos = float(np.clip(s_dot / np.sqrt(s_ref2 * s_test2), -1, 1))
    if s_err2 == 0:
        sqnr = "inf"
    elif s_ref2 == 0:
        sqnr = "-inf"
    else:
        sqnr = float(10 * np.log10(s_ref2 / s_err2))
    n = x.size
    return {
        "count": int(a.size),
        "cosine": cos,
        "maxAbs": float(np.abs(d).max()) if n else "nan",
        "meanAbs": float(np.abs(d).mean()) if n else "nan",
        "rmse": float(np.sqrt(np.mean(d * d))) if n else "nan",
        "sqnrDb": sqnr if n else "nan",
        "maxRel": float((np.abs(d) / np.maximum(np.abs(x), REL_EPS)).max()) if n else "nan",
        "nanCount": {"ref": int(np.isnan(a).sum()), "test": int(np.isnan(b).sum())},
        "infCount": {"ref": int(np.isinf(a).sum()), "test": int(np.isinf(b).sum())},
        "refRange": [float(x.min()), float(x.max())] if n else ["nan", "nan"],
        "testRange": [float(y.min()), float(y.max())] if n else ["nan", "nan"],
    }


def fake_quant(x: np.ndarray, scale: float) -> np.ndarray:
    return (np.clip(np.round(x / scale), -128, 127) * scale).astype(np.float32)


def main() -> None:
    rng = np.random.default_rng(20261127)
    os.makedirs(CASES, exist_ok=True)
    cases = {}
    # Activation-like data and its INT8 fake quantisation (what a Q/DQ model produces).
    act = (rng.standard_normal(1 << 16) * 3).astype(np.float32)
    cases["fakequant_normal"] = (act, fake_quant(act, float(np.abs(act).max() / 127)))
    # Clipped quantisation (entropy-style threshold below the max).
    cases["fakequant_clipped"] = (act, fake_quant(act, 2.0 / 127))
    # Heavy-tailed data, odd length.
    heavy = (rng.standard_cauchy(12345) * 0.1).astype(np.float32)
    cases["cauchy_odd"] = (heavy, (heavy + rng.standard_normal(heavy.size).astype(np.float32) * 0.01).astype(np.float32))
    # Large magnitudes (FP32 sums would overflow precision; FP64 must not).
    big = (rng.uniform(-1, 1, 4099) * 1e30).astype(np.float32)
    cases["huge_values"] = (big, (big * np.float32(1.001)).astype(np.float32))
    # NaN / Inf on both sides.
    nn = rng.standard_normal(1000).astype(np.float32)
    nt = nn + np.float32(0.05)
    nn[[3, 77]] = np.nan
    nn[500] = np.inf
    nt[[10]] = np.nan
    nt[[600, 601]] = -np.inf
    cases["nan_inf"] = (nn, nt.astype(np.float32))
    # Denormals.
    den = (rng.uniform(-1, 1, 777) * 1e-40).astype(np.float32)
    cases["denormals"] = (den, np.zeros_like(den))
    # Sign flip: cosine -1.
    s = rng.standard_normal(513).astype(np.float32)
    cases["negated"] = (s, -s)

    expected = {}
    for name, (a, b) in cases.items():
        np.save(os.path.join(CASES, f"{name}_ref.npy"), a)
        np.save(os.path.join(CASES, f"{name}_test.npy"), b)
        expected[name] = metrics(a, b)
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases")


if __name__ == "__main__":
    main()
