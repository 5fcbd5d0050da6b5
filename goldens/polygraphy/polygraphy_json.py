#!/usr/bin/env python3
"""Polygraphy RunResults JSON fixtures and checks for trt-diff's interop tests (numpy + pyarrow only).

The format follows Polygraphy's own encoder (tools/Polygraphy/polygraphy/json/serde.py and
comparator/struct.py in NVIDIA/TensorRT): every array is np.save(..., allow_pickle=False) bytes,
base64-encoded, in {"array": ..., "polygraphy_class": "ndarray"}; Polygraphy >= 0.47 wraps it in
{"values": ..., "polygraphy_class": "LazyArray"}; files from before 0.33 mark classes with
"__polygraphy_encoded_<Class>": "polygraphy_serialized_json_type" instead.

  make  <dir>                 write ref.json, test_lazy.json, legacy.json, two_runners.json and
                              expected.json (pooled SQNR/cosine per tensor, computed here with numpy)
  check <file.json> <dump.arrow>
                              decode every array of the JSON with numpy, read the Arrow dump with
                              pyarrow, and print a JSON summary of how they compare (exact equality)
"""
import base64
import io
import json
import sys

import numpy as np


def encode(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return {"array": base64.b64encode(buf.getvalue()).decode(), "polygraphy_class": "ndarray"}


def lazy(arr):
    return {"values": encode(arr), "polygraphy_class": "LazyArray"}


def legacy(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return {"array": base64.b64encode(buf.getvalue()).decode(), "__polygraphy_encoded_ndarray": "polygraphy_serialized_json_type"}


def iteration(runner, outputs, wrap, legacy_marker=False):
    it = {"outputs": {k: wrap(v) for k, v in outputs.items()}, "runtime": 0.001, "runner_name": runner}
    if legacy_marker:
        it["__polygraphy_encoded_IterationResult"] = "polygraphy_serialized_json_type"
    else:
        it["polygraphy_class"] = "IterationResult"
    return it


def run_results(runners, legacy_marker=False):
    out = {"lst": [[name, iters] for name, iters in runners]}
    if legacy_marker:
        out["__polygraphy_encoded_RunResults"] = "polygraphy_serialized_json_type"
    else:
        out["polygraphy_class"] = "RunResults"
    return out


def make(d):
    rng = np.random.default_rng(7)
    ref_iters, test_iters = [], []
    for _ in range(2):
        a = rng.standard_normal((1, 8, 5, 5)).astype(np.float32)
        b = (rng.random((1, 84, 20)) * 600).astype(np.float32)
        # INT8 stand-ins: a on a 0.05 grid (fake quantization), b with a fixed relative error
        ta = (np.round(a / 0.05) * 0.05).astype(np.float32)
        tb = (b * np.float32(1.01)).astype(np.float32)
        ref_iters.append({"a": a, "b": b})
        test_iters.append({"a": ta, "b": tb})
    # Python's json.dumps with indent=4, as Polygraphy writes it
    dump = lambda obj, f: open(f"{d}/{f}", "w").write(json.dumps(obj, indent=4))
    dump(run_results([("onnxrt-runner-N0-11/27/25-21:30:00", [iteration("onnxrt-runner-N0", o, encode) for o in ref_iters])]), "ref.json")
    dump(run_results([("trt-runner-N0-11/27/25-21:30:05", [iteration("trt-runner-N0", o, lazy) for o in test_iters])]), "test_lazy.json")
    dump(run_results([("legacy-runner", [iteration("legacy-runner", o, legacy, True) for o in test_iters])], True), "legacy.json")
    dump(run_results([
        ("onnxrt-runner-N0-11/27/25-21:30:00", [iteration("onnxrt-runner-N0", o, encode) for o in ref_iters]),
        ("trt-runner-N0-11/27/25-21:30:05", [iteration("trt-runner-N0", o, lazy) for o in test_iters]),
    ]), "two_runners.json")
    expected = {}
    for name in ("a", "b"):
        r = np.concatenate([o[name].astype(np.float64).ravel() for o in ref_iters])
        t = np.concatenate([o[name].astype(np.float64).ravel() for o in test_iters])
        e = r - t
        expected[name] = {
            "sqnrDb": float(10 * np.log10(np.sum(r * r) / np.sum(e * e))),
            "cosine": float(np.dot(r, t) / np.sqrt(np.dot(r, r) * np.dot(t, t))),
            "maxAbs": float(np.max(np.abs(e))),
        }
    dump(expected, "expected.json")


def decode(entry):
    while "values" in entry and "array" not in entry:
        entry = entry["values"]
    return np.load(io.BytesIO(base64.b64decode(entry["array"], validate=True)), allow_pickle=False)


def check(json_file, arrow_file):
    import pyarrow as pa

    doc = json.load(open(json_file))
    from_json = {}
    for runner, iters in doc["lst"]:
        for i, it in enumerate(iters):
            sample = it.get("trt_diff_sample", f"iteration-{i}")
            for name, enc in it["outputs"].items():
                from_json[(sample, name)] = decode(enc)
    with pa.memory_map(arrow_file) as src:
        table = pa.ipc.open_file(src).read_all()
    dtypes = {"float32": "<f4", "float16": "<f2", "float64": "<f8", "int8": "i1", "uint8": "u1", "int16": "<i2",
              "uint16": "<u2", "int32": "<i4", "uint32": "<u4", "int64": "<i8", "uint64": "<u8", "bool": "?"}
    summary = {"json_arrays": len(from_json), "arrow_rows": table.num_rows, "compared": 0, "mismatches": []}
    cols = table.to_pydict()
    for i in range(table.num_rows):
        name = cols["pair"][i] or cols["name"][i]
        key = (cols["sample"][i], name)
        if key not in from_json:
            continue
        arrow_arr = np.frombuffer(cols["data"][i], dtype=dtypes[cols["dtype"][i]]).reshape(cols["shape"][i])
        j = from_json[key]
        same = j.dtype == arrow_arr.dtype and j.shape == arrow_arr.shape and np.array_equal(j, arrow_arr, equal_nan=True)
        summary["compared"] += 1
        if not same:
            summary["mismatches"].append({"sample": key[0], "name": name, "json": f"{j.dtype}{list(j.shape)}", "arrow": f"{arrow_arr.dtype}{list(arrow_arr.shape)}"})
    print(json.dumps(summary))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    elif sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
