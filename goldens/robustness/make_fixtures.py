#!/usr/bin/env python3
"""Robustness fixtures that must come from another tool than trt-diff itself.

    python3 goldens/robustness/make_fixtures.py OUT_DIR

writes
  pyarrow_table.arrow   an Arrow IPC *file* written by pyarrow with an unrelated schema
                        (columns id:int64, label:string, score:float64): valid Arrow, not a dump.
  pyarrow_stream.arrow  the same table in the Arrow IPC *stream* format.
  polars_like.feather   a Feather v2 (= Arrow IPC file, lz4-compressed) table with a "data" column
                        but none of trt-diff's other columns.
Test suites run it into a temp folder (test/robustness/bad-inputs.test.ts) and skip with the
reason when python3 or pyarrow is missing.
"""
import os
import sys

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.ipc as ipc


def main() -> int:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    table = pa.table({"id": pa.array([1, 2, 3], pa.int64()), "label": ["a", "b", "c"], "score": [0.5, 0.25, 0.125]})
    with pa.OSFile(os.path.join(out, "pyarrow_table.arrow"), "wb") as sink, ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    with pa.OSFile(os.path.join(out, "pyarrow_stream.arrow"), "wb") as sink, ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    other = pa.table({"data": pa.array([b"\x00\x00\x80\x3f"], pa.binary()), "note": ["not a dump"]})
    feather.write_feather(other, os.path.join(out, "polars_like.feather"), compression="lz4")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
