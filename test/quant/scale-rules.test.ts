import { describe, expect, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { GraphProtoSchema, NodeProtoSchema, ValueInfoProtoSchema } from 'onnx-buf';
import { applyScaleRules } from '../../src/quant/scale-rules.js';

const node = (opType: string, input: string[], output: string[]) => create(NodeProtoSchema, { opType, input, output, name: output[0] });

describe('scale rules', () => {
  // SPPF-like: a → pool → p1 → pool → p2; concat(a, p1, p2) → c; plus an unrelated b
  const graph = create(GraphProtoSchema, {
    node: [
      node('Relu', ['x'], ['a']),
      node('MaxPool', ['a'], ['p1']),
      node('MaxPool', ['p1'], ['p2']),
      node('Concat', ['a', 'p1', 'p2'], ['c']),
      node('Relu', ['x'], ['b']),
      node('MaxPool', ['b'], ['pb']),
    ],
    input: [create(ValueInfoProtoSchema, { name: 'x' })],
    output: [create(ValueInfoProtoSchema, { name: 'c' }), create(ValueInfoProtoSchema, { name: 'pb' })],
  });

  it('gives Concat inputs and output the largest of their amaxes, and pools their input amax', () => {
    const raw = new Map([['x', 9], ['a', 2], ['p1', 5], ['p2', 1], ['c', 3], ['b', 4], ['pb', 7]]);
    const out = applyScaleRules(raw, graph);
    // pool outputs inherit: p1's own 5 does not count; the group max is max(a=2, c=3) = 3
    expect(Object.fromEntries(out)).toEqual({ x: 9, a: 3, p1: 3, p2: 3, c: 3, b: 4, pb: 4 });
    expect(raw.get('pb')).toBe(7); // input map untouched
  });
});
