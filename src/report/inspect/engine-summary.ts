import * as fs from 'node:fs';
import { UserError, errorMessage } from '../../errors.js';

/**
 * TensorRT engine inspector JSON (IEngineInspector::getEngineInformation(kJSON), trtexec
 * --exportLayerInfo, or TREx's *.graph.json), built with ProfilingVerbosity::kDETAILED:
 *   {"Layers": [{"Name", "LayerType", "Inputs": [{"Name", "Dimensions", "Format/Datatype"}], "Outputs": [...],
 *                "ParameterType", "TacticName", "Metadata", ...}], "Bindings": ["images", ...]}
 * Without DETAILED, "Layers" holds only names (strings).
 */
interface Region { Name?: string; Dimensions?: number[]; 'Format/Datatype'?: string }
interface Layer { Name?: string; LayerType?: string; Inputs?: Region[]; Outputs?: Region[]; Metadata?: string; TacticName?: string }

/** Precision named in a "Format/Datatype" string ("Row major linear FP32", "Channel major Int8 format ..."). */
export function precisionOf(format: string | undefined): string {
  const m = /\b(FP8|FP16|Half|BFloat16|FP32|Float|Double|Int8|INT8|UInt8|Int32|INT32|Int64|Bool|BOOL)\b/.exec(format ?? '');
  if (!m) return '?';
  const p = m[1]!.toUpperCase();
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

export function readEngineJson(file: string): EngineSummary {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError((e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : `not valid JSON (${errorMessage(e)})`, file);
  }
  const layers = (doc as { Layers?: unknown }).Layers;
  if (!Array.isArray(layers)) throw new UserError('not a TensorRT engine inspector JSON (no "Layers" list)', file);
  const bindings = ((doc as { Bindings?: unknown }).Bindings as string[] | undefined) ?? [];
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
    return `${file}\n  ${s.layers} layers, names only: rebuild with ProfilingVerbosity DETAILED (trtexec --profilingVerbosity=detailed) for precisions and formats`;
  }
  const lines = [
    file,
    `  ${s.layers} layers (${s.layers - s.reformats.length} compute, ${s.reformats.length} reformat); bindings: ${s.bindings.join(', ') || 'not listed'}`,
    `  layer types: ${s.byType.map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `  precision (of each compute layer's output): ${s.byPrecision.map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  if (s.floatLayers.length) lines.push(`  float layers in an INT8 engine (${s.floatLayers.length}):`, ...s.floatLayers.slice(0, 20).map((l) => `    ${l}`), ...(s.floatLayers.length > 20 ? [`    … ${s.floatLayers.length - 20} more`] : []));
  if (s.reformats.length) lines.push(`  reformat layers (${s.reformats.length}; each is a memory copy, often at INT8↔float boundaries):`, ...s.reformats.slice(0, 20).map((r) => `    ${r.name}: ${r.from} → ${r.to}`), ...(s.reformats.length > 20 ? [`    … ${s.reformats.length - 20} more`] : []));
  return lines.join('\n');
}
