// Every vector-Jacobian rule of lib/adapt/differentiate, alone, against
// central finite differences of the op's own forward, run through our
// GraphSession on ORT's CPU EP (test/support/gradient-check.ts).
//
// Float64 graphs where ORT has the kernels: with h = 1e-5 the central
// difference errs by about h^2 |f'''| / 6 ~ 1e-10 (truncation) plus
// 1e-16 |f| / h ~ 1e-11 (rounding), so a bound of 1e-7 relative to
// 1 + max |gradient| leaves three orders of margin while a wrong rule is off
// by O(1). Erf has no float64 kernel: its float32 rule is checked against a
// float64 erf written here (below).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backward, RULES, Tape, type VjpRule } from '../../lib/adapt/differentiate/index.js';
import { GraphBuilder } from '../../lib/forge/onnx/graph-builder.js';
import { DataType } from '../../lib/forge/onnx/schema.js';
import { checkRule, type RuleCase } from '../support/gradient-check.js';
import { erf, layerNorm } from '../support/reference-roberta.js';

beforeAll(() => {
  process.env.CAPPY_HOME = mkdtempSync(join(tmpdir(), 'cappy-rules-home-'));
});

const TOL = 1e-7;

const bin = (op: string, a: number[], b: number[]): RuleCase => ({
  inputs: [
    { name: 'a', shape: a },
    {
      name: 'b',
      shape: b,
      values: op === 'Div' ? (r) => Array.from({ length: b.reduce((p, q) => p * q, 1) }, () => 1.5 + r()) : undefined,
    },
  ],
  build: (g) => g.node(op, ['a', 'b']),
});

const unary = (op: string, shape = [2, 3], attrs = {}): RuleCase => ({
  inputs: [{ name: 'x', shape }],
  build: (g) => g.node(op, ['x'], attrs),
});

