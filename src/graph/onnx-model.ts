import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { ModelProtoSchema, type GraphProto, type ModelProto } from 'onnx-buf';
import { UserError, errorMessage } from '../errors.js';
import { readInputFile } from '../io/input-file.js';
import { writeFileAtomic } from '../output/output-session.js';
import { hasExternalData, inlineExternalData } from './external-data.js';

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

/**
 * Reads and parses an ONNX model. External data is inlined (sandboxed to the model's folder,
 * external-data.ts) so that every command sees the weights whether or not they live beside the model.
 */
export function loadModel(file: string): OnnxModel {
  const bytes = readInputFile(file);
  if (bytes.byteLength === 0) throw new UserError('file is empty, expected an ONNX model', file);
  const model: OnnxModel = { path: file, proto: parseModel(bytes, file), bytes };
  if (hasExternalData(model)) inlineExternalData(model);
  return model;
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

/** The graph of a model (parseModel refuses a model without one; models built here always have one). */
export function graphOf(proto: ModelProto): GraphProto {
  if (!proto.graph) throw new Error('internal: the model has no graph');
  return proto.graph;
}

export function serializeModel(proto: ModelProto): Uint8Array {
  return toBinary(ModelProtoSchema, proto);
}

/** Writes atomically (src/output: temp file in the same folder, renamed when complete). */
export function saveModel(proto: ModelProto, file: string): void {
  writeFileAtomic(file, serializeModel(proto));
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
