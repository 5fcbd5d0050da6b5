/**
 * A set of ONNX node names as flags for the tools that build INT8 engines, so a bisect result can
 * be pasted into the quantization or build step:
 *   - ModelOpt (`python -m modelopt.onnx.quantization`): `--nodes_to_exclude` takes regexes matched
 *     against node names; names are anchored and escaped so each matches exactly one node.
 *   - trtexec: `--layerPrecisions=name:fp32,...` (with `--precisionConstraints=obey`); TensorRT names
 *     layers after ONNX nodes. Ignored by strongly typed networks (TensorRT 11): use the fixed model.
 *   - Polygraphy `convert`/`run`: `--layer-precisions name:float32 ...` (with `--precision-constraints obey`).
 */
export interface ExportFlags {
  modelopt: string;
  trtexec: string;
  polygraphy: string;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** POSIX shell single-quoting. */
function shellQuote(s: string): string {
  return /^[\w./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function exportFlags(nodes: readonly string[]): ExportFlags {
  if (nodes.length === 0) return { modelopt: '', trtexec: '', polygraphy: '' };
  return {
    modelopt: `--nodes_to_exclude ${nodes.map((n) => shellQuote(`^${escapeRegex(n)}$`)).join(' ')}`,
    trtexec: `--precisionConstraints=obey ${shellQuote(`--layerPrecisions=${nodes.map((n) => `${n}:fp32`).join(',')}`)}`,
    polygraphy: `--precision-constraints obey --layer-precisions ${nodes.map((n) => shellQuote(`${n}:float32`)).join(' ')}`,
  };
}