const cases: Record<string, RuleCase> = {
  'Add, same shapes': bin('Add', [2, 3], [2, 3]),
  'Add, [2,3,4] + [4]': bin('Add', [2, 3, 4], [4]),
  'Add, [2,1,4] + [3,1] (both broadcast)': bin('Add', [2, 1, 4], [3, 1]),
  'Sub, [2,3] - [1,3]': bin('Sub', [2, 3], [1, 3]),
  'Mul, [2,3,4] * [3,1]': bin('Mul', [2, 3, 4], [3, 1]),
  'Div, [2,3] / [2,3]': bin('Div', [2, 3], [2, 3]),
  'Div, [2,3,4] / [4]': bin('Div', [2, 3, 4], [4]),
  'Div by a constant': {
    inputs: [{ name: 'x', shape: [2, 3] }],
    build: (g) => g.node('Div', ['x', g.initializer('k', [], Float64Array.of(2.5))]),
  },
  'MatMul, [2,3] @ [3,4]': bin('MatMul', [2, 3], [3, 4]),
  'MatMul, [2,3,4] @ [4,5] (weight: one 2-D Gemm over rows)': bin('MatMul', [2, 3, 4], [4, 5]),
  'MatMul, [2,2,3,4] @ [2,2,4,5]': bin('MatMul', [2, 2, 3, 4], [2, 2, 4, 5]),
  'MatMul, [2,1,3,4] @ [1,2,4,5] (batch broadcast)': bin('MatMul', [2, 1, 3, 4], [1, 2, 4, 5]),
  'MatMul by a transposed weight [5,4]^T': {
    inputs: [
      { name: 'x', shape: [2, 3, 4] },
      { name: 'w', shape: [5, 4] },
    ],
    build: (g) => g.node('MatMul', ['x', g.node('Transpose', ['w'], { perm: [1, 0] })]),
  },
  ...Object.fromEntries(
    [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ].map(([tA, tB]) => [
      `Gemm transA=${tA} transB=${tB}, C [4] broadcast, alpha 0.5, beta 2`,
      {
        inputs: [
          { name: 'a', shape: tA ? [3, 2] : [2, 3] },
          { name: 'b', shape: tB ? [4, 3] : [3, 4] },
          { name: 'c', shape: [4] },
        ],
        build: (g) => g.node('Gemm', ['a', 'b', 'c'], { transA: tA, transB: tB, alpha: { float: 0.5 }, beta: { float: 2 } }),
      } satisfies RuleCase,
    ]),
  ),
  'Gather rows of a table, repeated ids (rows summed outside the graph)': {
    inputs: [{ name: 'table', shape: [6, 3] }],
    build: (g) => g.node('Gather', ['table', g.initializer('ids', [2, 4], BigInt64Array.from([1, 4, 4, 0, 5, 1, 1, 2], BigInt))]),
  },
  'Gather rows of a table, repeated ids (ScatterND add in the graph)': {
    inputs: [{ name: 'table', shape: [6, 3] }],
    tables: 'scatter',
    build: (g) => g.node('Gather', ['table', g.initializer('ids', [2, 4], BigInt64Array.from([1, 4, 4, 0, 5, 1, 1, 2], BigInt))]),
  },
  'Gather a scalar index along axis 1 (x[:, 0])': {
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    build: (g) => g.node('Gather', ['x', g.int64([0], true)], { axis: 1 }),
  },
  'Gather a scalar index along axis 2': {
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    build: (g) => g.node('Gather', ['x', g.int64([2], true)], { axis: 2 }),
  },
  'LayerNormalization over the last axis, eps 1e-5': {
    inputs: [
      { name: 'x', shape: [2, 3, 5] },
      { name: 'gamma', shape: [5] },
      { name: 'beta', shape: [5] },
    ],
    build: (g) => g.node('LayerNormalization', ['x', 'gamma', 'beta'], { axis: -1, epsilon: { float: 1e-5 } }),
  },
  'LayerNormalization over the last two axes': {
    inputs: [
      { name: 'x', shape: [2, 3, 4] },
      { name: 'gamma', shape: [3, 4] },
      { name: 'beta', shape: [3, 4] },
    ],
    build: (g) => g.node('LayerNormalization', ['x', 'gamma', 'beta'], { axis: 1, epsilon: { float: 1e-5 } }),
  },
  'Softmax, last axis': unary('Softmax', [2, 3, 4], { axis: -1 }),
  'Softmax, axis 1': unary('Softmax', [2, 3, 4], { axis: 1 }),
  Tanh: unary('Tanh'),
  Exp: unary('Exp'),
  Neg: unary('Neg'),
  Identity: unary('Identity'),
  'Cast float64 -> float32 -> float64': {
    inputs: [{ name: 'x', shape: [2, 3] }],
    h: 1e-2,
    build: (g) => g.node('Cast', [g.node('Cast', ['x'], { to: DataType.FLOAT })], { to: DataType.DOUBLE }),
  },
  'Reshape with 0 and -1': { inputs: [{ name: 'x', shape: [2, 3, 4] }], build: (g) => g.node('Reshape', ['x', g.int64([0, -1, 2])]) },
  'Transpose [2, 0, 1]': unary('Transpose', [2, 3, 4], { perm: [2, 0, 1] }),
  'Unsqueeze then Squeeze': {
    inputs: [{ name: 'x', shape: [2, 3] }],
    build: (g) => g.node('Tanh', [g.node('Squeeze', [g.node('Tanh', [g.node('Unsqueeze', ['x', g.int64([1])])]), g.int64([1])])]),
  },
  'Expand [3,1] -> [2,3,4]': { inputs: [{ name: 'x', shape: [3, 1] }], build: (g) => g.node('Expand', ['x', g.int64([2, 3, 4])]) },
  'ReduceSum axes [1], keepdims 0': {
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    build: (g) => g.node('ReduceSum', ['x', g.int64([1])], { keepdims: 0 }),
  },
  'ReduceSum axes [0, 2], keepdims 1': {
    inputs: [{ name: 'x', shape: [2, 3, 4] }],
    build: (g) => g.node('ReduceSum', ['x', g.int64([0, 2])]),
  },
  'ReduceMean axes [2]': { inputs: [{ name: 'x', shape: [2, 3, 4] }], build: (g) => g.node('ReduceMean', ['x', g.int64([2])]) },
  'Where with a constant condition': {
    inputs: [
      { name: 'a', shape: [2, 3] },
      { name: 'b', shape: [3] },
    ],
    build: (g) => g.node('Where', [g.initializer('cond', [2, 3], Uint8Array.of(1, 0, 1, 0, 0, 1), DataType.BOOL), 'a', 'b']),
  },
  'fan-out: x used three times (cotangents summed)': {
    inputs: [{ name: 'x', shape: [2, 3] }],
    build: (g) => g.node('Add', [g.node('Mul', ['x', 'x']), g.node('Tanh', ['x'])]),
  },
};

