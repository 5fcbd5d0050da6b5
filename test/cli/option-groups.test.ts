import { describe, expect, it } from 'vitest';
import { toImageSize, toInputOptions, toMaxBytes, toPreprocess, toScoreChannels, toThreads, toTop } from '../../src/cli/options.js';
import { MAX_THREADS } from '../../src/cli/flag-values.js';
import { YOLO_PREPROCESS, geometry } from '../../src/inputs/image-loader.js';
import { roundHalfEven } from '../../src/tensor/round.js';
import { PRESETS } from '../../src/inputs/presets.js';
import { UserError } from '../../src/errors.js';

/** The typed parse half of the option groups, in process (the CLI tests run them end to end). */
const refused = (f: () => unknown, msg: string) => {
  expect(f).toThrow(UserError);
  expect(f).toThrow(msg);
};

describe('option groups: typed parse', () => {
  it('--imgsz: N, H,W and HxW; anything else refused in the one message shape', () => {
    expect(toImageSize({ imgsz: 320 })).toEqual({ height: 320, width: 320 });
    expect(toImageSize({ imgsz: '48,192' })).toEqual({ height: 48, width: 192 });
    expect(toImageSize({ imgsz: '48x192' })).toEqual({ height: 48, width: 192 });
    expect(toImageSize({})).toBeUndefined();
    for (const v of ['0', '48,', '1.5', 'abc', '1,2,3', '20000']) refused(() => toImageSize({ imgsz: v }), `Expected N or H,W with sizes from 1 to 16384 for --imgsz but received "${v}"`);
  });

  it('numbers: --threads bounded by 4 per CPU, --max-memory MB → bytes, --top 0 means all, --max-images ≥ 1', () => {
    expect(toThreads({ threads: MAX_THREADS })).toBe(MAX_THREADS);
    refused(() => toThreads({ threads: MAX_THREADS + 1 }), `Expected an integer from 1 to ${MAX_THREADS} for --threads but received ${MAX_THREADS + 1}`);
    expect(toMaxBytes({ 'max-memory': 1.5 })).toBe(1.5 * 1024 * 1024);
    refused(() => toMaxBytes({ 'max-memory': 'Infinity' }), 'Expected a number above 0 for --max-memory but received "Infinity"');
    expect([toTop({ top: 0 }), toTop({ top: 7 }), toTop({})]).toEqual([undefined, 7, undefined]);
    refused(() => toInputOptions({ 'max-images': 2.5 }, () => {}), 'Expected an integer of at least 1 for --max-images but received 2.5');
  });

  it('--score-channels: START:END, START: and START, one grammar', () => {
    expect(toScoreChannels({ 'score-channels': '4:84' })).toEqual({ start: 4, end: 84 });
    expect(toScoreChannels({ 'score-channels': '4:' })).toEqual({ start: 4, end: Infinity });
    expect(toScoreChannels({ 'score-channels': '0' })).toEqual({ start: 0, end: 1 });
    expect(toScoreChannels({})).toEqual({ start: 4, end: Infinity });
    refused(() => toScoreChannels({ 'score-channels': 'a:b' }), 'Expected START:END, START: or START (rows of axis 1, END exclusive) for --score-channels but received "a:b"');
  });

  it('--preset sets every field; explicit flags override one field each', () => {
    expect(toPreprocess({})).toEqual(YOLO_PREPROCESS);
    expect(toPreprocess({ preset: 'yolox' })).toEqual(PRESETS.yolox);
    expect(toPreprocess({ preset: 'yolox', bgr: false, 'pad-value': 0 })).toEqual({ ...PRESETS.yolox, channelOrder: 'rgb', padValue: 0 });
    expect(toPreprocess({ preset: 'imagenet', resize: 'resize', nhwc: true }).layout).toBe('nhwc');
    expect(toPreprocess({ mean: '0.5', std: '0.25' })).toMatchObject({ mean: [0.5], std: [0.25] });
  });
});

describe('preprocessing geometry (closed form)', () => {
  it('Python rounding: halves to even', () => {
    expect([0.5, 1.5, 2.5, 20.5, 2.4, 2.6, 3.5].map(roundHalfEven)).toEqual([0, 2, 2, 20, 2, 3, 4]);
  });
  it('letterbox centre / top-left and crop, for a 810×1080 picture into 640×640', () => {
    const centre = geometry(810, 1080, 640, 640, YOLO_PREPROCESS);
    expect([centre.w, centre.h, centre.box.padLeft, centre.box.padTop]).toEqual([480, 640, 80, 0]);
    const tl = geometry(810, 1080, 640, 640, PRESETS.yolox);
    expect([tl.w, tl.h, tl.box.padLeft, tl.box.padTop]).toEqual([480, 640, 0, 0]);
    // imagenet at 224: shorter side 810 → 256 (224/0.875), 1080 → 341.33 → 341; centre crop 224.
    const crop = geometry(810, 1080, 224, 224, PRESETS.imagenet);
    expect([crop.w, crop.h, crop.crop]).toEqual([256, 341, { left: 16, top: 58, width: 224, height: 224 }]);
  });
});
