import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/graph/onnx-model.js';
import { buildLogicalGraph } from '../../src/detect/logical-graph.js';
import { discoverHead, headFromSpec, labelCounts, type HeadLabel } from '../../src/detect/head-discovery.js';
import { parseHeadSpec } from '../../src/detect/head-spec.js';
import { UserError } from '../../src/errors.js';
import { YOLO, hasShared } from '../helpers/paths.js';

/**
 * Independent oracle: the Ultralytics export names say where each tensor belongs (the
 * implementation never looks at names). Backbone by the dominator rule = model.0-4 (the first
 * multi-scale split is model.4's output, tapped by the neck); neck = model.5-21.
 */
function byName(t: string): HeadLabel | undefined {
  if (t === 'images') return 'backbone';
  if (t === 'output0') return 'shared';
  if (/^\/model\.22\/(cv2\.|dfl\/|Reshape(_1|_2)?_output|Concat_output|Slice|Sub|Add|Div|Concat_2|Mul_2)/.test(t)) return 'box';
  if (/^\/model\.22\/(cv3\.|Reshape_[345]_output|Concat_1_output|Sigmoid)/.test(t)) return 'class';
  const m = /^\/model\.(\d+)\//.exec(t);
  if (!m) return undefined;
  return Number(m[1]) <= 4 ? 'backbone' : 'neck';
}

describe.skipIf(!hasShared)('detector head discovery (YOLOv8n)', () => {
  it('finds the box and class branches structurally and labels every tensor like the export names say', () => {
    const lg = buildLogicalGraph(loadModel(YOLO.fp32).proto.graph!);
    const head = discoverHead(lg)!;
    expect(head).not.toBeNull();
    expect(head.boxRoot).toBe('/model.22/Mul_2_output_0');
    expect(head.classRoot).toBe('/model.22/Sigmoid_output_0');
    expect(head.merge).toBe('output0');
    expect(head.trunkEnd).toBe('/model.4/cv2/act/Mul_output_0');
    expect(head.family).toBe('yolov8');
    expect(head.layout).toEqual({ family: 'yolov8', boxOutput: 'output0', scoreOutput: 'output0', layout: 'CxA', boxes: { start: 0, end: 4 }, scores: { start: 4, end: 84 }, boxFormat: 'xywh', activation: 'none', combine: 'mul', nms: true });
    expect(head.roots).toEqual({ box: ['/model.22/Mul_2_output_0'], class: ['/model.22/Sigmoid_output_0'], objectness: [] });
    const wrong = [...head.labels].filter(([t, l]) => byName(t) !== l);
    expect(wrong).toEqual([]);
    const counts = labelCounts(head.labels);
    const expected = { backbone: 0, neck: 0, box: 0, class: 0, objectness: 0, shared: 0 };
    for (const t of lg.order.keys()) { const l = byName(t); if (l) expected[l]++; }
    expect(counts).toEqual(expected);
    expect(counts.box).toBeGreaterThan(30); // 3 levels x (2 conv blocks of 3 tensors + conv) + DFL + decode
    expect(counts.class).toBeGreaterThan(20);
  });

  it('sees through Q/DQ: the INT8 graphs get the same labels', () => {
    const ref = discoverHead(buildLogicalGraph(loadModel(YOLO.fp32).proto.graph!))!;
    for (const f of [YOLO.entropy, YOLO.collapsed]) {
      const h = discoverHead(buildLogicalGraph(loadModel(f).proto.graph!))!;
      expect(h.boxRoot).toBe(ref.boxRoot);
      expect(h.classRoot).toBe(ref.classRoot);
      expect(h.merge).toBe('output0');
      expect(new Map([...h.labels].filter(([t]) => ref.labels.has(t)))).toEqual(ref.labels);
      expect(labelCounts(h.labels)).toEqual(labelCounts(ref.labels));
    }
  });

  it('accepts manual specs by tensor names and by channel slices', () => {
    const lg = buildLogicalGraph(loadModel(YOLO.fp32).proto.graph!);
    const auto = discoverHead(lg)!;
    const named = headFromSpec(lg, parseHeadSpec('boxes=/model.22/Mul_2_output_0,scores=/model.22/Sigmoid_output_0'), YOLO.fp32)!;
    expect(named.labels).toEqual(auto.labels);
    expect(named.layout).toEqual(auto.layout);
    const sliced = headFromSpec(lg, parseHeadSpec('boxes=0:4,scores=4:84,layout=CxA'), YOLO.fp32)!;
    expect(sliced.layout).toEqual({ ...auto.layout, family: 'custom' });
    expect(sliced.labels).toEqual(auto.labels); // regions traced from the channels the spec names
    const preset = headFromSpec(lg, parseHeadSpec('yolov8'), YOLO.fp32)!;
    expect(preset.layout).toEqual({ ...auto.layout, scores: { start: 4 } });
    expect(preset.labels).toEqual(auto.labels);
    expect(() => headFromSpec(lg, parseHeadSpec('boxes=nope,scores=/model.22/Sigmoid_output_0'), YOLO.fp32)).toThrow(/no tensor named "nope"/);
  });
});

