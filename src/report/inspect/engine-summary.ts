import { UserError, errorMessage, at } from '../../errors.js';
import { readInputText } from '../../io/input-file.js';
import { termLines } from '../terminal-text.js';

/**
 * TensorRT engine inspector JSON (IEngineInspector::getEngineInformation(kJSON), trtexec
 * --exportLayerInfo, or TREx's *.graph.json), built with ProfilingVerbosity::kDETAILED:
 *   {"Layers": [{"Name", "LayerType", "Inputs": [{"Name", "Dimensions", "Format/Datatype"}], "Outputs": [...],
 *                "ParameterType", "TacticName", "Metadata", ...}], "Bindings": ["images", ...]}
 * Without DETAILED, "Layers" holds only names (strings).
 */
interface Region { Name?: string; Dimensions?: number[]; 'Format/Datatype'?: string }
interface Layer { Name?: string; LayerType?: string; Inputs?: Region[]; Outputs?: Region[]; Metadata?: string; TacticName?: string }

/** Precision named in a "Format/Datatype" string ("Row major linear FP32", "Channel major Int8 format ..."). @internal */
export function precisionOf(format: string | undefined): string {
  const m = /\b(FP8|FP16|Half|BFloat16|FP32|Float|Double|Int8|INT8|UInt8|Int32|INT32|Int64|Bool|BOOL)\b/.exec(format ?? '');
  if (!m) return '?';
  const p = at(m, 1).toUpperCase();
  return ({ HALF: 'FP16', FLOAT: 'FP32', DOUBLE: 'FP64', BFLOAT16: 'BF16' } as Record<string, string>)[p] ?? p;
}

const isReformat = (l: Layer) => l.LayerType === 'Reformat' || /Reformatting CopyNode/i.test(l.Name ?? '');

export interface EngineSummary {
  layers: number;
  detailed: boolean;
  byType: [string, number][];
  /** Layer precision = precision of its first output. */
  byPrecision: [string, number][];
  reformats: { name: string; from: string; to: string }[];
  bindings: string[];
  /** Compute layers (not reformats) that run in a float precision in an engine that also has INT8 layers. */
  floatLayers: string[];
}

/** Largest engine JSON read (TensorRT's for a large model is a few MB; V8 strings end near 512 MB). */
const MAX_ENGINE_JSON = 256 << 20;

/**
 * What makes `doc` unusable as engine inspector JSON, or undefined: the fields read below must have
 * the types TensorRT writes (a list of layer names, or of layer objects whose names, types and
 * formats are strings), so a malformed file is named rather than crashing the summary.
 */
function engineJsonProblem(doc: unknown): string | undefined {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const optString = (o: Record<string, unknown>, k: string) => o[k] === undefined || typeof o[k] === 'string';
  if (!isObj(doc)) return 'the top level is not an object';
  const layers = doc.Layers;
  if (!Array.isArray(layers)) return 'no "Layers" list';
  if (doc.Bindings !== undefined && !(Array.isArray(doc.Bindings) && doc.Bindings.every((b) => typeof b === 'string'))) return '"Bindings" is not a list of names';
  const names = typeof layers[0] === 'string'; // without ProfilingVerbosity DETAILED: a list of names
  for (const [i, l] of layers.entries()) {
    if (names) { if (typeof l !== 'string') return `Layers[${i}] is not a layer name (Layers[0] is one)`; continue; }
    if (!isObj(l)) return `Layers[${i}] is not a layer object`;
    for (const k of ['Name', 'LayerType', 'Metadata', 'TacticName']) if (!optString(l, k)) return `Layers[${i}].${k} is not a string`;
    for (const k of ['Inputs', 'Outputs']) {
      const regions = l[k];
      if (regions === undefined) continue;
      if (!Array.isArray(regions)) return `Layers[${i}].${k} is not a list`;
      for (const [j, r] of regions.entries()) {
        if (!isObj(r) || !optString(r, 'Name') || !optString(r, 'Format/Datatype')) return `Layers[${i}].${k}[${j}] is not a {"Name", "Format/Datatype"} object`;
      }
    }
  }
  return undefined;
}

/** @internal */
export function readEngineJson(file: string): EngineSummary {
  let doc: unknown;
  const text = readInputText(file, MAX_ENGINE_JSON);
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`not valid JSON (${errorMessage(e).replace(/\s*\n\s*/g, ' ')})`, file);
  }
  const problem = engineJsonProblem(doc);
  if (problem) throw new UserError(`not a TensorRT engine inspector JSON (${problem})`, file);
  const layers = (doc as { Layers: (string | Layer)[] }).Layers;
  const bindings = (doc as { Bindings?: string[] }).Bindings ?? [];
  const detailed = layers.length > 0 && typeof layers[0] === 'object';
  const count = (xs: string[]) => [...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].sort((a, b) => b[1] - a[1]);
  if (!detailed) return { layers: layers.length, detailed, byType: [], byPrecision: [], reformats: [], bindings, floatLayers: [] };
  const ls = layers as Layer[];
  const precision = (l: Layer) => precisionOf(l.Outputs?.[0]?.['Format/Datatype']);
  const compute = ls.filter((l) => !isReformat(l));
  const hasInt8 = compute.some((l) => precision(l) === 'INT8');
  return {
    layers: ls.length, detailed, bindings,
    byType: count(ls.map((l) => l.LayerType ?? '?')),
    byPrecision: count(compute.map(precision)),
    reformats: ls.filter(isReformat).map((l) => ({ name: l.Name ?? '?', from: l.Inputs?.[0]?.['Format/Datatype'] ?? '?', to: l.Outputs?.[0]?.['Format/Datatype'] ?? '?' })),
    floatLayers: hasInt8 ? compute.filter((l) => ['FP32', 'FP16', 'BF16'].includes(precision(l)) && !/^(Shuffle|NoOp|Constant)$/.test(l.LayerType ?? '')).map((l) => `${l.Name} (${l.LayerType}, ${precision(l)})`) : [],
  };
}

export function renderEngineSummary(file: string): string {
  const s = readEngineJson(file);
  if (!s.detailed) {
    return termLines([file, `  ${s.layers} layers, names only: rebuild with ProfilingVerbosity DETAILED (trtexec --profilingVerbosity=detailed) for precisions and formats`]);
  }
  const lines = [
    file,
    `  ${s.layers} layers (${s.layers - s.reformats.length} compute, ${s.reformats.length} reformat); bindings: ${s.bindings.join(', ') || 'not listed'}`,
    `  layer types: ${s.byType.map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  precision (of each compute layer's output): ${s.byPrecision.map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  if (s.floatLayers.length) lines.push(`  float layers in an INT8 engine (${s.floatLayers.length}):`, ...s.floatLayers.slice(0, 20).map((l) => `    ${l}`), ...(s.floatLayers.length > 20 ? [`    … ${s.floatLayers.length - 20} more`] : []));
  if (s.reformats.length) lines.push(`  reformat layers (${s.reformats.length}; each is a memory copy, often at INT8↔float boundaries):`, ...s.reformats.slice(0, 20).map((r) => `    ${r.name}: ${r.from} → ${r.to}`), ...(s.reformats.length > 20 ? [`    … ${s.reformats.length - 20} more`] : []));
  return termLines(lines);
}
