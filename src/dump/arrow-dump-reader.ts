import * as fs from 'node:fs';
import { RecordBatchReader, type RecordBatch } from 'apache-arrow';
import { UserError, errorMessage } from '../errors.js';
import { isDType } from '../tensor/dtype.js';
import { tensorFromBytes, type Tensor } from '../tensor/tensor.js';
import { checkFileFooter, checkRecordBatchBlock } from './arrow-metadata-check.js';

export interface DumpEntry {
  sample: string;
  tensor: Tensor;
  /** The FP32 tensor this one pairs with ('' when the dump is the FP32 side). */
  pair: string;
}

export interface DumpInfo {
  file: string;
  metadata: Record<string, string>;
}

/**
 * Reads a dump written by ArrowDumpWriter batch by batch (random access through a file handle, so
 * only one tensor is in memory at a time). Anything that is not such a dump is a UserError naming
 * the file.
 */
export interface OpenDump {
  info: DumpInfo;
  /** Every row in file order (one pass; closes the file at the end). */
  entries: () => AsyncIterable<DumpEntry>;
  /** Number of record batches (one tensor each, as trt-diff writes them). */
  batchCount: number;
  /** Random access to batch i (first row), without reading the others. */
  readAt: (i: number) => Promise<DumpEntry>;
  close: () => Promise<void>;
}

export async function openDump(file: string): Promise<OpenDump> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch {
    throw new UserError('file not found', file);
  }
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  const footerProblem = await checkFileFooter(handle, (await handle.stat()).size);
  if (footerProblem) {
    await handle.close();
    throw new UserError(`dump is truncated or corrupt (${footerProblem})`, file);
  }
  try {
    reader = await RecordBatchReader.from(handle);
    await reader.open();
  } catch (e) {
    await handle.close();
    throw new UserError(`not an Arrow IPC file or truncated (${errorMessage(e).split('\n')[0]})`, file);
  }
  const schema = reader.schema;
  const names = schema?.fields.map((f) => f.name) ?? [];
  const missing = ['sample', 'name', 'dtype', 'shape', 'data'].filter((k) => !names.includes(k));
  if (!schema || missing.length > 0) {
    await handle.close();
    throw new UserError(`Arrow file is not a trt-diff dump (missing columns: ${missing.join(', ')})`, file);
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of schema.metadata) metadata[k.replace(/^trtdiff\./, '')] = v;

  async function* entries(): AsyncIterable<DumpEntry> {
    try {
      for await (const batch of reader as AsyncIterable<RecordBatch>) {
        for (let row = 0; row < batch.numRows; row++) yield decodeRow(batch, row, file);
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`dump is truncated or corrupt (${errorMessage(e).split('\n')[0]})`, file);
    } finally {
      await handle.close();
    }
  }
  const fileReader = reader.isFile() ? reader : undefined;
  if (fileReader) {
    // Validate every record batch's metadata before apache-arrow decodes any (arrow-metadata-check.ts).
    const size = (await handle.stat()).size;
    const footer = fileReader.footer;
    for (let i = 0; i < fileReader.numRecordBatches; i++) {
      let why: string | undefined;
      try {
        const b = footer?.getRecordBatch(i);
        why = b ? await checkRecordBatchBlock(handle, size, { offset: Number(b.offset), metaDataLength: b.metaDataLength, bodyLength: Number(b.bodyLength) }) : `record batch ${i} missing from the footer`;
      } catch (e) {
        why = `footer entry ${i} is unreadable: ${errorMessage(e).split('\n')[0]}`;
      }
      if (why) {
        await handle.close();
        throw new UserError(`dump is truncated or corrupt (${why})`, file);
      }
    }
  }
  async function readAt(i: number): Promise<DumpEntry> {
    try {
      const batch = await fileReader?.readRecordBatch(i);
      if (!batch || batch.numRows < 1) throw new Error(`no record batch ${i}`);
      return decodeRow(batch, 0, file);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`dump is truncated or corrupt (${errorMessage(e).split('\n')[0]})`, file);
    }
  }
  return {
    info: { file, metadata }, entries, readAt,
    batchCount: fileReader ? fileReader.numRecordBatches : 0,
    close: () => handle.close().catch(() => undefined),
  };
}

function decodeRow(batch: RecordBatch, row: number, file: string): DumpEntry {
  const sample = String(batch.getChild('sample')!.get(row));
  const name = String(batch.getChild('name')!.get(row));
  const dtype = String(batch.getChild('dtype')!.get(row));
  const shapeVec = batch.getChild('shape')!.get(row) as { toArray(): Int32Array } | null;
  const bytes = batch.getChild('data')!.get(row) as Uint8Array | null;
  const pair = String(batch.getChild('pair')?.get(row) ?? '');
  if (!isDType(dtype) || !shapeVec || !bytes) throw new UserError(`tensor ${name}: bad dtype/shape/data in dump`, file);
  const shape = Array.from(shapeVec.toArray());
  try {
    return { sample, pair, tensor: tensorFromBytes(name, dtype, shape, bytes) };
  } catch (e) {
    throw new UserError(`tensor ${name}: ${errorMessage(e)}`, file);
  }
}
