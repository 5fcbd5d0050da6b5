import { YOLO_PREPROCESS, type ImagePreprocess } from './image-loader.js';

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/**
 * Preprocessing conventions of common model families (`--preset`); explicit flags override any
 * field. Each entry says where the convention comes from.
 */
export const PRESETS = {
  /** Ultralytics YOLOv8/11 LetterBox: centred, pad 114, RGB, /255, NCHW. */
  yolov8: { ...YOLO_PREPROCESS },
  /** YOLOv5 (and v7) letterbox: the same convention as YOLOv8. */
  yolov5: { ...YOLO_PREPROCESS },
  /** YOLOX preproc (legacy=False): picture at the top-left, pad 114, BGR, 0..255 (no /255), NCHW. */
  yolox: { ...YOLO_PREPROCESS, padPosition: 'top-left', channelOrder: 'bgr', normalize: false },
  /** torchvision / timm eval: Resize(S/0.875) + CenterCrop(S), RGB, /255, ImageNet mean/std, NCHW. */
  imagenet: { ...YOLO_PREPROCESS, mode: 'crop', cropFraction: 0.875, ...IMAGENET },
  /** PaddleOCR DB text detection (DetResizeForTest to a fixed shape, NormalizeImage on cv2's BGR): stretch, BGR, /255, ImageNet mean/std. */
  paddleocr: { ...YOLO_PREPROCESS, mode: 'resize', channelOrder: 'bgr', ...IMAGENET },
  /** PaddleOCR text recognition: keep ratio, picture at the left, padded with 0 after (x/255-0.5)/0.5, BGR. */
  'paddleocr-rec': { ...YOLO_PREPROCESS, padPosition: 'top-left', padValue: 127.5, channelOrder: 'bgr', mean: [0.5], std: [0.5] },
} satisfies Record<string, ImagePreprocess>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
