import type { Sharp } from 'sharp';
import { UserError, errorMessage } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** How an image becomes an NCHW float tensor. Defaults are Ultralytics YOLO's. */
export interface ImagePreprocess {
  /** 'letterbox': keep aspect ratio, pad with `padValue` (YOLO); 'resize': stretch to size. */
  mode: 'letterbox' | 'resize';
  padValue: number;
  channelOrder: 'rgb' | 'bgr';
  /** Divide by 255 first (true: 0..1 input; false: 0..255). */
  normalize: boolean;
  mean?: [number, number, number];
  std?: [number, number, number];
  layout: 'nchw' | 'nhwc';
}

export const YOLO_PREPROCESS: ImagePreprocess = {
  mode: 'letterbox', padValue: 114, channelOrder: 'rgb', normalize: true, layout: 'nchw',
};

/** Geometry of the letterbox, to map boxes back to the original picture. */
export interface Letterbox {
  srcWidth: number; srcHeight: number;
  scale: number; padLeft: number; padTop: number;
  width: number; height: number;
}

export interface LoadedImage {
  tensor: Tensor;
  letterbox: Letterbox;
}

/**
 * Decode (JPEG/PNG/WebP/TIFF... via sharp/libvips) and preprocess one image into a [1,3,H,W]
 * (or [1,H,W,3]) float32 tensor named `inputName`.
 */
export async function loadImage(file: string, inputName: string, width: number, height: number, pre: ImagePreprocess = YOLO_PREPROCESS): Promise<LoadedImage> {
  // Loaded on first use (~0.2 s of start-up that runs without images need not pay).
  const { default: sharp } = await import('sharp');
  let img: Sharp;
  let srcWidth: number, srcHeight: number;
  try {
    img = sharp(file, { failOn: 'error' }).rotate(); // honour EXIF orientation, as PIL-based loaders do not: document
    const meta = await img.metadata();
    if (!meta.width || !meta.height) throw new Error('no image dimensions');
    const oriented = (meta.orientation ?? 1) >= 5;
    srcWidth = oriented ? meta.height : meta.width;
    srcHeight = oriented ? meta.width : meta.height;
  } catch (e) {
    throw new UserError(`cannot decode image (${firstLine(errorMessage(e))})`, file);
  }

  let box: Letterbox;
  if (pre.mode === 'letterbox') {
    const r = Math.min(width / srcWidth, height / srcHeight);
    const w = Math.round(srcWidth * r), h = Math.round(srcHeight * r);
    // Same split as Ultralytics' LetterBox: the odd pixel goes to the bottom/right.
    const dw = (width - w) / 2, dh = (height - h) / 2;
    const top = Math.max(0, Math.round(dh - 0.1)), left = Math.max(0, Math.round(dw - 0.1));
    box = { srcWidth, srcHeight, scale: r, padLeft: left, padTop: top, width, height };
    img = img.resize(w, h, { fit: 'fill', kernel: 'linear' }).extend({
      top, bottom: height - h - top, left, right: width - w - left,
      background: { r: pre.padValue, g: pre.padValue, b: pre.padValue },
    });
  } else {
    box = { srcWidth, srcHeight, scale: NaN, padLeft: 0, padTop: 0, width, height };
    img = img.resize(width, height, { fit: 'fill', kernel: 'linear' });
  }
  let pixels: Buffer;
  try {
    pixels = await img.removeAlpha().toColourspace('srgb').raw().toBuffer();
  } catch (e) {
    throw new UserError(`cannot decode image (${firstLine(errorMessage(e))})`, file);
  }
  if (pixels.byteLength !== width * height * 3) {
    throw new UserError(`decoded to ${pixels.byteLength} bytes, expected ${width}x${height}x3`, file);
  }
  return { tensor: { name: inputName, dtype: 'float32', shape: pre.layout === 'nchw' ? [1, 3, height, width] : [1, height, width, 3], data: toFloat(pixels, width, height, pre) }, letterbox: box };
}

function toFloat(px: Buffer, width: number, height: number, pre: ImagePreprocess): Float32Array {
  const plane = width * height;
  const out = new Float32Array(plane * 3);
  const k = pre.normalize ? 1 / 255 : 1;
  const mean = pre.mean ?? [0, 0, 0];
  const std = pre.std ?? [1, 1, 1];
  for (let c = 0; c < 3; c++) {
    const src = pre.channelOrder === 'rgb' ? c : 2 - c;
    const m = mean[c]!, s = 1 / std[c]!;
    for (let i = 0; i < plane; i++) {
      const v = (px[i * 3 + src]! * k - m) * s;
      if (pre.layout === 'nchw') out[c * plane + i] = v; else out[i * 3 + c] = v;
    }
  }
  return out;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif'];

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