describe('--head parsing', () => {
  it('parses slices, names and auto; rejects malformed specs', () => {
    expect(parseHeadSpec('auto')).toEqual({ kind: 'auto' });
    expect(parseHeadSpec('off')).toEqual({ kind: 'off' });
    expect(parseHeadSpec('boxes=0:4,scores=4:,layout=AxC')).toEqual({ kind: 'spec', fields: { boxes: { start: 0, end: 4 }, scores: { start: 4 }, layout: 'AxC' }, given: ['boxes', 'scores', 'layout'] });
    expect(parseHeadSpec('boxes=b,scores=s')).toEqual({ kind: 'spec', fields: { boxes: 'b', scores: 's' }, given: ['boxes', 'scores'] });
    // A preset gives defaults; later keys override them.
    expect(parseHeadSpec('yolox,strides=8/16/32/64')).toEqual({ kind: 'spec', preset: 'yolox', fields: { layout: 'AxC', boxes: { start: 0, end: 4 }, objectness: 4, scores: { start: 5 }, boxFormat: 'grid', strides: [8, 16, 32, 64] }, given: ['strides'] });
    // The given keys are kept apart from the preset's: a preset's score function is applied only where the graph has not applied it.
    expect(parseHeadSpec('ssd,boxes=loc,scores=conf,priors=p.npy,format=priors,variances=0.2/0.1')).toEqual({ kind: 'spec', preset: 'ssd', fields: { layout: 'AxC', boxFormat: 'priors', background: 0, activation: 'softmax', boxes: 'loc', scores: 'conf', priors: 'p.npy', variances: [0.2, 0.1] }, given: ['boxes', 'scores', 'priors', 'format', 'variances'] });
    expect(parseHeadSpec('retinanet')).toMatchObject({ preset: 'retinanet', fields: { activation: 'sigmoid', variances: [1, 1] }, given: [] });
    expect(parseHeadSpec('detr,nms=on').kind === 'spec' && (parseHeadSpec('detr,nms=on') as { fields: { nms: boolean } }).fields.nms).toBe(true);
    expect((parseHeadSpec('boxes=0:4,scores=5:85,objectness=4,class=-1,background=-1,activation=softmax,combine=fastestdet') as { fields: object }).fields)
      .toEqual({ boxes: { start: 0, end: 4 }, scores: { start: 5, end: 85 }, objectness: 4, classChannel: -1, background: -1, activation: 'softmax', combine: 'fastestdet' });
    for (const bad of ['boxes=0:4', 'boxes=0:5,scores=5:85', 'boxes=0:4,scores=4:84,layout=NCHW', 'box=0:4,scores=4:8', 'boxes=0:4,scores=s', 'yolov99',
      'yolox,strides=8/x', 'ssd,variances=0.1', 'boxes=0:4,scores=4:,objectness=x', 'boxes=0:4,scores=4:,format=cxcy', 'boxes=0:4,scores=4:,activation=relu', 'boxes=0:4,scores=4:,nms=maybe', 'yolov8,boxes']) {
      expect(() => parseHeadSpec(bad)).toThrow(UserError);
    }
  });
});

describe('no detector head', () => {
  it('returns null for a model without a box/score merge', () => {
    const f = new URL('../../goldens/quant/two_conv.onnx', import.meta.url).pathname;
    expect(discoverHead(buildLogicalGraph(loadModel(f).proto.graph!))).toBeNull();
  });
});
