// `cappy score --endpoint` (the built CLI, no model) against fake TEI servers
// in this process: the rows are the fake's scores in input order, sharded
// runs merge to the unsharded output, and dead endpoints end in RemoteError.
// The CLI runs with async spawn so the fake servers here keep answering.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeTei, type FakeTei } from './remote-fake-tei.js';
import { fakeScore } from './server-fake.js';

const root = resolve(import.meta.dirname, '..', '..');

function cappy(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'cappy.js'), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('exit', (code) => ok({ code, stderr }));
  });
}

describe('cappy score --endpoint (fake TEI servers)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cappy-remote-cli-'));
  const servers: FakeTei[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const pairs: [string, string][] = Array.from({ length: 150 }, (_, i) => [`q${i}`, `a ${i} ${'x'.repeat(i % 9)}`]);
  const input = join(dir, 'in.jsonl');
  writeFileSync(
    input,
    pairs.map((p, i) => JSON.stringify(i % 4 ? p : { id: `k${i}`, instruction: p[0], response: p[1] })).join('\n') + '\n',
  );
  // Built here from the fake's scoring function, not from the CLI: the expected file.
  const expected = pairs
    .map(
      ([a, b], i) =>
        JSON.stringify(i % 4 ? { index: i, score: fakeScore(a, b) } : { index: i, score: fakeScore(a, b), id: `k${i}` }) + '\n',
    )
    .join('');

  it('writes the servers’ scores in input order, through retries', async () => {
    servers.push(await startFakeTei({ delayMs: 3 }), await startFakeTei({ maxClientBatchSize: 5 }));
    servers[0].script = [{ status: 503, retryAfter: '0' }, { reset: true }, { status: 429 }];
    const out = join(dir, 'whole.jsonl');
    const r = await cappy([
      'score',
      '--input',
      input,
      '--output',
      out,
      '--endpoint',
      `${servers[0].url},${servers[1].url}`,
      '--remote-batch-size',
      '8',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });

  it('shards scored remotely merge to the unsharded output', async () => {
    const out = join(dir, 'sharded.jsonl');
    for (let i = 0; i < 4; i++) {
      const r = await cappy(['score', '--input', input, '--output', out, '--shard', `${i}/4`, '--endpoint', servers[1].url]);
      expect(r.code, r.stderr).toBe(0);
    }
    const m = await cappy(['merge', '--output', out]);
    expect(m.code, m.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(expected);
  });

  it('ends with RemoteError (exit 2) when no endpoint answers within --remote-give-up', async () => {
    const r = await cappy([
      'score',
      '--input',
      input,
      '--output',
      join(dir, 'never.jsonl'),
      '--endpoint',
      'http://127.0.0.1:9',
      '--remote-give-up',
      '0.3',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/RemoteError \[REMOTE\]: no endpoint answered/);
  });
});
