import * as fs from 'node:fs';
import * as path from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ByteBuffer } from 'flatbuffers';
import { Binary, Int32, List, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, Struct, Utf8, makeData, vectorFromArray } from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { StringStringEntryProtoSchema, TensorProto_DataLocation, type ModelProto } from 'onnx-buf';
import { saveModel } from '../../src/graph/onnx-model.js';
import { DUMP_FIELDS, dumpSchema } from '../../src/dump/arrow-schema.js';
import { affineReluModels } from '../helpers/onnx-builder.js';

/**
 * Hostile inputs for test/robustness/hostile-inputs.test.ts, generated in the test (nothing
 * committed): external data pointing out of the model folder, Arrow IPC messages whose counts lie,
 * models whose tensor names carry terminal escapes.
 */

/**
 * The affine FP32 model with initializer "two" (one float32, 4 bytes) stored as external data with
 * the given location/offset/length entries (strings, as ONNX stores them), saved as `dir/name`.
 */
export function externalModel(dir: string, name: string, entries: Record<string, string>): string {
  const { fp32 } = affineReluModels(0.05);
  const two = fp32.graph!.initializer.find((t) => t.name === 'two')!;
  two.floatData = [];
  two.dataLocation = TensorProto_DataLocation.EXTERNAL;
  two.externalData = Object.entries(entries).map(([key, value]) => create(StringStringEntryProtoSchema, { key, value }));
  const f = path.join(dir, name);
  saveModel(fp32, f);
  return f;
}

/**
 * `model` (raw_data initializers) saved as `dir/name` with every initializer moved into one
 * external file `dir/weights.bin`, 64-byte aligned, as onnx.save_as_external_data writes it.
 */
export function externalizeAll(model: ModelProto, dir: string, name: string): string {
  const chunks: Buffer[] = [];
  let size = 0;
  for (const t of model.graph!.initializer) {
    if (t.rawData.byteLength === 0) throw new Error(`initializer ${t.name} has no raw_data`);
    const pad = (64 - (size % 64)) % 64;
    chunks.push(Buffer.alloc(pad));
    size += pad;
    t.externalData = [['location', 'weights.bin'], ['offset', String(size)], ['length', String(t.rawData.byteLength)]]
      .map(([key, value]) => create(StringStringEntryProtoSchema, { key, value }));
    chunks.push(Buffer.from(t.rawData));
    size += t.rawData.byteLength;
    t.rawData = new Uint8Array(0);
    t.dataLocation = TensorProto_DataLocation.EXTERNAL;
  }
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(chunks));
  const f = path.join(dir, name);
  saveModel(model, f);
  return f;
}

/** float32 bytes of `values`. */
export function f32Bytes(values: number[]): Buffer {
  return Buffer.from(new Float32Array(values).buffer);
}

/** Every tensor name `from` (and names derived from it, `from_…`) renamed to `to`, in place. */
export function renameTensor(m: ModelProto, from: string, to: string): ModelProto {
  const map = (n: string) => (n === from ? to : n.startsWith(`${from}_`) ? `${to}${n.slice(from.length)}` : n);
  const g = m.graph!;
  for (const n of g.node) { n.input = n.input.map(map); n.output = n.output.map(map); n.name = map(n.name); }
  for (const v of [...g.input, ...g.output, ...g.valueInfo]) v.name = map(v.name);
  for (const t of g.initializer) t.name = map(t.name);
  return m;
}

/** A one-row trt-diff dump record batch (apache-arrow's own writer, not ArrowDumpWriter). */
function dumpBatch(rows: number, name = (i: number) => `t${i}`): RecordBatch {
  const schema = dumpSchema({ role: 'fp32', model: 'm.onnx', backend: 'test' });
  const data = makeData({
    type: new Struct(Object.values(DUMP_FIELDS)), length: rows, nullCount: 0,
    children: [
      vectorFromArray(Array.from({ length: rows }, () => 's0'), new Utf8()).data[0]!,
      vectorFromArray(Array.from({ length: rows }, (_, i) => name(i)), new Utf8()).data[0]!,
      vectorFromArray(Array.from({ length: rows }, () => 'float32'), new Utf8()).data[0]!,
      vectorFromArray(Array.from({ length: rows }, () => [1]), DUMP_FIELDS.shape.type as List<Int32>).data[0]!,
      makeData({ type: new Binary(), length: rows, nullCount: 0, valueOffsets: Int32Array.from({ length: rows + 1 }, (_, i) => i * 4), data: new Uint8Array(new Float32Array(rows).map((_, i) => i).buffer) }),
      vectorFromArray(Array.from({ length: rows }, () => ''), new Utf8()).data[0]!,
    ],
  });
  return new RecordBatch(schema, data);
}

