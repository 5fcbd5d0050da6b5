"""Small detectors of every head family trt-diff knows, with INT8 copies whose faults are known.

    python3 goldens/detect/make_heads.py OUT_DIR [FAMILY,FAMILY,...]

For each family (default: all of yolov8, yolov10, yolov5, yolox, ssd, ssd_raw, detr, fastestdet,
retinanet, retinanet_raw, rtdetr, rtdetr_logits, rtdetr_single) writes to OUT_DIR:
  <family>_fp32.onnx         torch export (legacy exporter, opset 13), seeded random weights
  <family>_int8.onnx         onnxruntime quantize_static, QDQ, per-channel int8 weights, Conv/MatMul only
  <family>_int8_all.onnx     (yolov5, yolox, retinanet, rtdetr) the same with every op type ORT quantizes
  <family>_<fault>.onnx      the INT8 model with one fault injected (class / box / objectness):
                             the int8 weights of the branch's last layer (or, for one-conv heads, of
                             that branch's output channels; for YOLOX objectness, of every level's)
                             requantised on a grid 200x coarser; retinanet's class_scale: the class
                             conv's level-0 input read through a Q/DQ scale 1000x too large
and once: input_<k>.npy (the calibration and test inputs), ssd_priors.npy and retina_priors.npy
([A,4] cx,cy,w,h normalised), heads.json (what was written, the faulted node and channels, the
tensor where each fault starts, each family's expected head).

The models are not trained: weights are random, scaled so that class logits spread (a clear best
class) and boxes land inside the 64x64 input; RetinaNet and RT-DETR heads are standardised to the
logit statistics of their losses (focal-loss priors: mostly negative), and YOLOv5/YOLOX objectness
is given a trained detector's distribution (calibrate_objectness), so that an objectness fault
means what it means on a real model. What the tests check is diagnosis (which branch is broken),
for which the ground truth is the injected fault, not accuracy; goldens/detect/head_reference.py
measures what each fault did to the outputs.
Needs torch (CPU), onnx, onnxruntime, numpy.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

S = 64          # input size
C = 5           # classes
N_INPUTS = 4
COARSER = 200.0  # fault: weight quantisation step multiplied by this (most weights of the layer round to 0)


def conv(ci, co, s=1):
    return nn.Sequential(nn.Conv2d(ci, co, 3, s, 1), nn.SiLU())


class Backbone(nn.Module):
    """Strides 8, 16, 32 feature maps (P3, P4, P5)."""
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(conv(3, 8, 2), conv(8, 16, 2), conv(16, 16, 2))
        self.p4 = conv(16, 16, 2)
        self.p5 = conv(16, 16, 2)

    def forward(self, x):
        p3 = self.stem(x)
        p4 = self.p4(p3)
        p5 = self.p5(p4)
        return [p3, p4, p5]


STRIDES = [8, 16, 32]


def grids():
    """Cell centres (x, y) and strides of every anchor, level by level, row-major."""
    xs, ys, ss = [], [], []
    for s in STRIDES:
        n = S // s
        gy, gx = np.meshgrid(np.arange(n), np.arange(n), indexing='ij')
        xs.append(gx.ravel()); ys.append(gy.ravel()); ss.append(np.full(n * n, s))
    return (torch.tensor(np.concatenate(xs), dtype=torch.float32), torch.tensor(np.concatenate(ys), dtype=torch.float32),
            torch.tensor(np.concatenate(ss), dtype=torch.float32))


class YoloV8(nn.Module):
    """[1, 4+C, A]: decoded xywh pixels (from the box branch) ++ sigmoid class scores (class branch)."""
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.box = nn.ModuleList(nn.Sequential(conv(16, 16), nn.Conv2d(16, 4, 1)) for _ in STRIDES)
        self.cls = nn.ModuleList(nn.Sequential(conv(16, 16), nn.Conv2d(16, C, 1)) for _ in STRIDES)
        gx, gy, s = grids()
        self.register_buffer('gx', gx); self.register_buffer('gy', gy); self.register_buffer('s', s)

    def raw(self, x):
        f = self.backbone(x)
        b = torch.cat([m(p).flatten(2) for m, p in zip(self.box, f)], 2)
        c = torch.cat([m(p).flatten(2) for m, p in zip(self.cls, f)], 2)
        xy = torch.stack([(self.gx + b[:, 0].sigmoid()) * self.s, (self.gy + b[:, 1].sigmoid()) * self.s], 1)
        wh = (b[:, 2:4].sigmoid() * 4) * self.s
        return torch.cat([xy, wh], 1), c.sigmoid()

    def forward(self, x):
        return torch.cat(self.raw(x), 1)


class YoloV10(YoloV8):
    """[1, K, 6] end to end: top-K anchors by best class score -> x1, y1, x2, y2, score, class id."""
    K = 20

    def forward(self, x):
        xywh, cls = self.raw(x)
        xyxy = torch.cat([xywh[:, :2] - xywh[:, 2:] / 2, xywh[:, :2] + xywh[:, 2:] / 2], 1).transpose(1, 2)
        score, label = cls.transpose(1, 2).max(2)
        top, idx = score.topk(self.K, 1)
        boxes = torch.gather(xyxy, 1, idx.unsqueeze(-1).expand(-1, -1, 4))
        lab = torch.gather(label, 1, idx).float()
        return torch.cat([boxes, top.unsqueeze(-1), lab.unsqueeze(-1)], 2)


class YoloV5(nn.Module):
    """[1, A, 5+C]: one conv per level writes box, objectness and classes; decoded in the graph."""
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.m = nn.ModuleList(nn.Conv2d(16, 5 + C, 1) for _ in STRIDES)
        self.anchor = [12.0, 24.0, 48.0]

    def forward(self, x):
        z = []
        for i, p in enumerate(self.backbone(x)):
            n = S // STRIDES[i]
            y = self.m[i](p).view(1, 5 + C, n, n).permute(0, 2, 3, 1).sigmoid()
            xy, wh, conf = y.split((2, 2, 1 + C), 3)
            gy, gx = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
            grid = torch.stack([gx, gy], 2).float()
            xy = (xy * 2 - 0.5 + grid) * STRIDES[i]
            wh = (wh * 2) ** 2 * self.anchor[i]
            z.append(torch.cat([xy, wh, conf], 3).view(1, n * n, 5 + C))
        return torch.cat(z, 1)


class YoloX(nn.Module):
    """[1, A, 5+C]: raw grid offsets (decode with strides), objectness and classes after sigmoid; decoupled head."""
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.cls_convs = nn.ModuleList(conv(16, 16) for _ in STRIDES)
        self.reg_convs = nn.ModuleList(conv(16, 16) for _ in STRIDES)
        self.cls_preds = nn.ModuleList(nn.Conv2d(16, C, 1) for _ in STRIDES)
        self.reg_preds = nn.ModuleList(nn.Conv2d(16, 4, 1) for _ in STRIDES)
        self.obj_preds = nn.ModuleList(nn.Conv2d(16, 1, 1) for _ in STRIDES)

    def forward(self, x):
        outs = []
        for i, p in enumerate(self.backbone(x)):
            r = self.reg_convs[i](p)
            c = self.cls_convs[i](p)
            outs.append(torch.cat([self.reg_preds[i](r), self.obj_preds[i](r).sigmoid(), self.cls_preds[i](c).sigmoid()], 1).flatten(2))
        return torch.cat(outs, 2).permute(0, 2, 1)


def ssd_priors():
    """One prior per cell: centre of the cell, size 2 strides (normalised cx, cy, w, h)."""
    gx, gy, s = grids()
    return torch.stack([(gx + 0.5) * s / S, (gy + 0.5) * s / S, 2 * s / S, 2 * s / S], 1)


class Ssd(nn.Module):
    """boxes [1, A, 4] (xyxy normalised, decoded with priors in the graph, or raw deltas) and
    scores [1, A, 2] (softmax over background + one class: a face-detector-style head)."""
    def __init__(self, decode=True):
        super().__init__()
        self.backbone = Backbone()
        self.loc = nn.ModuleList(nn.Sequential(conv(16, 16), nn.Conv2d(16, 4, 1)) for _ in STRIDES)
        self.conf = nn.ModuleList(nn.Sequential(conv(16, 16), nn.Conv2d(16, 2, 1)) for _ in STRIDES)
        self.decode = decode
        self.register_buffer('priors', ssd_priors())

    def forward(self, x):
        f = self.backbone(x)
        loc = torch.cat([m(p).flatten(2) for m, p in zip(self.loc, f)], 2).transpose(1, 2)
        conf = torch.cat([m(p).flatten(2) for m, p in zip(self.conf, f)], 2).transpose(1, 2).softmax(-1)
        if not self.decode:
            return loc, conf
        pr = self.priors.unsqueeze(0)
        cxcy = pr[..., :2] + loc[..., :2] * 0.1 * pr[..., 2:]
        wh = pr[..., 2:] * torch.exp(loc[..., 2:] * 0.2)
        return torch.cat([cxcy - wh / 2, cxcy + wh / 2], 2), conf


class Detr(nn.Module):
    """pred_logits [1, Q, C+1] (softmax, last = no object) and pred_boxes [1, Q, 4] (sigmoid cx, cy, w, h normalised)."""
    Q, D = 12, 32

    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.proj = nn.Linear(16 * 4, self.Q * self.D)
        self.class_embed = nn.Linear(self.D, C + 1)
        self.bbox_embed = nn.Sequential(nn.Linear(self.D, self.D), nn.ReLU(), nn.Linear(self.D, 4))

    def forward(self, x):
        p5 = self.backbone(x)[2]
        hs = torch.relu(self.proj(p5.flatten(1))).view(1, self.Q, self.D)
        return self.class_embed(hs), self.bbox_embed(hs).sigmoid()


class FastestDet(nn.Module):
    """[1, 1+4+C, H, W] at stride 16: objectness (sigmoid), box (raw: tanh offsets, sigmoid size), classes (softmax)."""
    def __init__(self):
        super().__init__()
        self.backbone = Backbone()
        self.neck = conv(16, 16)
        self.obj = nn.Conv2d(16, 1, 1)
        self.reg = nn.Conv2d(16, 4, 1)
        self.cls = nn.Conv2d(16, C, 1)

    def forward(self, x):
        f = self.neck(self.backbone(x)[1])
        return torch.cat([self.obj(f).sigmoid(), self.reg(f), self.cls(f).softmax(1)], 1)


A_PER_CELL = 2  # RetinaNet: anchors per cell (sizes 2 and 3 strides)


def retina_anchors():
    """RetinaNet anchors in pixels (cx, cy, w, h), level by level, cell by cell (row-major), then anchor:
    the order of a head output permuted to [1, H, W, A, K] and flattened."""
    out = []
    for s in STRIDES:
        n = S // s
        for gy in range(n):
            for gx in range(n):
                for k in (2.0, 3.0):
                    out.append([(gx + 0.5) * s, (gy + 0.5) * s, k * s, k * s])
    return torch.tensor(out, dtype=torch.float32)


class RetinaNet(nn.Module):
    """RetinaNet-style: one classification and one regression subnet shared by every level (conv
    stacks, A anchors per cell), no objectness and no background class; the levels' outputs
    concatenated. decode=True: boxes [1, A, 4] x1,y1,x2,y2 pixels decoded from the anchors in the
    graph (torchvision BoxCoder, weights 1,1,1,1) and scores [1, A, C] after sigmoid. decode=False:
    the raw outputs, deltas [1, A, 4] and logits [1, A, C]."""
    def __init__(self, decode=True):
        super().__init__()
        self.backbone = Backbone()
        self.cls_subnet = nn.Sequential(conv(16, 16), conv(16, 16))
        self.cls_score = nn.Conv2d(16, A_PER_CELL * C, 3, 1, 1)
        self.bbox_subnet = nn.Sequential(conv(16, 16), conv(16, 16))
        self.bbox_pred = nn.Conv2d(16, A_PER_CELL * 4, 3, 1, 1)
        self.decode = decode
        self.register_buffer('anchors', retina_anchors())

    def forward(self, x):
        logits, deltas = [], []
        for p in self.backbone(x):
            n = p.shape[-1]
            logits.append(self.cls_score(self.cls_subnet(p)).permute(0, 2, 3, 1).reshape(1, n * n * A_PER_CELL, C))
            deltas.append(self.bbox_pred(self.bbox_subnet(p)).permute(0, 2, 3, 1).reshape(1, n * n * A_PER_CELL, 4))
        logits, deltas = torch.cat(logits, 1), torch.cat(deltas, 1)
        if not self.decode:
            return deltas, logits
        a = self.anchors.unsqueeze(0)
        cxcy = a[..., :2] + deltas[..., :2] * a[..., 2:]
        wh = a[..., 2:] * torch.exp(deltas[..., 2:].clamp(max=4.0))
        return torch.cat([cxcy - wh / 2, cxcy + wh / 2], 2), logits.sigmoid()


class RtDetr(nn.Module):
    """RT-DETR-style decoder head: Q learned queries attend to the flattened P4+P5 features (one
    cross-attention + FFN), then boxes = sigmoid(bbox MLP + reference logits) [1, Q, 4] cx,cy,w,h
    normalised and class scores [1, Q, C] (sigmoid=True: after sigmoid, as RT-DETR exports
    carry them; False: raw logits). single=True: one output [1, Q, 4+C], boxes then scores, as
    Ultralytics exports RT-DETR. No background column, no NMS."""
    Q, D = 20, 32

    def __init__(self, sigmoid=True, single=False):
        super().__init__()
        self.backbone = Backbone()
        self.input_proj = nn.Linear(16, self.D)
        self.query = nn.Parameter(torch.zeros(1, self.Q, self.D))
        self.ffn = nn.Sequential(nn.Linear(self.D, self.D), nn.ReLU(), nn.Linear(self.D, self.D))
        self.class_embed = nn.Linear(self.D, C)
        self.bbox_embed = nn.Sequential(nn.Linear(self.D, self.D), nn.ReLU(), nn.Linear(self.D, 4))
        self.ref = nn.Parameter(torch.zeros(1, self.Q, 4))
        self.sigmoid = sigmoid
        self.single = single

    def forward(self, x):
        f = self.backbone(x)
        # Constant reshapes (as onnxsim leaves them): shape inference then declares every shape.
        mem = self.input_proj(torch.cat([f[1].reshape(1, 16, -1), f[2].reshape(1, 16, -1)], 2).transpose(1, 2))
        attn = torch.softmax(self.query @ mem.transpose(1, 2) / self.D ** 0.5, -1)
        hs = self.query + attn @ mem
        hs = hs + self.ffn(hs)
        logits = self.class_embed(hs)
        boxes = (self.bbox_embed(hs) + self.ref).sigmoid()
        scores = logits.sigmoid() if self.sigmoid else logits
        return torch.cat([boxes, scores], 2) if self.single else (boxes, scores)


def standardize(model, layer, inputs, mean, std, channels=None):
    """Rescale `layer` (a Conv or Linear of `model`) so that its outputs over `inputs` (those of
    output `channels`, each on its own; all together when None) have this mean and standard
    deviation: y' = (y - m) * std / s + mean, i.e. W' = k W, b' = k (b - m) + mean."""
    for group in ([None] if channels is None else [[c] for c in channels]):
        ys = []
        pick = (lambda y: y) if group is None else (lambda y, c=group[0]: y[:, c] if y.ndim == 4 else y[..., c])
        h = layer.register_forward_hook(lambda _m, _i, y: ys.append(pick(y).detach().flatten()))
        with torch.no_grad():
            for x in inputs:
                model(torch.from_numpy(x))
        h.remove()
        y = torch.cat(ys)
        k = std / float(y.std())
        sel = slice(None) if group is None else group[0]
        layer.weight.data[sel] *= k
        layer.bias.data[sel] = (layer.bias.data[sel] - float(y.mean())) * k + mean


