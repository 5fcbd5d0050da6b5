import type { Tensor } from '../tensor/tensor.js';
import { numel } from '../tensor/tensor.js';

/** mulberry32: a small, fast, seedable PRNG, so that "random" inputs are reproducible by seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform [low, high) float32 tensor. */
export function randomTensor(name: string, shape: number[], seed: number, low = 0, high = 1): Tensor {
  const rnd = mulberry32(seed);
  const data = new Float32Array(numel(shape));
  for (let i = 0; i < data.length; i++) data[i] = low + (high - low) * rnd();
  return { name, dtype: 'float32', shape, data };
}
