"""Independent reference for trt-diff's detector-head output measures: runs the FP32 and INT8
models with onnxruntime-python, decodes their heads with numpy, and computes every number of
`analyses.head.output` from its definition in docs/detection.md ("Output measures"). Written
from the definitions, not from src/detect: a test compares the two.

    python3 goldens/detect/head_reference.py OUT.json --layout LAYOUT --fp32 F.onnx --int8 A.onnx [B.onnx ...]
        --inputs x0.npy [x1.npy ...] [--priors P.npy --variances 1/1] [--conf 0.25] [--iou 0.45]

LAYOUT (the network input is [1, 3, H, W]; boxes end up as corners in input pixels):
  retinanet        outputs (boxes, scores): x1,y1,x2,y2 pixels; scores are probabilities
  retinanet-priors outputs (deltas, logits): deltas against --priors (cx,cy,w,h normalised) with
                   --variances; scores = sigmoid(logits)
  rtdetr           outputs (boxes, scores): cx,cy,w,h normalised; probabilities; no NMS
  rtdetr-logits    outputs (boxes, logits): as rtdetr with scores = sigmoid(logits)
  rtdetr-single    output [1, Q, 4+C]: boxes as rtdetr, then probabilities
  yolov5           output [1, A, 5+C]: cx,cy,w,h pixels, objectness column 4, class probabilities 5:
  yolox            output [1, A, 5+C]: raw grid offsets (strides 8/16/32), objectness 4, classes 5:

Besides trt-diff's measures, each candidate gets `truth`: what actually happened to the objects,
for judging the verdict (objectness recall/precision at conf, detection F1 at IoU 0.5).
Needs numpy and onnxruntime.
"""
import argparse
import json

import numpy as np
import onnxruntime as ort

TOP_K = 100
MATCH_IOU = 0.5
IOU_THRESHOLDS = np.linspace(0.5, 0.95, 10)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


def cxcywh_to_corners(cx, cy, w, h):
    return np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)


