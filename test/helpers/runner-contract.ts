import { expect, it } from 'vitest';
import { BackendError, UserError } from '../../src/errors.js';
import type { BaseRunner } from '../../src/runners/base-runner.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A runner under the contract, and feeds that match its inputs. */
export interface ContractSubject {
  open(): Promise<BaseRunner>;
  feeds(): Record<string, Tensor>;
  /** Opens a runner whose backend fails at inference, when the subject can make one. */
  failing?(): Promise<BaseRunner>;
  /** Whether the runner hands over its buffers (RunnerDescription.yieldsOwnBuffers: the pipeline frees them). */
  yieldsOwnBuffers: boolean;
}

async function collect(it: AsyncIterable<Tensor>): Promise<Tensor[]> {
  const out: Tensor[] = [];
  for await (const t of it) out.push(t);
  return out;
}

/**
 * The runner contract (Polygraphy's BaseRunner checks): one suite, run against every runner. It
 * checks control flow, names and shapes, never numbers.
 */
export function runnerContract(subject: ContractSubject): void {
  it('declares its inputs, outputs and tensors; outputs are among the tensors; names are unique', async () => {
    const r = await subject.open();
    const d = r.describe();
    expect(d.inputs.length).toBeGreaterThan(0);
    const names = d.tensors.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const o of d.outputs) expect(names).toContain(o.name);
    await r.close();
  });

  it('returns every declared tensor it is asked for, under its declared name, and nothing else', async () => {
    const r = await subject.open();
    const declared = r.describe().tensors.map((t) => t.name);
    const got = await collect(r.run(subject.feeds(), { fetch: declared }));
    expect(got.map((t) => t.name).sort()).toEqual([...declared].sort());
    for (const t of got) expect(t.data.length).toBe(t.shape.reduce((a, d) => a * d, 1));
    const one = await collect(r.run(subject.feeds(), { fetch: [declared[declared.length - 1]!] }));
    expect(one.map((t) => t.name)).toEqual([declared[declared.length - 1]]);
    await r.close();
  });

  it('refuses feeds that do not match its inputs, with one UserError naming the input', async () => {
    const r = await subject.open();
    const good = subject.feeds();
    const [name, t] = Object.entries(good)[0]!;
    const cases: [Record<string, Tensor>, RegExp][] = [
      [{}, new RegExp(`no feed for input ${name}`)],
      [{ ...good, extra: t }, /feed extra is not an input/],
      [{ ...good, [name]: { ...t, dtype: 'int32', data: new Int32Array(t.data.length) } }, new RegExp(`input ${name}: .*\\(dtype\\)`)],
      [{ ...good, [name]: { ...t, shape: [...t.shape, 1] } }, new RegExp(`input ${name}: .*\\(rank\\)`)],
      [{ ...good, [name]: { ...t, data: t.data.subarray(0, t.data.length - 1) } }, new RegExp(`input ${name}: .*elements`)],
    ];
    for (const [feeds, msg] of cases) {
      const e = await collect(r.run(feeds)).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).toMatch(msg);
    }
    expect(r.timing.runs).toBe(0); // nothing reached the backend
    await r.close();
  });

  it('records inference time per run', async () => {
    const r = await subject.open();
    await collect(r.run(subject.feeds()));
    await collect(r.run(subject.feeds()));
    expect(r.timing.runs).toBe(2);
    expect(r.timing.lastMs).toBeGreaterThanOrEqual(0);
    expect(r.timing.totalMs).toBeGreaterThanOrEqual(r.timing.lastMs);
    await r.close();
  });

  it(`declares yieldsOwnBuffers ${subject.yieldsOwnBuffers}${subject.yieldsOwnBuffers ? ', and yields each tensor over the whole of a buffer of its own, across runs too' : ''}`, async () => {
    const r = await subject.open();
    const first = await collect(r.run(subject.feeds()));
    const second = await collect(r.run(subject.feeds()));
    await r.close();
    expect(r.describe().yieldsOwnBuffers === true).toBe(subject.yieldsOwnBuffers);
    if (!subject.yieldsOwnBuffers) return;
    const buffers = [...first, ...second].map((t) => t.data.buffer);
    expect(new Set(buffers).size).toBe(buffers.length);
    for (const t of [...first, ...second]) expect([t.data.byteOffset, t.data.byteLength]).toEqual([0, t.data.buffer.byteLength]);
  });

  it('guards its lifecycle: no run after close; a second close does nothing', async () => {
    const r = await subject.open();
    await r.close();
    expect(r.isClosed).toBe(true);
    await expect(collect(r.run(subject.feeds()))).rejects.toThrow(/used after close/);
    await expect(r.close()).resolves.toBeUndefined();
    expect(r.isClosed).toBe(true);
  });

  if (subject.failing) {
    it('a backend failure at inference is one BackendError line naming the model', async () => {
      const r = await subject.failing!();
      const e = await collect(r.run(subject.feeds())).then(() => undefined, (x: unknown) => x);
      expect(e).toBeInstanceOf(BackendError);
      expect((e as Error).message).toContain(r.describe().source);
      expect((e as Error).message).not.toMatch(/\n/);
      await r.close();
    });
  }
}
