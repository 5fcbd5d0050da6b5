"""Reference tensors for image preprocessing, written the way each model family's own code does it.

Usage: python3 preprocess.py OUT_DIR

Writes OUT_DIR/<case>.png (source picture), OUT_DIR/<case>.npy (the tensor the family's
preprocessing feeds its model) and OUT_DIR/cases.json. test/inputs/preprocess-golden.test.ts
feeds each picture through trt-diff's loader (src/inputs/image-loader.ts) with the preset or
flags named in the case and compares. Nothing here imports trt-diff: each convention is written
from the family's published preprocessing (numpy + PIL), so agreement is evidence, not a tautology.

Pictures are sized so that most cases need no resampling (the geometry, padding, channel order,
grayscale and normalization are then exact); one case resizes by 1/2 and is compared with a
tolerance, since libvips and PIL filter differently.
"""
import json
import os
import sys

import numpy as np
from PIL import Image

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261207)


def picture(name, w, h, smooth=False):
    if smooth:  # low-frequency content, so that filters of different support agree closely
        y, x = np.mgrid[0:h, 0:w]
        px = np.stack([128 + 100 * np.sin(x / 9.0), 128 + 100 * np.cos(y / 7.0), 128 + 60 * np.sin((x + y) / 13.0)], -1)
        px = px.round().astype(np.uint8)
    else:
        px = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    path = os.path.join(out, f"{name}.png")
    Image.fromarray(px, "RGB").save(path)
    return path, px


def ultralytics_letterbox(px, new_h, new_w, pad=114):
    """Ultralytics LetterBox (centre, odd pixel bottom/right), RGB, /255, CHW."""
    h, w = px.shape[:2]
    r = min(new_h / h, new_w / w)
    nw, nh = int(round(w * r)), int(round(h * r))
    img = px if (nw, nh) == (w, h) else np.asarray(Image.fromarray(px).resize((nw, nh), Image.BILINEAR))
    dw, dh = (new_w - nw) / 2, (new_h - nh) / 2
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    img = np.pad(img, ((top, bottom), (left, right), (0, 0)), constant_values=pad)
    return img


def yolox_preproc(px, new_h, new_w):
    """YOLOX data_augment.preproc (legacy=False): BGR (cv2), picture top-left on 114, no /255, CHW."""
    bgr = px[:, :, ::-1]
    padded = np.ones((new_h, new_w, 3), dtype=np.uint8) * 114
    r = min(new_h / bgr.shape[0], new_w / bgr.shape[1])
    assert r == 1.0
    padded[: bgr.shape[0], : bgr.shape[1]] = bgr
    return padded.transpose(2, 0, 1).astype(np.float32)


cases = []


def case(name, file, width, height, expected, tolerance=1e-6, preset=None, flags=None, channels=3):
    np.save(os.path.join(out, f"{name}.npy"), expected[None].astype(np.float32))
    cases.append({"name": name, "image": file, "width": width, "height": height, "preset": preset,
                  "flags": flags or {}, "channels": channels, "tolerance": tolerance})


# 1. YOLOv8 letterbox, no resampling: 64x40 into 64x64 (12 rows of 114 above and below).
f, px = picture("wide", 64, 40)
case("yolov8_centre", f, 64, 64, ultralytics_letterbox(px, 64, 64).transpose(2, 0, 1) / 255.0, preset="yolov8")
# 2. An odd number of padding rows: 64x41 → 11 above, 12 below.
f2, px2 = picture("odd", 64, 41)
case("yolov5_odd_padding", f2, 64, 64, ultralytics_letterbox(px2, 64, 64).transpose(2, 0, 1) / 255.0, preset="yolov5")
# 3. YOLOX: top-left, BGR, 0..255.
case("yolox_top_left", f, 64, 64, yolox_preproc(px, 64, 64), preset="yolox")
# 4. Grayscale model: PIL convert('L') (ITU-R 601-2), centred letterbox, /255.
gray = np.asarray(Image.fromarray(px, "RGB").convert("L"))[:, :, None]
case("grayscale_centre", f, 64, 64, ultralytics_letterbox(np.repeat(gray, 3, -1), 64, 64)[:, :, :1].transpose(2, 0, 1) / 255.0, channels=1)
# 5. NHWC layout, non-square target 48x64 (H,W): 64x40 → r = min(48/40, 64/64) = 1, 4 rows each side.
case("nhwc_hw", f, 64, 48, ultralytics_letterbox(px, 48, 64) / 255.0, flags={"nhwc": True})
# 6. ImageNet mean/std with a plain resize to the picture's own size (no resampling).
mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
case("mean_std_resize", f, 64, 40, ((px / 255.0 - mean) / std).transpose(2, 0, 1),
     flags={"resize": "resize", "mean": "0.485,0.456,0.406", "std": "0.229,0.224,0.225"})
# 7. torchvision CenterCrop at scale 1 (crop fraction 1): 80x64 → the centre 64x64.
f7, px7 = picture("landscape", 80, 64)
c0 = int(round((80 - 64) / 2.0))
case("centre_crop", f7, 64, 64, ((px7[:, c0:c0 + 64] / 255.0 - mean) / std).transpose(2, 0, 1),
     preset="imagenet", flags={"crop-fraction": 1})
# 8. PaddleOCR recognition: keep ratio to height 32, picture at the left, BGR, (x/255-0.5)/0.5, pad 0.
f8, px8 = picture("text_line", 64, 32)
rec = np.zeros((3, 32, 128), dtype=np.float32)
rec[:, :, :64] = ((px8[:, :, ::-1] / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)
case("paddleocr_rec", f8, 128, 32, rec, preset="paddleocr-rec")
# 9. PaddleOCR detection: stretch, BGR order with ImageNet mean/std applied in that order.
case("paddleocr_det", f, 64, 40, ((px[:, :, ::-1] / 255.0 - mean) / std).transpose(2, 0, 1), preset="paddleocr")
# 10. Resampling: a smooth 128x80 picture halved (PIL bilinear) into the 64x64 letterbox.
f10, px10 = picture("smooth", 128, 80, smooth=True)
case("yolov8_halved", f10, 64, 64, ultralytics_letterbox(px10, 64, 64).transpose(2, 0, 1) / 255.0, preset="yolov8", tolerance=3 / 255)

with open(os.path.join(out, "cases.json"), "w") as fh:
    json.dump(cases, fh, indent=1)
print(f"{len(cases)} cases in {out}")
