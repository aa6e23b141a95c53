// worker_threads: one Scorer per worker. Each scenario runs in its own
// process (test/support/workers-main.mjs), so a crash shows as a signal
// there instead of taking the test runner down, and one scenario cannot hide
// another. Scores are checked against the float64 reference on HF tokenizers'
// ids (tiny, seed 7: random weights), the same truth as coexist.test.ts.
//
// What goes wrong elsewhere, and what each case pins down:
// - onnxruntime-node 1.21 kept a process-global Napi::FunctionReference and
//   aborted with "HandleScope::HandleScope Entering the V8 API without proper
//   locking" once a second worker ran (microsoft/onnxruntime#24486): the addon
//   keeps per-env state only (instance data), so 4 workers load and score at once.
// - Terminating a worker with a call in flight aborted this addon ("terminate
//   called after throwing an instance of 'Napi::Error'") and, before that fix,
//   held terminate() for the whole call: native/node/job.h.
// - RSS growth per session created and released (microsoft/onnxruntime#25325):
//   50 worker lifetimes, each loading a scorer and ending one of three ways.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, inject, it } from 'vitest';
import { forgedWeights, PRESETS } from '../../lib/forge/index.js';
import { hfEncodePairs, hfTokenizer } from '../../support/hf.js';
import { runJsonChild } from '../support/json-child.js';
import { referenceLogit } from '../support/reference-roberta.js';

const dir = inject('tinyModelDir');
const TOL = 1e-5;
const PAIRS: [string, string][] = [
  ['What is the capital of France?', 'Paris is the capital of France.'],
  ['Which planet is largest?', 'Jupiter.'],
  ['a', 'b'],
];
let truth: number[];

beforeAll(async () => {
  const ids = await hfEncodePairs(hfTokenizer(join(dir, 'tokenizer.json'), 512), PAIRS);
  const weights = forgedWeights('tiny', 7);
  truth = ids.map((r) => referenceLogit(PRESETS.tiny, weights, r));
});

function scenario(name: string, extra: Record<string, unknown> = {}) {
  // The child's JSON: each scenario reads its own fields, whose shapes only the child script knows.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const r = runJsonChild<{ ok: boolean; error?: string; [k: string]: any }>(
    'workers-main.mjs',
    { scenario: name, dir, pairs: PAIRS, ...extra },
    { timeoutMs: 240_000 },
  );
  expect(r.signal, r.stderr).toBeNull();
  expect(r.status, r.stderr).toBe(0);
  expect(r.out?.error, r.stderr).toBeUndefined();
  expect(r.out?.ok).toBe(true);
  return r.out!;
}

function expectRight(scores: number[][]) {
  for (const s of scores) expect(Math.max(...s.map((x, i) => Math.abs(x - truth[i])))).toBeLessThan(TOL);
}

it('4 workers load and score at the same time, each right', () => {
  const out = scenario('concurrent');
  expect(out.scores).toHaveLength(4);
  expectRight(out.scores);
});

it('terminating 2 of 4 workers mid-call neither crashes nor waits for their calls; the other 2 and a fresh worker score right', () => {
  const out = scenario('terminate');
  console.log(
    `terminate() of 2 workers mid-call: ${out.terminateMs.toFixed(0)} ms; ` +
      `the 2 survivors' same-sized calls ended ${out.survivorDoneMs.map((x: number) => x.toFixed(0)).join(' and ')} ms after it began`,
  );
  // No wall-clock bound: the terminated calls were as long as the survivors',
  // so terminate() returning first shows it did not wait for them.
  expect(out.terminateMs).toBeLessThan(Math.min(...out.survivorDoneMs));
  expect(out.scores).toHaveLength(3);
  expectRight(out.scores);
});

it('50 worker lifetimes in a row keep RSS bounded', () => {
  const LIFETIMES = 50;
  const WARMUP = 10;
  const out = scenario('lifetimes', { lifetimes: LIFETIMES });
  expectRight(out.scores);
  const rss: number[] = out.rssMb;
  const median = (x: number[]) => [...x].sort((a, b) => a - b)[Math.floor(x.length / 2)];
  const early = median(rss.slice(WARMUP - 5, WARMUP + 5));
  const late = median(rss.slice(-10));
  // The bound: what leaking a quarter of one model's weights per lifetime
  // would add. A leaked session keeps all of its weights (and its arena), so
  // it would cross this four times over; allocator fragmentation and the
  // first lifetimes' one-off costs (runner threads, ORT's globals, JIT) are
  // kept out by the warm-up and by comparing medians.
  const weightsMb = statSync(join(dir, 'onnx', 'model.onnx')).size / 2 ** 20;
  const bound = ((LIFETIMES - WARMUP) * weightsMb) / 4;
  console.log(
    `RSS over ${LIFETIMES} worker lifetimes (MB): first ${rss[0].toFixed(0)}, median around lifetime ${WARMUP} ${early.toFixed(0)}, ` +
      `median of the last 10 ${late.toFixed(0)}, max ${Math.max(...rss).toFixed(0)}; growth ${(late - early).toFixed(1)} MB, bound ${bound.toFixed(0)} MB ` +
      `(a quarter of the ${weightsMb.toFixed(1)} MB weights per lifetime after warm-up)`,
  );
  expect(late - early).toBeLessThan(bound);
}, 300_000);

it('process.exit with calls in flight in 2 workers exits cleanly', () => {
  for (let i = 0; i < 4; i++) scenario('exit'); // the abort it guards against came 1 run in 3
});
