#!/usr/bin/env python3
"""
Goldens for test/quant: a two-conv ONNX model, a few input arrays, and the per-tensor ranges that
onnxruntime-python's MinMax calibrator finds on them.

    python3 goldens/quant/make_goldens.py      # rewrites goldens/quant/{two_conv.onnx,opset11_ops.onnx,int_input.onnx,inputs/,minmax_ort.json}

onnxruntime's MinMax calibrator (onnxruntime.quantization.calibrate.create_calibrator with
CalibrationMethod.MinMax) records min and max of every float tensor over all inputs; the symmetric
amax TensorRT's MinMax calibrator stores is max(|min|, |max|), and the cache scale amax / 127.
"""
import json
import os
import struct
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization.calibrate import CalibrationDataReader, CalibrationMethod, create_calibrator

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, 'two_conv.onnx')
INPUTS = os.path.join(HERE, 'inputs')
N_INPUTS = 4


def build_model() -> onnx.ModelProto:
    rng = np.random.default_rng(20240917)
    w1 = (rng.standard_normal((4, 3, 3, 3)) * 0.4).astype(np.float32)
    b1 = (rng.standard_normal(4) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((2, 4, 3, 3)) * 0.3).astype(np.float32)
    b2 = (rng.standard_normal(2) * 0.1).astype(np.float32)
    nodes = [
        helper.make_node('Conv', ['x', 'w1', 'b1'], ['conv1'], name='conv1', pads=[1, 1, 1, 1]),
        helper.make_node('Relu', ['conv1'], ['relu1'], name='relu1'),
        helper.make_node('Conv', ['relu1', 'w2', 'b2'], ['y'], name='conv2', pads=[0, 0, 0, 0]),
    ]
    graph = helper.make_graph(
        nodes, 'two_conv',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 2, 14, 14])],
        [numpy_helper.from_array(a, n) for a, n in ((w1, 'w1'), (b1, 'b1'), (w2, 'w2'), (b2, 'b2'))],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    return model


def build_opset11_model() -> onnx.ModelProto:
    """Ops whose signature changed between opset 11 and 13, around a Conv (for the opset upgrade)."""
    rng = np.random.default_rng(3)
    w = (rng.standard_normal((4, 2, 1, 1)) * 0.5).astype(np.float32)
    nodes = [
        helper.make_node('Split', ['x'], ['s0', 's1'], name='split', axis=1, split=[2, 1]),
        helper.make_node('Conv', ['s0', 'w'], ['c'], name='conv'),
        helper.make_node('ReduceSum', ['c'], ['r'], name='reduce', axes=[1], keepdims=1),
        helper.make_node('Squeeze', ['r'], ['sq'], name='squeeze', axes=[1]),
        # axis 1 of a rank-3 tensor: opset 11 normalises over dims 1 and 2 together, opset 13 over dim 1 only
        helper.make_node('Softmax', ['sq'], ['sm'], name='softmax', axis=1),
        helper.make_node('Unsqueeze', ['sm'], ['u'], name='unsqueeze', axes=[1]),
        helper.make_node('Mul', ['u', 's1'], ['y'], name='mul'),
    ]
    graph = helper.make_graph(
        nodes, 'opset11_ops',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 1, 8, 8])],
        [numpy_helper.from_array(w, 'w')],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 11)])
    model.ir_version = 6
    onnx.checker.check_model(model)
    return model


def build_int_input_model() -> onnx.ModelProto:
    """No float input: nothing to calibrate from."""
    nodes = [helper.make_node('Cast', ['ids'], ['f'], name='cast', to=TensorProto.FLOAT),
             helper.make_node('Relu', ['f'], ['y'], name='relu')]
    graph = helper.make_graph(nodes, 'int_input',
                              [helper.make_tensor_value_info('ids', TensorProto.INT64, [1, 4])],
                              [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 7
    return model


def make_inputs() -> list:
    rng = np.random.default_rng(7)
    arrays = []
    for k in range(N_INPUTS):
        # Different spreads per array, so the max over inputs is not the first one's.
        a = (rng.standard_normal((1, 3, 16, 16)) * (0.5 + k * 0.7) + 0.2 * k).astype(np.float32)
        arrays.append(a)
    return arrays


class Reader(CalibrationDataReader):
    def __init__(self, arrays):
        self.it = iter([{'x': a} for a in arrays])

    def get_next(self):
        return next(self.it, None)


def f32_hex(v: float) -> str:
    return struct.pack('>f', v).hex()


def main() -> int:
    model = build_model()
    onnx.save(model, MODEL)
    onnx.save(build_opset11_model(), os.path.join(HERE, 'opset11_ops.onnx'))
    onnx.save(build_int_input_model(), os.path.join(HERE, 'int_input.onnx'))
    os.makedirs(INPUTS, exist_ok=True)
    arrays = make_inputs()
    for k, a in enumerate(arrays):
        np.save(os.path.join(INPUTS, f'x_{k}.npy'), a)

    with tempfile.TemporaryDirectory() as tmp:
        cal = create_calibrator(MODEL, op_types_to_calibrate=None,
                                augmented_model_path=os.path.join(tmp, 'augmented.onnx'),
                                calibrate_method=CalibrationMethod.MinMax)
        cal.collect_data(Reader(arrays))
        ranges = cal.compute_data()
    out = {}
    for name in sorted(ranges.data):
        lo, hi = (float(np.asarray(v).reshape(-1)[0]) for v in ranges.data[name].range_value)
        amax = max(abs(lo), abs(hi))
        scale = float(np.float32(amax) / np.float32(127))
        out[name] = {'min': lo, 'max': hi, 'amax': amax, 'scale': scale, 'hex': f32_hex(scale)}
    meta = {
        'generator': 'goldens/quant/make_goldens.py',
        'onnxruntime': onnxruntime.__version__,
        'numpy': np.__version__,
        'method': 'onnxruntime.quantization.calibrate MinMax; amax = max(|min|,|max|); scale = amax/127',
        'inputs': [f'inputs/x_{k}.npy' for k in range(N_INPUTS)],
    }
    with open(os.path.join(HERE, 'minmax_ort.json'), 'w') as f:
        json.dump({'meta': meta, 'tensors': out}, f, indent=2)
        f.write('\n')
    print(f'{len(out)} tensors: {", ".join(out)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
