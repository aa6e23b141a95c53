// The differentiation IR: the nodes a GraphBuilder has recorded, with a
// static type and symbolic shape for every tensor, and helpers that emit new
// nodes (gradients) into the same builder with their shapes inferred too.
//
// Two rewrites happen as nodes are emitted, because gradient rules produce
// them naturally and ORT would otherwise run them: a Transpose of a
// Transpose becomes one (or none), and the 2-D transpose of a Gemm becomes
// the Gemm of the swapped operands. Nodes left unused by a rewrite are
// dropped by GraphBuilder.removeDeadNodes once the graph is complete.
import type { AttrValue, GraphBuilder, GraphNode } from '../../forge/onnx/graph-builder.js';
import { DataType } from '../../forge/onnx/schema.js';
import { broadcastAxes, isStatic, type Dim } from './dims.js';
import { inferNode, type TensorMeta } from './shapes.js';

export const FLOAT_TYPES: readonly DataType[] = [DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16];

export class Tape {
  readonly #meta = new Map<string, TensorMeta>();
  readonly #producer = new Map<string, GraphNode>();
  readonly #constants = new Map<string, string>();
  readonly #shapes = new Map<string, string>();
  readonly #exported = new Map<string, string>(); // tensor -> the output it was renamed to
  #synced = 0;
  #counter = 0;

  constructor(
    readonly g: GraphBuilder,
    readonly prefix = 'ad',
  ) {
    this.sync();
  }

  /** Infers every node the builder has gained since the last call. */
  sync(): void {
    const nodes = this.g.nodes;
    for (; this.#synced < nodes.length; this.#synced++) {
      const node = nodes[this.#synced];
      const ins = node.inputs.map((i) => (i === '' ? undefined : this.meta(i)));
      const outs = inferNode(node, ins);
      node.outputs.forEach((o, k) => {
        if (outs[k]) this.#meta.set(o, outs[k]);
        this.#producer.set(o, node);
      });
    }
  }

  /** The type and shape of a tensor: a graph input, an initializer or a node output. */
  meta(name: string): TensorMeta {
    let m = this.#meta.get(name);
    const input = m ? undefined : this.g.inputs.find((v) => v.name === name);
    if (input) {
      m = { dtype: input.elemType, shape: input.dims.map((d) => d.param ?? d.value ?? 0) };
      this.#meta.set(name, m);
    }
    if (!m) {
      const init = this.g.initializerInfo(name);
      if (!init) throw new Error(`unknown tensor ${name}`);
      const small = init.data instanceof BigInt64Array && init.dims.length <= 1 && init.data.length <= 16;
      m = { dtype: init.dataType, shape: [...init.dims], value: small ? Array.from(init.data as BigInt64Array, Number) : undefined };
      this.#meta.set(name, m);
    }
    return m;
  }

  /** The node that produced `name`, if a node did. */
  producer(name: string): GraphNode | undefined {
    return this.#producer.get(name);
  }

  isFloat(name: string): boolean {
    return FLOAT_TYPES.includes(this.meta(name).dtype);
  }

  emit(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}): string {
    const out = this.g.node(op, inputs, attrs);
    this.sync();
    return out;
  }

  emitOutputs(op: string, inputs: string[], count: number, attrs: Record<string, AttrValue> = {}): string[] {
    const outs = this.g.nodeOutputs(op, inputs, count, attrs);
    this.sync();
    return outs;
  }

  /**
   * Makes tensor `name` a graph output called `as`: the producing node's
   * output is renamed (no copy), unless `name` is not a node output or is
   * already exported or used by other exports, where an Identity is added.
   */
  exportAs(name: string, as: string): string {
    const current = this.#exported.get(name) ?? name;
    const node = this.producer(current);
    const declared = this.g.outputs.some((o) => o.name === current);
    if (node && !declared && !this.#exported.has(name)) {
      this.g.rename(name, as);
      this.#meta.set(as, this.meta(name));
      this.#producer.set(as, node);
      this.#producer.delete(name);
      this.#exported.set(name, as);
    } else {
      this.g.node('Identity', [current], {}, { output: as });
      this.sync();
    }
    this.output(as);
    return as;
  }

  /**
   * The optional outputs k.. of a node that has fewer (LayerNormalization's
   * Mean and InvStdDev, say), added to it now if a rule needs them.
   */
  optionalOutputs(node: GraphNode, from: number, count: number): string[] {
    if (node.outputs.length < from + count) {
      this.g.appendOutputs(node.outputs[0], from + count - node.outputs.length);
      const outs = inferNode(
        node,
        node.inputs.map((i) => (i === '' ? undefined : this.meta(i))),
      );
      node.outputs.forEach((o, k) => {
        if (outs[k]) this.#meta.set(o, outs[k]);
        this.#producer.set(o, node);
      });
    }
    return node.outputs.slice(from, from + count);
  }

  /** Declares `name` a graph output with its inferred type and shape (symbolic dims by name). */
  output(name: string): void {
    const m = this.meta(name);
    this.g.output(
      name,
      m.dtype,
      m.shape.map((d) => (typeof d === 'number' ? { value: d } : { param: d })),
    );
  }

