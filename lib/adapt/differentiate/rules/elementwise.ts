// Elementwise ops. Broadcasting is undone by summing the cotangent over the
// axes it added (Tape.sumTo, from the static shapes).
import { dy0, type VjpRule } from './types.js';

export const add: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  return node.inputs.map((x, i) => (ctx.needs[i] ? t.sumTo(dy, t.meta(x).shape) : undefined));
};

export const sub: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const [a, b] = node.inputs;
  return [ctx.needs[0] ? t.sumTo(dy, t.meta(a).shape) : undefined, ctx.needs[1] ? t.sumTo(t.neg(dy), t.meta(b).shape) : undefined];
};

export const mul: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const [a, b] = node.inputs;
  return [
    ctx.needs[0] ? t.sumTo(t.mul(dy, b), t.meta(a).shape) : undefined,
    ctx.needs[1] ? t.sumTo(t.mul(dy, a), t.meta(b).shape) : undefined,
  ];
};

// y = a / b: da = dy / b, db = -dy * y / b.
export const div: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const [a, b] = node.inputs;
  const scaled = ctx.needs[0] || ctx.needs[1] ? t.div(dy, b) : '';
  return [
    ctx.needs[0] ? t.sumTo(scaled, t.meta(a).shape) : undefined,
    ctx.needs[1] ? t.sumTo(t.neg(t.mul(scaled, node.outputs[0])), t.meta(b).shape) : undefined,
  ];
};

export const neg: VjpRule = (ctx) => [ctx.tape.neg(dy0(ctx))];

export const identity: VjpRule = (ctx) => [dy0(ctx)];

// d erf(x)/dx = 2/sqrt(pi) exp(-x^2)
export const erf: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const x = node.inputs[0];
  const gauss = t.emit('Exp', [t.neg(t.mul(x, x))]);
  return [t.mul(dy0(ctx), t.mul(gauss, t.like(x, 2 / Math.sqrt(Math.PI))))];
};

// d tanh(x)/dx = 1 - y^2
export const tanh: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const y = node.outputs[0];
  return [t.mul(dy0(ctx), t.sub(t.like(y, 1), t.mul(y, y)))];
};

export const exp: VjpRule = (ctx) => [ctx.tape.mul(dy0(ctx), ctx.node.outputs[0])];

// Between float types only; integer inputs never need a cotangent.
export const cast: VjpRule = (ctx) => [ctx.tape.cast(dy0(ctx), ctx.tape.meta(ctx.node.inputs[0]).dtype)];

// y = where(c, a, b)
export const where: VjpRule = (ctx) => {
  const { tape: t, node } = ctx;
  const dy = dy0(ctx);
  const [c, a, b] = node.inputs;
  const zero = t.like(dy, 0);
  return [
    undefined,
    ctx.needs[1] ? t.sumTo(t.emit('Where', [c, dy, zero]), t.meta(a).shape) : undefined,
    ctx.needs[2] ? t.sumTo(t.emit('Where', [c, zero, dy]), t.meta(b).shape) : undefined,
  ];
};
