#!/usr/bin/env python3
"""
Small CNNs exported from torch and quantized by onnxruntime.quantization in every convention its
quantizer has, for the quantizer-convention tests (test/quantizers/).

    python3 goldens/quantizers/make_models.py      # rewrites goldens/quantizers/models/*.onnx and manifest.json

Two FP32 models (opset 13, BatchNorm folded by the exporter):
  mixed.onnx    Conv-BN-Relu, Conv-Relu6 (Clip 0..6), Conv-LeakyRelu(0.1), residual Add, MaxPool,
                Concat, a Relu that is a graph output (`feat`), GlobalAveragePool, Flatten, Gemm, Sigmoid.
                Outputs `feat` [1,16,8,8] and `score` [1,10].
  relu6.onnx    Conv-Relu6 x3 with a Relu6 graph output (MobileNet-style), output `y` [1,8,16,16].

Each is quantized with quantize_static (MinMax on 16 seeded uniform [0,1) inputs) as
  qdq_u8_tensor     QDQ, uint8 asymmetric activations, int8 per-tensor weights (ORT's defaults)
  qdq_u8_channel    QDQ, same with per-channel weights
  qdq_s8_sym        QDQ, int8 symmetric activations and weights, per-channel (TensorRT's convention)
  qop_u8_tensor     QOperator (QLinearConv, QLinearAdd, QLinearConcat, QGemm, QLinearSigmoid, ...)
  qop_u8_channel    QOperator with per-channel weights
With asymmetric activations ORT's quantizer deletes each Relu/Clip after a Conv and folds the clamp
into the output Q/DQ's range (zero point at the range's end); with symmetric activations it keeps
them. That is the convention the tests check pairing and float fallback against.

Plus one damaged model: qop_u8_tensor with the output scale of block `conv2` (its QLinearConv y_scale)
multiplied by 40 (its readers dequantize with the same scale) — the damaged block a QOperator comparison must name (recorded in manifest.json).
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'models')
SIZE = 32


class Mixed(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.conv3 = torch.nn.Conv2d(8, 8, 3, padding=1)
        self.conv4 = torch.nn.Conv2d(8, 8, 1)
        self.conv5 = torch.nn.Conv2d(16, 16, 3, padding=1)
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x):
        a = torch.relu(self.bn1(self.conv1(x)))
        b = torch.nn.functional.relu6(self.conv2(a))
        c = torch.nn.functional.leaky_relu(self.conv3(b), 0.1)
        d = c + a
        p = torch.nn.functional.max_pool2d(d, 2)
        e = torch.relu(self.conv4(p))
        cat = torch.cat([p, e], 1)
        feat = torch.relu(self.conv5(cat))
        g = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(feat, 1), 1)
        return feat, torch.sigmoid(self.fc(g))


class Relu6Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = torch.nn.Conv2d(8, 8, 3, padding=1, groups=8)
        self.conv3 = torch.nn.Conv2d(8, 8, 1)

    def forward(self, x):
        a = torch.nn.functional.relu6(self.conv1(x))
        b = torch.nn.functional.relu6(self.conv2(a))
        return torch.nn.functional.relu6(self.conv3(b)) * 1.0


def export(net: torch.nn.Module, name: str, outputs: list[str]) -> str:
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.1, 0.3)
    net.eval()
    path = os.path.join(OUT, f'{name}.onnx')
    torch.onnx.export(net, torch.zeros(1, 3, SIZE, SIZE), path, input_names=['input'], output_names=outputs,
                      opset_version=13, do_constant_folding=True, dynamo=False)
    m = onnx.load(path)
    # Readable, stable tensor names the way exporters write them: the node's name + '_output'.
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return path


class Reader(CalibrationDataReader):
    def __init__(self):
        rng = np.random.default_rng(7)
        self.data = iter([{'input': rng.random((1, 3, SIZE, SIZE), dtype=np.float32)} for _ in range(16)])

    def get_next(self):
        return next(self.data, None)


VARIANTS = {
    'qdq_u8_tensor': dict(quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=False),
    'qdq_u8_channel': dict(quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True),
    'qdq_s8_sym': dict(quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8, per_channel=True,
                       extra_options={'ActivationSymmetric': True, 'WeightSymmetric': True}),
    'qop_u8_tensor': dict(quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=False),
    'qop_u8_channel': dict(quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True),
}


def crush_scale(src: str, dst: str, node_prefix: str, factor: float) -> str:
    """Multiply the output scale of the QLinearConv whose name contains node_prefix, in place: the op
    and every reader of its output see the same coarser quantization. Returns that node's name."""
    m = onnx.load(src)
    init = {t.name: t for t in m.graph.initializer}
    for n in m.graph.node:
        if n.op_type == 'QLinearConv' and node_prefix in n.name:
            t = init[n.input[6]]
            t.CopyFrom(numpy_helper.from_array((numpy_helper.to_array(t) * np.float32(factor)).astype(np.float32), t.name))
            onnx.save(m, dst)
            return n.name
    raise SystemExit(f'no QLinearConv named like {node_prefix} in {src}')


