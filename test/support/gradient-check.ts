// Checks a gradient graph made by lib/adapt/differentiate against central
// finite differences of its own forward op, run through our GraphSession.
// A case declares its inputs (static shapes) and builds a small forward
// graph; the check seeds the output with a random cotangent `dy` (an input),
// asks for the gradient of every `wrt` input, and compares, per element,
// <dy, (f(x + h e_i) - f(x - h e_i)) / 2h> with the graph's gradient.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backward, Tape } from '../../lib/adapt/differentiate/index.js';
import { GraphSession } from '../../lib/adapt/graph/graph-session.js';
import { GraphBuilder } from '../../lib/forge/onnx/graph-builder.js';
import { DataType } from '../../lib/forge/onnx/schema.js';
import { mulberry32 } from './pairs.js';

export interface CaseInput {
  name: string;
  shape: number[];
  /** float64 (default) or float32. */
  type?: 'f64' | 'f32';
  /** Differentiate with respect to it (default true). */
  wrt?: boolean;
  /** Values instead of random N(0, 1) ones. */
  values?: (rand: () => number) => number[];
}

export interface RuleCase {
  inputs: CaseInput[];
  /** Builds the forward graph from the input names; returns the output's name. */
  build: (g: GraphBuilder, tape: () => Tape) => string;
  tables?: 'rows' | 'scatter';
  /** Finite-difference step; default 1e-5 (float64). */
  h?: number;
}

export interface RuleCheck {
  /** Per wrt input: the graph's gradient and the finite-difference one. */
  grads: Map<string, { graph: Float64Array; fd: Float64Array }>;
  /** max over elements of |graph - fd| / (1 + max |fd| of that input). */
  worst: number;
}

const gauss = (rand: () => number) => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());

function typed(values: number[], type: 'f64' | 'f32'): Float64Array | Float32Array {
  return type === 'f32' ? Float32Array.from(values) : Float64Array.from(values);
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Builds, runs and compares. `truth`, when given, replaces the graph's own
 * forward for the finite differences (float32 ops checked against a float64
 * function written in the test).
 */
export async function checkRule(c: RuleCase, seed = 1, truth?: (inputs: Map<string, Float64Array>) => Float64Array): Promise<RuleCheck> {
  const rand = mulberry32(seed);
  const g = new GraphBuilder('rule', 18);
  for (const i of c.inputs)
    g.input(
      i.name,
      i.type === 'f32' ? DataType.FLOAT : DataType.DOUBLE,
      i.shape.map((value) => ({ value })),
    );
  let tape: Tape | undefined;
  const getTape = () => (tape ??= new Tape(g));
  const out = c.build(g, getTape);
  const t = getTape();
  t.sync();
  const meta = t.meta(out);
  const outShape = meta.shape as number[];
  t.output(out);
  const dy = g.input(
    'dy',
    meta.dtype,
    outShape.map((value) => ({ value })),
  );
  const wrt = c.inputs.filter((i) => i.wrt !== false).map((i) => i.name);
  const grads = backward(t, out, wrt, { seed: dy, tables: c.tables });
  const sparseOut: Record<string, { rows: string; indices: string }> = {};
  for (const [name, grad] of grads) {
    if (grad.dense) {
      t.exportAs(grad.dense, `grad_${name}`);
    }
    grad.sparse.forEach((s, k) => {
      t.output(s.rows);
      t.output(s.indices);
      sparseOut[`${name}#${k}`] = s;
    });
  }
  g.removeDeadNodes();
  const dir = mkdtempSync(join(tmpdir(), 'cappy-rule-'));
  const path = join(dir, 'rule.onnx');
  await g.write(path);
  const session = await GraphSession.open(path, { intraOpThreads: 1 });
  try {
    const values = new Map<string, Float64Array>();
    for (const i of c.inputs)
      values.set(i.name, Float64Array.from(i.values ? i.values(rand) : Array.from({ length: size(i.shape) }, () => gauss(rand))));
    const dyValues = Float64Array.from({ length: size(outShape) }, () => gauss(rand));
    const feed = (v: Map<string, Float64Array>) => [
      ...c.inputs.map((i) => ({ name: i.name, data: typed(Array.from(v.get(i.name)!), i.type ?? 'f64'), shape: i.shape })),
      { name: dy, data: typed(Array.from(dyValues), meta.dtype === DataType.FLOAT ? 'f32' : 'f64'), shape: outShape },
    ];
    const outputs = [...g.outputs].filter((o) => o.name !== out).map((o) => ({ name: o.name }));
    const results = await session.run(feed(values), outputs);
    const byName = new Map(results.map((r) => [r.name, r]));
    const forward = async (v: Map<string, Float64Array>) =>
      truth ? truth(v) : Float64Array.from((await session.run(feed(v), [{ name: out }]))[0].data as Float64Array);
    const h = c.h ?? 1e-5;
    const check: RuleCheck = { grads: new Map(), worst: 0 };
    for (const name of wrt) {
      const x = values.get(name)!;
      const graph = new Float64Array(x.length);
      const dense = byName.get(`grad_${name}`);
      if (dense) graph.set(Float64Array.from(dense.data as Float64Array));
      for (const [key, s] of Object.entries(sparseOut)) {
        if (!key.startsWith(`${name}#`)) continue;
        const rows = byName.get(s.rows)!.data as Float64Array;
        const idx = byName.get(s.indices)!.data as BigInt64Array;
        const width = rows.length / idx.length;
        idx.forEach((r, k) => {
          for (let j = 0; j < width; j++) graph[Number(r) * width + j] += rows[k * width + j];
        });
      }
      const fd = new Float64Array(x.length);
      for (let e = 0; e < x.length; e++) {
        const keep = x[e];
        x[e] = keep + h;
        const up = await forward(values);
        x[e] = keep - h;
        const down = await forward(values);
        x[e] = keep;
        let s = 0;
        for (let k = 0; k < up.length; k++) s += dyValues[k] * (up[k] - down[k]);
        fd[e] = s / (2 * h);
      }
      const scale = 1 + fd.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let e = 0; e < x.length; e++) check.worst = Math.max(check.worst, Math.abs(graph[e] - fd[e]) / scale);
      check.grads.set(name, { graph, fd });
    }
    return check;
  } finally {
    await session.dispose();
  }
}
