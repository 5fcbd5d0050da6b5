#!/usr/bin/env python3
"""What a practitioner writes instead of trt-diff, and the inference floor under both.

script mode (default): both models augmented with onnxruntime's
`modify_model_output_intermediate_tensors` (every float tensor becomes an output), one ORT session
each (default session options), then image by image: run both, pair tensors by the names
`qdq_loss_debug` uses (X in FP32 <-> X_DequantizeLinear_Output, else X, in the Q/DQ model), and
accumulate sum(a^2) and sum((a-b)^2) in float64 with numpy (einsum, no float64 copies). Nothing is held across images.
At the end: SQNR per tensor.

floor mode (--floor): the same two augmented models and sessions run image by image, outputs
discarded: the cost of inference with every tensor exposed, and nothing else. (Binding outputs
through IOBinding instead, so they never become numpy arrays, measured slower here.)

    python3 bench/streamed_script.py FP32.onnx QDQ.onnx LIST.txt N [--floor] [--threads T]

Prints one JSON line (seconds: augment / sessions / per-image loop / total; tensors compared).
"""
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
from npy_reader import baseline_args  # bench/ is on sys.path: the script's folder
from onnxruntime.quantization.qdq_loss_debug import (
    DEQUANT_OUTPUT_SUFFIX as DEQUANT_OUTPUT,
    _TENSOR_SAVE_POSTFIX as SAVE_POSTFIX,  # what modify_model_output_intermediate_tensors appends
    modify_model_output_intermediate_tensors,
)


def session(path, threads):
    so = ort.SessionOptions()
    if threads:
        so.intra_op_num_threads = threads
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def pairs(fp32_outputs, qdq_outputs):
    """FP32 output -> Q/DQ output standing for the same tensor (its dequantized value if any)."""
    qdq = set(qdq_outputs)
    out = {}
    for name in fp32_outputs:
        if not name.endswith(SAVE_POSTFIX):
            continue
        base = name[: -len(SAVE_POSTFIX)]
        for cand in (base + DEQUANT_OUTPUT + SAVE_POSTFIX, name):
            if cand in qdq:
                out[name] = cand
                break
    return out


def main():
    a, files = baseline_args((["--floor"], {"action": "store_true"}), (["--threads"], {"type": int, "default": 0}))

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        aug = [os.path.join(tmp, "fp32_aug.onnx"), os.path.join(tmp, "qdq_aug.onnx")]
        modify_model_output_intermediate_tensors(a.fp32, aug[0])
        modify_model_output_intermediate_tensors(a.qdq, aug[1])
        t_aug = time.perf_counter()
        sf, sq = session(aug[0], a.threads), session(aug[1], a.threads)
    t_sess = time.perf_counter()
    names_f = [o.name for o in sf.get_outputs()]
    names_q = [o.name for o in sq.get_outputs()]
    matched = pairs(names_f, names_q)

    sums = {k: [0.0, 0.0] for k in matched}
    for f in files:
        x = np.load(f)
        if a.floor:
            sf.run(None, {a.input_name: x})
            sq.run(None, {a.input_name: x})
            continue
        rf = dict(zip(names_f, sf.run(None, {a.input_name: x})))
        rq = dict(zip(names_q, sq.run(None, {a.input_name: x})))
        for fn, qn in matched.items():
            ref = rf[fn].ravel()  # "i,i->" wants 1-D operands; ravel of a contiguous output is a view
            err = ref - rq[qn].ravel()
            # float64 sums without float64 copies of the tensors (astype() per tensor is ~10x slower)
            sums[fn][0] += float(np.einsum("i,i->", ref, ref, dtype=np.float64))
            sums[fn][1] += float(np.einsum("i,i->", err, err, dtype=np.float64))
        del rf, rq
    t_end = time.perf_counter()

    sqnr = {k[: -len(SAVE_POSTFIX)]: (10 * math.log10(s / e) if e > 0 and s > 0 else math.inf) for k, (s, e) in sums.items()}
    finite = [v for v in sqnr.values() if math.isfinite(v)]
    print(json.dumps({
        "tool": "streamed floor" if a.floor else "streamed script",
        "images": len(files),
        "fp32_outputs": len(names_f),
        "qdq_outputs": len(names_q),
        "compared": 0 if a.floor else len(matched),
        "worst_sqnr_db": None if a.floor or not finite else min(finite),
        "seconds": {"augment": t_aug - t0, "sessions": t_sess - t_aug, "images": t_end - t_sess, "total": t_end - t0},
    }))


if __name__ == "__main__":
    sys.exit(main())
