// GraphSession (native/core/session/graph_session.cc through
// native/node/graph_binding.cc): typed errors for wrong inputs and outputs,
// outputs written into or added into the caller's arrays, cancellation,
// reproducible bits, and the CUDA path refused cleanly where there is no GPU.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphSession } from '../../lib/adapt/graph/index.js';
import { AbortError, DeviceUnavailableError, DisposedError, InvalidInputError, ModelLoadError } from '../../lib/errors/index.js';
import { GraphBuilder } from '../../lib/forge/onnx/graph-builder.js';
import { DataType } from '../../lib/forge/onnx/schema.js';
import { nvidiaGpuVisible } from '../../lib/runtime/execution-provider.js';
import { mulberry32 } from '../support/pairs.js';

let dir: string;
let session: GraphSession;

// y[b, n] = sum_k x[b, k] w[k, n] + c  (x float64 [batch, 3], w float64 [3, 2], c float32 scalar cast up)
async function small(): Promise<string> {
  const g = new GraphBuilder('small', 18);
  g.input('x', DataType.DOUBLE, [{ param: 'batch' }, { value: 3 }]);
  g.input('w', DataType.DOUBLE, [{ value: 3 }, { value: 2 }]);
  g.input('c', DataType.FLOAT, []);
  g.input('ids', DataType.INT64, [{ param: 'batch' }]);
  g.node('Add', [g.node('MatMul', ['x', 'w']), g.node('Cast', ['c'], { to: DataType.DOUBLE })], {}, { output: 'y' });
  g.node('Cast', ['ids'], { to: DataType.DOUBLE }, { output: 'ids_f' });
  g.output('y', DataType.DOUBLE, [{ param: 'batch' }, { value: 2 }]);
  g.output('ids_f', DataType.DOUBLE, [{ param: 'batch' }]);
  const path = join(dir, 'small.onnx');
  await g.write(path);
  return path;
}

const feed = (batch = 2) => [
  { name: 'x', data: Float64Array.from({ length: batch * 3 }, (_, i) => i), shape: [batch, 3] },
  { name: 'w', data: Float64Array.of(1, 0, 0, 1, 1, 1), shape: [3, 2] },
  { name: 'c', data: Float32Array.of(0.5), shape: [] },
  { name: 'ids', data: BigInt64Array.from({ length: batch }, (_, i) => BigInt(i)), shape: [batch] },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cappy-graph-session-'));
  process.env.CAPPY_HOME = join(dir, 'home');
  session = await GraphSession.open(await small(), { intraOpThreads: 1 });
});

afterAll(async () => {
  await session?.dispose();
});

it('reports its inputs and outputs with element types and named dims', () => {
  const x = session.info.inputs.find((i) => i.name === 'x')!;
  expect(x).toEqual({ name: 'x', elementType: 'float64', shape: [-1, 3], dimNames: ['batch', ''] });
  expect(session.info.outputs.map((o) => o.name)).toEqual(['y', 'ids_f']);
  expect(session.info.executionProvider).toBe('cpu');
});

it("runs named host tensors and returns new arrays, or writes into the caller's, or adds into them", async () => {
  const [y] = await session.run(feed(), [{ name: 'y' }]);
  // x = [[0,1,2],[3,4,5]], w = [[1,0],[0,1],[1,1]] -> [[2,3],[8,9]] + 0.5
  expect(Array.from(y.data as Float64Array)).toEqual([2.5, 3.5, 8.5, 9.5]);
  expect(y.shape).toEqual([2, 2]);
  const into = new Float64Array(4);
  const [written] = await session.run(feed(), [{ name: 'y', into, shape: [2, 2] }]);
  expect(written.data).toBe(into);
  expect(Array.from(into)).toEqual([2.5, 3.5, 8.5, 9.5]);
  const sum = Float64Array.of(1, 1, 1, 1);
  await session.run(feed(), [{ name: 'y', into: sum, accumulate: true }]);
  await session.run(feed(), [{ name: 'y', into: sum, accumulate: true }]);
  expect(Array.from(sum)).toEqual([6, 8, 18, 20]);
});