def calibrate_objectness(model, layer, channel, inputs, lo=-5.0, hi=1.5, q=0.95):
    """Give output channel `channel` of `layer` the objectness distribution of a trained detector:
    most anchors are background (median logit `lo`: sigmoid 0.007) and a few percent are objects
    (the `q` quantile at logit `hi`: sigmoid 0.82), a long right tail. Affine, like standardize."""
    ys = []
    h = layer.register_forward_hook(lambda _m, _i, y: ys.append(y.detach()[:, channel].flatten()))
    with torch.no_grad():
        for x in inputs:
            model(torch.from_numpy(x))
    h.remove()
    y = torch.cat(ys)
    m, t = float(y.median()), float(torch.quantile(y, q))
    k = (hi - lo) / (t - m)
    layer.weight.data[channel] *= k
    layer.bias.data[channel] = (layer.bias.data[channel] - m) * k + lo


def spread(model, names, gain):
    """Scale the last layers' weights so logits spread (a clear best class, confident anchors)."""
    for n, p in model.named_parameters():
        if any(n.startswith(x) for x in names) and n.endswith('weight'):
            p.data *= gain


# family: (model, output names, fault -> (node name in the export, output channels or None for all), expected head)
def families():
    return {
        'yolov8': (YoloV8(), ['output0'], {'class': ('/cls.0/cls.0.1/Conv', None), 'box': ('/box.0/box.0.1/Conv', None)}, ['cls'],
                   {'family': 'yolov8', 'layout': 'CxA'}),
        'yolov10': (YoloV10(), ['output0'], {'class': ('/cls.0/cls.0.1/Conv', None), 'box': ('/box.0/box.0.1/Conv', None)}, ['cls'],
                    {'family': 'yolov10', 'layout': 'AxC'}),
        # YOLOv5 / YOLOX with the objectness of a trained detector (calibrate_objectness: most anchors
        # background, a few percent objects), so that an objectness fault is one; all_ops: also a copy
        # with every op ORT quantizes (the output Concat of pixels and probabilities included).
        'yolov5': (YoloV5(), ['output0'], {'class': ('/m.0/Conv', list(range(5, 5 + C))), 'box': ('/m.0/Conv', [0, 1, 2, 3]), 'objectness': ('/m.0/Conv', [4])}, [],
                   {'family': 'yolov5', 'layout': 'AxC'}, {'init': init_yolov5, 'all_ops': True}),
        'yolox': (YoloX(), ['output0'], {'class': ('/cls_preds.0/Conv', None), 'box': ('/reg_preds.0/Conv', None), 'objectness': (['/obj_preds.0/Conv', '/obj_preds.1/Conv', '/obj_preds.2/Conv'], None)}, [],
                  {'family': 'yolox', 'layout': 'AxC'}, {'init': init_yolox, 'all_ops': True}),
        'ssd': (Ssd(), ['boxes', 'scores'], {'class': ('/conf.0/conf.0.1/Conv', None), 'box': ('/loc.0/loc.0.1/Conv', None)}, ['conf'],
                {'family': 'ssd', 'layout': 'AxC'}),
        'ssd_raw': (Ssd(decode=False), ['boxes', 'scores'], {'class': ('/conf.0/conf.0.1/Conv', None), 'box': ('/loc.0/loc.0.1/Conv', None)}, ['conf'],
                    {'family': 'ssd', 'layout': 'AxC'}),
        'detr': (Detr(), ['pred_logits', 'pred_boxes'], {'class': ('/class_embed/MatMul', None), 'box': ('/bbox_embed/bbox_embed.2/MatMul', None)}, ['class_embed'],
                 {'family': 'detr', 'layout': 'AxC'}),
        'fastestdet': (FastestDet(), ['output0'], {'class': ('/cls/Conv', None), 'box': ('/reg/Conv', None), 'objectness': ('/obj/Conv', None)}, ['cls', 'obj'],
                       {'family': 'fastestdet', 'layout': 'CxA'}),
        # RetinaNet-style: the subnets shared by the levels, so a weight fault reaches every level;
        # class_scale: the level-0 input of the class conv read through a Q/DQ scale 1000x too large
        # (every feature rounds to 0: constant logits).
        'retinanet': (RetinaNet(), ['boxes', 'scores'], {'class': ('/cls_score/Conv', None), 'box': ('/bbox_pred/Conv', None), 'class_scale': ('input_scale', '/cls_score/Conv', 1000.0)}, [],
                      {'family': 'retinanet', 'layout': 'AxC'}, {'init': init_retinanet, 'all_ops': True}),
        'retinanet_raw': (RetinaNet(decode=False), ['boxes', 'scores'], {'class': ('/cls_score/Conv', None), 'box': ('/bbox_pred/Conv', None)}, [],
                          {'family': 'retinanet', 'layout': 'AxC'}, {'init': init_retinanet}),
        'rtdetr': (RtDetr(), ['boxes', 'scores'], {'class': ('/class_embed/MatMul', None), 'box': ('/bbox_embed/bbox_embed.2/MatMul', None)}, [],
                   {'family': 'rtdetr', 'layout': 'AxC'}, {'init': init_rtdetr, 'all_ops': True}),
        'rtdetr_logits': (RtDetr(sigmoid=False), ['boxes', 'logits'], {'class': ('/class_embed/MatMul', None), 'box': ('/bbox_embed/bbox_embed.2/MatMul', None)}, [],
                          {'family': 'rtdetr', 'layout': 'AxC'}, {'init': init_rtdetr}),
        'rtdetr_single': (RtDetr(single=True), ['output0'], {'class': ('/class_embed/MatMul', None), 'box': ('/bbox_embed/bbox_embed.2/MatMul', None)}, [],
                          {'family': 'rtdetr', 'layout': 'AxC'}, {'init': init_rtdetr}),
    }


