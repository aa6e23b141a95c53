// The reverse pass over the recorded forward nodes: which tensors need a
// gradient (forward from the inputs asked for, through float tensors only,
// so index, mask and shape subgraphs are never differentiated), which of
// those reach the output, then one rule per node in reverse order, with
// cotangents summed by Add where a tensor fans out.
import { RULES, type SparseRows } from './rules/index.js';
import { FLOAT_TYPES, type Tape } from './tape.js';

/** The gradient of one input: dense, and/or gathered table rows (see SparseRows). */
export interface Gradient {
  dense?: string;
  sparse: SparseRows[];
}

export interface BackwardOptions {
  /** The cotangent of the output; default ones (1 for a scalar loss). */
  seed?: string;
  /**
   * Tables among `wrt` gathered along axis 0: 'rows' returns the gathered
   * rows' cotangents with their indices (summed by index outside the graph),
   * 'scatter' sums them into a dense table in the graph (ScatterND add).
   * Default 'rows'.
   */
  tables?: 'rows' | 'scatter';
}

export function backward(tape: Tape, output: string, wrt: readonly string[], options: BackwardOptions = {}): Map<string, Gradient> {
  tape.sync();
  const nodes = [...tape.g.nodes];
  const asked = new Set(wrt);
  const requires = new Set(wrt);
  for (const node of nodes) {
    if (!node.inputs.some((i) => requires.has(i))) continue;
    for (const o of node.outputs) if (FLOAT_TYPES.includes(tape.meta(o).dtype)) requires.add(o);
  }
  if (!requires.has(output)) throw new Error(`${output} does not depend on any of ${wrt.join(', ')}`);
  const reaches = new Set([output]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (nodes[i].outputs.some((o) => reaches.has(o))) for (const x of nodes[i].inputs) if (requires.has(x)) reaches.add(x);
  }

  const dense = new Map<string, string[]>();
  const sparse = new Map<string, SparseRows[]>();
  const push = (name: string, ct: string) => {
    const list = dense.get(name);
    if (list) list.push(ct);
    else dense.set(name, [ct]);
  };
  const total = (name: string): string | undefined => {
    const list = dense.get(name);
    return list?.reduce((acc, x) => tape.add(acc, x));
  };
  const outShape = tape.meta(output).shape;
  push(
    output,
    options.seed ?? (outShape.length === 0 ? tape.like(output, 1) : tape.emit('Expand', [tape.like(output, 1), tape.shapeOf(output)])),
  );

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((o) => dense.has(o))) continue;
    const needs = node.inputs.map((x) => x !== '' && reaches.has(x));
    if (!needs.some(Boolean)) continue;
    const rule = RULES[node.opType];
    if (!rule)
      throw new Error(`no gradient rule for ${node.opType} (node ${node.name}), which lies between ${wrt.join(', ')} and ${output}`);
    const dys = node.outputs.map(total);
    const sparseTable = (options.tables ?? 'rows') === 'rows' && asked.has(node.inputs[0]);
    const cts = rule({ tape, node, dys, needs, sparseTable });
    node.inputs.forEach((x, k) => {
      const ct = cts[k];
      if (!needs[k] || ct === undefined) return;
      if (typeof ct === 'string') push(x, ct);
      else sparse.set(x, [...(sparse.get(x) ?? []), ct]);
    });
  }

  const result = new Map<string, Gradient>();
  for (const w of wrt) {
    const parts = sparse.get(w) ?? [];
    const d = total(w);
    result.set(w, { dense: d ?? (parts.length === 0 ? tape.zerosLike(w) : undefined), sparse: parts });
  }
  return result;
}
