// Gather. Of a table along axis 0 (embeddings): the gathered rows'
// cotangents, either as SparseRows for the caller to sum by index (a graph
// input asked for by name) or summed in the graph by ScatterND(add) into a
// dense table. Along another axis, only a constant scalar index (x[:, 0],
// logits[:, 0]): the cotangent is scattered into zeros at that index.
import { dy0, type VjpRule } from './types.js';

export const gather: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  if (!ctx.needs[0]) return [undefined, undefined];
  const dy = dy0(ctx);
  const [data, idx] = node.inputs;
  const D = t.meta(data).shape;
  const I = t.meta(idx).shape;
  const raw = typeof node.attrs.axis === 'number' ? node.attrs.axis : 0;
  const axis = raw < 0 ? raw + D.length : raw;
  if (axis === 0) {
    const row = D.slice(1);
    if (!row.every((d): d is number => typeof d === 'number')) throw new Error(`Gather ${node.name}: table rows need static dims`);
    if (ctx.sparseTable) return [{ kind: 'rows', rows: t.reshape(dy, [-1, ...row]), indices: t.reshape(idx, [-1]) }, undefined];
    return [t.emit('ScatterND', [t.zerosLike(data), t.unsqueeze(idx, [I.length]), dy], { reduction: 'add' }), undefined];
  }
  if (I.length !== 0 || t.meta(idx).value === undefined) {
    throw new Error(`Gather ${node.name}: along axis ${axis} only a constant scalar index has a rule`);
  }
  const u = t.unsqueeze(dy, [axis]);
  const at = t.emit('Expand', [idx, t.shapeOf(u)]);
  return [t.emit('ScatterElements', [t.zerosLike(data), at, u], { axis }), undefined];
};
