import type { Tensor } from '../tensor/tensor.js';

/** One stored tensor of one sample (iteration) of one run. */
export interface SourceEntry {
  sample: string;
  /** 0-based position of the sample in the source (Polygraphy's iteration index). */
  iteration: number;
  tensor: Tensor;
  /** The FP32 tensor this one pairs with ('' when unknown or the source is the FP32 side). */
  pair: string;
}

/** Where an entry is, without its data: what `compare` indexes the candidate side by. */
export interface SourceKey {
  index: number;
  sample: string;
  iteration: number;
  name: string;
  pair: string;
}

/**
 * A run stored on disk, whatever the file format (Arrow dump, Polygraphy RunResults JSON): the
 * one interface `compare` and `convert` read tensors through. Only one tensor is decoded at a time.
 */
export interface TensorSource {
  file: string;
  format: 'arrow' | 'polygraphy-json';
  /** model, backend, role... where the format records them. */
  metadata: Record<string, string>;
  /** False when sample ids are synthetic ("iteration-3"): then pairing goes by iteration index. */
  namedSamples: boolean;
  /** Every tensor's key, in storage order. */
  keys(): AsyncIterable<SourceKey>;
  /** Every entry, in storage order. */
  entries(): AsyncIterable<SourceEntry>;
  readAt(index: number): Promise<SourceEntry>;
  close(): Promise<void>;
}