describe('wrong calls are INVALID_INPUT errors naming what is wrong', () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    [
      'an unknown input',
      () => session.run([...feed(), { name: 'z', data: new Float64Array(1), shape: [1] }], [{ name: 'y' }]),
      /no input 'z'.*x, w, c, ids/,
    ],
    ['a missing input', () => session.run(feed().slice(1), [{ name: 'y' }]), /input 'x' is missing/],
    ['an input given twice', () => session.run([...feed(), feed()[0]], [{ name: 'y' }]), /'x' is given twice/],
    [
      'the wrong element type',
      () => session.run([{ ...feed()[0], data: new Float32Array(6) }, ...feed().slice(1)], [{ name: 'y' }]),
      /'x' must be float64, got float32/,
    ],
    [
      'the wrong rank',
      () => session.run([{ ...feed()[0], shape: [6] }, ...feed().slice(1)], [{ name: 'y' }]),
      /'x' must have shape \[batch, 3\], got \[6\]/,
    ],
    [
      'the wrong fixed dim',
      () => session.run([{ ...feed()[0], shape: [3, 2] }, ...feed().slice(1)], [{ name: 'y' }]),
      /'x' must have shape \[batch, 3\], got \[3, 2\]/,
    ],
    [
      'a named dim with two sizes',
      () => session.run([...feed(2).slice(0, 3), feed(3)[3]], [{ name: 'y' }]),
      /dim 'batch' is 2 in input 'x' but 3 in input 'ids'/,
    ],
    [
      'data that does not fill the shape',
      () => session.run([{ ...feed()[0], data: new Float64Array(5) }, ...feed().slice(1)], [{ name: 'y' }]),
      /needs 48 bytes of data, got 40/,
    ],
    ['an unknown output', () => session.run(feed(), [{ name: 'nope' }]), /no output 'nope'.*y, ids_f/],
    [
      'an output buffer of the wrong type',
      () => session.run(feed(), [{ name: 'y', into: new Float32Array(4), shape: [2, 2] }]),
      /'y' is float64; its buffer is float32/,
    ],
    [
      'an output buffer of the wrong size',
      () => session.run(feed(), [{ name: 'y', into: new Float64Array(3), shape: [2, 2] }]),
      /needs 32 bytes, its buffer has 24/,
    ],
    [
      'an accumulate buffer of the wrong size',
      () => session.run(feed(), [{ name: 'y', into: new Float64Array(5), accumulate: true }]),
      /buffer to add it into has 40/,
    ],
    [
      'an output buffer that is an input',
      () => {
        const inputs = feed();
        return session.run(inputs, [{ name: 'ids_f', into: inputs[0].data.subarray(0, 2) as Float64Array, shape: [2] }]);
      },
      /shares memory with input 'x'/,
    ],
    [
      'a non-array shape',
      () => session.run([{ ...feed()[0], shape: 'no' as unknown as number[] }, ...feed().slice(1)], [{ name: 'y' }]),
      /shape must be an array/,
    ],
  ];
  for (const [what, call, message] of cases) {
    it(what, async () => {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message).toMatch(message);
    });
  }
  it('and a failed accumulate call leaves the buffer as it was', async () => {
    const sum = Float64Array.of(1, 2, 3, 4);
    await session.run(feed().slice(1), [{ name: 'y', into: sum, accumulate: true }]).catch(() => undefined);
    expect(Array.from(sum)).toEqual([1, 2, 3, 4]);
  });
});

it('runs the same with the memory pattern off and session config entries, and types bad settings', async () => {
  const path = join(dir, 'small.onnx');
  const s = await GraphSession.open(path, {
    intraOpThreads: 1,
    memoryPattern: false,
    sessionConfig: { 'session.set_denormal_as_zero': '1' },
  });
  try {
    for (const batch of [2, 5, 2]) {
      const [want] = await session.run(feed(batch), [{ name: 'y' }]);
      const [got] = await s.run(feed(batch), [{ name: 'y' }]);
      expect(got.shape).toEqual([batch, 2]);
      expect(Array.from(got.data as Float64Array)).toEqual(Array.from(want.data as Float64Array));
    }
  } finally {
    await s.dispose();
  }
  await expect(GraphSession.open(path, { memoryPattern: 'no' as unknown as boolean })).rejects.toBeInstanceOf(InvalidInputError);
  await expect(GraphSession.open(path, { sessionConfig: { 'session.set_denormal_as_zero': 1 as unknown as string } })).rejects.toThrow(
    /sessionConfig\.session\.set_denormal_as_zero must be a string/,
  );
});

