import type { FileHandle } from 'node:fs/promises';
import { ByteBuffer } from 'flatbuffers';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { DictionaryBatch as FbDictionaryBatch } from 'apache-arrow/fb/dictionary-batch';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { Footer as FbFooter } from 'apache-arrow/fb/footer';
import { Schema as FbSchema } from 'apache-arrow/fb/schema';
import type { Field as FbField } from 'apache-arrow/fb/field';

/**
 * Arrow IPC metadata checked before apache-arrow decodes any of it. apache-arrow trusts the vector
 * lengths inside the flatbuffers: a corrupt count makes it loop over billions of entries on the JS
 * thread until the heap is gone (found by test/fuzz; exit 134 after minutes), which no try/catch
 * can stop. Every check bounds a count by the bytes that would have to hold it, and every offset
 * by the file size. Both IPC formats are covered: the file format (footer, then each block it
 * lists) and the stream format (each message in turn, up to the end-of-stream marker).
 * Each function returns a reason, or undefined when the metadata is sane.
 */

/** What an Arrow file footer says about one record or dictionary batch. */
export interface Block { offset: number; metaDataLength: number; bodyLength: number }

const MAGIC = Buffer.from('ARROW1');

/** Reads through a 1 MiB window, so scanning thousands of small messages costs few system calls. */
class Window {
  private start = 0;
  private buf = Buffer.alloc(0);
  constructor(private readonly handle: FileHandle, readonly size: number) {}
  async bytes(pos: number, len: number): Promise<Buffer> {
    if (pos >= this.start && pos + len <= this.start + this.buf.length) return this.buf.subarray(pos - this.start, pos - this.start + len);
    const n = Math.min(Math.max(len, 1 << 20), this.size - pos);
    const buf = Buffer.alloc(n);
    const { bytesRead } = await this.handle.read(buf, 0, n, pos);
    this.start = pos;
    this.buf = buf.subarray(0, bytesRead);
    return this.buf.subarray(0, Math.min(len, bytesRead));
  }
}

/** Every field of a schema (and their children) fits in `bytes` bytes of flatbuffer, nested at most 64 deep. */
function schemaProblem(schema: FbSchema | null, bytes: number): string | undefined {
  if (!schema) return undefined;
  const fits = (count: number, width: number) => count >= 0 && count * width <= bytes;
  if (!fits(schema.fieldsLength(), 4) || !fits(schema.customMetadataLength(), 4) || !fits(schema.featuresLength(), 8)) {
    return 'the schema claims more entries than its metadata can hold';
  }
  let budget = Math.floor(bytes / 4); // fields in the whole tree can never outnumber this
  const walk = (field: FbField | null, depth: number): boolean => {
    if (!field) return true;
    if (depth > 64 || --budget < 0) return false;
    if (!fits(field.childrenLength(), 4) || !fits(field.customMetadataLength(), 4)) return false;
    for (let i = 0; i < field.childrenLength(); i++) if (!walk(field.children(i), depth + 1)) return false;
    return true;
  };
  for (let i = 0; i < schema.fieldsLength(); i++) {
    if (!walk(schema.fields(i), 0)) return 'the schema\'s fields do not fit in its metadata';
  }
  return undefined;
}

function recordBatchProblem(rb: FbRecordBatch | null, fbLength: number, bodyLength: number, where: string): string | undefined {
  if (!rb) return `${where} has no header`;
  const most = Math.floor(fbLength / 16); // every node and buffer entry takes 16 bytes
  if (rb.nodesLength() > most || rb.buffersLength() > most || rb.variadicBufferCountsLength() > fbLength / 8) {
    return `${where} claims more fields than its metadata can hold`;
  }
  const rows = Number(rb.length());
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > bodyLength * 8 + 1) return `${where} claims ${rows} rows`;
  for (let i = 0; i < rb.buffersLength(); i++) {
    const b = rb.buffers(i);
    const off = Number(b?.offset() ?? 0n), len = Number(b?.length() ?? 0n);
    if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > bodyLength) return `${where}: buffer ${i} lies outside its body`;
  }
  return undefined;
}

