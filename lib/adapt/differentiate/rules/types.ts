// What a vector-Jacobian rule sees and returns.
import type { GraphNode } from '../../../forge/onnx/graph-builder.js';
import type { Tape } from '../tape.js';

/**
 * An embedding table's cotangent as the rows it gathered: row k of `rows`
 * belongs to table row `indices[k]` (summed by index outside the graph, or
 * by ScatterND inside it).
 */
export interface SparseRows {
  kind: 'rows';
  /** [n, ...row shape] */
  rows: string;
  /** [n] int64 */
  indices: string;
}

export type Cotangent = string | SparseRows | undefined;

export interface VjpContext {
  tape: Tape;
  node: GraphNode;
  /** The cotangent of each output; undefined where it is zero. */
  dys: readonly (string | undefined)[];
  /** Which inputs need a cotangent (requires grad and reaches the output). */
  needs: readonly boolean[];
  /** True when a table gathered by this node may return SparseRows (a graph input asked for by name). */
  sparseTable: boolean;
}

/** One rule per op: the cotangent of each input (undefined where not needed). */
export type VjpRule = (ctx: VjpContext) => Cotangent[];

/** The cotangent of output 0, which every rule below needs. */
export function dy0(ctx: VjpContext): string {
  const dy = ctx.dys[0];
  if (dy === undefined) throw new Error(`${ctx.node.opType} ${ctx.node.name}: no cotangent for its output`);
  return dy;
}
