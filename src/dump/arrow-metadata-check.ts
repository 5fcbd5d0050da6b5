import type { FileHandle } from 'node:fs/promises';
import { ByteBuffer } from 'flatbuffers';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { Footer as FbFooter } from 'apache-arrow/fb/footer';
import type { Field as FbField } from 'apache-arrow/fb/field';

/** What an Arrow file footer says about one record batch. */
export interface Block { offset: number; metaDataLength: number; bodyLength: number }

/**
 * Checks a record batch's metadata before apache-arrow decodes it. apache-arrow trusts the vector
 * lengths inside the flatbuffer: a corrupt length makes `header()` loop over billions of entries on
 * the JS thread until the heap is gone (found by test/fuzz), which no try/catch can stop. Every node
 * and buffer entry takes 16 bytes of the metadata, so a count the metadata cannot hold is corruption.
 * Returns a reason, or undefined when the block is sane.
 */
export async function checkRecordBatchBlock(handle: FileHandle, fileSize: number, b: Block): Promise<string | undefined> {
  if (b.offset < 0 || b.metaDataLength < 8 || b.bodyLength < 0 || b.offset + b.metaDataLength + b.bodyLength > fileSize) {
    return `record batch at byte ${b.offset} lies outside the file`;
  }
  const meta = Buffer.alloc(b.metaDataLength);
  await handle.read(meta, 0, meta.length, b.offset);
  // IPC framing: optional 0xFFFFFFFF continuation marker, int32 flatbuffer length, flatbuffer.
  const start = meta.readUInt32LE(0) === 0xffffffff ? 8 : 4;
  const fbLength = meta.readInt32LE(start - 4);
  if (fbLength <= 0 || start + fbLength > meta.length) return `record batch at byte ${b.offset} has a bad metadata length`;
  try {
    const bb = new ByteBuffer(new Uint8Array(meta.buffer, meta.byteOffset + start, fbLength));
    const msg = FbMessage.getRootAsMessage(bb);
    if (msg.headerType() !== MessageHeader.RecordBatch) return `block at byte ${b.offset} is not a record batch`;
    const rb = msg.header(new FbRecordBatch()) as FbRecordBatch | null;
    if (!rb) return `record batch at byte ${b.offset} has no header`;
    const most = Math.floor(fbLength / 16);
    if (rb.nodesLength() > most || rb.buffersLength() > most || rb.variadicBufferCountsLength() > fbLength / 8) {
      return `record batch at byte ${b.offset} claims more fields than its metadata can hold`;
    }
    const rows = Number(rb.length());
    if (!Number.isSafeInteger(rows) || rows < 0 || rows > b.bodyLength * 8 + 1) return `record batch at byte ${b.offset} claims ${rows} rows`;
  } catch (e) {
    return `record batch at byte ${b.offset} has unreadable metadata (${(e as Error).message})`;
  }
  return undefined;
}

/**
 * The same guard for the file footer, which apache-arrow decodes on open: every vector it holds
 * (record-batch blocks, schema fields and their children, metadata) must fit in the footer's bytes.
 * Returns a reason, or undefined when the footer is sane or the file is not in Arrow file format
 * (apache-arrow reports those itself).
 */
export async function checkFileFooter(handle: FileHandle, fileSize: number): Promise<string | undefined> {
  const magic = Buffer.from('ARROW1');
  if (fileSize < 16) return undefined;
  const tail = Buffer.alloc(10);
  await handle.read(tail, 0, 10, fileSize - 10);
  if (!tail.subarray(4).equals(magic)) return undefined;
  const footerLength = tail.readInt32LE(0);
  if (footerLength <= 0 || footerLength > fileSize - 10 - 8) return 'the footer length points outside the file';
  const footer = Buffer.alloc(footerLength);
  await handle.read(footer, 0, footerLength, fileSize - 10 - footerLength);
  try {
    const f = FbFooter.getRootAsFooter(new ByteBuffer(new Uint8Array(footer.buffer, footer.byteOffset, footerLength)));
    const fits = (count: number, width: number) => count >= 0 && count * width <= footerLength;
    if (!fits(f.recordBatchesLength(), 24) || !fits(f.dictionariesLength(), 24) || !fits(f.customMetadataLength(), 4)) {
      return 'the footer claims more entries than it can hold';
    }
    const schema = f.schema();
    if (schema && (!fits(schema.fieldsLength(), 4) || !fits(schema.customMetadataLength(), 4) || !fits(schema.featuresLength(), 8))) {
      return 'the schema claims more entries than the footer can hold';
    }
    let budget = Math.floor(footerLength / 4); // fields in the whole tree can never outnumber this
    const walk = (field: FbField | null, depth: number): boolean => {
      if (!field) return true;
      if (depth > 64 || --budget < 0) return false;
      if (!fits(field.childrenLength(), 4) || !fits(field.customMetadataLength(), 4)) return false;
      for (let i = 0; i < field.childrenLength(); i++) if (!walk(field.children(i), depth + 1)) return false;
      return true;
    };
    for (let i = 0; i < (schema?.fieldsLength() ?? 0); i++) {
      if (!walk(schema!.fields(i), 0)) return 'the schema\'s fields do not fit in the footer';
    }
  } catch (e) {
    return `unreadable footer (${(e as Error).message})`;
  }
  return undefined;
}