/**
 * One IPC message's metadata (`meta` = what follows the continuation marker and length): a schema,
 * record batch or dictionary batch whose counts fit. Returns the reason and the body length.
 */
function messageProblem(fb: Uint8Array, where: string, bodyLimit: number, expect: 'schema' | 'batch' | 'any'): { why?: string; bodyLength: number; type: number } {
  let msg: FbMessage;
  try {
    msg = FbMessage.getRootAsMessage(new ByteBuffer(fb));
    const bodyLength = Number(msg.bodyLength());
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyLength > bodyLimit) return { why: `${where} has a body of ${bodyLength} bytes, past the end of the file`, bodyLength: 0, type: 0 };
    if (!fits(msg.customMetadataLength(), 4, fb.length)) return { why: `${where} claims more metadata than it holds`, bodyLength, type: 0 };
    const type = msg.headerType();
    if (type === MessageHeader.Schema) {
      if (expect === 'batch') return { why: `${where} is a schema where a batch belongs`, bodyLength, type };
      return { why: schemaProblem(msg.header(new FbSchema()) as FbSchema | null, fb.length), bodyLength, type };
    }
    if (expect === 'schema') return { why: `${where} is not a schema (an IPC stream starts with one)`, bodyLength, type };
    if (type === MessageHeader.RecordBatch) return { why: recordBatchProblem(msg.header(new FbRecordBatch()) as FbRecordBatch | null, fb.length, bodyLength, where), bodyLength, type };
    if (type === MessageHeader.DictionaryBatch) {
      const d = msg.header(new FbDictionaryBatch()) as FbDictionaryBatch | null;
      return { why: d ? recordBatchProblem(d.data(new FbRecordBatch()), fb.length, bodyLength, where) : `${where} has no header`, bodyLength, type };
    }
    return { why: `${where} is not a schema, record batch or dictionary batch (type ${type})`, bodyLength, type };
  } catch (e) {
    return { why: `${where} has unreadable metadata (${(e as Error).message})`, bodyLength: 0, type: 0 };
  }
}

function fits(count: number, width: number, bytes: number): boolean {
  return count >= 0 && count * width <= bytes;
}

/** A block listed in the footer: inside the file, framed like an IPC message, its metadata sane. */
async function checkBlock(w: Window, b: Block, what: string): Promise<string | undefined> {
  const where = `${what} at byte ${b.offset}`;
  if (!Number.isSafeInteger(b.offset) || !Number.isSafeInteger(b.bodyLength) || b.offset < 8 || b.metaDataLength < 8 || b.bodyLength < 0 || b.offset + b.metaDataLength + b.bodyLength > w.size) {
    return `${where} lies outside the file`;
  }
  const meta = await w.bytes(b.offset, b.metaDataLength);
  // IPC framing: optional 0xFFFFFFFF continuation marker, int32 flatbuffer length, flatbuffer.
  const start = meta.readUInt32LE(0) === 0xffffffff ? 8 : 4;
  const fbLength = meta.readInt32LE(start - 4);
  if (fbLength <= 0 || start + fbLength > meta.length) return `${where} has a bad metadata length`;
  const m = messageProblem(meta.subarray(start, start + fbLength), where, b.bodyLength, 'batch');
  if (m.why) return m.why;
  if (m.bodyLength !== b.bodyLength) return `${where}: the footer and the message disagree on its body length`;
  return undefined;
}

/**
 * An Arrow IPC *file*: magic at both ends, a footer that fits, and every dictionary and record
 * batch block it lists checked. Returns undefined for a sane file, or for a file that does not end
 * with the file-format magic (then it is a stream: checkArrowStream).
 */
