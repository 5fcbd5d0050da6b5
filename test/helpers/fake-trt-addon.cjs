// A TEST DOUBLE of the native addon's TensorRT API, for tests about TypeScript control flow only
// (lifecycle, feed checks, name mapping, coverage, file handling). It runs nothing: an "engine" is a
// JSON file saying which tensors infer() returns; their values are copies of an input. Never use it
// for numbers. Loaded through TRT_DIFF_NATIVE=<this file>.
'use strict';
const fs = require('node:fs');

const WIDTH = { float32: 4, float16: 2, int8: 1, uint8: 1, int32: 4, int64: 8, bool: 1 };

function readPlan(path) {
  const plan = JSON.parse(fs.readFileSync(path, 'utf8'));
  if (plan.fake !== 'trt-diff test double') throw new Error(`${path}: not a serialized engine (magic tag mismatch)`);
  return plan;
}

class FakeEngine {
  constructor(plan) { this.plan = plan; this.closed = false; }
  describe() { return { tensorrtVersion: this.plan.tensorrtVersion, metadata: this.plan.metadata || '', io: this.plan.io }; }
  inspect() { return JSON.stringify(this.plan.inspector); }
  async infer(feeds) {
    if (this.closed) throw new Error('engine closed');
    if (this.plan.failInfer) throw new Error(this.plan.failInfer);
    const byName = new Map(feeds.map((f) => [f.name, f]));
    for (const t of this.plan.io) if (t.mode === 'input' && !byName.has(t.name)) throw new Error(`input ${t.name} not bound`);
    return this.plan.results.map((r) => {
      const src = byName.get(r.copyOf);
      const n = r.shape.reduce((a, d) => a * d, 1) * WIDTH[r.dtype];
      const data = new Uint8Array(n);
      data.set(src.data.subarray(0, Math.min(n, src.data.length)));
      return { name: r.name, dtype: r.dtype, shape: r.shape, data };
    });
  }
  close() { this.closed = true; }
}

module.exports = {
  fake: true,
  capabilities: () => ({ cuda: { built: false, available: false, devices: 0 }, tensorrt: { built: true, version: 'test double' } }),
  retainFreedMemory: () => 'test double',
  TrtEngine: { load: async (path) => new FakeEngine(readPlan(path)) },
  // Build: FAKE_TRT_PLANS names a JSON file {"<onnx basename>": plan}; the model's plan is written
  // to enginePath as the built engine.
  buildEngine: async (options) => {
    const plans = JSON.parse(fs.readFileSync(process.env.FAKE_TRT_PLANS, 'utf8'));
    const plan = plans[require('node:path').basename(options.onnxPath)];
    if (!plan) throw new Error(`test double: no plan for ${options.onnxPath}`);
    if (plan.failBuild) throw new Error(plan.failBuild);
    const capture = options.capture === 'auto' ? plan.capture : options.capture;
    if (capture === 'none') plan.results = plan.results.filter((r) => plan.io.some((t) => t.name === r.name));
    fs.writeFileSync(options.enginePath, JSON.stringify(plan));
    return { enginePath: options.enginePath, capture, markedTensors: plan.results.length, messages: [] };
  },
};