describe('each rule matches central differences in float64', () => {
  for (const [name, c] of Object.entries(cases)) {
    it(name, async () => {
      const r = await checkRule(c);
      // The Cast roundtrip goes through float32: with h = 1e-2 its rounding
      // adds up to eps32 |x| / h ~ 1e-7 * 4 / 1e-2 = 5e-5 to the difference.
      expect(r.worst).toBeLessThan(name.startsWith('Cast') ? 1e-4 : TOL);
    });
  }
});

it('Erf (float32; no float64 kernel) matches a float64 erf to within float32 rounding', async () => {
  // The rule emits dy * exp(-x*x) * 2/sqrt(pi): four float32 roundings
  // (x*x, neg, two products; 4 * eps/2) and ORT's exp (a few ulp), plus
  // exp's amplification of the rounding of x*x, |x|^2 eps/2 <= 8 eps for
  // |x| <= 4: under 16 eps32 of each element's size. The truth is the
  // central difference (h = 1e-5) of the float64 series erf of
  // test/support/reference-roberta.ts, good to ~1e-10.
  const shape = [3, 4];
  const c: RuleCase = {
    inputs: [{ name: 'x', shape, type: 'f32', values: (r) => Array.from({ length: 12 }, () => Math.fround(6 * r() - 3)) }],
    build: (g) => g.node('Erf', ['x']),
  };
  // The inputs are float32 values, so the graph and the truth see the same x.
  const r = await checkRule(c, 3, (v) => Float64Array.from(v.get('x')!, erf));
  const { graph, fd } = r.grads.get('x')!;
  const eps32 = 2 ** -23;
  for (let i = 0; i < graph.length; i++) expect(Math.abs(graph[i] - fd[i])).toBeLessThanOrEqual(16 * eps32 * Math.abs(fd[i]) + 1e-9);
});

it("LayerNormalization in float32 (the rule reads the node's own Mean and InvStdDev) matches a float64 LayerNorm", async () => {
  // Float32 inputs, the truth a float64 LayerNorm of the same values
  // (test/support/reference-roberta.ts) differenced with h = 1e-5. The rule
  // is ~20 float32 operations per element over sums of 5: well under 1e-5 of
  // the gradient's scale, while a wrong rule is off by O(1).
  const rows = 6;
  const width = 5;
  const f32 = (n: number) => (r: () => number) => Array.from({ length: n }, () => Math.fround(2 * r() - 1));
  const c: RuleCase = {
    inputs: [
      { name: 'x', shape: [2, 3, width], type: 'f32', values: f32(rows * width) },
      { name: 'gamma', shape: [width], type: 'f32', values: f32(width) },
      { name: 'beta', shape: [width], type: 'f32', values: f32(width) },
    ],
    build: (g) => g.node('LayerNormalization', ['x', 'gamma', 'beta'], { axis: -1, epsilon: { float: 1e-5 } }),
  };
  const truth = (v: Map<string, Float64Array>) => {
    const x = v.get('x')!;
    const gamma = { shape: [width], data: v.get('gamma')! as unknown as Float32Array };
    const beta = { shape: [width], data: v.get('beta')! as unknown as Float32Array };
    const out = new Float64Array(x.length);
    for (let r = 0; r < rows; r++) out.set(layerNorm(x.subarray(r * width, (r + 1) * width), gamma, beta, 1e-5), r * width);
    return out;
  };
  const r = await checkRule(c, 5, truth);
  expect(r.worst).toBeLessThan(1e-5);
});

