import { describe, expect, it } from 'vitest';
import { headAnalysis, headFromMetadata } from '../../src/detect/head-analysis.js';
import { DETECT_DEFAULTS } from '../../src/detect/decode.js';
import { UserError } from '../../src/errors.js';

/** The head analysis as an option group: its flags parsed once (Analysis.parse), and the engine-metadata hint. */
describe('head analysis options', () => {
  it('parse: off disables it; defaults are auto and the decode defaults; paths kept when given', () => {
    expect(headAnalysis.parse({ head: 'off' })).toBeUndefined();
    expect(headAnalysis.parse({})).toEqual({ spec: 'auto', detect: DETECT_DEFAULTS });
    expect(headAnalysis.parse({ head: 'yolov5', conf: 0.5, iou: 0.6, labels: 'l', 'save-detections': 'd.json' }))
      .toEqual({ spec: 'yolov5', detect: { ...DETECT_DEFAULTS, conf: 0.5, iou: 0.6 }, labels: 'l', saveDetections: 'd.json' });
    expect(headAnalysis.parse({ labels: '', 'save-detections': '' })).toEqual({ spec: 'auto', detect: DETECT_DEFAULTS });
    for (const [flag, v] of [['conf', 1.5], ['iou', -0.1], ['conf', Number.NaN], ['iou', '0.5']] as const) {
      expect(() => headAnalysis.parse({ [flag]: v })).toThrow(UserError);
      expect(() => headAnalysis.parse({ [flag]: v })).toThrow(`--${flag} must be between 0 and 1, got ${v}`);
    }
    expect(headAnalysis.outputs!({ spec: 'auto', detect: DETECT_DEFAULTS, saveDetections: 'd.json' })).toEqual([{ flag: '--save-detections', path: 'd.json' }]);
  });

  it('Ultralytics engine metadata: a detector\'s class count gives its head layout; anything else none', () => {
    expect(headFromMetadata({ task: 'detect', names: { 0: 'person', 1: 'bicycle', 2: 'car' } })).toBe('boxes=0:4,scores=4:7');
    expect(headFromMetadata({ task: 'segment', names: { 0: 'person' } })).toBeUndefined();
    expect(headFromMetadata({ task: 'detect' })).toBeUndefined();
    expect(headFromMetadata({ task: 'detect', names: 'person' })).toBeUndefined();
    expect(headFromMetadata(undefined)).toBeUndefined();
  });
});
