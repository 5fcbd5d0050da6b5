#!/usr/bin/env python3
"""Independent mAP of trt-diff detections with pycocotools (the COCO reference implementation).

Reads a `--save-detections` file of trt-diff (format trt-diff-detections/1: images with their
original sizes, and per model COCO-results detections) and a folder of YOLO labels
(`class cx cy w h`, normalised), builds a COCO ground-truth set in memory and runs COCOeval
(bbox, 101-point interpolated AP, IoU .50:.05:.95) with maxDets = 300, as Ultralytics val keeps
300 detections per image. Prints and optionally writes {model: {map50, map50_95}}.

  python3 goldens/detect/map_eval.py detections.json LABEL_DIR [--out map.json]

pycocotools: `pip install pycocotools` (used unmodified; no numpy re-implementation here, so the
number is truly independent of src/detect/coco-map.ts).
"""
import argparse
import contextlib
import io
import json
import os
import sys

import numpy as np

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def ground_truth(images, labels_dir):
    anns, cats = [], set()
    for im in images:
        stem = os.path.splitext(os.path.basename(im["file"]))[0]
        path = os.path.join(labels_dir, stem + ".txt")
        if not os.path.exists(path):
            continue  # an image without objects
        with open(path) as f:
            for line in f:
                v = line.split()
                if not v:
                    continue
                c, cx, cy, w, h = int(v[0]), *map(float, v[1:5])
                W, H = im["width"], im["height"]
                box = [(cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H]
                anns.append({"id": len(anns) + 1, "image_id": im["id"], "category_id": c, "bbox": box,
                             "area": box[2] * box[3], "iscrowd": 0})
                cats.add(c)
    return anns, cats


def evaluate(data, labels_dir):
    images = data["images"]
    anns, cats = ground_truth(images, labels_dir)
    results = {}
    for m in data["models"]:
        dets = m["detections"]
        all_cats = sorted(cats | {d["category_id"] for d in dets})
        gt = COCO()
        gt.dataset = {"images": [{"id": im["id"], "width": im["width"], "height": im["height"]} for im in images],
                      "annotations": anns, "categories": [{"id": c} for c in all_cats]}
        with contextlib.redirect_stdout(io.StringIO()):
            gt.createIndex()
            if not dets:
                results[m["name"]] = {"map50": 0.0, "map50_95": 0.0}
                continue
            dt = gt.loadRes(dets)
            ev = COCOeval(gt, dt, "bbox")
            ev.params.maxDets = [1, 10, 300]
            ev.evaluate()
            ev.accumulate()
        # COCOeval.summarize's AP, read at maxDets = 300 (its stats[0] is hard-wired to 100):
        # precision[T, R, K, area, maxDets], mean over entries > -1 (classes with ground truth).
        prec = ev.eval["precision"][:, :, :, 0, ev.params.maxDets.index(300)]
        at50 = prec[list(ev.params.iouThrs).index(0.5)]
        results[m["name"]] = {"map50": float(np.mean(at50[at50 > -1])), "map50_95": float(np.mean(prec[prec > -1]))}
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("detections")
    ap.add_argument("labels")
    ap.add_argument("--out")
    a = ap.parse_args()
    with open(a.detections) as f:
        data = json.load(f)
    if data.get("format") != "trt-diff-detections/1":
        sys.exit(f"{a.detections}: not a trt-diff detections file")
    res = evaluate(data, a.labels)
    for name, r in res.items():
        print(f"{name:8s} mAP50 {r['map50']:.4f}  mAP50-95 {r['map50_95']:.4f}  ({len(data['images'])} images)")
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"images": len(data["images"]), "maxDets": 300, "models": res}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
