/**
 * What first touch of memory costs on this machine: fill a freshly allocated 1 GiB buffer (every
 * page faulted in), then fill it again (pages already mapped). bench/README.md §1 explains why this
 * ratio, not the model runs, drove trt-diff's wall time.
 *
 *   npx tsx bench/first-touch.ts [GiB=1] [repeats=3]
 */
const gib = Number(process.argv[2] ?? 1);
const repeats = Number(process.argv[3] ?? 3);
const bytes = gib * 2 ** 30;
for (let r = 0; r < repeats; r++) {
  const buf = Buffer.allocUnsafe(bytes); // large: mmap'ed by the allocator, no page touched yet
  let t = performance.now();
  buf.fill(1);
  const first = (performance.now() - t) / 1000;
  t = performance.now();
  buf.fill(2);
  const again = (performance.now() - t) / 1000;
  console.log(`run ${r + 1}: first touch ${(first / gib).toFixed(2)} s/GiB, same pages again ${(again / gib).toFixed(3)} s/GiB (${(first / again).toFixed(0)}x)`);
}
