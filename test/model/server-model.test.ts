// The server with a real forged model on 127.0.0.1: every route against
// in-process scores of the same pairs, a bounded load run at 64 concurrent
// connections, a request split server-side, and abuse (malformed bodies, huge
// bodies, 70,000 texts, a slow client, a burst past the queue). Every loop is bounded in count and time.
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { join } from 'node:path';
import { Scorer } from '../../lib/index.js';
import { hfTokenizer } from '../../support/hf.js';
import { createServer, type CappyServer } from '../../lib/server/index.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const query = 'Which planet is known as the Red Planet?';
const texts = ['Mars.', 'Venus is the hottest planet.', 'The Red Planet is Mars, the fourth planet.', 'Jupiter', 'I do not know.'];

let scorer: Scorer;
let app: CappyServer;
let base: string;

beforeAll(async () => {
  scorer = await Scorer.load(inject('tinyModelDir'), { maxQueuedPairs: 4096 });
  app = createServer(scorer, { maxClientBatchSize: 1024, bodyLimit: 1 << 20 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.cappy.drain();
  await scorer?.dispose();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const r = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

describe('routes match in-process scores', () => {
  it('/rerank (raw and sigmoid), /predict, /v1/rerank and /score', async () => {
    const expected = await scorer.scoreBatch(texts.map((t) => [query, t] as const));
    const raw = JSON.parse((await post('/rerank', { query, texts, raw_scores: true })).text);
    expect(raw.map((x: { index: number }) => x.index)).toEqual(
      Array.from(expected, (s, i) => ({ s, i }))
        .sort((a, b) => b.s - a.s || a.i - b.i)
        .map((x) => x.i),
    );
    for (const x of raw) expect(x.score).toBeCloseTo(expected[x.index], 5);
    const sig = JSON.parse((await post('/rerank', { query, texts })).text);
    for (const x of sig) expect(x.score).toBeCloseTo(sigmoid(expected[x.index]), 5);
    const predict = JSON.parse((await post('/predict', { inputs: texts.map((t) => [query, t]), raw_scores: true })).text);
    predict.forEach((p: { score: number }[], i: number) => expect(p[0].score).toBeCloseTo(expected[i], 5));
    const cohere = JSON.parse((await post('/v1/rerank', { query, documents: texts, top_n: 2 })).text);
    expect(cohere.results).toHaveLength(2);
    for (const x of cohere.results) expect(x.relevance_score).toBeCloseTo(expected[x.index], 5);
    const score = JSON.parse((await post('/score', { pairs: texts.map((t) => [query, t]) })).text);
    score.scores.forEach((s: number, i: number) => expect(s).toBeCloseTo(expected[i], 5));
  });

  it('sets timing headers from the real scorer', async () => {
    const r = await post('/score', { pairs: [[query, texts[0]]] });
    for (const h of ['x-compute-time', 'x-tokenization-time', 'x-queue-time', 'x-inference-time', 'x-total-time']) {
      expect(r.headers.get(h)).toMatch(/^\d+$/);
    }
    expect(Number(r.headers.get('x-compute-tokens'))).toBeGreaterThan(4);
  });

  it('/score/stream scores 3,000 NDJSON pairs in order', async () => {
    const pairs = Array.from({ length: 3000 }, (_, i) => [`question ${i}`, `answer ${'word '.repeat(i % 40)}`] as const);
    const expected = await scorer.scoreBatch(pairs);
    const r = await fetch(base + '/score/stream', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: pairs.map((p) => JSON.stringify(p)).join('\n'),
    });
    expect(r.status).toBe(200);
    const lines = (await r.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3001);
    lines.slice(0, 3000).forEach((o, i) => {
      expect(o.index).toBe(i);
      expect(o.score).toBeCloseTo(expected[i], 5);
    });
    expect(lines[3000]).toMatchObject({ done: true, count: 3000 });
  });

  it('truncate=false refuses an over-long pair with 422, truncation scores it', async () => {
    const long = 'lorem ipsum dolor '.repeat(400);
    const refused = await post('/rerank', { query, texts: [long], truncate: false });
    expect(refused.status).toBe(422);
    expect(JSON.parse(refused.text).error).toMatch(/more than max_input_length 512/);
    expect((await post('/rerank', { query, texts: ['short'], truncate: false })).status).toBe(200);
    expect((await post('/rerank', { query, texts: [long] })).status).toBe(200);
  });

  it('the 422 for an over-long pair gives its real length, as HF tokenizers count it untruncated', async () => {
    // HF tokenizers (no truncation) is the truth for the pair's length; the
    // server's own tokenizer cuts at 512, so a count near 515 for every long
    // text is the bug this guards against.
    const hf = hfTokenizer(join(inject('tinyModelDir'), 'tokenizer.json'));
    const words = ['lorem', 'ipsum', 'dolor,', 'sit', 'amet;', 'Mars!', 'planète', '火星', 'red-planet', '2026'];
    const textOf = (n: number) => Array.from({ length: n }, (_, i) => words[(i * 7) % words.length]).join(i0(n));
    const i0 = (n: number) => (n % 2 ? ' ' : '  \n'); // single spaces, and runs of mixed whitespace
    const counts: number[] = [];
    for (const n of [600, 1000, 3000]) {
      const text = textOf(n);
      const truth = (await hf.encode(query, text, { addSpecialTokens: true })).getIds().length;
      const r = await post('/rerank', { query, texts: ['short', text], truncate: false });
      expect(r.status).toBe(422);
      const m = /input 1 has (\d+) tokens, more than max_input_length 512/.exec(JSON.parse(r.text).error);
      expect(m, r.text).not.toBeNull();
      expect(Number(m![1])).toBe(truth);
      counts.push(truth);
      // /predict says the same.
      const p = JSON.parse((await post('/predict', { inputs: [[query, text]], truncate: false })).text);
      expect(p.error).toContain(`has ${truth} tokens`);
    }
    expect(new Set(counts).size).toBe(3);
  });

  it('/info reports the scorer', async () => {
    const info = (await (await fetch(base + '/info')).json()) as { max_concurrent_requests: number };
    expect(info).toMatchObject({ max_input_length: 512, max_client_batch_size: 1024, cappy: { forged: true } });
    // TEI's max_concurrent_requests is requests held before a 429: this scorer holds 4096 waiting pairs.
    expect(info.max_concurrent_requests).toBe(4096);
  });
});

describe('big requests', () => {
  it('2,500 texts (past max_client_batch_size 1024) are split server-side and answered as one, in order', async () => {
    const docs = Array.from({ length: 2500 }, (_, i) => `document ${i}: ${'word '.repeat(i % 17)}`);
    const expected = await scorer.scoreBatch(docs.map((d) => [query, d] as const));
    const before = scorer.stats().calls;
    const r = await post('/score', { pairs: docs.map((d) => [query, d]) });
    expect(r.status).toBe(200);
    const got: number[] = JSON.parse(r.text).scores;
    expect(got).toHaveLength(2500);
    got.forEach((s, i) => expect(s).toBeCloseTo(expected[i], 5));
    // At least three native calls: 1024 + 1024 + 452.
    expect(scorer.stats().calls - before).toBeGreaterThanOrEqual(3);
  });
});

describe('load', () => {
  it('64 concurrent connections, 640 requests: 0 errors, every answer checked', async () => {
    const pairsFor = (k: number) => Array.from({ length: 1 + (k % 4) }, (_, j) => [`q${k % 50}`, `candidate ${j} for ${k}`] as const);
    const total = 640;
    const all = Array.from({ length: total }, (_, k) => pairsFor(k));
    const expected = await scorer.scoreBatch(all.flat());
    const offsets: number[] = [];
    all.reduce((o, p, k) => ((offsets[k] = o), o + p.length), 0);
    let next = 0;
    let errors = 0;
    const deadline = Date.now() + 90_000;
    const worker = async () => {
      while (next < total && Date.now() < deadline) {
        const k = next++;
        const r = await post('/score', { pairs: all[k] });
        if (r.status !== 200) {
          errors += 1;
          continue;
        }
        JSON.parse(r.text).scores.forEach((s: number, j: number) => expect(s).toBeCloseTo(expected[offsets[k] + j], 4));
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    expect(next).toBe(total);
    expect(errors).toBe(0);
  });
});

describe('abuse', () => {
  it('malformed JSON, wrong types, a huge body and 70,000 texts are refused cleanly', async () => {
    expect((await post('/rerank', '{"query": "q", "texts": [')).status).toBe(400);
    expect((await post('/rerank', { query: 7, texts: ['a'] })).status).toBe(422);
    expect((await post('/score', { pairs: 'nope' })).status).toBe(422);
    expect((await post('/rerank', { query: 'q', texts: ['x'.repeat(2 << 20)] })).status).toBe(413);
    const many = await post('/rerank', { query: 'q', texts: Array.from({ length: 70_000 }, (_, i) => `t${i}`) });
    expect(many.status).toBe(413);
    expect(JSON.parse(many.text)).toMatchObject({ error_type: 'Validation' });
    expect((await post('/score', { pairs: [['still', 'alive']] })).status).toBe(200);
  });

  it('a slow client does not hold up others', async () => {
    const body = JSON.stringify({ pairs: [['slow', 'client']] });
    const port = new URL(base).port;
    const sock = connect(Number(port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`POST /score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    let reply = '';
    sock.on('data', (d) => (reply += d.toString()));
    // Trickle the body a few bytes at a time while others are served.
    for (let i = 0; i < body.length; i += 8) {
      sock.write(body.slice(i, i + 8));
      if (i === 16) expect((await post('/score', { pairs: [['fast', 'client']] })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 10));
    }
    const end = Date.now() + 10_000;
    while (!/"scores"/.test(reply) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    sock.destroy();
    expect(reply).toMatch(/^HTTP\/1\.1 200/);
  });

  it('a client that leaves mid-request has its native work cancelled', async () => {
    const text = 'a long answer that keeps going and going, '.repeat(40);
    // About 0.9 MB (under this server's 1 MiB limit) and most of a second of work.
    const body = JSON.stringify({ pairs: Array.from({ length: 512 }, (_, i) => [`question ${i}`, text]) });
    const count = async () =>
      Number(/^te_request_count\{method="score",model="[^"]+"\} (\d+)$/m.exec(await (await fetch(base + '/metrics')).text())?.[1] ?? 0);
    const accepted = await count();
    const before = scorer.stats();
    const sock = connect(Number(new URL(base).port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(`POST /score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`);
    sock.write(body);
    // Leave once the server has taken it in and begun scoring (about a second of work).
    const started = Date.now();
    while ((await count()) === accepted && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 100));
    sock.destroy();
    let metrics = '';
    const end = Date.now() + 30_000;
    while (!/te_request_failure\{method="score",model="[^"]+",err="ABORTED"\} 1/.test(metrics) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      metrics = await (await fetch(base + '/metrics')).text();
    }
    expect(metrics).toMatch(/te_request_failure\{method="score",model="[^"]+",err="ABORTED"\} 1/);
    // The cancelled call never completed, so its 512 pairs were never counted as scored.
    const end2 = Date.now() + 30_000;
    while (scorer.stats().queuedPairs > 0 && Date.now() < end2) await new Promise((r) => setTimeout(r, 20));
    expect(scorer.stats().pairs - before.pairs).toBeLessThan(512);
    expect((await post('/score', { pairs: [['still', 'alive']] })).status).toBe(200);
  });

  it('a burst past the queue gets 429s, no crash, bounded memory', async () => {
    const small = await Scorer.load(inject('tinyModelDir'), { maxQueuedPairs: 256, maxConcurrentCalls: 1 });
    const burst = createServer(small);
    await burst.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(burst.server.address() as AddressInfo).port}/score`;
    const pairs = Array.from({ length: 128 }, (_, i) => [`burst ${i}`, 'an answer with several words in it'] as const);
    const rss0 = process.memoryUsage().rss;
    try {
      const statuses = await Promise.all(
        Array.from({ length: 48 }, () =>
          fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pairs }) }).then(
            async (r) => {
              const body = (await r.json()) as { error_type?: string; scores?: number[] };
              // A real queue: Retry-After is its drain time at the rate measured so far, 1..60 s.
              if (r.status === 429) {
                expect(body.error_type).toBe('Overloaded');
                expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
                expect(Number(r.headers.get('retry-after'))).toBeLessThanOrEqual(60);
              }
              if (r.status === 200) expect(body.scores).toHaveLength(128);
              return r.status;
            },
          ),
        ),
      );
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
      expect((await fetch(url.replace('/score', '/health'))).status).toBe(200);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(512 * 1024 * 1024);
      const metrics = await (await fetch(url.replace('/score', '/metrics'))).text();
      expect(metrics).toMatch(/te_request_failure\{method="score",model="[^"]+",err="QUEUE_FULL"\} [1-9]/);
    } finally {
      await burst.cappy.drain();
      await small.dispose();
    }
  });
});
