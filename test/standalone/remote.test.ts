// RemoteScorer against fake TEI servers (no model): the scores must be the
// fake's function of each pair, in input order, whatever the servers do:
// 429 with Retry-After, 503, reset connections, slow answers, a dead server.
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteError, RemoteScorer } from '../../lib/index.js';
import { parseRetryAfter } from '../../lib/remote/index.js';
import { startFakeTei, type FakeTei } from './remote-fake-tei.js';
import { fakeScore } from './server-fake.js';

const pairs = (n: number, tag = 'p'): [string, string][] =>
  Array.from({ length: n }, (_, i) => [`${tag} question ${i}`, `answer ${i} ${'w '.repeat(i % 7)}`]);
const expected = (ps: [string, string][]) => Float32Array.from(ps, ([a, b]) => fakeScore(a, b));

/** Every pair sent in some request, as a multiset key → times. */
function sentCounts(servers: FakeTei[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of servers) for (const r of s.requests) for (const p of r) m.set(p.join('\u0001'), (m.get(p.join('\u0001')) ?? 0) + 1);
  return m;
}

let open: FakeTei[] = [];
const fake = async (info?: Parameters<typeof startFakeTei>[0]) => {
  const f = await startFakeTei(info);
  open.push(f);
  return f;
};
afterEach(async () => {
  await Promise.all(open.map((f) => f.close()));
  open = [];
});

/** A port nothing listens on (taken, then released). */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

