import * as fs from 'node:fs';
import { UserError } from '../errors.js';

/**
 * Opening a file the user named, safely: a FIFO, socket or device named like an input (`x.jpg`,
 * `model.onnx`) would block `open()`/`read()` forever or stream without end, so the file is opened
 * non-blocking and refused unless fstat says it is a regular file. Every refusal is a UserError
 * naming the file (dangling or looping symlinks included).
 */

/** Why `open` or `stat` failed, in words. */
export function ioProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT': return 'file not found (or a symlink to a missing file)';
    case 'ELOOP': return 'symlink loop (too many levels of symbolic links)';
    case 'EACCES': case 'EPERM': return `permission denied (${code})`;
    case 'EISDIR': return 'is a folder, expected a file';
    case 'ENAMETOOLONG': return 'path too long';
    case 'ENOTDIR': return 'a folder in the path is a file';
    default: return `cannot read (${code ?? String(e)})`;
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** A file descriptor open for reading on a regular file, with its size. Close it with fs.closeSync. */
export function openRegularFile(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new UserError(ioProblem(e), file);
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new UserError(`is ${kindOf(st)}, expected a regular file`, file);
  }
  return { fd, size: st.size };
}

/** Throws a UserError unless `file` is (a symlink to) a regular file; opens nothing that could block. */
export function checkRegularFile(file: string): void {
  fs.closeSync(openRegularFile(file).fd);
}

/** The whole of a regular file (refuses FIFOs, devices, folders; `limit` bytes at most when given). */
export function readInputFile(file: string, limit?: number): Buffer {
  const { fd, size } = openRegularFile(file);
  try {
    if (limit !== undefined && size > limit) throw new UserError(`file is ${size} bytes, more than the ${limit} this kind of file may have`, file);
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break; // shrank while reading
      off += n;
    }
    return off === size ? buf : buf.subarray(0, off);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(ioProblem(e), file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Text of a regular file (UTF-8). */
export function readInputText(file: string, limit?: number): string {
  return readInputFile(file, limit).toString('utf8');
}

/** Exactly `length` bytes read at `offset`, or a UserError saying where the file ends. */
export function readExactly(fd: number, file: string, offset: number, length: number): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(length);
  let off = 0;
  while (off < length) {
    const n = fs.readSync(fd, buf, off, length - off, offset + off);
    if (n === 0) throw new UserError(`file ends at byte ${offset + off}, expected ${length} bytes from byte ${offset}`, file);
    off += n;
  }
  return buf;
}
