import { roundHalfEven } from '../tensor/round.js';
import type { Sharp } from 'sharp';
import { UserError, errorMessage } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * How an image becomes a float tensor. Defaults are Ultralytics YOLO's; presets.ts holds the
 * conventions of other model families.
 */
export interface ImagePreprocess {
  /**
   * 'letterbox': keep aspect ratio, fit inside and pad with `padValue` (YOLO);
   * 'resize': stretch to size; 'crop': keep aspect ratio, cover size / `cropFraction`, then cut
   * the centre (torchvision Resize + CenterCrop).
   */
  mode: 'letterbox' | 'resize' | 'crop';
  padValue: number;
  /** Letterbox: where the picture sits. 'center' (Ultralytics) or 'top-left' (YOLOX, PaddleOCR rec). */
  padPosition: 'center' | 'top-left';
  /** 'crop': share of the resized picture kept (0.875: ImageNet's 224 of 256). */
  cropFraction: number;
  channelOrder: 'rgb' | 'bgr';
  /** Divide by 255 first (true: 0..1 input; false: 0..255). */
  normalize: boolean;
  /** Per channel (one value for grayscale, or one for every channel), after the /255. */
  mean?: readonly number[];
  std?: readonly number[];
  layout: 'nchw' | 'nhwc';
}

export const YOLO_PREPROCESS: ImagePreprocess = {
  mode: 'letterbox', padValue: 114, padPosition: 'center', cropFraction: 1, channelOrder: 'rgb', normalize: true, layout: 'nchw',
};

/**
 * Where the network-input picture came from, to map boxes back to the original one:
 * original = (input - pad) / scale. A crop has negative pads; a stretch has scale NaN.
 */
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
 * Decode (JPEG/PNG/WebP/TIFF... via sharp/libvips) and preprocess one image into a [1,C,H,W]
 * (or [1,H,W,C]) float32 tensor named `inputName`; C is 3 (RGB/BGR) or 1 (grayscale: ITU-R 601-2
 * luma rounded to 8 bits, as PIL's convert('L') and OpenCV's BGR2GRAY give it).
 */
export async function loadImage(file: string, inputName: string, width: number, height: number, pre: ImagePreprocess = YOLO_PREPROCESS, channels: 1 | 3 = 3): Promise<LoadedImage> {
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
  const g = geometry(srcWidth, srcHeight, width, height, pre);
  img = img.resize(g.w, g.h, { fit: 'fill', kernel: 'linear' });
  if (g.crop) img = img.extract(g.crop);
  let pixels: Buffer;
  try {
    pixels = await img.removeAlpha().toColourspace('srgb').raw().toBuffer();
  } catch (e) {
    throw new UserError(`cannot decode image (${firstLine(errorMessage(e))})`, file);
  }
  const [pw, ph] = g.crop ? [width, height] : [g.w, g.h];
  if (pixels.byteLength !== pw * ph * 3) throw new UserError(`decoded to ${pixels.byteLength} bytes, expected ${pw}x${ph}x3`, file);
  const shape = pre.layout === 'nchw' ? [1, channels, height, width] : [1, height, width, channels];
  const data = toFloat(pixels, { width: pw, height: ph, left: g.crop ? 0 : g.box.padLeft, top: g.crop ? 0 : g.box.padTop }, width, height, channels, pre);
  return { tensor: { name: inputName, dtype: 'float32', shape, data }, letterbox: g.box };
}

interface Geometry {
  /** Size the picture is resized to. */
  w: number; h: number;
  /** 'crop': the window cut from the resized picture. */
  crop?: { left: number; top: number; width: number; height: number };
  box: Letterbox;
}

/** @internal */
export function geometry(srcWidth: number, srcHeight: number, width: number, height: number, pre: ImagePreprocess): Geometry {
  const base = { srcWidth, srcHeight, width, height };
  if (pre.mode === 'resize') return { w: width, h: height, box: { ...base, scale: NaN, padLeft: 0, padTop: 0 } };
  if (pre.mode === 'crop') {
    const r = Math.max(width / srcWidth, height / srcHeight) / pre.cropFraction;
    const w = Math.max(width, roundHalfEven(srcWidth * r)), h = Math.max(height, roundHalfEven(srcHeight * r));
    // torchvision CenterCrop: int(round((h - crop_h) / 2.0)).
    const left = roundHalfEven((w - width) / 2), top = roundHalfEven((h - height) / 2);
    return { w, h, crop: { left, top, width, height }, box: { ...base, scale: r, padLeft: -left, padTop: -top } };
  }
  const r = Math.min(width / srcWidth, height / srcHeight);
  const w = Math.max(1, roundHalfEven(srcWidth * r)), h = Math.max(1, roundHalfEven(srcHeight * r));
  if (pre.padPosition === 'top-left') return { w, h, box: { ...base, scale: r, padLeft: 0, padTop: 0 } };
  // Same split as Ultralytics' LetterBox: the odd pixel goes to the bottom/right.
  const dw = (width - w) / 2, dh = (height - h) / 2;
  const top = Math.max(0, roundHalfEven(dh - 0.1)), left = Math.max(0, roundHalfEven(dw - 0.1));
  return { w, h, box: { ...base, scale: r, padLeft: left, padTop: top } };
}

/** 8-bit luma of PIL's convert('L') (ITU-R 601-2, fixed point, rounded). @internal */
export function luma(r: number, g: number, b: number): number {
  return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
}

/** RGB pixels (placed at left/top) → the padded, normalized float tensor. */
function toFloat(px: Buffer, at: { width: number; height: number; left: number; top: number }, width: number, height: number, channels: 1 | 3, pre: ImagePreprocess): Float32Array {
  const plane = width * height;
  const out = new Float32Array(plane * channels);
  const k = pre.normalize ? 1 / 255 : 1;
  const per = (v: readonly number[] | undefined, dflt: number) => (c: number) => v ? (v.length === 1 ? v[0]! : v[c]!) : dflt;
  const mean = per(pre.mean, 0), std = per(pre.std, 1);
  const index = pre.layout === 'nchw' ? (c: number, i: number) => c * plane + i : (c: number, i: number) => i * channels + c;
  for (let c = 0; c < channels; c++) {
    const src = channels === 1 ? -1 : pre.channelOrder === 'rgb' ? c : 2 - c;
    const m = mean(c), s = 1 / std(c);
    const padded = (pre.padValue * k - m) * s;
    for (let i = 0; i < plane; i++) out[index(c, i)] = padded;
    for (let y = 0; y < at.height; y++) {
      for (let x = 0; x < at.width; x++) {
        const p = (y * at.width + x) * 3;
        const v = src < 0 ? luma(px[p]!, px[p + 1]!, px[p + 2]!) : px[p + src]!;
        out[index(c, (y + at.top) * width + x + at.left)] = (v * k - m) * s;
      }
    }
  }
  return out;
}

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp', '.bmp', '.tif', '.tiff', '.gif'];

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
