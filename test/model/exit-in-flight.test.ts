// A process that exits with work in flight ends cleanly: 200 child processes
// load the forged tiny model (random weights, seed 7; not Cappy), one session
// or a pool of two, start scoring, and call process.exit() after a delay that
// varies from run to run, so exits land during the load, during tokenizing,
// inside ORT's kernels and between pooled chunks.
//
// The race this guards: exit() destroys ONNX Runtime's static objects (its
// type singletons, kernel registries) on the main thread while a runner
// thread is still inside a kernel. Before the fix, ORT's kernels then called
// into destroyed objects: most such children printed "GetElementType is not
// implemented" errors from ORT (48 of 60 on the machine that found it), and
// rarely one died of SIGSEGV. So each child must exit with status 0, no
// signal and nothing on stderr. The addon drains its runner threads first
// (native/node/job.h, "Exit").
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const dir = inject('tinyModelDir');
const RUNS = 200;

interface Outcome {
  run: number;
  mode: 'single' | 'pool';
  delayMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** One child: load, start scoring, exit `delayMs` later (counted from the start when `early`). */
function child(run: number, mode: 'single' | 'pool', delayMs: number, early: boolean): Promise<Outcome> {
  const options = mode === 'pool' ? "{ devices: ['cpu', 'cpu'], intraOpThreads: 2, tokenizerThreads: 2 }" : '{ intraOpThreads: 2 }';
  const source = `import { Scorer } from 'cappy-engine';
    let settled = 0;
    const exit = () => { process.stdout.write(settled === 2 ? 'idle' : 'in flight'); process.exit(0); };
    if (${early}) setTimeout(exit, ${delayMs});
    const s = await Scorer.load(${JSON.stringify(dir)}, ${options});
    const pairs = Array.from({ length: 3000 }, (_, i) => ['question ' + i, 'answer '.repeat(10 + (i % 50))]);
    const done = () => { settled++; };
    s.scoreBatch(pairs).then(done, done);
    s.scoreBatch(pairs.slice(0, 300)).then(done, done);
    if (!${early}) setTimeout(exit, ${delayMs});`;
  return new Promise((done) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (code, signal) => done({ run, mode, delayMs, code, signal, stdout, stderr }));
  });
}

describe('exit with work in flight', () => {
  it(`${RUNS} processes, one session and a pool, exit at varied moments: no signal, no error`, async () => {
    const outcomes: Outcome[] = [];
    let next = 0;
    // Children in parallel, as many as keeps the machine busy without
    // starving each child's own threads.
    const lanes = Math.max(2, Math.min(6, availableParallelism() * 2));
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < RUNS) {
          const run = next++;
          // Delays spread over 0-120 ms; every tenth run counts from the start,
          // so its exit can land inside Scorer.load.
          outcomes.push(await child(run, run % 2 === 0 ? 'single' : 'pool', (run * 37) % 121, run % 10 === 0));
        }
      }),
    );
    const bad = outcomes.filter((o) => o.signal !== null || o.code !== 0 || o.stderr.trim() !== '');
    expect(bad.map((o) => ({ ...o, stderr: o.stderr.slice(0, 400) }))).toEqual([]);
    // The scenario really ran: most exits came with calls still in flight.
    const inFlight = outcomes.filter((o) => o.stdout === 'in flight').length;
    expect(inFlight).toBeGreaterThan(RUNS * 0.8);
    expect(outcomes.filter((o) => o.mode === 'pool').length).toBe(RUNS / 2);
  }, 600_000);
});
