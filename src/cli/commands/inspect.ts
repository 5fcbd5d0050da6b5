import * as path from 'node:path';
import type { Argv } from 'yargs';
import Table from 'cli-table3';
import { openDump } from '../../dump/arrow-dump-reader.js';
import { loadModel } from '../../graph/onnx-model.js';
import { indexGraph } from '../../graph/graph-index.js';
import { countActivationQuantizers } from '../../graph/qdq.js';
import { shapeString } from '../../tensor/tensor.js';
import { UserError } from '../../errors.js';

interface InspectArgs { file: string; [k: string]: unknown }

/** Inspectors by file kind; other modules (cache, engine JSON) add theirs here. */
export const INSPECTORS: { test: (file: string) => boolean; inspect: (file: string) => Promise<string> }[] = [
  { test: (f) => /\.(arrow|feather)$/i.test(f), inspect: inspectDump },
  { test: (f) => /\.onnx$/i.test(f), inspect: inspectModel },
];

export async function inspectDump(file: string): Promise<string> {
  const dump = await openDump(file);
  const lines = [`${file}`, ...Object.entries(dump.info.metadata).map(([k, v]) => `  ${k}: ${v}`)];
  const table = new Table({ head: ['sample', 'tensor', 'dtype', 'shape', 'bytes'], style: { head: [], border: [], compact: true } });
  let n = 0, bytes = 0;
  for await (const e of dump.entries()) {
    n++; bytes += e.tensor.data.byteLength;
    table.push([path.basename(e.sample), e.tensor.name, e.tensor.dtype, shapeString(e.tensor.shape), String(e.tensor.data.byteLength)]);
  }
  lines.push(`  ${n} tensors, ${(bytes / 1e6).toFixed(1)} MB`);
  return `${lines.join('\n')}\n${table.toString()}`;
}

export async function inspectModel(file: string): Promise<string> {
  const m = loadModel(file);
  const g = indexGraph(m.proto.graph!);
  const ops = new Map<string, number>();
  for (const n of g.nodes) ops.set(n.opType, (ops.get(n.opType) ?? 0) + 1);
  const io = (names: string[]) => names.map((n) => {
    const v = [...m.proto.graph!.input, ...m.proto.graph!.output].find((x) => x.name === n);
    const tt = v?.type?.value.case === 'tensorType' ? v.type.value.value : undefined;
    const dims = tt?.shape?.dim.map((d) => (d.value.case === 'dimValue' ? Number(d.value.value) : d.value.case === 'dimParam' ? d.value.value : '?')) ?? [];
    return `${n} ${g.declaredType.get(n) ?? '?'}${shapeString(dims)}`;
  });
  const opset = m.proto.opsetImport.map((o) => `${o.domain || 'ai.onnx'}:${o.version}`).join(', ');
  return [
    file,
    `  IR ${m.proto.irVersion}, opset ${opset}, producer ${m.proto.producerName} ${m.proto.producerVersion}`,
    `  inputs:  ${io(g.inputs).join('; ')}`,
    `  outputs: ${io(g.outputs).join('; ')}`,
    `  ${g.nodes.length} nodes, ${g.initializers.size} initializers, ${countActivationQuantizers(g)} activation QuantizeLinear`,
    `  ops: ${[...ops].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ].join('\n');
}

export const command = {
  command: 'inspect <file>',
  describe: 'describe a model (.onnx) or a dump (.arrow)',
  builder: <T>(y: Argv<T>) => y.positional('file', { type: 'string', demandOption: true }),
  handler: async (argv: InspectArgs) => {
    const i = INSPECTORS.find((x) => x.test(argv.file));
    if (!i) throw new UserError('unknown file kind (expected .onnx or .arrow)', argv.file);
    process.stdout.write(`${await i.inspect(argv.file)}\n`);
  },
};
