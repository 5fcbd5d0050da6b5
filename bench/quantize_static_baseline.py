#!/usr/bin/env python3
"""
Baseline for bench/calibration.ts: onnxruntime-python's quantize_static on the same model and the
same (already letterboxed) inputs, timed per calibration method.

    python3 bench/quantize_static_baseline.py --model yolov8n_fp32.onnx --npy-dir DIR --methods Entropy,MinMax

Prints one JSON object: {"onnxruntime": version, "results": [{"method", "seconds", "images"}]}.
The model is converted to opset 13 first (per-channel Q/DQ needs it; not timed), and quantized the
way trt-diff's Q/DQ models are: QDQ format, symmetric int8 activations, per-channel int8 weights.
"""
import argparse
import glob
import json
import os
import sys
import tempfile
import time

import onnx
import onnxruntime
from onnx import version_converter
from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static


from npy_reader import NpyReader  # noqa: E402  (bench/ is on sys.path: the script's folder)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True)
    ap.add_argument('--npy-dir', required=True)
    ap.add_argument('--methods', default='Entropy,MinMax')
    args = ap.parse_args()

    files = sorted(glob.glob(os.path.join(args.npy_dir, '*.npy')))
    if not files:
        print(f'{args.npy_dir}: no .npy inputs', file=sys.stderr)
        return 2
    model = onnx.load(args.model)
    input_name = model.graph.input[0].name
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, 'opset13.onnx')
        opset = next(o.version for o in model.opset_import if o.domain in ('', 'ai.onnx'))
        onnx.save(version_converter.convert_version(model, 13) if opset < 13 else model, src)
        for method in args.methods.split(','):
            t = time.perf_counter()
            quantize_static(
                src, os.path.join(tmp, f'{method}.qdq.onnx'), NpyReader(files, input_name),
                quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                per_channel=True, calibrate_method=getattr(CalibrationMethod, method),
                extra_options={'ActivationSymmetric': True, 'WeightSymmetric': True},
            )
            results.append({'method': method, 'seconds': time.perf_counter() - t, 'images': len(files)})
            print(f'{method}: {results[-1]["seconds"]:.1f} s', file=sys.stderr)
    print(json.dumps({'onnxruntime': onnxruntime.__version__, 'results': results}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