# Output scale / zero point positions of QOperator ops (ONNX and com.microsoft schemas), written out
# here independently of src/graph/qoperator.ts.
QOP_OUT = {'QLinearConv': (6, 7), 'QLinearAdd': (6, 7), 'QLinearMul': (6, 7), 'QLinearMatMul': (6, 7), 'QLinearConcat': (0, 1),
           'QLinearSigmoid': (3, 4), 'QLinearLeakyRelu': (3, 4), 'QLinearGlobalAveragePool': (3, 4), 'QGemm': (7, 8)}


def qop_goldens(fp32_path: str, qop_path: str, x: np.ndarray) -> dict:
    """SQNR (dB, float64) of every QOperator layer output, dequantized with numpy, against the FP32 tensor
    it stands for: the FP32 node of the same name (ORT appends '_quant'), or the Relu/Clip right after it
    when that node's output is only read by one (the quantizer folded it)."""
    import onnxruntime as ort
    fp, q = onnx.load(fp32_path), onnx.load(qop_path)
    init = {t.name: numpy_helper.to_array(t) for t in q.graph.initializer}
    fp_nodes = {n.name: n for n in fp.graph.node}
    readers = {}
    for n in fp.graph.node:
        for i in n.input:
            readers.setdefault(i, []).append(n)
    qparams, wanted = {}, {}
    for n in q.graph.node:
        if n.op_type in QOP_OUT:
            si, zi = QOP_OUT[n.op_type]
            qparams[n.output[0]] = (init[n.input[si]], init[n.input[zi]])
        elif n.op_type in ('MaxPool', 'Flatten') and n.input[0] in qparams:
            qparams[n.output[0]] = qparams[n.input[0]]
        else:
            continue
        f = fp_nodes.get(n.name[:-len('_quant')] if n.name.endswith('_quant') else n.name)
        out = f.output[0]
        r = readers.get(out, [])
        if len(r) == 1 and r[0].op_type in ('Relu', 'Clip'):
            out = r[0].output[0]
        wanted[n.output[0]] = out
    for m, names in ((q, wanted.keys()), (fp, wanted.values())):
        have = {o.name for o in m.graph.output}
        m.graph.output.extend(onnx.ValueInfoProto(name=t) for t in names if t not in have)
    qo = dict(zip([o.name for o in q.graph.output], ort.InferenceSession(q.SerializeToString()).run(None, {'input': x})))
    fo = dict(zip([o.name for o in fp.graph.output], ort.InferenceSession(fp.SerializeToString()).run(None, {'input': x})))
    out = {}
    for t, ref_name in wanted.items():
        scale, zp = qparams[t]
        deq = (qo[t].astype(np.float64) - zp.astype(np.float64)) * scale.astype(np.float64)
        ref = fo[ref_name].astype(np.float64)
        out[ref_name] = float(10 * np.log10(np.sum(ref ** 2) / np.sum((ref - deq) ** 2)))
    return out


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    manifest = {'models': {}}
    for name, cls, outputs, seed in (('mixed', Mixed, ['feat', 'score'], 1), ('relu6', Relu6Net, ['y'], 2)):
        torch.manual_seed(seed)
        fp32 = export(cls(), name, outputs)
        entry = {'fp32': os.path.basename(fp32), 'variants': {}}
        for v, kw in VARIANTS.items():
            dst = os.path.join(OUT, f'{name}_{v}.onnx')
            quantize_static(fp32, dst, Reader(), calibrate_method=__import__('onnxruntime').quantization.CalibrationMethod.MinMax, **kw)
            q = onnx.load(dst)
            entry['variants'][v] = {
                'file': os.path.basename(dst),
                'ops': sorted({n.op_type for n in q.graph.node}),
                'relu_clip_kept': sum(n.op_type in ('Relu', 'Clip') for n in q.graph.node),
            }
        manifest['models'][name] = entry
    damaged = os.path.join(OUT, 'mixed_qop_u8_tensor_conv2x40.onnx')
    node = crush_scale(os.path.join(OUT, 'mixed_qop_u8_tensor.onnx'), damaged, 'conv2', 40.0)
    manifest['damaged'] = {'file': os.path.basename(damaged), 'fp32': 'mixed.onnx', 'node': node, 'factor': 40.0}
    x = np.random.default_rng(11).random((1, 3, SIZE, SIZE), dtype=np.float32)
    np.save(os.path.join(HERE, 'input.npy'), x)
    manifest['qop_sqnr_db'] = {f: qop_goldens(os.path.join(OUT, 'mixed.onnx'), os.path.join(OUT, f), x)
                               for f in ('mixed_qop_u8_tensor.onnx', 'mixed_qop_u8_channel.onnx', os.path.basename(damaged))}
    import onnxruntime
    manifest['made_with'] = {'torch': torch.__version__, 'onnxruntime': onnxruntime.__version__, 'onnx': onnx.__version__}
    with open(os.path.join(HERE, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')
    print(json.dumps(manifest, indent=1))


if __name__ == '__main__':
    sys.exit(main())
