#!/usr/bin/env python3
"""Polygraphy-style comparator on the same data as bench/metric-pass.ts: each metric in its own
numpy pass over the arrays (the way polygraphy.comparator computes them: abs diff, max, mean,
median-free subset here; cosine via np.dot; relative error; min/max; NaN/Inf checks).

    python3 bench/metric_pass_numpy.py a.npy b.npy REPEATS
Prints one JSON line: best seconds per full comparison and GB/s over the bytes of both arrays.
"""
import json
import sys
import time

import numpy as np


def compare(a, b):
    out = {}
    out["nan"] = (int(np.isnan(a).sum()), int(np.isnan(b).sum()))
    out["inf"] = (int(np.isinf(a).sum()), int(np.isinf(b).sum()))
    a64 = a.astype(np.float64)
    b64 = b.astype(np.float64)
    diff = np.abs(a64 - b64)
    out["max_abs"] = float(diff.max())
    out["mean_abs"] = float(diff.mean())
    out["rmse"] = float(np.sqrt(np.mean((a64 - b64) ** 2)))
    out["max_rel"] = float((diff / np.maximum(np.abs(a64), 1e-6)).max())
    dot = float(np.dot(a64, b64))
    na, nb = float(np.dot(a64, a64)), float(np.dot(b64, b64))
    out["cosine"] = dot / np.sqrt(na * nb)
    out["sqnr_db"] = 10 * np.log10(na / float(np.dot(a64 - b64, a64 - b64)))
    out["range"] = (float(a.min()), float(a.max()), float(b.min()), float(b.max()))
    return out


def main():
    a = np.load(sys.argv[1]).ravel()
    b = np.load(sys.argv[2]).ravel()
    reps = int(sys.argv[3])
    best = float("inf")
    res = None
    for _ in range(reps):
        t = time.perf_counter()
        res = compare(a, b)
        best = min(best, time.perf_counter() - t)
    print(json.dumps({"seconds": best, "gbps": (a.nbytes + b.nbytes) / best / 1e9, "metrics": {k: v for k, v in res.items() if k in ("max_abs", "sqnr_db", "cosine")}}))


if __name__ == "__main__":
    main()