/** A trt-diff dump as an Arrow IPC stream (or file) with one batch of `rows` rows. */
export function dumpBytes(format: 'stream' | 'file', rows: number): Uint8Array {
  const b = dumpBatch(rows);
  return (format === 'stream' ? RecordBatchStreamWriter : RecordBatchFileWriter).writeAll([b]).toUint8Array(true);
}

/**
 * A valid one-row dump in the IPC stream format whose record batch metadata then claims `count`
 * field nodes or buffers: the vector's uint32 length is overwritten in place (the flatbuffer still
 * parses), which apache-arrow would trust and loop over.
 */
export function streamWithHugeCount(which: 'nodes' | 'buffers', count: number): Uint8Array {
  const bytes = Uint8Array.from(dumpBytes('stream', 1));
  const dv = new DataView(bytes.buffer);
  // Message 0 is the schema; skip it: [0xFFFFFFFF][int32 len][flatbuffer][body].
  const schemaLen = dv.getInt32(4, true);
  const schemaBody = Number(FbMessage.getRootAsMessage(new ByteBuffer(bytes.subarray(8, 8 + schemaLen))).bodyLength());
  const at = 8 + schemaLen + schemaBody; // message 1, the record batch
  const fb = bytes.subarray(at + 8, at + 8 + dv.getInt32(at + 4, true));
  const bb = new ByteBuffer(fb);
  const rb = FbMessage.getRootAsMessage(bb).header(new FbRecordBatch()) as FbRecordBatch;
  // Field slots of the RecordBatch table: length (4), nodes (6), buffers (8).
  const o = bb.__offset((rb as unknown as { bb_pos: number }).bb_pos, which === 'nodes' ? 6 : 8);
  const vec = (rb as unknown as { bb_pos: number }).bb_pos + o;
  const lenAt = vec + bb.readInt32(vec);
  new DataView(fb.buffer, fb.byteOffset).setUint32(lenAt, count, true);
  const check = FbMessage.getRootAsMessage(new ByteBuffer(fb)).header(new FbRecordBatch()) as FbRecordBatch;
  if ((which === 'nodes' ? check.nodesLength() : check.buffersLength()) !== count) throw new Error('patch missed the vector length');
  return bytes;
}

/** A valid one-row dump stream whose record batch message claims a body of `bodyLength` bytes. */
export function streamWithBodyLength(bodyLength: bigint): Uint8Array {
  const bytes = Uint8Array.from(dumpBytes('stream', 1));
  const dv = new DataView(bytes.buffer);
  const schemaLen = dv.getInt32(4, true);
  const at = 8 + schemaLen;
  const fb = bytes.subarray(at + 8, at + 8 + dv.getInt32(at + 4, true));
  const bb = new ByteBuffer(fb);
  const msg = FbMessage.getRootAsMessage(bb);
  const pos = (msg as unknown as { bb_pos: number }).bb_pos + bb.__offset((msg as unknown as { bb_pos: number }).bb_pos, 10); // Message.bodyLength: slot 3
  new DataView(fb.buffer, fb.byteOffset).setBigInt64(pos, bodyLength, true);
  if (FbMessage.getRootAsMessage(new ByteBuffer(fb)).bodyLength() !== bodyLength) throw new Error('patch missed bodyLength');
  return bytes;
}

export function writeBytes(file: string, bytes: Uint8Array | string): string {
  fs.writeFileSync(file, bytes);
  return file;
}
