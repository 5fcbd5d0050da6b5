#!/usr/bin/env python3
"""Recompute a trt-diff dump's per-batch checksums independently of trt-diff.

    python3 goldens/robustness/dump_checksums.py DUMP.arrow [...]

For each record batch, CRC-32 (zlib) over: sample, name, dtype, pair as UTF-8 each followed by a
0 byte, the shape as int32 little-endian, then the data bytes (src/dump/row-checksum.ts); compared
with the footer schema's trtdiff.crc32 list. Prints "<file>: N of M batches match"; exit 1 on any
mismatch. Used by test/robustness/hostile-inputs.test.ts.
"""
import os
import struct
import sys
import zlib

import pyarrow.ipc as ipc


def row_crc(row: dict) -> int:
    c = 0
    for key in ("sample", "name", "dtype", "pair"):
        c = zlib.crc32(b"\0", zlib.crc32(row[key].encode("utf-8"), c))
    c = zlib.crc32(struct.pack(f"<{len(row['shape'])}i", *row["shape"]), c)
    return zlib.crc32(row["data"], c)


def main() -> int:
    bad = 0
    for path in sys.argv[1:]:
        reader = ipc.open_file(path)
        sums = reader.schema.metadata[b"trtdiff.crc32"].decode().split(",")
        n = reader.num_record_batches
        ok = sum(1 for i in range(n) if f"{row_crc(reader.get_batch(i).to_pylist()[0]):08x}" == sums[i])
        print(f"{os.path.basename(path)}: {ok} of {n} batches match")
        bad += n - ok + abs(len(sums) - n)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
