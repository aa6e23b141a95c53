// Static shape and type inference for the ops the training graph uses, one
// entry per op. Small int64 tensors also carry their values when known
// (constants, Shape outputs and what is gathered or concatenated from them),
// so Reshape targets and Range lengths resolve to symbolic dims.
import type { AttrValue, GraphNode } from '../../forge/onnx/graph-builder.js';
import { DataType } from '../../forge/onnx/schema.js';
import { broadcastShapes, dimDiv, dimMul, dimProduct, shapeText, type Dim } from './dims.js';

export interface TensorMeta {
  readonly dtype: DataType;
  readonly shape: readonly Dim[];
  /** The values of a small int64 tensor (rank 0 or 1) when known. */
  readonly value?: readonly Dim[];
}

export type Infer = (node: GraphNode, ins: (TensorMeta | undefined)[]) => TensorMeta[];

const int = (attrs: Readonly<Record<string, AttrValue>>, key: string, fallback: number): number => {
  const v = attrs[key];
  return typeof v === 'number' ? v : fallback;
};

function need(ins: (TensorMeta | undefined)[], i: number, node: GraphNode): TensorMeta {
  const m = ins[i];
  if (!m) throw new Error(`${node.opType} ${node.name}: input ${i} is unknown`);
  return m;
}

function valueOf(m: TensorMeta | undefined, node: GraphNode, what: string): readonly Dim[] {
  if (!m?.value) throw new Error(`${node.opType} ${node.name}: ${what} must be known when the graph is built`);
  return m.value;
}

function numbers(m: TensorMeta | undefined, node: GraphNode, what: string): number[] {
  const v = valueOf(m, node, what);
  if (!v.every((d) => typeof d === 'number')) throw new Error(`${node.opType} ${node.name}: ${what} must be constant`);
  return v as number[];
}

const axis = (a: number, rank: number) => (a < 0 ? a + rank : a);

let fresh = 0;
/** A dim nothing else can be equal to (a Range of unknown length, say). */
const unknownDim = (): Dim => `unknown${fresh++}`;

const same: Infer = (node, ins) => [{ ...need(ins, 0, node), value: node.opType === 'Identity' ? ins[0]?.value : undefined }];

const binary: Infer = (node, ins) => {
  const [a, b] = [need(ins, 0, node), need(ins, 1, node)];
  const shape = broadcastShapes(a.shape, b.shape);
  let value: Dim[] | undefined;
  // Shape arithmetic on known values (elementwise, same length or scalar).
  if (a.value && b.value && a.shape.length <= 1 && b.shape.length <= 1) {
    const n = Math.max(a.value.length, b.value.length);
    const at = (v: readonly Dim[], i: number) => (v.length === 1 ? v[0] : v[i]);
    const op = node.opType;
    value = [];
    for (let i = 0; i < n; i++) {
      const x = at(a.value, i);
      const y = at(b.value, i);
      if (op === 'Mul') value.push(dimMul(x, y));
      else if (typeof x === 'number' && typeof y === 'number' && (op === 'Add' || op === 'Sub')) value.push(op === 'Add' ? x + y : x - y);
      else if (op === 'Div' && typeof x === 'number' && typeof y === 'number') value.push(Math.trunc(x / y));
      else {
        value = undefined;
        break;
      }
    }
  }
  return [{ dtype: a.dtype, shape, value }];
};

const compare: Infer = (node, ins) => [
  { dtype: DataType.BOOL, shape: broadcastShapes(need(ins, 0, node).shape, need(ins, 1, node).shape) },
];

function reduced(node: GraphNode, ins: (TensorMeta | undefined)[]): TensorMeta {
  const x = need(ins, 0, node);
  const keep = int(node.attrs, 'keepdims', 1) === 1;
  const given = ins[1] ? numbers(ins[1], node, 'axes') : typeof node.attrs.axes === 'object' ? (node.attrs.axes as number[]) : [];
  const axes = (given.length === 0 ? x.shape.map((_, i) => i) : given).map((a) => axis(a, x.shape.length));
  const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
  const value = node.opType === 'ReduceProd' && x.value && x.shape.length === 1 && axes.length === 1 ? [dimProduct(x.value)] : undefined;
  return { dtype: x.dtype, shape, value: value && !keep ? value : undefined };
}

