"""Feeds onnxruntime's calibration/debug APIs one .npy file per run, loaded lazily, so input
loading is not part of the baselines' memory cost; and the command line every bench/ baseline
script takes (FP32 model, Q/DQ model, list of .npy files, image count). Shared by those scripts."""
import argparse

import numpy as np
from onnxruntime.quantization import CalibrationDataReader


class NpyReader(CalibrationDataReader):
    def __init__(self, files, input_name):
        self.files = iter(files)
        self.input_name = input_name

    def get_next(self):
        f = next(self.files, None)
        return None if f is None else {self.input_name: np.load(f)}


def baseline_args(*extra):
    """Parses FP32 QDQ LIST N [--input-name] plus `extra` (argparse add_argument tuples of (args, kwargs));
    returns (args, the first N .npy files of LIST)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("fp32")
    ap.add_argument("qdq")
    ap.add_argument("list")
    ap.add_argument("n", type=int)
    ap.add_argument("--input-name", default="images")
    for args, kwargs in extra:
        ap.add_argument(*args, **kwargs)
    a = ap.parse_args()
    with open(a.list) as fh:
        files = [l.strip() for l in fh if l.strip()][: a.n]
    return a, files