describe('RemoteScorer', () => {
  it('returns scores in input order across endpoints with uneven latency, each pair sent once', async () => {
    const fast = await fake({ delayMs: 1 });
    const slow = await fake({ delayMs: 25 });
    const r = await RemoteScorer.connect([fast.url, slow.url], { remoteBatchSize: 7 });
    const ps = pairs(500);
    expect(await r.scoreBatch(ps)).toEqual(expected(ps));
    expect(fast.requests.length).toBeGreaterThan(0);
    expect(slow.requests.length).toBeGreaterThan(0);
    expect([...sentCounts([fast, slow]).values()].every((n) => n === 1)).toBe(true);
    expect(sentCounts([fast, slow]).size).toBe(500);
  });

  it("respects each server's max_client_batch_size and max_concurrent_requests", async () => {
    const a = await fake({ maxClientBatchSize: 5, maxConcurrentRequests: 2, delayMs: 5 });
    const b = await fake({ maxClientBatchSize: 64, maxConcurrentRequests: 3, delayMs: 5 });
    const r = await RemoteScorer.connect([a.url, b.url], { remoteBatchSize: 40, endpointConcurrency: 8 });
    const ps = pairs(400);
    expect(await r.scoreBatch(ps)).toEqual(expected(ps));
    expect(Math.max(...a.requests.map((q) => q.length))).toBeLessThanOrEqual(5);
    expect(Math.max(...b.requests.map((q) => q.length))).toBeLessThanOrEqual(40);
    expect(a.maxInFlight).toBeLessThanOrEqual(2);
    expect(b.maxInFlight).toBeLessThanOrEqual(3);
    expect(r.endpoints.map((e) => e.slots)).toEqual([2, 3]);
  });

  it('retries 429 and 503 (waiting out Retry-After) and reset connections, losing and duplicating nothing', async () => {
    const s = await fake();
    s.script = [{ status: 429, retryAfter: '0' }, { status: 503, retryAfter: '0.05' }, { reset: true }, { status: 503 }, { status: 502 }];
    const r = await RemoteScorer.connect([s.url], { remoteBatchSize: 10 });
    const ps = pairs(95);
    expect(await r.scoreBatch(ps)).toEqual(expected(ps));
    // Five failed requests were sent again: every pair answered once, some sent twice.
    expect(s.script).toEqual([]);
    expect(s.requests.length).toBe(10 + 5);
  });

  it('gives up on a request past --remote-timeout and sends the batch again', async () => {
    const s = await fake();
    s.script = [{ delayMs: 2_000 }];
    const r = await RemoteScorer.connect([s.url], { remoteBatchSize: 10, endpointConcurrency: 1, remoteTimeout: 0.2 });
    const ps = pairs(30);
    expect(await r.scoreBatch(ps)).toEqual(expected(ps));
    // The slow first request was abandoned and its batch sent again: 3 batches, 4 requests.
    expect(s.requests.length).toBe(4);
    expect(r.endpoints[0].failures).toBe(1);
  });

  it('keeps concurrent calls apart', async () => {
    const s = await fake({ delayMs: 2 });
    const r = await RemoteScorer.connect([s.url], { remoteBatchSize: 3 });
    const sets = [pairs(31, 'a'), pairs(17, 'b'), pairs(1, 'c'), pairs(0, 'd')];
    const out = await Promise.all(sets.map((p) => r.scoreBatch(p)));
    out.forEach((o, i) => expect(o).toEqual(expected(sets[i])));
  });

  it('drops a dead endpoint, carries on with the others, and returns to it when it is back', async () => {
    const good = await fake({ delayMs: 20, maxConcurrentRequests: 1 });
    const dead = await deadUrl();
    const r = await RemoteScorer.connect([dead, good.url], { remoteBatchSize: 4 });
    expect(r.endpoints[0].alive).toBe(false);
    const ps = pairs(200);
    const scoring = r.scoreBatch(ps);
    // The dead server comes up on its port while the run goes on.
    await new Promise((res) => setTimeout(res, 150));
    const revived = await fake({ port: Number(new URL(dead).port) });
    expect(await scoring).toEqual(expected(ps));
    expect(revived.requests.length).toBeGreaterThan(0);
    expect(r.endpoints[0].alive).toBe(true);
    expect(sentCounts([good, revived]).size).toBe(200);
    expect([...sentCounts([good, revived]).values()].every((n) => n === 1)).toBe(true);
  });

  it('splits a batch a server refuses as too large (413) and remembers its size', async () => {
    // /info says 64 but the server takes 3: its 413 is the truth.
    const s = await fake({ maxClientBatchSize: 64, refuseAbove: 3 });
    const r = await RemoteScorer.connect([s.url], { remoteBatchSize: 8, endpointConcurrency: 1 });
    const ps = pairs(40);
    expect(await r.scoreBatch(ps)).toEqual(expected(ps));
    const sizes = s.requests.map((q) => q.length);
    expect(sizes.slice(0, 3)).toEqual([8, 4, 2]);
    // Once learned, batches fit at once: no further 413s (every later request is ≤ 2 and succeeds).
    expect(sizes.slice(3).every((n) => n <= 2)).toBe(true);
    expect(r.endpoints[0].limits.maxClientBatchSize).toBe(2);
  });

  it('fails with RemoteError once every endpoint stays dead past the bound', async () => {
    const r = await RemoteScorer.connect([await deadUrl(), await deadUrl()], { remoteGiveUp: 0.3 });
    const t0 = Date.now();
    const err = await r.scoreBatch(pairs(3)).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.code).toBe('REMOTE');
    expect(err.message).toMatch(/no endpoint answered/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
  });

  it('fails with RemoteError when a server keeps refusing past the attempt bound, and at once on a 4xx', async () => {
    const busy = await fake();
    busy.always = { status: 429, retryAfter: '0' };
    const r = await RemoteScorer.connect([busy.url], { remoteMaxAttempts: 3 });
    const err = await r.scoreBatch(pairs(2)).catch((e) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err.status).toBe(429);
    expect(busy.requests.length).toBe(3);

    const strict = await fake();
    strict.script = [{ status: 422, body: JSON.stringify({ error: 'input too long', error_type: 'Validation' }) }];
    const r2 = await RemoteScorer.connect([strict.url]);
    const err2 = await r2.scoreBatch(pairs(2)).catch((e) => e);
    expect(err2).toBeInstanceOf(RemoteError);
    expect(err2.status).toBe(422);
    expect(err2.message).toMatch(/input too long/);
  });

  it('rejects bad pairs and bad endpoints before sending anything', async () => {
    const s = await fake();
    const r = await RemoteScorer.connect([s.url]);
    await expect(r.scoreBatch([['only one'] as unknown as [string, string]])).rejects.toThrow(/pairs\[0\]/);
    await expect(RemoteScorer.connect([])).rejects.toThrow(/at least one/);
    await expect(RemoteScorer.connect(['ftp://x'])).rejects.toThrow(/http\(s\) URL/);
    expect(s.requests.length).toBe(0);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});
