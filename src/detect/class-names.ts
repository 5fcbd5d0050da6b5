import type { ModelProto } from 'onnx-buf';
import { at } from '../errors.js';

/**
 * Class names from an Ultralytics export's metadata (`names`: "{0: 'person', 1: 'bicycle', ...}", a
 * Python dict literal). Other exporters have none: labels then fall back to class indices.
 */
export function classNames(proto: ModelProto): Map<number, string> {
  const raw = proto.metadataProps.find((p) => p.key === 'names')?.value;
  const names = new Map<number, string>();
  if (!raw) return names;
  for (const m of raw.matchAll(/(\d+)\s*:\s*(['"])(.*?)\2/g)) names.set(Number(m[1]), at(m, 3));
  return names;
}

export function classLabel(names: Map<number, string>, cls: number): string {
  return names.get(cls) ?? String(cls);
}