def init_retinanet(model, inputs):
    """Class logits of a focal-loss head (mostly negative: mean -4, sd 2), small box deltas (sd 0.3)."""
    standardize(model, model.cls_score, inputs, -4.0, 2.0)
    standardize(model, model.bbox_pred, inputs, 0.0, 0.3)


def init_rtdetr(model, inputs):
    """Distinct queries and reference points (boxes about a fifth of the picture), class logits mean -2, sd 2."""
    model.query.data.normal_(0, 1.0)
    model.ref.data[..., :2].normal_(0, 1.0)
    model.ref.data[..., 2:] = -1.5
    standardize(model, model.class_embed, inputs, -2.0, 2.0)
    standardize(model, model.bbox_embed[2], inputs, 0.0, 0.5)


def init_yolov5(model, inputs):
    """Centre logits sd 1 and size logits 0.3 ± 0.5 (boxes about one anchor, as trained: neither
    degenerate nor saturated), class logits mean -2 sd 2.5, objectness of a trained detector."""
    for m in model.m:
        standardize(model, m, inputs, 0.0, 1.0, channels=[0, 1])
        standardize(model, m, inputs, 0.3, 0.5, channels=[2, 3])
        standardize(model, m, inputs, -2.0, 2.5, channels=list(range(5, 5 + C)))
        calibrate_objectness(model, m, 4, inputs)


