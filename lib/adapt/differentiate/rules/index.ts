// The vector-Jacobian rules, one per op. An op missing here has no gradient:
// the reverse pass refuses a graph that needs one through it.
import * as e from './elementwise.js';
import { gather } from './gather.js';
import { gemm, matmul } from './matmul.js';
import { layerNormalization, softmax } from './normalization.js';
import { reduceMean, reduceSum } from './reduce.js';
import { expand, reshape, squeeze, transpose, unsqueeze } from './shape.js';
import type { VjpRule } from './types.js';

export type { Cotangent, SparseRows, VjpContext, VjpRule } from './types.js';

export const RULES: Readonly<Record<string, VjpRule>> = {
  Add: e.add,
  Sub: e.sub,
  Mul: e.mul,
  Div: e.div,
  Neg: e.neg,
  Identity: e.identity,
  Erf: e.erf,
  Tanh: e.tanh,
  Exp: e.exp,
  Cast: e.cast,
  Where: e.where,
  MatMul: matmul,
  Gemm: gemm,
  Gather: gather,
  LayerNormalization: layerNormalization,
  Softmax: softmax,
  Reshape: reshape,
  Transpose: transpose,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Expand: expand,
  ReduceSum: reduceSum,
  ReduceMean: reduceMean,
};
