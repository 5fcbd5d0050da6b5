"""The public UltraFace detector (version-RFB-320, SSD-style: scores [1,4420,2] = background + face,
boxes [1,4420,4] corners normalised; goldens/detect/ultraface/, provenance in fixtures/README.md)
with INT8 copies whose faults are known, and inputs made from pictures.

    python3 goldens/detect/make_ultraface.py OUT_DIR IMAGE...

Writes: ultraface_fp32.onnx (initializers no longer listed as graph inputs, opset 13, shapes
inferred: the same function), ultraface_int8.onnx (onnxruntime quantize_static QDQ, per-channel,
Conv only, calibrated on the images), ultraface_class.onnx / ultraface_box.onnx (the level-0
classification / regression head's last conv requantised 200x coarser, as make_heads.py),
ultraface_int8_all.onnx (every op type ORT quantizes, Softmax and Concat included),
input_<k>.npy (RGB, 320x240 resize, (x - 127) / 128, the model's own preprocessing), ultraface.json.
Needs onnx, onnxruntime, numpy, pillow.
"""
import json
import os
import sys

import numpy as np
import onnx
from PIL import Image
from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

sys.path.insert(0, os.path.dirname(__file__))
from make_heads import Reader, coarser_weights  # noqa: E402

MODEL = os.path.join(os.path.dirname(__file__), 'ultraface', 'version-RFB-320.onnx')


def prepare(dst):
    m = onnx.load(MODEL)
    inits = {t.name for t in m.graph.initializer}
    keep = [i for i in m.graph.input if i.name not in inits]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    for k, n in enumerate(m.graph.node):
        if not n.name:
            n.name = f'{n.op_type}_{k}'
    m = onnx.version_converter.convert_version(m, 13)
    onnx.save(onnx.shape_inference.infer_shapes(m, data_prop=True), dst)


def main(out, images):
    os.makedirs(out, exist_ok=True)
    fp32 = os.path.join(out, 'ultraface_fp32.onnx')
    prepare(fp32)
    inputs = []
    for k, f in enumerate(images):
        img = np.asarray(Image.open(f).convert('RGB').resize((320, 240), Image.BILINEAR), np.float32)
        x = ((img - 127.0) / 128.0).transpose(2, 0, 1)[None].copy()
        np.save(os.path.join(out, f'input_{k}.npy'), x)
        inputs.append(x)
    int8 = os.path.join(out, 'ultraface_int8.onnx')
    quantize_static(fp32, int8, Reader(inputs, 'input'), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=['Conv'])
    quantize_static(fp32, os.path.join(out, 'ultraface_int8_all.onnx'), Reader(inputs, 'input'), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    faults = {'class': 'classification_headers.0.2.weight', 'box': 'regression_headers.0.2.weight'}
    outputs = {name: coarser_weights(int8, os.path.join(out, f'ultraface_{name}.onnx'), weight, None) for name, weight in faults.items()}
    with open(os.path.join(out, 'ultraface.json'), 'w') as f:
        json.dump({'inputs': [f'input_{k}.npy' for k in range(len(inputs))], 'faults': faults, 'outputs': outputs}, f, indent=1)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])
