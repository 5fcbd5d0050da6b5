import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, TensorProto_DataLocation, type ModelProto, type TensorProto } from 'onnx-buf';
import { UserError, errorMessage } from '../errors.js';

/**
 * ONNX load/save over onnx-buf (protoc-gen-es code generated from onnx.proto, ONNX 1.20 schema:
 * unlike onnx-proto, which is IR 8, it keeps every newer field when a model is re-serialized).
 */
export interface OnnxModel {
  path: string;
  proto: ModelProto;
  /**
   * The file's bytes, kept by loadModel so that a runtime can be handed the model without
   * re-serializing it (mark-outputs.ts markedModelBytes). Valid only while `proto` is the file's
   * content: whatever changes a loaded proto in place must drop it (inlineExternalData does).
   */
  bytes?: Uint8Array;
}

export function loadModel(file: string): OnnxModel {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? errorMessage(e)})`, file);
  }
  if (bytes.byteLength === 0) throw new UserError('file is empty, expected an ONNX model', file);
  return { path: file, proto: parseModel(bytes, file), bytes };
}

export function parseModel(bytes: Uint8Array, file = '<buffer>'): ModelProto {
  let proto: ModelProto;
  try {
    proto = fromBinary(ModelProtoSchema, bytes);
  } catch (e) {
    throw new UserError(`not a valid ONNX model (protobuf parse failed: ${errorMessage(e)}); the file may be truncated or not ONNX`, file);
  }
  const g = proto.graph;
  if (!g || g.node.length === 0 || proto.irVersion === 0n) {
    throw new UserError('not an ONNX model (no graph, no nodes or no IR version)', file);
  }
  if (g.output.length === 0) throw new UserError('ONNX graph has no outputs', file);
  return proto;
}

export function serializeModel(proto: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, proto);
}

/** Writes atomically: temp file in the same folder, renamed when complete. */
export function saveModel(proto: ModelProto, file: string): void {
  writeFileAtomic(file, serializeModel(proto));
}

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    // force: ignores only ENOENT; a folder that is not one (ENOTDIR) must still end in the UserError below.
    try { fs.rmSync(tmp, { force: true }); } catch { /* nothing was created */ }
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot write (${code ?? errorMessage(e)})`, file);
  }
}

function isExternal(t: TensorProto): boolean {
  return t.dataLocation === TensorProto_DataLocation.EXTERNAL;
}

/**
 * Inline external-data initializers (models saved with onnx's save_as_external_data), so the model
 * can be instrumented and handed to a runtime as one buffer. A missing or short data file is a
 * user error naming that file.
 */
export function inlineExternalData(model: OnnxModel): void {
  const dir = path.dirname(model.path);
  const cache = new Map<string, Buffer>();
  delete model.bytes; // the proto changes below: the file's bytes no longer describe it
  for (const t of model.proto.graph?.initializer ?? []) {
    if (!isExternal(t)) continue;
    const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location) throw new UserError(`initializer ${t.name} has external data without a location`, model.path);
    const dataFile = path.resolve(dir, location);
    if (!dataFile.startsWith(path.resolve(dir))) {
      throw new UserError(`initializer ${t.name}: external data path escapes the model folder: ${location}`, model.path);
    }
    let buf = cache.get(dataFile);
    if (!buf) {
      try {
        buf = fs.readFileSync(dataFile);
      } catch {
        throw new UserError(`external data file for initializer ${t.name} is missing (${location})`, dataFile);
      }
      cache.set(dataFile, buf);
    }
    const offset = Number(kv.get('offset') ?? 0);
    const length = kv.has('length') ? Number(kv.get('length')) : buf.byteLength - offset;
    if (offset + length > buf.byteLength) {
      throw new UserError(`external data for initializer ${t.name} is truncated (needs ${offset + length} bytes, has ${buf.byteLength})`, dataFile);
    }
    t.rawData = new Uint8Array(buf.buffer as ArrayBuffer, buf.byteOffset + offset, length);
    t.dataLocation = TensorProto_DataLocation.DEFAULT;
    t.externalData = [];
  }
}

export function hasExternalData(model: OnnxModel): boolean {
  return (model.proto.graph?.initializer ?? []).some(isExternal);
}

/** SHA-256 of a file, read in 1 MiB chunks (models and engines can be large). */
export function fileSha256(file: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}