def decode(layout, outs, size, priors=None, variances=(0.1, 0.2)):
    """One model's outputs on one image -> dict(raw_boxes [A,4], corners [A,4], cls [A,C], obj [A] or None, score [A,C])."""
    H, W = size
    obj = None
    if layout in ('retinanet', 'retinanet-priors', 'rtdetr', 'rtdetr-logits', 'rtdetr-single'):
        if layout == 'rtdetr-single':
            b, s = outs[0][0, :, :4].astype(np.float64), outs[0][0, :, 4:].astype(np.float64)
        else:
            b, s = outs[0][0].astype(np.float64), outs[1][0].astype(np.float64)
        cls = sigmoid(s) if layout in ('retinanet-priors', 'rtdetr-logits') else s
        if layout == 'retinanet':
            corners = b.copy()
        elif layout == 'retinanet-priors':
            p = priors.astype(np.float64)
            cx = (p[:, 0] + b[:, 0] * variances[0] * p[:, 2]) * W
            cy = (p[:, 1] + b[:, 1] * variances[0] * p[:, 3]) * H
            w = p[:, 2] * np.exp(b[:, 2] * variances[1]) * W
            h = p[:, 3] * np.exp(b[:, 3] * variances[1]) * H
            corners = cxcywh_to_corners(cx, cy, w, h)
        else:
            corners = cxcywh_to_corners(b[:, 0] * W, b[:, 1] * H, b[:, 2] * W, b[:, 3] * H)
        raw = b
    elif layout in ('yolov5', 'yolox'):
        y = outs[0][0].astype(np.float64)
        raw, obj, cls = y[:, :4], y[:, 4], y[:, 5:]
        if layout == 'yolov5':
            corners = cxcywh_to_corners(raw[:, 0], raw[:, 1], raw[:, 2], raw[:, 3])
        else:
            gx, gy, st = [], [], []
            for s in (8, 16, 32):
                n_y, n_x = -(-H // s), -(-W // s)
                yy, xx = np.meshgrid(np.arange(n_y), np.arange(n_x), indexing='ij')
                gx.append(xx.ravel()); gy.append(yy.ravel()); st.append(np.full(n_x * n_y, s))
            gx, gy, st = np.concatenate(gx), np.concatenate(gy), np.concatenate(st)
            assert len(gx) == len(y), f'{len(gx)} grid cells for {len(y)} anchors'
            corners = cxcywh_to_corners((raw[:, 0] + gx) * st, (raw[:, 1] + gy) * st, np.exp(raw[:, 2]) * st, np.exp(raw[:, 3]) * st)
    else:
        raise SystemExit(f'unknown layout {layout}')
    score = cls * obj[:, None] if obj is not None else cls
    return {'raw': raw, 'corners': corners, 'cls': cls, 'obj': obj, 'score': score}


def iou_matrix(a, b):
    """IoU of every corner box of a with every one of b (no +1 pixel)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0]); y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2]); y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda z: np.clip(z[:, 2] - z[:, 0], 0, None) * np.clip(z[:, 3] - z[:, 1], 0, None)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def detections(d, conf, iou, nms, max_det=300):
    """Best class per anchor above conf; class-wise greedy NMS (suppress IoU > iou) unless end to end."""
    best = d['score'].max(1)
    label = d['score'].argmax(1)
    keep = np.flatnonzero(best > conf)
    order = keep[np.argsort(-best[keep], kind='stable')]
    out = []
    for a in order:
        if len(out) >= max_det:
            break
        if nms and any(label[k] == label[a] and iou_matrix(d['corners'][[a]], d['corners'][[k]])[0, 0] > iou for k in out):
            continue
        out.append(a)
    return [(d['corners'][a], best[a], label[a]) for a in out]


def match(ref, test, thr):
    """INT8 detections in descending score take the unmatched FP32 detection of their class with the highest IoU >= thr."""
    taken = [False] * len(ref)
    tp = 0
    for box, _s, cls in sorted(test, key=lambda t: -t[1]):
        best, m = thr, -1
        for k, (rb, _rs, rc) in enumerate(ref):
            if taken[k] or rc != cls:
                continue
            v = iou_matrix(rb[None], box[None])[0, 0]
            if v >= best:
                best, m = v, k
        if m >= 0:
            taken[m] = True
            tp += 1
    return tp


def prf(tp, n_ref, n_test):
    p = (1.0 if n_ref == 0 else 0.0) if n_test == 0 else tp / n_test
    r = (1.0 if n_test == 0 else 0.0) if n_ref == 0 else tp / n_ref
    return p, r, (0.0 if p + r == 0 else 2 * p * r / (p + r))


def sqnr_db(ref, test):
    ref, test = np.concatenate(ref), np.concatenate(test)
    noise = float(((ref - test) ** 2).sum())
    return float('inf') if noise == 0 else 10 * np.log10(float((ref ** 2).sum()) / noise)


def nan_median(xs):
    return float(np.median(xs)) if len(xs) else float('nan')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--layout', required=True)
    ap.add_argument('--fp32', required=True)
    ap.add_argument('--int8', nargs='+', required=True)
    ap.add_argument('--inputs', nargs='+', required=True)
    ap.add_argument('--priors')
    ap.add_argument('--variances', default='0.1/0.2')
    ap.add_argument('--conf', type=float, default=0.25)
    ap.add_argument('--iou', type=float, default=0.45)
    a = ap.parse_args()
    priors = np.load(a.priors) if a.priors else None
    variances = tuple(float(v) for v in a.variances.split('/'))
    nms = not a.layout.startswith('rtdetr')
    xs = [np.load(f) for f in a.inputs]

    def run(path):
        s = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
        name = s.get_inputs()[0].name
        return [decode(a.layout, s.run(None, {name: x}), x.shape[2:], priors, variances) for x in xs]

    f = run(a.fp32)
    result = {'layout': a.layout, 'conf': a.conf, 'iou': a.iou, 'candidates': []}
    for path in a.int8:
        q = run(path)
        acc = {k: ([], []) for k in ('cls', 'raw', 'obj')}
        max_f, max_q, ratios, above_f, above_q = -np.inf, -np.inf, [], 0, 0
        omax_f, omax_q, oratios, oabove_f, oabove_q = -np.inf, -np.inf, [], 0, 0
        overlap, ious, same = [], [], []
        tp = n_f = n_q = 0
        tp_at = np.zeros(len(IOU_THRESHOLDS))
        obj_kept = obj_ref = obj_new = obj_test = 0
        for df, dq in zip(f, q):
            for k in ('cls', 'raw'):
                acc[k][0].append(df[k].ravel()); acc[k][1].append(dq[k].ravel())
            bf, bq = df['score'].max(1), dq['score'].max(1)
            max_f, max_q = max(max_f, bf.max()), max(max_q, bq.max())
            ratios.append(bq.max() / bf.max() if bf.max() > 0 else np.nan)
            above_f += int((bf > a.conf).sum()); above_q += int((bq > a.conf).sum())
            if df['obj'] is not None:
                acc['obj'][0].append(df['obj']); acc['obj'][1].append(dq['obj'])
                omax_f, omax_q = max(omax_f, df['obj'].max()), max(omax_q, dq['obj'].max())
                oratios.append(dq['obj'].max() / df['obj'].max() if df['obj'].max() > 0 else np.nan)
                of, oq = df['obj'] > a.conf, dq['obj'] > a.conf
                oabove_f += int(of.sum()); oabove_q += int(oq.sum())
                obj_kept += int((of & oq).sum()); obj_ref += int(of.sum()); obj_new += int((oq & ~of).sum()); obj_test += int(oq.sum())
            top_f = np.argsort(-bf, kind='stable')[:TOP_K]
            top_q = set(np.argsort(-bq, kind='stable')[:TOP_K].tolist())
            overlap.append(len([i for i in top_f if i in top_q]) / max(1, len(top_f)))
            cf, cq = df['cls'].argmax(1), dq['cls'].argmax(1)
            for i in top_f:
                if bf[i] > a.conf:
                    ious.append(iou_matrix(df['corners'][[i]], dq['corners'][[i]])[0, 0])
                    same.append(1.0 if cf[i] == cq[i] else 0.0)
            det_f, det_q = detections(df, a.conf, a.iou, nms), detections(dq, a.conf, a.iou, nms)
            tp += match(det_f, det_q, MATCH_IOU); n_f += len(det_f); n_q += len(det_q)
            tp_at += [match(det_f, det_q, t) for t in IOU_THRESHOLDS]
        ious = np.array(ious)
        p, r, f1 = prf(tp, n_f, n_q)
        cand = {
            'model': path,
            'scoreSqnrDb': sqnr_db(*acc['cls']), 'boxSqnrDb': sqnr_db(*acc['raw']),
            'maxScore': {'fp32': float(max_f), 'int8': float(max_q), 'ratio': float(np.nanmedian(ratios))},
            'anchorsAboveConf': {'fp32': above_f, 'int8': above_q},
            'topKOverlap': float(np.mean(overlap)),
            'boxIouMedian': nan_median(ious),
            'boxIou': {'n': int(len(ious)), 'p10': float(np.quantile(ious, 0.1)) if len(ious) else float('nan'),
                       'share50_95': float(np.mean([(ious >= t).mean() for t in IOU_THRESHOLDS])) if len(ious) else float('nan')},
            'classAgreement': float(np.mean(same)) if same else float('nan'),
            'detections': {'fp32': n_f, 'int8': n_q, 'tp': tp, 'precision': p, 'recall': r, 'f1': f1,
                           'f1_50_95': float(np.mean([prf(t, n_f, n_q)[2] for t in tp_at]))},
            'objectness': None,
        }
        if acc['obj'][0]:
            cand['objectness'] = {'sqnrDb': sqnr_db(*acc['obj']), 'max': {'fp32': float(omax_f), 'int8': float(omax_q), 'ratio': float(np.nanmedian(oratios))},
                                  'above': {'fp32': oabove_f, 'int8': oabove_q}}
            cand['truth'] = {'objectnessRecall': obj_kept / obj_ref if obj_ref else float('nan'),
                             'objectnessPrecision': (obj_test - obj_new) / obj_test if obj_test else float('nan')}
        cand.setdefault('truth', {})['detectionF1'] = f1
        result['candidates'].append(cand)
    with open(a.out, 'w') as fh:
        json.dump(result, fh, indent=1)


if __name__ == '__main__':
    main()
