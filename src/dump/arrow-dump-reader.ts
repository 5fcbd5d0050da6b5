import * as fs from 'node:fs';
import { RecordBatchReader, type RecordBatch } from 'apache-arrow';
import { UserError, errorMessage } from '../errors.js';
import { isDType } from '../tensor/dtype.js';
import { tensorBytes, tensorFromBytes, type Tensor } from '../tensor/tensor.js';
import { checkArrowFile, checkArrowStream } from './arrow-metadata-check.js';
import { CHECKSUM_KEY, parseChecksums, rowChecksum } from './row-checksum.js';
import { openRegularFile } from '../io/input-file.js';

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
  // A FIFO named x.arrow is refused by name (openRegularFile); reads are synchronous behind a
  // FileHandle-shaped object: one pread per call, no thread-pool round trip per record batch (60 000
  // small batches took minutes through fs.promises on a busy machine).
  const handle = syncFileHandle(openRegularFile(file).fd);
  const fail = async (why: string): Promise<never> => {
    await handle.close();
    throw new UserError(why, file);
  };
  // Validate the metadata of the whole file before apache-arrow decodes any (arrow-metadata-check.ts).
  const size = (await handle.stat()).size;
  const head = Buffer.alloc(6);
  await handle.read(head, 0, 6, 0);
  if (head.toString('latin1') === 'ARROW1') {
    const why = await checkArrowFile(handle, size);
    if (why) await fail(`dump is truncated or corrupt (${why})`);
  } else {
    const s = await checkArrowStream(handle, size);
    if (s) await fail(s.atStart ? `not an Arrow IPC file or stream (${s.why})` : `dump is truncated or corrupt (${s.why})`);
  }
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  try {
    reader = await RecordBatchReader.from(handle);
    await reader.open();
  } catch (e) {
    return fail(`not an Arrow IPC file or truncated (${errorMessage(e).split('\n')[0]})`);
  }
  const schema = reader.schema;
  const names = schema?.fields.map((f) => f.name) ?? [];
  const missing = ['sample', 'name', 'dtype', 'shape', 'data'].filter((k) => !names.includes(k));
  if (!schema || missing.length > 0) await fail(`Arrow file is not a trt-diff dump (missing columns: ${missing.join(', ')})`);
  const metadata: Record<string, string> = {};
  for (const [k, v] of schema.metadata) metadata[k.replace(/^trtdiff\./, '')] = v;
  const fileReader = reader.isFile() ? reader : undefined;
  const batchCount = fileReader ? fileReader.numRecordBatches : 0;
  // Row checksums (row-checksum.ts): dumps from before they existed, or from other tools, have none.
  let sums: Uint32Array | undefined;
  const listed = metadata[CHECKSUM_KEY];
  if (listed !== undefined) {
    sums = parseChecksums(listed);
    if (!sums || (fileReader && sums.length !== batchCount)) await fail(`dump is corrupt (its ${CHECKSUM_KEY} metadata does not list one checksum per record batch)`);
    delete metadata[CHECKSUM_KEY];
  }
  const verified = (e: DumpEntry, i: number): DumpEntry => {
    if (sums && i < sums.length && rowChecksum({ ...e, name: e.tensor.name, dtype: e.tensor.dtype, shape: e.tensor.shape }, tensorBytes(e.tensor)) !== sums[i]) {
      throw new UserError(`dump is corrupt: tensor ${e.tensor.name} (record batch ${i}) does not match its checksum`, file);
    }
    return e;
  };

  async function* entries(): AsyncIterable<DumpEntry> {
    let i = 0;
    try {
      for await (const batch of reader as AsyncIterable<RecordBatch>) {
        for (let row = 0; row < batch.numRows; row++) yield verified(decodeRow(batch, row, file), i);
        i++;
      }
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`dump is truncated or corrupt (${errorMessage(e).split('\n')[0]})`, file);
    } finally {
      await handle.close();
    }
  }
  async function readAt(i: number): Promise<DumpEntry> {
    try {
      const batch = await fileReader?.readRecordBatch(i);
      if (!batch || batch.numRows < 1) throw new Error(`no record batch ${i}`);
      return verified(decodeRow(batch, 0, file), i);
    } catch (e) {
      if (e instanceof UserError) throw e;
      throw new UserError(`dump is truncated or corrupt (${errorMessage(e).split('\n')[0]})`, file);
    }
  }
  return {
    info: { file, metadata }, entries, readAt, batchCount,
    close: () => handle.close().catch(() => undefined),
  };
}

/** The FileHandle methods apache-arrow and the metadata checks call, over synchronous reads of `fd`. */
function syncFileHandle(fd: number): fs.promises.FileHandle {
  let closed = false;
  const h = {
    fd,
    read: async (buffer: Uint8Array, offset: number, length: number, position: number) => ({ bytesRead: fs.readSync(fd, buffer, offset, length, position), buffer }),
    stat: async () => fs.fstatSync(fd),
    close: async () => { if (!closed) { closed = true; fs.closeSync(fd); } },
  };
  return h as unknown as fs.promises.FileHandle;
}

function decodeRow(batch: RecordBatch, row: number, file: string): DumpEntry {
  const cell = (column: string): unknown => {
    const c = batch.getChild(column);
    if (!c) throw new UserError(`record batch has no "${column}" column: not a trt-diff dump`, file);
    return c.get(row);
  };
  const sample = String(cell('sample'));
  const name = String(cell('name'));
  const dtype = String(cell('dtype'));
  const shapeVec = cell('shape') as { toArray(): Int32Array } | null;
  const bytes = cell('data') as Uint8Array | null;
  const pair = String(batch.getChild('pair')?.get(row) ?? '');
  if (!isDType(dtype) || !shapeVec || !bytes) throw new UserError(`tensor ${name}: bad dtype/shape/data in dump`, file);
  const shape = Array.from(shapeVec.toArray());
  try {
    return { sample, pair, tensor: tensorFromBytes(name, dtype, shape, bytes) };
  } catch (e) {
    throw new UserError(`tensor ${name}: ${errorMessage(e)}`, file);
  }
}