it('refuses files that are not ONNX, and a disposed session', async () => {
  const bad = join(dir, 'bad.onnx');
  writeFileSync(bad, 'not a model');
  await expect(GraphSession.open(bad)).rejects.toBeInstanceOf(ModelLoadError);
  await expect(GraphSession.open(join(dir, 'missing.onnx'))).rejects.toThrow(/not found/);
  const s = await GraphSession.open(join(dir, 'small.onnx'), { intraOpThreads: 1 });
  await s.dispose();
  await expect(s.run(feed(), [{ name: 'y' }])).rejects.toBeInstanceOf(DisposedError);
});

it.skipIf(nvidiaGpuVisible())("device 'cuda' without a GPU is a DeviceUnavailableError naming what is missing", async () => {
  const err = await GraphSession.open(join(dir, 'small.onnx'), { device: 'cuda' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DeviceUnavailableError);
  expect((err as DeviceUnavailableError).missing.length).toBeGreaterThan(0);
});

describe('a long graph', () => {
  // 1500 chained [512, 512] MatMuls: 4e11 flops, at least 4 s on one core
  // even at 100 GFLOP/s (above any single core's float32 peak on AVX-512).
  let long: GraphSession;
  const n = 512;
  beforeAll(async () => {
    const g = new GraphBuilder('long', 18);
    g.input('x', DataType.FLOAT, [{ value: n }, { value: n }]);
    const rand = mulberry32(1);
    const w = g.initializer(
      'w',
      [n, n],
      Float32Array.from({ length: n * n }, () => (rand() - 0.5) / 16),
    );
    let x = 'x';
    for (let i = 0; i < 1500; i++) x = g.node('MatMul', [x, w]);
    g.node('ReduceSum', [x], { keepdims: 0 }, { output: 'y' });
    g.output('y', DataType.FLOAT, []);
    const path = join(dir, 'long.onnx');
    await g.write(path);
    long = await GraphSession.open(path, { intraOpThreads: 1 });
  });
  afterAll(async () => {
    await long?.dispose();
  });

  it('is cancelled by its AbortSignal: AbortError, ORT stopped at a node, nothing added, the session still usable', async () => {
    const controller = new AbortController();
    const sum = new Float32Array(1);
    const started = performance.now();
    const run = long.run(
      [{ name: 'x', data: new Float32Array(n * n).fill(0.01), shape: [n, n] }],
      [{ name: 'y', into: sum, accumulate: true }],
      controller.signal,
    );
    setTimeout(() => controller.abort(new Error('stop')), 50);
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).name).toBe('AbortError');
    // Far less than the 4 s the whole graph needs: it stopped inside the run.
    expect(performance.now() - started).toBeLessThan(3000);
    expect(sum[0]).toBe(0);
    await expect(session.run(feed(), [{ name: 'y' }])).resolves.toHaveLength(1);
    await expect(long.run([], [], AbortSignal.abort())).rejects.toBeInstanceOf(AbortError);
  });
});

it('gives the same bits run to run with 2 threads (large reductions)', async () => {
  const g = new GraphBuilder('reduce', 18);
  g.input('x', DataType.FLOAT, [{ value: 256 }, { value: 4096 }]);
  g.input('w', DataType.FLOAT, [{ value: 4096 }, { value: 64 }]);
  g.node('ReduceSum', [g.node('MatMul', ['x', 'w']), g.int64([0])], { keepdims: 0 }, { output: 'y' });
  g.output('y', DataType.FLOAT, [{ value: 64 }]);
  const path = join(dir, 'reduce.onnx');
  await g.write(path);
  const s = await GraphSession.open(path, { intraOpThreads: 2 });
  try {
    const rand = mulberry32(3);
    const inputs = [
      { name: 'x', data: Float32Array.from({ length: 256 * 4096 }, () => rand() - 0.5), shape: [256, 4096] },
      { name: 'w', data: Float32Array.from({ length: 4096 * 64 }, () => rand() - 0.5), shape: [4096, 64] },
    ];
    const first = (await s.run(inputs, [{ name: 'y' }]))[0].data as Float32Array;
    for (let i = 0; i < 3; i++) {
      const again = (await s.run(inputs, [{ name: 'y' }]))[0].data as Float32Array;
      expect(Buffer.from(again.buffer).equals(Buffer.from(first.buffer))).toBe(true);
    }
  } finally {
    await s.dispose();
  }
});
