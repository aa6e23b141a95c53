// Reverse-mode differentiation of graphs built with GraphBuilder: a static
// IR over its recorded nodes (Tape), one vector-Jacobian rule per op
// (rules/), and the reverse pass (backward). docs/training-graph.md.
export { backward, type BackwardOptions, type Gradient } from './reverse.js';
export { RULES, type Cotangent, type SparseRows, type VjpContext, type VjpRule } from './rules/index.js';
export { Tape, FLOAT_TYPES } from './tape.js';
export { INFER, inferNode, type TensorMeta } from './shapes.js';
export * from './dims.js';
