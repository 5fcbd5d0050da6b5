#!/usr/bin/env python3
"""Plot one tensor's FP32 vs INT8 value histogram from two trt-diff dumps (no notebook needed).

    python3 examples/plot_tensor.py out/fp32.arrow out/int8.arrow "/model.2/m.0/cv1/conv/Conv_output_0" [--out hist.png] [--stats]

The INT8 dump's rows carry the FP32 name they compare with in the `pair` column, so the FP32 name
finds both sides. Without matplotlib (or with --stats) it prints statistics instead of plotting,
as one JSON object per sample: element count, min/max/mean/std of each side, SQNR and max |error|.
Needs pyarrow and numpy; reads the dumps by memory map, zero-copy.
"""
import argparse
import json
import sys

import numpy as np
import pyarrow as pa

DTYPES = {"float32": "<f4", "float16": "<f2", "float64": "<f8", "int8": "i1", "uint8": "u1", "int16": "<i2",
          "uint16": "<u2", "int32": "<i4", "uint32": "<u4", "int64": "<i8", "uint64": "<u8", "bool": "?"}


def tensors(path, name):
    """{sample: array} of the rows of one dump that are (or pair with) `name`."""
    with pa.memory_map(path) as src:
        table = pa.ipc.open_file(src).read_all()
    out = {}
    names, pairs = table.column("name").to_pylist(), table.column("pair").to_pylist()
    for i in range(table.num_rows):
        if names[i] != name and pairs[i] != name:
            continue
        row = table.slice(i, 1)
        data = row.column("data")[0].as_buffer()  # a view into the memory map, no copy
        arr = np.frombuffer(data, dtype=DTYPES[row.column("dtype")[0].as_py()]).reshape(row.column("shape")[0].as_py())
        out[row.column("sample")[0].as_py()] = arr
    return out


def stats(ref, test):
    r, t = ref.astype(np.float64).ravel(), test.astype(np.float64).ravel()
    e = r - t
    err2 = float(np.sum(e * e))
    return {
        "count": int(r.size),
        "fp32": {"min": float(r.min()), "max": float(r.max()), "mean": float(r.mean()), "std": float(r.std())},
        "int8": {"min": float(t.min()), "max": float(t.max()), "mean": float(t.mean()), "std": float(t.std())},
        "sqnrDb": float("inf") if err2 == 0 else float(10 * np.log10(np.sum(r * r) / err2)),
        "maxAbs": float(np.max(np.abs(e))),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fp32")
    ap.add_argument("int8")
    ap.add_argument("tensor")
    ap.add_argument("--out", default="tensor_hist.png")
    ap.add_argument("--bins", type=int, default=100)
    ap.add_argument("--stats", action="store_true", help="print statistics only, even when matplotlib is installed")
    a = ap.parse_args()
    ref, test = tensors(a.fp32, a.tensor), tensors(a.int8, a.tensor)
    samples = [s for s in ref if s in test]
    if not samples:
        sys.exit(f"{a.tensor}: not found in both dumps")
    plt = None
    if not a.stats:
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            print("matplotlib not installed: printing statistics instead", file=sys.stderr)
    if plt is None:
        for s in samples:
            print(json.dumps({"sample": s, "tensor": a.tensor, **stats(ref[s], test[s])}))
        return
    r = np.concatenate([ref[s].astype(np.float64).ravel() for s in samples])
    t = np.concatenate([test[s].astype(np.float64).ravel() for s in samples])
    edges = np.histogram_bin_edges(np.concatenate([r, t]), bins=a.bins)
    plt.figure(figsize=(8, 4))
    plt.hist(r, bins=edges, histtype="stepfilled", alpha=0.35, label="FP32")
    plt.hist(t, bins=edges, histtype="step", linewidth=1.5, label="INT8")
    plt.yscale("log")
    plt.title(f"{a.tensor}  (SQNR {stats(r, t)['sqnrDb']:.1f} dB, {len(samples)} sample(s))", fontsize=9)
    plt.legend()
    plt.tight_layout()
    plt.savefig(a.out, dpi=120)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
