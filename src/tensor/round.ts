/**
 * Round half to even (Python's round(), numpy.rint, ONNX QuantizeLinear): halves go to the even
 * neighbour. The one rounding of image preprocessing (the reference preprocessors are Python) and
 * of weight quantization.
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}