export async function checkArrowFile(handle: FileHandle, fileSize: number): Promise<string | undefined> {
  if (fileSize < 16) return undefined;
  const w = new Window(handle, fileSize);
  const tail = Buffer.from(await w.bytes(fileSize - 10, 10));
  if (!tail.subarray(4).equals(MAGIC)) return undefined;
  const footerLength = tail.readInt32LE(0);
  if (footerLength <= 0 || footerLength > fileSize - 10 - 8) return 'the footer length points outside the file';
  const footer = Buffer.from(await w.bytes(fileSize - 10 - footerLength, footerLength));
  let f: FbFooter;
  try {
    f = FbFooter.getRootAsFooter(new ByteBuffer(new Uint8Array(footer.buffer, footer.byteOffset, footerLength)));
    if (!fits(f.recordBatchesLength(), 24, footerLength) || !fits(f.dictionariesLength(), 24, footerLength) || !fits(f.customMetadataLength(), 4, footerLength)) {
      return 'the footer claims more entries than it can hold';
    }
    const why = schemaProblem(f.schema(), footerLength);
    if (why) return why.replace('its metadata', 'the footer');
  } catch (e) {
    return `unreadable footer (${(e as Error).message})`;
  }
  for (const [what, count, get] of [
    ['dictionary batch', f.dictionariesLength(), (i: number) => f.dictionaries(i)],
    ['record batch', f.recordBatchesLength(), (i: number) => f.recordBatches(i)],
  ] as const) {
    for (let i = 0; i < count; i++) {
      let why: string | undefined;
      try {
        const b = get(i);
        why = b ? await checkBlock(w, { offset: Number(b.offset()), metaDataLength: b.metaDataLength(), bodyLength: Number(b.bodyLength()) }, what)
          : `${what} ${i} missing from the footer`;
      } catch (e) {
        why = `footer entry ${i} is unreadable: ${(e as Error).message.split('\n')[0]}`;
      }
      if (why) return why;
    }
  }
  return undefined;
}

/**
 * An Arrow IPC *stream*: a schema message, then messages each framed as [0xFFFFFFFF] int32 length,
 * flatbuffer, body, up to an end-of-stream marker or the end of the file. Every message's metadata
 * and body must lie inside the file and its counts must fit (messageProblem).
 */
export async function checkArrowStream(handle: FileHandle, fileSize: number): Promise<{ why: string; atStart: boolean } | undefined> {
  const why = await streamProblem(handle, fileSize);
  return why ? { why: why.text, atStart: why.k === 0 } : undefined;
}

async function streamProblem(handle: FileHandle, fileSize: number): Promise<{ text: string; k: number } | undefined> {
  const at = (k: number, text: string | undefined) => (text ? { text, k } : undefined);
  const w = new Window(handle, fileSize);
  let pos = 0, k = 0;
  while (pos < fileSize) {
    if (pos + 4 > fileSize) return at(k, `message ${k} at byte ${pos} is cut off`);
    const head = Buffer.from(await w.bytes(pos, Math.min(8, fileSize - pos)));
    const continued = head.readUInt32LE(0) === 0xffffffff;
    if (continued && head.length < 8) return at(k, `message ${k} at byte ${pos} is cut off`);
    const len = continued ? head.readInt32LE(4) : head.readInt32LE(0);
    const framing = continued ? 8 : 4;
    if (len === 0) return at(k, k === 0 ? 'the stream ends before its schema' : undefined); // end-of-stream marker
    const where = `message ${k} at byte ${pos}`;
    if (len < 0 || pos + framing + len > fileSize) return at(k, `${where} has a metadata length past the end of the file`);
    const fb = await w.bytes(pos + framing, len);
    const m = messageProblem(fb, where, fileSize - (pos + framing + len), k === 0 ? 'schema' : 'any');
    if (m.why) return at(k, m.why);
    pos += framing + len + m.bodyLength;
    k++;
  }
  return at(0, k === 0 ? 'the stream holds no schema' : undefined);
}
