/**
 * Split the tensors to fetch into groups whose total size stays under a budget, so that one model
 * run never returns more than `budget` bytes of activations. Sizes are learned from earlier runs;
 * while a size is unknown the tensor counts as `unknownSize` (a conservative guess that makes the
 * first sample use many small groups and later samples few large ones).
 */
export function planGroups(names: readonly string[], sizes: ReadonlyMap<string, number>, budget?: number, unknownSize?: number): string[][] {
  if (!budget || budget <= 0) return [names.slice()];
  const guess = unknownSize ?? Math.max(1, Math.floor(budget / 16));
  const groups: string[][] = [];
  let cur: string[] = [];
  let used = 0;
  for (const n of names) {
    const s = sizes.get(n) ?? guess;
    if (cur.length > 0 && used + s > budget) { groups.push(cur); cur = []; used = 0; }
    cur.push(n);
    used += s;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}
