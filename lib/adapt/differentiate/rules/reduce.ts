// ReduceSum and ReduceMean (axes as an input, opset 18): the cotangent is
// spread back over the reduced axes.
import { DataType } from '../../../forge/onnx/schema.js';
import { isStatic } from '../dims.js';
import type { Tape } from '../tape.js';
import { dy0, type VjpContext, type VjpRule } from './types.js';

function spread(ctx: VjpContext): { dx: string; axes: number[]; t: Tape } {
  const { tape: t, node } = ctx;
  const x = node.inputs[0];
  const shape = t.meta(x).shape;
  const given = node.inputs[1] ? (t.meta(node.inputs[1]).value as number[] | undefined) : [];
  if (!given) throw new Error(`${node.opType} ${node.name}: axes must be constant`);
  const axes = (given.length ? given : shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a)).sort((a, b) => a - b);
  const keep = node.attrs.keepdims !== 0;
  const dy = keep ? dy0(ctx) : t.unsqueeze(dy0(ctx), axes);
  const dims = isStatic(shape) ? t.ints(shape) : t.shapeOf(x);
  return { dx: t.emit('Expand', [dy, dims]), axes, t };
}

export const reduceSum: VjpRule = (ctx) => [spread(ctx).dx, undefined];

export const reduceMean: VjpRule = (ctx) => {
  const { dx, axes, t } = spread(ctx);
  const x = ctx.node.inputs[0];
  const shape = t.meta(x).shape;
  const reduced = axes.map((a) => shape[a]);
  if (reduced.every((d): d is number => typeof d === 'number')) {
    return [t.mul(dx, t.like(dx, 1 / reduced.reduce((p, d) => p * d, 1))), undefined];
  }
  const count = t.emit('ReduceProd', [t.emit('Gather', [t.shapeOf(x), t.ints(axes)]), t.ints([0])], { keepdims: 0 });
  return [t.div(dx, t.cast(count, t.meta(dx).dtype as DataType)), undefined];
};