it('gives a rank-3 activation times a 2-D weight its weight gradient as one 2-D Gemm over the flattened rows', () => {
  const g = new GraphBuilder('structure', 18);
  g.input('x', DataType.FLOAT, [{ param: 'batch' }, { param: 'sequence' }, { value: 4 }]);
  g.input('w', DataType.FLOAT, [{ value: 4 }, { value: 5 }]);
  const y = g.node('ReduceSum', [g.node('MatMul', ['x', 'w'])], { keepdims: 0 });
  const tape = new Tape(g);
  const before = g.nodes.length;
  const grad = backward(tape, y, ['w']).get('w')!.dense!;
  const producer = tape.producer(grad)!;
  expect(producer.opType).toBe('Gemm');
  expect(producer.attrs.transA).toBe(1);
  expect(producer.inputs.map((i) => tape.meta(i).shape)).toEqual([
    ['batch*sequence', 4],
    ['batch*sequence', 5],
  ]);
  // Nothing [batch, 4, 5]-shaped is made and reduced afterwards.
  expect(g.nodes.slice(before).filter((n) => n.opType === 'MatMul')).toEqual([]);
});

it('Gelu (com.microsoft, float32) matches a float64 h Phi(h) to within float32 rounding', async () => {
  // The rule is ~12 float32 operations (erf, exp and products) per element:
  // under 32 eps32 of the derivative's size, as for Erf above.
  const c: RuleCase = {
    inputs: [{ name: 'x', shape: [3, 4], type: 'f32', values: (r) => Array.from({ length: 12 }, () => Math.fround(8 * r() - 4)) }],
    build: (g) => {
      g.importOpset('com.microsoft', 1);
      return g.node('Gelu', ['x'], {}, { domain: 'com.microsoft' });
    },
  };
  const r = await checkRule(c, 4, (v) => Float64Array.from(v.get('x')!, (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))));
  const { graph, fd } = r.grads.get('x')!;
  const eps32 = 2 ** -23;
  for (let i = 0; i < graph.length; i++) expect(Math.abs(graph[i] - fd[i])).toBeLessThanOrEqual(32 * eps32 * (1 + Math.abs(fd[i])));
});

describe('negative controls: the check catches a broken rule', () => {
  const swap = async (op: string, broken: VjpRule, c: RuleCase) => {
    const table = RULES as Record<string, VjpRule>;
    const good = table[op];
    table[op] = broken;
    try {
      return (await checkRule(c)).worst;
    } finally {
      table[op] = good;
    }
  };

  it('a Softmax rule that forgets to subtract sum(dy y)', async () => {
    const worst = await swap('Softmax', (ctx) => [ctx.tape.mul(ctx.dys[0]!, ctx.node.outputs[0])], cases['Softmax, last axis']);
    expect(worst).toBeGreaterThan(1e3 * TOL);
  });

  it('a LayerNorm rule that drops the mean(g xhat) term', async () => {
    const good = RULES.LayerNormalization;
    const worst = await swap(
      'LayerNormalization',
      (ctx) => {
        const [dx, dg, db] = good(ctx) as string[];
        // Rebuild dx without the xhat * mean(g xhat) term: r (g - mean(g)).
        const t = ctx.tape;
        const [x, gamma] = ctx.node.inputs;
        const centred = t.sub(x, t.reduceMean(x, [2], true));
        const r = t.emit('Reciprocal', [t.emit('Sqrt', [t.add(t.reduceMean(t.mul(centred, centred), [2], true), t.like(x, 1e-5))])]);
        const g = t.mul(ctx.dys[0]!, gamma);
        void dx;
        return [t.mul(r, t.sub(g, t.reduceMean(g, [2], true))), dg, db];
      },
      cases['LayerNormalization over the last axis, eps 1e-5'],
    );
    expect(worst).toBeGreaterThan(1e3 * TOL);
  });

  it('a MatMul rule that forgets to transpose B (square, so no shape error hides it)', async () => {
    const worst = await swap(
      'MatMul',
      (ctx) => {
        const t = ctx.tape;
        const [a, b] = ctx.node.inputs;
        return [t.matmul(ctx.dys[0]!, b), t.gemm(a, ctx.dys[0]!, true, false)];
      },
      bin('MatMul', [3, 3], [3, 3]),
    );
    expect(worst).toBeGreaterThan(1e3 * TOL);
  });
});
