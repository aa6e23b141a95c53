// installShutdown in a real process: a child serves a slow fake scorer on
// 127.0.0.1, gets SIGTERM while requests are in flight, answers all of them,
// runs afterDrain, and exits 0. (The model suite repeats this with the real
// `cappy serve` CLI and a forged model.)
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeScore } from './server-fake.js';

const root = resolve(import.meta.dirname, '..', '..');

const entry = `
const { createServer, installShutdown } = await import('./lib/server/index.ts');
const { FakeScorer } = await import('./test/standalone/server-fake.ts');
const scorer = new FakeScorer();
scorer.delayMs = 300;
const server = createServer(scorer);
const shutdown = installShutdown(server, {
  afterDrain: async () => process.stderr.write('after-drain in-flight=' + scorer.inFlight + '\\n'),
  onSignal: (s) => process.stderr.write('signal ' + s + '\\n'),
});
const address = await server.listen({ host: '127.0.0.1', port: 0 });
process.stderr.write('listening on ' + address + '\\n');
await shutdown.done;
shutdown.remove();
`;

describe('installShutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s drains accepted requests and the process exits 0', async (signal) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', entry], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const base = await new Promise<string>((resolveBase, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listen line:\n${stderr}`)), 30_000);
        child.stderr.on('data', (d: string) => {
          stderr += d;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
          if (m) {
            clearTimeout(timer);
            resolveBase(m[1]);
          }
        });
      });
      const n = 10;
      const answers = Array.from({ length: n }, (_, i) =>
        fetch(`${base}/score`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pairs: [[`q${i}`, `a${i}`]] }),
        }).then(async (r) => ({ status: r.status, body: await r.json() })),
      );
      // Wait until the server has taken all of them in (its own count).
      const deadline = Date.now() + 10_000;
      for (;;) {
        const m = await (await fetch(`${base}/metrics`)).text();
        if (/^te_request_count\{method="score",model="[^"]+"\} 10$/m.test(m)) break;
        if (Date.now() > deadline) throw new Error('requests not accepted in time');
        await new Promise((r) => setTimeout(r, 5));
      }
      child.kill(signal);
      const results = await Promise.all(answers);
      results.forEach((r, i) => {
        expect(r.status).toBe(200);
        expect(r.body).toEqual({ scores: [fakeScore(`q${i}`, `a${i}`)] });
      });
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
      expect(code).toBe(0);
      expect(stderr).toContain(`signal ${signal}`);
      expect(stderr).toContain('after-drain in-flight=0');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
