import { Binary, Field, Int32, List, Schema, Utf8 } from 'apache-arrow';

/**
 * The dump format, one Arrow IPC *file* per model run:
 *   one record batch per tensor (per sample), one row, columns
 *     sample: utf8   input id (image path, npy path, "random:seed")
 *     name:   utf8   tensor name in that model
 *     dtype:  utf8   trt-diff dtype name (float32, int64, ...)
 *     shape:  list<int32>
 *     data:   binary raw little-endian bytes, C order
 *     pair:   utf8   the FP32 tensor this one is compared with ("" in the FP32 dump itself)
 *   schema metadata: trtdiff.* keys (format version, model path and sha256, backend, role, inputs).
 * Kept deliberately simple so pyarrow/polars read it zero-copy (np.frombuffer on `data`).
 */
const DUMP_FORMAT_VERSION = '1';

export const DUMP_FIELDS = {
  sample: new Field('sample', new Utf8(), false),
  name: new Field('name', new Utf8(), false),
  dtype: new Field('dtype', new Utf8(), false),
  shape: new Field('shape', new List(new Field('item', new Int32(), false)), false),
  data: new Field('data', new Binary(), false),
  pair: new Field('pair', new Utf8(), false),
};

export interface DumpMetadata {
  /** 'fp32' | 'int8' | free text */
  role: string;
  model: string;
  modelSha256?: string;
  backend: string;
  [key: string]: string | undefined;
}

export function dumpSchema(meta: DumpMetadata): Schema {
  const m = new Map<string, string>([['trtdiff.format', DUMP_FORMAT_VERSION]]);
  for (const [k, v] of Object.entries(meta)) if (v !== undefined) m.set(`trtdiff.${k}`, v);
  return new Schema(Object.values(DUMP_FIELDS), m);
}