export const INFER: Record<string, Infer> = {
  Add: binary,
  Sub: binary,
  Mul: binary,
  Div: binary,
  Pow: binary,
  BitwiseXor: binary,
  BitwiseOr: binary,
  BitwiseAnd: binary,
  BitShift: binary,
  Equal: compare,
  Less: compare,
  Greater: compare,
  GreaterOrEqual: compare,
  LessOrEqual: compare,
  Not: same,
  Neg: same,
  Exp: same,
  Erf: same,
  Gelu: same,
  Tanh: same,
  Sqrt: same,
  Reciprocal: same,
  Identity: same,
  Softmax: same,
  CumSum: same,
  Cast: (node, ins) => {
    const x = need(ins, 0, node);
    const to = node.attrs.to as DataType;
    const ints = [DataType.INT64, DataType.INT32];
    return [{ dtype: to, shape: x.shape, value: ints.includes(to) && ints.includes(x.dtype) ? x.value : undefined }];
  },
  Where: (node, ins) => {
    const [c, a, b] = [need(ins, 0, node), need(ins, 1, node), need(ins, 2, node)];
    return [{ dtype: a.dtype, shape: broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape)) }];
  },
  MatMul: (node, ins) => {
    const [a, b] = [need(ins, 0, node), need(ins, 1, node)];
    if (a.shape.length < 2 || b.shape.length < 2) throw new Error(`MatMul ${node.name}: 1-D operands are not supported`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
    return [{ dtype: a.dtype, shape: [...batch, a.shape[a.shape.length - 2], b.shape[b.shape.length - 1]] }];
  },
  Gemm: (node, ins) => {
    const [a, b] = [need(ins, 0, node), need(ins, 1, node)];
    const m = int(node.attrs, 'transA', 0) ? a.shape[1] : a.shape[0];
    const n = int(node.attrs, 'transB', 0) ? b.shape[0] : b.shape[1];
    return [{ dtype: a.dtype, shape: [m, n] }];
  },
  Gather: (node, ins) => {
    const [data, idx] = [need(ins, 0, node), need(ins, 1, node)];
    const ax = axis(int(node.attrs, 'axis', 0), data.shape.length);
    const shape = [...data.shape.slice(0, ax), ...idx.shape, ...data.shape.slice(ax + 1)];
    let value: Dim[] | undefined;
    if (data.value && data.shape.length === 1 && idx.value) {
      value = idx.value.map((i) => (typeof i === 'number' ? data.value![axis(i, data.value!.length)] : unknownDim()));
    }
    return [{ dtype: data.dtype, shape, value }];
  },
  Shape: (node, ins) => {
    const x = need(ins, 0, node);
    return [{ dtype: DataType.INT64, shape: [x.shape.length], value: x.shape }];
  },
  Range: (node, ins) => {
    const [s, l, d] = [ins[0]?.value?.[0], ins[1]?.value?.[0], ins[2]?.value?.[0]];
    let n: Dim = unknownDim();
    if (s === 0 && d === 1 && l !== undefined) n = l;
    else if (typeof s === 'number' && typeof l === 'number' && typeof d === 'number') n = Math.max(0, Math.ceil((l - s) / d));
    return [{ dtype: need(ins, 0, node).dtype, shape: [n] }];
  },
  Reshape: (node, ins) => {
    const x = need(ins, 0, node);
    const target = valueOf(ins[1], node, 'the target shape');
    const allowZero = int(node.attrs, 'allowzero', 0) === 1;
    const shape = target.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
    const minus = shape.indexOf(-1);
    if (minus >= 0) shape[minus] = dimDiv(dimProduct(x.shape), dimProduct(shape.filter((_, i) => i !== minus)));
    return [{ dtype: x.dtype, shape, value: x.value && shape.length <= 1 ? x.value : undefined }];
  },
  Transpose: (node, ins) => {
    const x = need(ins, 0, node);
    const perm = (node.attrs.perm as number[] | undefined) ?? x.shape.map((_, i) => x.shape.length - 1 - i);
    return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]) }];
  },
  Unsqueeze: (node, ins) => {
    const x = need(ins, 0, node);
    const rank = x.shape.length + numbers(ins[1], node, 'axes').length;
    const axes = numbers(ins[1], node, 'axes').map((a) => axis(a, rank));
    const shape: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[k++]);
    return [{ dtype: x.dtype, shape, value: x.value && rank <= 1 ? x.value : undefined }];
  },
  Squeeze: (node, ins) => {
    const x = need(ins, 0, node);
    const axes = numbers(ins[1], node, 'axes').map((a) => axis(a, x.shape.length));
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)), value: x.value }];
  },
  Concat: (node, ins) => {
    const first = need(ins, 0, node);
    const ax = axis(int(node.attrs, 'axis', 0), first.shape.length);
    const all = ins.map((_, i) => need(ins, i, node));
    const shape = first.shape.map((d, i) =>
      i === ax
        ? all.reduce<Dim>(
            (s, m) => (typeof s === 'number' && typeof m.shape[i] === 'number' ? s + (m.shape[i] as number) : unknownDim()),
            0,
          )
        : d,
    );
    const value = first.shape.length === 1 && all.every((m) => m.value) ? all.flatMap((m) => m.value!) : undefined;
    if (value) shape[0] = value.length;
    return [{ dtype: first.dtype, shape, value }];
  },
  // Constant starts/steps; a slice from 0 with step 1 to a known end has that end as its size.
  Slice: (node, ins) => {
    const x = need(ins, 0, node);
    const starts = ins[1]?.value;
    const ends = ins[2]?.value;
    const axes = ins[3] ? numbers(ins[3], node, 'axes') : x.shape.map((_, i) => i).slice(0, starts?.length ?? 0);
    const steps = ins[4] ? numbers(ins[4], node, 'steps') : axes.map(() => 1);
    const shape = [...x.shape];
    axes.forEach((a, k) => {
      const ax = axis(a, x.shape.length);
      shape[ax] = starts?.[k] === 0 && steps[k] === 1 && ends?.[k] !== undefined ? ends[k] : unknownDim();
    });
    return [{ dtype: x.dtype, shape }];
  },
  ReduceSum: (node, ins) => [reduced(node, ins)],
  ReduceMean: (node, ins) => [reduced(node, ins)],
  ReduceProd: (node, ins) => [reduced(node, ins)],
  ReduceMax: (node, ins) => [reduced(node, ins)],
  LayerNormalization: (node, ins) => {
    const x = need(ins, 0, node);
    const ax = axis(int(node.attrs, 'axis', -1), x.shape.length);
    const stats = { dtype: DataType.FLOAT, shape: x.shape.map((d, i) => (i < ax ? d : 1)) };
    return [{ dtype: x.dtype, shape: x.shape }, stats, stats];
  },
  Expand: (node, ins) => {
    const x = need(ins, 0, node);
    return [{ dtype: x.dtype, shape: broadcastShapes(x.shape, valueOf(ins[1], node, 'the target shape')) }];
  },
  ScatterElements: (node, ins) => [{ ...need(ins, 0, node), value: undefined }],
  ScatterND: (node, ins) => [{ ...need(ins, 0, node), value: undefined }],
};

/** Infers a node's outputs; throws naming the op when it has no entry. */
export function inferNode(node: GraphNode, ins: (TensorMeta | undefined)[]): TensorMeta[] {
  const f = INFER[node.opType];
  if (!f) throw new Error(`no shape inference for ${node.opType} (node ${node.name})`);
  try {
    return f(node, ins);
  } catch (e) {
    const why = (e as Error).message;
    throw new Error(
      why.includes(node.name)
        ? why
        : `${node.opType} ${node.name} (inputs ${ins.map((m) => (m ? shapeText(m.shape) : '-')).join(', ')}): ${why}`,
    );
  }
}
