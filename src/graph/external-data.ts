import * as fs from 'node:fs';
import * as path from 'node:path';
import { clearField } from '@bufbuild/protobuf';
import { TensorProtoSchema, TensorProto_DataLocation, type ModelProto, type TensorProto } from 'onnx-buf';
import { UserError } from '../errors.js';
import { ioProblem, openRegularFile, readExactly } from '../io/input-file.js';
import { dtypeBytes, dtypeFromOnnx } from '../tensor/dtype.js';
import { numel } from '../tensor/tensor.js';

/** What this module reads and edits of a loaded model (onnx-model.ts imports this module, not the other way round). */
interface LoadedModel {
  path: string;
  proto: ModelProto;
  bytes?: Uint8Array;
}

/**
 * External data (onnx.save_as_external_data), sandboxed the way ONNX Runtime does it: `location`
 * must be a relative path that, with every symlink resolved, stays inside the model's own folder
 * (so neither `/etc/passwd`, nor `../<modeldir>-private/secret`, nor a symlink out of the folder is
 * read); `offset` and `length` must be decimal byte counts inside that regular file, and the bytes
 * must be exactly what the initializer's dims and data type need.
 */

function isExternal(t: TensorProto): boolean {
  return t.dataLocation === TensorProto_DataLocation.EXTERNAL;
}

/** A non-negative decimal integer that is a safe JS number, or undefined. */
function byteCount(s: string | undefined): number | undefined {
  if (s === undefined || !/^\d{1,16}$/.test(s.trim())) return undefined;
  const v = Number(s.trim());
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Real path of `location` if it lies inside the real model folder; else a UserError naming the model. */
function sandboxedDataPath(modelFile: string, location: string, tensor: string): string {
  const refuse = (why: string) => new UserError(`initializer ${tensor}: external data location "${location}" ${why}; ONNX Runtime refuses it too`, modelFile);
  if (location.includes('\0')) throw refuse('holds a NUL character');
  if (path.isAbsolute(location) || /^[A-Za-z]:[\\/]/.test(location)) throw refuse('is an absolute path (it must be relative to the model folder)');
  let dir: string;
  try { dir = fs.realpathSync(path.dirname(path.resolve(modelFile))); } catch (e) { throw new UserError(ioProblem(e), path.dirname(modelFile)); }
  const joined = path.resolve(dir, location);
  let real: string;
  try {
    real = fs.realpathSync(joined);
  } catch (e) {
    throw new UserError(`external data file for initializer ${tensor}: ${ioProblem(e)} (location "${location}")`, joined);
  }
  const rel = path.relative(dir, real);
  if (rel === '') throw refuse('names the model folder itself, not a file');
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw refuse(real === joined ? 'points outside the model folder' : `is a symlink that leads outside the model folder (to ${real})`);
  }
  return real;
}

/** Bytes an initializer needs by its dims and data type, or undefined when the type is not one trt-diff decodes. */
function expectedBytes(t: TensorProto): number | undefined {
  const dtype = dtypeFromOnnx(t.dataType);
  if (!dtype) return undefined;
  return numel(t.dims) * dtypeBytes(dtype);
}

/**
 * Inline external-data initializers, so the model can be instrumented and handed to a runtime as
 * one buffer. Reads only the bytes each initializer names (one open file per data file).
 */
export function inlineExternalData(model: LoadedModel): void {
  const files = new Map<string, { fd: number; size: number; real: string }>();
  delete model.bytes; // the proto changes below: the file's bytes no longer describe it
  try {
    for (const t of model.proto.graph?.initializer ?? []) {
      if (!isExternal(t)) continue;
      const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
      const location = kv.get('location');
      if (!location) throw new UserError(`initializer ${t.name} has external data without a location`, model.path);
      let f = files.get(location);
      if (!f) {
        const real = sandboxedDataPath(model.path, location, t.name);
        f = { ...openRegularFile(real), real };
        files.set(location, f);
      }
      const offset = kv.has('offset') ? byteCount(kv.get('offset')) : 0;
      if (offset === undefined) throw new UserError(`initializer ${t.name}: external data offset "${kv.get('offset')}" is not a byte count`, model.path);
      const length = kv.has('length') ? byteCount(kv.get('length')) : f.size - offset;
      if (length === undefined || length < 0) throw new UserError(`initializer ${t.name}: external data length "${kv.get('length') ?? ''}" is not a byte count`, model.path);
      if (offset + length > f.size) {
        throw new UserError(`external data for initializer ${t.name} is truncated (needs bytes ${offset}..${offset + length}, file has ${f.size})`, f.real);
      }
      const want = expectedBytes(t);
      if (want !== undefined && want !== length) {
        throw new UserError(`initializer ${t.name}: external data holds ${length} bytes, its dims and type need ${want}`, model.path);
      }
      t.rawData = length === 0 ? new Uint8Array(0) : readExactly(f.fd, f.real, offset, length);
      // Unset rather than DEFAULT: the inlined tensor serializes exactly like one saved inline.
      clearField(t, TensorProtoSchema.field.dataLocation);
      t.externalData = [];
    }
  } finally {
    for (const f of files.values()) fs.closeSync(f.fd);
  }
}

export function hasExternalData(model: LoadedModel): boolean {
  return (model.proto.graph?.initializer ?? []).some(isExternal);
}
