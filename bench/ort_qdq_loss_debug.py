#!/usr/bin/env python3
"""The tool a user would reach for instead of trt-diff: onnxruntime.quantization.qdq_loss_debug.

Runs its documented workflow on an FP32 model and its Q/DQ model, over the same preprocessed
inputs trt-diff is fed (.npy files written by bench/make-npy-inputs.ts):

    modify_model_output_intermediate_tensors  (both models: every float tensor becomes an output)
    collect_activations                       (both models, every input; holds all activations)
    create_activation_matching                (pairs X / X_QuantizeLinear_Input / X_DequantizeLinear_Output)
    compute_activation_error                  (SQNR pre-vs-post QDQ and FP32-vs-QDQ per tensor)

Library defaults are kept (collect_activations turns graph optimization off, as documented), since
that is what a user of the tool gets. Prints one JSON line with wall time and tensor counts; peak RSS
is measured from outside (bench/headline.ts) so both tools are measured the same way.

    python3 bench/ort_qdq_loss_debug.py FP32.onnx QDQ.onnx LIST.txt N [--json out.json]
"""
import json
import math
import os
import sys
import tempfile
import time

from onnxruntime.quantization.qdq_loss_debug import (
    collect_activations,
    compute_activation_error,
    create_activation_matching,
    modify_model_output_intermediate_tensors,
)


from npy_reader import NpyReader, baseline_args  # noqa: E402  (bench/ is on sys.path: the script's folder)


def main():
    a, files = baseline_args((["--json"], {}))

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        aug_fp32 = os.path.join(tmp, "fp32_aug.onnx")
        aug_qdq = os.path.join(tmp, "qdq_aug.onnx")
        modify_model_output_intermediate_tensors(a.fp32, aug_fp32)
        modify_model_output_intermediate_tensors(a.qdq, aug_qdq)
        t_aug = time.perf_counter()
        float_acts = collect_activations(aug_fp32, NpyReader(files, a.input_name))
        qdq_acts = collect_activations(aug_qdq, NpyReader(files, a.input_name))
        t_run = time.perf_counter()
    matching = create_activation_matching(qdq_acts, float_acts)
    # compute_activation_error needs a "float" entry on every match; the ones without an FP32
    # partner are dropped first (they would raise KeyError).
    with_float = {k: v for k, v in matching.items() if "float" in v}
    errors = compute_activation_error(with_float)
    t_end = time.perf_counter()

    finite = [e["xmodel_err"] for e in errors.values() if math.isfinite(e["xmodel_err"])]
    out = {
        "tool": "onnxruntime.quantization.qdq_loss_debug",
        "images": len(files),
        "fp32_tensors": len(float_acts),
        "qdq_tensors": len(qdq_acts),
        "matched": len(matching),
        "compared": len(errors),
        "worst_sqnr_db": min(finite) if finite else None,
        "seconds": {"augment": t_aug - t0, "collect": t_run - t_aug, "compare": t_end - t_run, "total": t_end - t0},
    }
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"summary": out, "errors": errors}, fh)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
