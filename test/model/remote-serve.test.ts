// Remote scoring against three real `cappy serve` processes on loopback
// (forged tiny model: random weights, not Cappy), one killed (SIGKILL) in the
// middle of the run: the scores must equal the in-process Scorer's exactly,
// each pair once, in input order.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RemoteScorer, Scorer } from '../../lib/index.js';
import { startServe, stopServe, type ServeProcess } from '../../support/serving.js';

const root = resolve(import.meta.dirname, '..', '..');

function pairsOf(n: number): [string, string][] {
  return Array.from({ length: n }, (_, i) => [
    `instruction ${i}: ${'why '.repeat(i % 5)}`,
    `response ${i} ${'token '.repeat((i * 13) % 60)}`,
  ]);
}

describe('RemoteScorer on three cappy serve processes', () => {
  let servers: ServeProcess[] = [];
  let local: Float32Array;
  const pairs = pairsOf(3000);

  beforeAll(async () => {
    const model = inject('tinyModelDir');
    servers = await Promise.all([0, 1, 2].map(() => startServe(['--model', model, '--warmup-lengths', 'none'], { ready: true })));
    const scorer = await Scorer.load(model);
    local = await scorer.scoreBatch(pairs);
    await scorer.dispose();
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => stopServe(s)));
  });

  it('equals in-process scoring exactly while one server is killed mid-run', async () => {
    const remote = await RemoteScorer.connect(
      servers.map((s) => s.url),
      { remoteBatchSize: 16, remoteGiveUp: 30 },
    );
    expect(remote.endpoints.every((e) => e.alive)).toBe(true);
    let finished = false;
    const run = remote.scoreBatch(pairs).finally(() => (finished = true));
    // Kill the second server once it has answered a few batches, with more still to come.
    while (remote.endpoints[1].scored < 5 && !finished) await new Promise((r) => setTimeout(r, 5));
    servers[1].child.kill('SIGKILL');
    const killedWhileRunning = !finished;
    const scores = await run;
    expect(killedWhileRunning).toBe(true);
    expect(scores).toEqual(local);
    const [a, killed, c] = remote.endpoints;
    expect(killed.alive).toBe(false);
    expect(killed.failures).toBeGreaterThan(0);
    // The others took over the rest: batches answered add up to the whole run at least (a batch lost with the killed server is sent again).
    expect((a.scored + killed.scored + c.scored) * 16).toBeGreaterThanOrEqual(pairs.length);
    await remote.dispose();
  });

  it('cappy score --endpoint writes what cappy score --model writes, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cappy-remote-cli-'));
    try {
      const input = join(dir, 'in.jsonl');
      writeFileSync(
        input,
        pairsOf(400)
          .map((p, i) => (i % 3 ? JSON.stringify(p) : JSON.stringify({ id: i, instruction: p[0], response: p[1] })))
          .join('\n') + '\n',
      );
      const run = (args: string[]) =>
        spawnSync(process.execPath, [join(root, 'bin', 'cappy.js'), 'score', '--input', input, ...args], {
          cwd: root,
          encoding: 'utf8',
          timeout: 120_000,
        });
      const live = servers.filter((s) => s.child.exitCode === null && s.child.signalCode === null);
      const remote = run([
        '--output',
        join(dir, 'remote.jsonl'),
        ...live.flatMap((s) => ['--endpoint', s.url]),
        '--remote-batch-size',
        '32',
      ]);
      expect(remote.status, remote.stderr).toBe(0);
      const inProcess = run(['--output', join(dir, 'local.jsonl'), '--model', inject('tinyModelDir')]);
      expect(inProcess.status, inProcess.stderr).toBe(0);
      expect(readFileSync(join(dir, 'remote.jsonl'))).toEqual(readFileSync(join(dir, 'local.jsonl')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
