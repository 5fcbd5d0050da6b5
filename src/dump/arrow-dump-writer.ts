import { AsyncByteQueue, Binary, type Int32, type List, RecordBatch, RecordBatchFileWriter, Struct, Utf8, makeData, vectorFromArray, type Schema } from 'apache-arrow';
import { UserError, errorMessage, at } from '../errors.js';
import { PendingFile } from '../output/output-session.js';
import { tensorBytes, type Tensor } from '../tensor/tensor.js';
import { DUMP_FIELDS, dumpSchema, type DumpMetadata } from './arrow-schema.js';
import { CHECKSUM_KEY, formatChecksums, rowChecksum } from './row-checksum.js';

/**
 * Arrow's writer hands every encoded message to its sink; this sink writes it to the temp file at
 * once, so memory stays bounded by one record batch (the largest tensor).
 */
class FileSink extends AsyncByteQueue {
  constructor(private readonly out: PendingFile) {
    super();
  }
  override write(value: Uint8Array): void {
    this.out.write(value);
  }
}

/**
 * Streams tensors into one Arrow IPC file through a PendingFile (src/output): `close()` completes
 * it (renamed into place, or at the end of the command with the run's other outputs), `abort()`
 * removes it, so a crash or a signal never leaves a half-written dump behind.
 */
export class ArrowDumpWriter {
  private readonly writer: RecordBatchFileWriter;
  private readonly schema: Schema;
  private done = false;
  /** One CRC-32 per record batch (row-checksum.ts), written into the footer's schema metadata. */
  private readonly sums: number[] = [];
  count = 0;

  private constructor(readonly file: string, private readonly out: PendingFile, meta: DumpMetadata) {
    this.schema = dumpSchema(meta);
    this.writer = new RecordBatchFileWriter();
    this.writer.reset(new FileSink(out), this.schema);
  }

  static open(file: string, meta: DumpMetadata): ArrowDumpWriter {
    return new ArrowDumpWriter(file, PendingFile.create(file), meta);
  }

  get bytesWritten(): number {
    return this.out.bytes;
  }

  write(t: Tensor, sample: string, pair = ''): void {
    const bytes = tensorBytes(t);
    const sum = rowChecksum({ sample, name: t.name, dtype: t.dtype, shape: t.shape, pair }, bytes);
    const data = makeData({
      type: new Struct(Object.values(DUMP_FIELDS)),
      length: 1,
      nullCount: 0,
      children: [
        at(vectorFromArray([sample], new Utf8()).data, 0),
        at(vectorFromArray([t.name], new Utf8()).data, 0),
        at(vectorFromArray([t.dtype], new Utf8()).data, 0),
        at(vectorFromArray([t.shape], DUMP_FIELDS.shape.type as List<Int32>).data, 0),
        // Zero-copy: the tensor's own bytes become the binary column's value buffer.
        makeData({ type: new Binary(), length: 1, nullCount: 0, valueOffsets: new Int32Array([0, bytes.byteLength]), data: bytes }),
        at(vectorFromArray([pair], new Utf8()).data, 0),
      ],
    });
    try {
      this.writer.write(new RecordBatch(this.schema, data));
    } catch (e) {
      this.abort();
      throw e instanceof UserError ? e : new UserError(`write failed (${errorMessage(e)}); partial file removed`, this.file);
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
      this.out.finish();
    } catch (e) {
      this.abort();
      throw e instanceof UserError ? e : new UserError(`cannot finish dump (${errorMessage(e)})`, this.file);
    }
    this.done = true;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.out.abort();
  }
}
