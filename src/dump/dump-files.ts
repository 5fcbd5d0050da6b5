// No apache-arrow import here: runs without dumps must not pay for loading it.
/** The files of a --dump folder for `candidates` INT8 models: fp32.arrow, then int8.arrow or int8-<k>.arrow. */
export function dumpFileNames(candidates: number): string[] {
  return ['fp32.arrow', ...Array.from({ length: candidates }, (_, k) => (candidates === 1 ? 'int8.arrow' : `int8-${k + 1}.arrow`))];
}
