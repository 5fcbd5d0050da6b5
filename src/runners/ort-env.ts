/**
 * ONNX Runtime ≥ 1.2x on Linux and macOS records telemetry events, with a device id it persists in
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime (or, where that cannot be written, in a
 * `:memory:.ses` file in the working directory). A debugger must not phone home or leave traces:
 * telemetry is off unless the user sets ORT_DISABLE_TELEMETRY themselves. ONNX Runtime reads the
 * variable when it creates its environment (the first session), so this module is imported before
 * onnxruntime-node.
 */
process.env.ORT_DISABLE_TELEMETRY ??= '1';
export {};
