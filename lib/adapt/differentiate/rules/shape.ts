// Ops that only move elements: their cotangent moves back.
import { dy0, type VjpRule } from './types.js';

export const reshape: VjpRule = (ctx) => [ctx.tape.reshapeLike(dy0(ctx), ctx.node.inputs[0]), undefined];

export const transpose: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const rank = t.meta(node.inputs[0]).shape.length;
  const perm = (node.attrs.perm as number[] | undefined) ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const inverse = new Array<number>(rank);
  perm.forEach((p, i) => (inverse[p] = i));
  return [t.transpose(dy0(ctx), inverse)];
};

export const unsqueeze: VjpRule = (ctx) => [ctx.tape.emit('Squeeze', [dy0(ctx), ctx.node.inputs[1]]), undefined];

export const squeeze: VjpRule = (ctx) => {
  const axes = ctx.node.inputs[1];
  if (!axes) throw new Error(`Squeeze ${ctx.node.name}: the rule needs explicit axes`);
  return [ctx.tape.emit('Unsqueeze', [dy0(ctx), axes]), undefined];
};

export const expand: VjpRule = (ctx) => [ctx.tape.sumTo(dy0(ctx), ctx.tape.meta(ctx.node.inputs[0]).shape), undefined];
