"""YOLOv8n at other input sizes, made from the 640 exports in ../shared/data/yolov8n.

The Ultralytics ONNX export is fully convolutional except for five head constants that bake in
the 8400 anchors of a 640x640 input: the DFL reshape shapes [1,4,16,A] and [1,4,A], the anchor
points [1,2,A] (twice: the Sub and the Add of dist2bbox) and the strides [1,A]. This script
rebuilds them for an input of S x S (A = (S/8)^2 + (S/16)^2 + (S/32)^2; anchor (x+0.5, y+0.5) per
grid cell, level by level, as Ultralytics' make_anchors), sets the input and output shapes, and
drops the stored intermediate shapes (value_info) so that ONNX Runtime infers them again.
Weights and, for the Q/DQ model, every quantization scale are untouched. It first rebuilds the 640
constants and checks they equal the export's bit for bit, so the rule is the export's own.

    python3 bench/make_yolo_sizes.py OUT_DIR 320,1280
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'data', 'yolov8n')
MODELS = {'fp32': 'yolov8n_fp32.onnx', 'int8': 'yolov8n_int8_qdq_entropy.onnx'}
STRIDES = (8, 16, 32)
DFL = '/model.22/dfl/Constant_output_0'
DFL_1 = '/model.22/dfl/Constant_1_output_0'
ANCHORS = ('/model.22/Constant_12_output_0', '/model.22/Constant_13_output_0')
STRIDE_T = '/model.22/Constant_15_output_0'


def head_constants(size):
    xs, ys, st = [], [], []
    for s in STRIDES:
        n = size // s
        y, x = np.meshgrid(np.arange(n, dtype=np.float32) + 0.5, np.arange(n, dtype=np.float32) + 0.5, indexing='ij')
        xs.append(x.ravel()); ys.append(y.ravel()); st.append(np.full(n * n, s, np.float32))
    a = sum((size // s) ** 2 for s in STRIDES)
    anchors = np.stack([np.concatenate(xs), np.concatenate(ys)])[None]
    return {
        DFL: np.array([1, 4, 16, a], np.int64),
        DFL_1: np.array([1, 4, a], np.int64),
        ANCHORS[0]: anchors,
        ANCHORS[1]: anchors,
        STRIDE_T: np.concatenate(st)[None],
    }, a


def resize(model, size):
    consts, a = head_constants(size)
    g = model.graph
    found = set()
    for t in g.initializer:
        if t.name in consts:
            t.CopyFrom(numpy_helper.from_array(consts[t.name], t.name))
            found.add(t.name)
    missing = set(consts) - found
    if missing:
        raise SystemExit(f'head constants not found: {sorted(missing)}')
    dims = g.input[0].type.tensor_type.shape.dim
    dims[2].dim_value = size
    dims[3].dim_value = size
    g.output[0].type.tensor_type.shape.dim[2].dim_value = a
    del g.value_info[:]
    return model


def main():
    out_dir, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(',')]
    os.makedirs(out_dir, exist_ok=True)
    for kind, name in MODELS.items():
        src = onnx.load(os.path.join(SHARED, name))
        ref, _ = head_constants(640)
        for t in src.graph.initializer:
            if t.name in ref and not np.array_equal(numpy_helper.to_array(t), ref[t.name]):
                raise SystemExit(f'{name}: {t.name} does not follow the anchor rule; refusing to resize')
        for size in sizes:
            m = resize(onnx.load(os.path.join(SHARED, name)), size)
            onnx.checker.check_model(m)
            path = os.path.join(out_dir, f'yolov8n_{size}_{kind}.onnx')
            onnx.save(m, path + '.tmp')
            os.replace(path + '.tmp', path)
            print(path)


if __name__ == '__main__':
    main()
