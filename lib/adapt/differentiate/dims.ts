// Static symbolic dims: a number, or a product of named dims with a numeric
// factor ('batch', 'sequence', '12*batch*sequence'). Enough algebra for the
// shapes a transformer graph makes: Reshape's 0 and -1, flattening rows for
// a weight gradient, and broadcasting.

export type Dim = number | string;
export type Shape = readonly Dim[];

interface Product {
  factor: number;
  names: string[]; // sorted, with repeats
}

function parse(d: Dim): Product {
  if (typeof d === 'number') return { factor: d, names: [] };
  let factor = 1;
  const names: string[] = [];
  for (const part of d.split('*')) {
    if (/^\d+$/.test(part)) factor *= Number(part);
    else names.push(part);
  }
  return { factor, names: names.sort() };
}

function format(p: Product): Dim {
  if (p.names.length === 0) return p.factor;
  return (p.factor === 1 ? [] : [String(p.factor)]).concat(p.names).join('*');
}

export function dimMul(a: Dim, b: Dim): Dim {
  const x = parse(a);
  const y = parse(b);
  return format({ factor: x.factor * y.factor, names: [...x.names, ...y.names].sort() });
}

/** a / b when it divides exactly; throws otherwise. */
export function dimDiv(a: Dim, b: Dim): Dim {
  const x = parse(a);
  const y = parse(b);
  const names = [...x.names];
  for (const n of y.names) {
    const i = names.indexOf(n);
    if (i < 0) throw new Error(`dim ${a} is not divisible by ${b}`);
    names.splice(i, 1);
  }
  if (y.factor === 0 || x.factor % y.factor !== 0) throw new Error(`dim ${a} is not divisible by ${b}`);
  return format({ factor: x.factor / y.factor, names });
}

export function dimProduct(dims: Shape): Dim {
  return dims.reduce<Dim>((acc, d) => dimMul(acc, d), 1);
}

export function dimEq(a: Dim, b: Dim): boolean {
  return format(parse(a)) === format(parse(b));
}

export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimEq(d, b[i]));
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function shapeText(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Numpy broadcasting of two static symbolic shapes; throws when it cannot tell. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (dimEq(x, y) || y === 1) out.push(x);
    else if (x === 1) out.push(y);
    else throw new Error(`cannot broadcast ${shapeText(a)} with ${shapeText(b)}`);
  }
  return out;
}

/**
 * The axes of `out` that were broadcast to make a tensor of shape `input`:
 * `leading` (absent from the input) and `inner` (1 in the input, not 1 in
 * out). Summing a cotangent over them gives the input's cotangent.
 */
export function broadcastAxes(input: Shape, out: Shape): { leading: number[]; inner: number[] } {
  const offset = out.length - input.length;
  if (offset < 0) throw new Error(`shape ${shapeText(input)} has a higher rank than ${shapeText(out)}`);
  const leading = Array.from({ length: offset }, (_, i) => i);
  const inner: number[] = [];
  input.forEach((d, i) => {
    const o = out[offset + i];
    if (dimEq(d, o)) return;
    if (d === 1) inner.push(offset + i);
    else throw new Error(`shape ${shapeText(input)} does not broadcast to ${shapeText(out)}`);
  });
  return { leading, inner };
}
