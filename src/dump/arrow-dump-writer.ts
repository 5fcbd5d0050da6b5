import * as fs from 'node:fs';
import * as path from 'node:path';
import { AsyncByteQueue, Binary, Int32, List, RecordBatch, RecordBatchFileWriter, Struct, Utf8, makeData, vectorFromArray, type Schema } from 'apache-arrow';
import { UserError, errorMessage } from '../errors.js';
import { tensorBytes, type Tensor } from '../tensor/tensor.js';
import { DUMP_FIELDS, dumpSchema, type DumpMetadata } from './arrow-schema.js';
import { CHECKSUM_KEY, formatChecksums, rowChecksum } from './row-checksum.js';

/**
 * Arrow's writer hands every encoded message to its sink; this sink writes it to the file
 * descriptor at once, so memory stays bounded by one record batch (the largest tensor).
 */
class FdSink extends AsyncByteQueue {
  written = 0;
  constructor(private readonly fd: number) {
    super();
  }
  override write(value: Uint8Array): void {
    let off = 0;
    while (off < value.byteLength) off += fs.writeSync(this.fd, value, off, value.byteLength - off);
    this.written += value.byteLength;
  }
}

/** Temp files of writers still open, removed if the process is interrupted (SIGINT/SIGTERM). */
const OPEN_TEMPS = new Set<string>();
let signalsHooked = false;
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const f of OPEN_TEMPS) fs.rmSync(f, { force: true });
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/**
 * Streams tensors into one Arrow IPC file. Writes go to `<file>.<pid>.partial`; `close()` renames it
 * into place, `abort()` removes it, so a crash or Ctrl-C never leaves a half-written dump behind.
 */
export class ArrowDumpWriter {
  private readonly writer: RecordBatchFileWriter;
  private readonly sink: FdSink;
  private readonly schema: Schema;
  private done = false;
  /** One CRC-32 per record batch (row-checksum.ts), written into the footer's schema metadata. */
  private readonly sums: number[] = [];
  count = 0;

  private constructor(readonly file: string, private readonly tmp: string, private readonly fd: number, meta: DumpMetadata) {
    this.schema = dumpSchema(meta);
    this.sink = new FdSink(fd);
    this.writer = new RecordBatchFileWriter();
    this.writer.reset(this.sink, this.schema);
  }

  static open(file: string, meta: DumpMetadata): ArrowDumpWriter {
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
    let fd: number;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fd = fs.openSync(tmp, 'w');
    } catch (e) {
      throw new UserError(`cannot create dump (${(e as NodeJS.ErrnoException).code ?? errorMessage(e)})`, file);
    }
    hookSignals();
    OPEN_TEMPS.add(tmp);
    return new ArrowDumpWriter(file, tmp, fd, meta);
  }

  get bytesWritten(): number {
    return this.sink.written;
  }

  write(t: Tensor, sample: string, pair = ''): void {
    const bytes = tensorBytes(t);
    const sum = rowChecksum({ sample, name: t.name, dtype: t.dtype, shape: t.shape, pair }, bytes);
    const data = makeData({
      type: new Struct(Object.values(DUMP_FIELDS)),
      length: 1,
      nullCount: 0,
      children: [
        vectorFromArray([sample], new Utf8()).data[0]!,
        vectorFromArray([t.name], new Utf8()).data[0]!,
        vectorFromArray([t.dtype], new Utf8()).data[0]!,
        vectorFromArray([t.shape], DUMP_FIELDS.shape.type as List<Int32>).data[0]!,
        // Zero-copy: the tensor's own bytes become the binary column's value buffer.
        makeData({ type: new Binary(), length: 1, nullCount: 0, valueOffsets: new Int32Array([0, bytes.byteLength]), data: bytes }),
        vectorFromArray([pair], new Utf8()).data[0]!,
      ],
    });
    try {
      this.writer.write(new RecordBatch(this.schema, data));
    } catch (e) {
      this.abort();
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'ENOSPC' ? 'disk full while writing dump; partial file removed' : `write failed (${code ?? errorMessage(e)}); partial file removed`, this.file);
    }
    this.sums.push(sum);
    this.count++;
  }

  close(): void {
    if (this.done) return;
    try {
      // The footer repeats the schema from this object: the checksums land there, after the last batch.
      this.schema.metadata.set(`trtdiff.${CHECKSUM_KEY}`, formatChecksums(this.sums));
      this.writer.finish();
      this.writer.close();
      fs.fsyncSync(this.fd);
      fs.closeSync(this.fd);
      fs.renameSync(this.tmp, this.file);
    } catch (e) {
      this.abort();
      const code = (e as NodeJS.ErrnoException).code;
      throw new UserError(code === 'ENOSPC' ? 'disk full while writing dump; partial file removed' : `cannot finish dump (${code ?? errorMessage(e)})`, this.file);
    }
    this.done = true;
    OPEN_TEMPS.delete(this.tmp);
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try { fs.closeSync(this.fd); } catch { /* already closed */ }
    fs.rmSync(this.tmp, { force: true });
    OPEN_TEMPS.delete(this.tmp);
  }
}