def init_yolox(model, inputs):
    spread(model, ['cls_preds'], 4.0)
    for m in model.obj_preds:
        calibrate_objectness(model, m, 0, inputs)


class Reader(CalibrationDataReader):
    def __init__(self, inputs, name='images'):
        self.it = iter([{name: x} for x in inputs])

    def get_next(self):
        return next(self.it, None)


def coarser_weights(src, dst, node_name, channels):
    """Requantise the int8 weight of `node_name` (Conv W / MatMul B, through its DequantizeLinear;
    or the node whose float weight was named `node_name`) on a grid COARSER times coarser, for the
    given output channels (all when None)."""
    m = onnx.load(src)
    g = m.graph
    node = next((n for n in g.node if n.name == node_name), None) or next(n for n in g.node if n.op_type in ('Conv', 'MatMul') and len(n.input) > 1 and n.input[1].startswith(node_name + '_'))
    inits = {t.name: t for t in g.initializer}
    producers = {o: n for n in g.node for o in n.output}
    dq = producers[node.input[1]]
    assert dq.op_type == 'DequantizeLinear', f'{node_name}: weight not read through DequantizeLinear'
    q, scale = numpy_helper.to_array(inits[dq.input[0]]), numpy_helper.to_array(inits[dq.input[1]]).astype(np.float32)
    axis = next((a.i for a in dq.attribute if a.name == 'axis'), 1)
    if node.op_type == 'MatMul':
        axis_out = 1
    else:
        axis_out = 0
    w = q.astype(np.float32) * (scale.reshape([-1 if k == axis else 1 for k in range(q.ndim)]) if scale.ndim else scale)
    new_scale = scale.copy()
    chans = range(q.shape[axis_out]) if channels is None else channels
    if scale.ndim == 0 or scale.size == 1:
        new_scale = scale * COARSER  # per-tensor: the whole layer
    else:
        assert axis == axis_out, f'{node_name}: per-channel axis {axis} is not the output axis {axis_out}'
        for c in chans:
            new_scale[c] *= COARSER
    s = new_scale.reshape([-1 if k == axis else 1 for k in range(q.ndim)]) if new_scale.ndim else new_scale
    q2 = np.clip(np.round(w / s), -128, 127).astype(q.dtype)
    inits[dq.input[0]].CopyFrom(numpy_helper.from_array(q2, dq.input[0]))
    inits[dq.input[1]].CopyFrom(numpy_helper.from_array(new_scale.astype(np.float32), dq.input[1]))
    onnx.save(m, dst)
    return node.output[0]