  // ---------------------------------------------------------------- constants
  /** A scalar constant of `dtype` (float, double, int64, uint32), made once per value. */
  scalar(value: number, dtype: DataType): string {
    const key = `${dtype}:${value}`;
    let name = this.#constants.get(key);
    if (!name) {
      name = `${this.prefix}_c${this.#counter++}`;
      const data =
        dtype === DataType.DOUBLE
          ? Float64Array.of(value)
          : dtype === DataType.FLOAT
            ? Float32Array.of(value)
            : dtype === DataType.INT64
              ? BigInt64Array.of(BigInt(value))
              : dtype === DataType.UINT32
                ? Uint32Array.of(value)
                : undefined;
      if (!data) throw new Error(`no scalar constants of type ${dtype}`);
      this.g.initializer(name, [], data);
      this.#constants.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (axes, shapes). */
  ints(values: readonly number[]): string {
    const key = `ints:${values.join(',')}`;
    let name = this.#constants.get(key);
    if (!name) {
      name = `${this.prefix}_c${this.#counter++}`;
      this.g.initializer(name, [values.length], BigInt64Array.from(values, BigInt));
      this.#constants.set(key, name);
    }
    return name;
  }

  /** A constant with the type of `like`. */
  like(like: string, value: number): string {
    return this.scalar(value, this.meta(like).dtype);
  }

  // ---------------------------------------------------------------- ops
  add = (a: string, b: string) => this.emit('Add', [a, b]);
  sub = (a: string, b: string) => this.emit('Sub', [a, b]);
  mul = (a: string, b: string) => this.emit('Mul', [a, b]);
  div = (a: string, b: string) => this.emit('Div', [a, b]);
  neg = (a: string) => this.emit('Neg', [a]);

  /** A tensor's runtime shape, made once per tensor. */
  shapeOf(x: string): string {
    let s = this.#shapes.get(x);
    if (!s) {
      s = this.emit('Shape', [x]);
      this.#shapes.set(x, s);
    }
    return s;
  }

  /** `x` reshaped to `like`'s shape: a constant shape when it is static. */
  reshapeLike(x: string, like: string): string {
    const shape = this.meta(like).shape;
    return this.emit('Reshape', [x, isStatic(shape) ? this.ints(shape) : this.shapeOf(like)]);
  }

  reshape(x: string, shape: readonly number[]): string {
    return this.emit('Reshape', [x, this.ints(shape)]);
  }

  reduceSum(x: string, axes: readonly number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    return this.emit('ReduceSum', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  reduceMean(x: string, axes: readonly number[], keepdims: boolean): string {
    return this.emit('ReduceMean', [x, this.ints(axes)], { keepdims: keepdims ? 1 : 0 });
  }

  /** Sums a cotangent over the axes broadcasting added, back to `shape`. */
  sumTo(dy: string, shape: readonly Dim[]): string {
    const { leading, inner } = broadcastAxes(shape, this.meta(dy).shape);
    return this.reduceSum(this.reduceSum(dy, inner, true), leading, false);
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.emit('Unsqueeze', [x, this.ints(axes)]);
  }

  cast(x: string, to: DataType): string {
    return this.meta(x).dtype === to ? x : this.emit('Cast', [x], { to });
  }

  /** Zeros shaped like `x`. */
  zerosLike(x: string): string {
    const shape = this.meta(x).shape;
    const dims = isStatic(shape) ? this.ints(shape) : this.shapeOf(x);
    return this.emit('Expand', [this.like(x, 0), dims]);
  }

  matmul(a: string, b: string): string {
    return this.emit('MatMul', [a, b]);
  }

  gemm(a: string, b: string, transA: boolean, transB: boolean): string {
    const attrs: Record<string, AttrValue> = {};
    if (transA) attrs.transA = 1;
    if (transB) attrs.transB = 1;
    return this.emit('Gemm', [a, b], attrs);
  }

  /** Transpose, folding into the producer when it is a Transpose or a plain 2-D Gemm. */
  transpose(x: string, perm: readonly number[]): string {
    if (perm.every((p, i) => p === i)) return x;
    const p = this.producer(x);
    if (p?.opType === 'Transpose') {
      const inner = p.attrs.perm as number[];
      return this.transpose(
        p.inputs[0],
        perm.map((i) => inner[i]),
      );
    }
    const plain = p?.opType === 'Gemm' && p.inputs.length === 2 && (p.attrs.alpha ?? 1) === 1;
    if (plain && perm.length === 2) {
      // (op(A) op(B))^T = op(B)^T op(A)^T
      return this.gemm(p.inputs[1], p.inputs[0], !(p.attrs.transB === 1), !(p.attrs.transA === 1));
    }
    return this.emit('Transpose', [x], { perm: [...perm] });
  }

  /** Swaps the last two axes. */
  swapLast(x: string): string {
    const r = this.meta(x).shape.length;
    return this.transpose(x, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]);
  }
}
