"""Feeds onnxruntime's calibration/debug APIs one .npy file per run, loaded lazily, so input
loading is not part of the baselines' memory cost. Shared by the bench/ baseline scripts."""
import numpy as np
from onnxruntime.quantization import CalibrationDataReader


class NpyReader(CalibrationDataReader):
    def __init__(self, files, input_name):
        self.files = iter(files)
        self.input_name = input_name

    def get_next(self):
        f = next(self.files, None)
        return None if f is None else {self.input_name: np.load(f)}