def crush_input_scale(src, dst, node_name, factor):
    """The activation input of `node_name` read through a Q/DQ pair whose scale is `factor` times
    too large (the same zero point): most values round to the zero point. Returns that tensor."""
    m = onnx.load(src)
    g = m.graph
    node = next(n for n in g.node if n.name == node_name)
    producers = {o: n for n in g.node for o in n.output}
    dq = producers[node.input[0]]
    assert dq.op_type == 'DequantizeLinear', f'{node_name}: input not read through DequantizeLinear'
    q = producers[dq.input[0]]
    assert q.op_type == 'QuantizeLinear'
    inits = {t.name: t for t in g.initializer}
    for name in {q.input[1], dq.input[1]}:
        inits[name].CopyFrom(numpy_helper.from_array((numpy_helper.to_array(inits[name]) * factor).astype(np.float32), name))
    onnx.save(m, dst)
    return q.input[0]


def main(out, only=None):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    # Smooth random pictures (blobs on a background), not white noise: features vary over space like images do.
    inputs = []
    for k in range(N_INPUTS):
        img = np.full((3, S, S), 0.45, np.float32) + rng.normal(0, 0.05, (3, S, S)).astype(np.float32)
        for _ in range(3):
            cx, cy, r = rng.integers(8, S - 8), rng.integers(8, S - 8), rng.integers(5, 14)
            yy, xx = np.mgrid[:S, :S]
            img[:, (xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = rng.uniform(0, 1, (3, 1))
        x = np.clip(img, 0, 1)[None]
        np.save(os.path.join(out, f'input_{k}.npy'), x)
        inputs.append(x)
    np.save(os.path.join(out, 'ssd_priors.npy'), ssd_priors().numpy())
    meta = {'inputs': [f'input_{k}.npy' for k in range(N_INPUTS)], 'priors': 'ssd_priors.npy', 'families': {}}
    np.save(os.path.join(out, 'retina_priors.npy'), (retina_anchors() / S).numpy())
    meta['retina_priors'] = 'retina_priors.npy'
    for name, (model, outs, faults, spread_names, head, *more) in families().items():
        if only and name not in only:
            continue
        extra = more[0] if more else {}
        torch.manual_seed(len(name))
        for p in model.parameters():
            p.data.normal_(0, 0.25) if p.ndim > 1 else p.data.normal_(0, 0.05)
        model.eval()
        if 'init' in extra:
            extra['init'](model, inputs)
        else:
            spread(model, spread_names, 4.0)
        fp32 = os.path.join(out, f'{name}_fp32.onnx')
        with torch.no_grad():
            torch.onnx.export(model, (torch.from_numpy(inputs[0]),), fp32, input_names=['images'], output_names=outs, opset_version=13, dynamo=False)
        # Declared shapes (value_info), as Ultralytics/onnxsim exports carry: head discovery reads them.
        onnx.save(onnx.shape_inference.infer_shapes(onnx.load(fp32), data_prop=True), fp32)
        int8 = os.path.join(out, f'{name}_int8.onnx')
        quantize_static(fp32, int8, Reader(inputs), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=['Conv', 'MatMul'])
        written = {}
        for fault, spec in faults.items():
            dst = os.path.join(out, f'{name}_{fault}.onnx')
            if spec[0] == 'input_scale':
                _, node, factor = spec
                written[fault] = {'model': os.path.basename(dst), 'node': node, 'output': crush_input_scale(int8, dst, node, factor), 'scale_factor': factor}
                continue
            node, channels = spec
            nodes = [node] if isinstance(node, str) else list(node)  # several nodes: every level's layer
            output = coarser_weights(int8, dst, nodes[0], channels)
            for other in nodes[1:]:
                coarser_weights(dst, dst, other, channels)
            written[fault] = {'model': os.path.basename(dst), 'node': node, 'output': output, 'channels': channels}
        entry = {'fp32': os.path.basename(fp32), 'int8': os.path.basename(int8), 'faults': written, 'outputs': outs, 'head': head}
        if extra.get('all_ops'):
            entry['int8_all'] = f'{name}_int8_all.onnx'
            quantize_static(fp32, os.path.join(out, entry['int8_all']), Reader(inputs), quant_format=QuantFormat.QDQ, per_channel=True,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        meta['families'][name] = entry
    with open(os.path.join(out, 'heads.json'), 'w') as f:
        json.dump(meta, f, indent=1)


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'heads', sys.argv[2].split(',') if len(sys.argv) > 2 else None)
