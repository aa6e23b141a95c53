// The server's request handling against a fake scorer, through Fastify's
// inject (no sockets): shapes, score semantics, limits, the error table,
// auth, timing headers and metrics.
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { cappyPlugin, createServer, ERROR_TABLE, mapError, ModelSet, type CappyServer } from '../../lib/server/index.js';
import { TEI_ERROR_TYPES, validateTei } from '../support/tei-schemas/index.js';
import { BAD_TEXT, FakeScorer, fakeScore } from './server-fake.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
let servers: CappyServer[] = [];

function make(opts: Parameters<typeof createServer>[1] = {}, scorer = new FakeScorer()) {
  const app = createServer(scorer, opts);
  servers.push(app);
  return { app, scorer };
}

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

const post = (app: CappyServer, url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('TEI /rerank', () => {
  const texts = ['Paris is the capital.', 'Bananas are yellow.', 'It is Paris.', 'France, capital: Paris'];
  const query = 'What is the capital of France?';

  it('answers a bare array sorted by score, sigmoid by default', async () => {
    const { app } = make();
    const r = await post(app, '/rerank', { query, texts });
    expect(r.statusCode).toBe(200);
    const body = r.json() as { index: number; score: number; text?: string }[];
    expect(body.map((x) => x.index).sort()).toEqual([0, 1, 2, 3]);
    for (const x of body) {
      expect(x.text).toBeUndefined();
      expect(x.score).toBeCloseTo(sigmoid(fakeScore(query, texts[x.index])), 12);
    }
    for (let i = 1; i < body.length; i++) expect(body[i - 1].score).toBeGreaterThanOrEqual(body[i].score);
  });

  it('raw_scores returns the raw logit; return_text echoes the text', async () => {
    const { app } = make();
    const body = (await post(app, '/rerank', { query, texts, raw_scores: true, return_text: true })).json();
    for (const x of body) {
      expect(x.score).toBe(fakeScore(query, texts[x.index]));
      expect(x.text).toBe(texts[x.index]);
    }
  });

  it('sets the TEI timing headers as whole milliseconds', async () => {
    const { app, scorer } = make();
    scorer.delayMs = 30;
    const r = await post(app, '/rerank', { query, texts });
    for (const h of ['x-compute-time', 'x-tokenization-time', 'x-queue-time', 'x-inference-time', 'x-total-time']) {
      expect(String(r.headers[h])).toMatch(/^\d+$/);
    }
    expect(Number(r.headers['x-compute-time'])).toBeGreaterThanOrEqual(25);
    expect(Number(r.headers['x-total-time'])).toBeGreaterThanOrEqual(Number(r.headers['x-compute-time']));
    // The fake reports 1 ms tokenizing and 2 ms running per call; the rest was waiting.
    expect(Number(r.headers['x-tokenization-time'])).toBe(1);
    expect(Number(r.headers['x-inference-time'])).toBe(2);
  });

  it('truncate=false refuses a pair over max_input_length with 422; the default truncates', async () => {
    const { app } = make();
    const long = 'word '.repeat(20);
    const refused = await post(app, '/rerank', { query, texts: ['short', long], truncate: false });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ error_type: 'Validation' });
    expect(refused.json().error).toMatch(/input 1 has \d+ tokens, more than max_input_length 16/);
    expect((await post(app, '/rerank', { query, texts: ['short'], truncate: false })).statusCode).toBe(200);
    expect((await post(app, '/rerank', { query, texts: ['short', long] })).statusCode).toBe(200);
    expect((await post(app, '/rerank', { query, texts, truncation_direction: 'Left' })).statusCode).toBe(422);
  });
});

describe('long inputs per request', () => {
  it("TEI's truncate: absent keeps the model's handling, true truncates; Cohere's max_chunks_per_doc chunks", async () => {
    const { app, scorer } = make();
    await post(app, '/rerank', { query: 'q', texts: ['a'] });
    await post(app, '/rerank', { query: 'q', texts: ['a'], truncate: true });
    await post(app, '/predict', { inputs: ['q', 'a'], truncate: false });
    await post(app, '/v1/rerank', { query: 'q', documents: ['a'], max_chunks_per_doc: 5 });
    await post(app, '/v1/rerank', { query: 'q', documents: ['a'] });
    expect(scorer.callOptions).toEqual([
      {},
      { longInputs: 'truncate' },
      { longInputs: 'truncate' },
      { longInputs: 'chunk', maxChunks: 5 },
      {},
    ]);
    expect((await post(app, '/v1/rerank', { query: 'q', documents: ['a'], max_chunks_per_doc: 0 })).statusCode).toBe(422);
    expect((await post(app, '/rerank', { query: 'q', texts: ['a'], truncate: 'yes' })).statusCode).toBe(422);
  });
});

describe('malformed and oversized requests', () => {
  // TEI's answers to the same bodies: axum's JSON extractor refuses JSON of
  // the wrong shape with 422 (and a body that is not JSON with 400); an
  // empty `texts` is TEI's own Empty, 400.
  it.each([
    ['no body', 400, 'Validation', 'BAD_REQUEST', undefined],
    ['a JSON array', 422, 'Validation', 'INVALID_REQUEST', []],
    ['missing query', 422, 'Validation', 'INVALID_REQUEST', { texts: ['a'] }],
    ['texts not an array', 422, 'Validation', 'INVALID_REQUEST', { query: 'q', texts: 'a' }],
    ['empty texts', 400, 'Empty', 'EMPTY', { query: 'q', texts: [] }],
    ['a number among texts', 422, 'Validation', 'INVALID_REQUEST', { query: 'q', texts: ['a', 3] }],
    ['raw_scores as a string', 422, 'Validation', 'INVALID_REQUEST', { query: 'q', texts: ['a'], raw_scores: 'yes' }],
  ])('%s is a %i %s (%s)', async (_what, status, type, code, payload) => {
    const { app } = make();
    const r = await app.inject({ method: 'POST', url: '/rerank', payload: payload as object | undefined });
    expect(r.statusCode).toBe(status);
    expect(r.json()).toEqual({ error: expect.any(String), error_type: type, code });
  });

  it('malformed JSON and an empty JSON body are 400s', async () => {
    const { app } = make();
    const headers = { 'content-type': 'application/json' };
    for (const payload of ['{"query": "q", "texts": [', '']) {
      const r = await app.inject({ method: 'POST', url: '/rerank', payload, headers });
      expect(r.statusCode).toBe(400);
      expect(r.json().error_type).toBe('Validation');
    }
  });

  it('more items than max_request_items is a 413, on every route family, before any scoring', async () => {
    const { app, scorer } = make({ maxRequestItems: 8 });
    const nine = Array.from({ length: 9 }, (_, i) => `t${i}`);
    const cases: [string, unknown][] = [
      ['/rerank', { query: 'q', texts: nine }],
      ['/v1/rerank', { query: 'q', documents: nine }],
      ['/predict', { inputs: nine.map((t) => ['q', t]) }],
      ['/score', { pairs: nine.map((t) => ['q', t]) }],
    ];
    for (const [url, payload] of cases) {
      const r = await post(app, url, payload);
      expect(r.statusCode, url).toBe(413);
      expect(r.json().error).toMatch(/max_request_items 8/);
    }
    expect(scorer.started).toBe(0);
    expect((await post(app, '/rerank', { query: 'q', texts: nine.slice(0, 8) })).statusCode).toBe(200);
  });

  it('a request past max_client_batch_size is split into calls of that size and answered as one, in order', async () => {
    const { app, scorer } = make({ maxClientBatchSize: 3 });
    scorer.delayMs = 5;
    const texts = Array.from({ length: 10 }, (_, i) => `text number ${i}`);
    const score = (await post(app, '/score', { pairs: texts.map((t) => ['q', t]) })).json();
    expect(score.scores).toEqual(texts.map((t) => fakeScore('q', t)));
    expect(scorer.callSizes).toEqual([3, 3, 3, 1]);
    // Two calls at a time: one runs while the next waits, and the request never holds more.
    expect(scorer.maxInFlight).toBe(2);
    const rerank = (await post(app, '/rerank', { query: 'q', texts, raw_scores: true })).json() as { index: number; score: number }[];
    const expected = texts.map((t, index) => ({ index, score: fakeScore('q', t) })).sort((a, b) => b.score - a.score || a.index - b.index);
    expect(rerank).toEqual(expected);
    const cohere = (await post(app, '/v1/rerank', { query: 'q', documents: texts, top_n: 4 })).json();
    expect(cohere.results.map((x: { index: number }) => x.index)).toEqual(expected.slice(0, 4).map((x) => x.index));
    const predict = (await post(app, '/predict', { inputs: texts.map((t) => ['q', t]), raw_scores: true })).json();
    expect(predict.map((p: { score: number }[]) => p[0].score)).toEqual(texts.map((t) => fakeScore('q', t)));
  });

  it('by default 10,000 texts are scored (in calls of 1024), and 70,000 are refused before any scoring', async () => {
    const { app, scorer } = make();
    const texts = Array.from({ length: 10_000 }, (_, i) => `text ${i}`);
    const r = await post(app, '/rerank', { query: 'q', texts, raw_scores: true });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toHaveLength(10_000);
    expect(Math.max(...scorer.callSizes)).toBe(1024);
    expect(scorer.callSizes.reduce((a, b) => a + b, 0)).toBe(10_000);
    const before = scorer.started;
    const many = Array.from({ length: 70_000 }, (_, i) => `t${i}`);
    const refused = await post(app, '/rerank', { query: 'q', texts: many });
    expect(refused.statusCode).toBe(413);
    expect(refused.json().error).toMatch(/max_request_items 65536/);
    expect(scorer.started).toBe(before);
  });

  it('a failure in one chunk fails the request and cancels the chunks not yet run', async () => {
    const { app, scorer } = make({ maxClientBatchSize: 2 });
    const texts = ['a', 'b', 'c', BAD_TEXT, 'e', 'f', 'g', 'h', 'i', 'j'];
    const r = await post(app, '/rerank', { query: 'q', texts });
    expect(r.statusCode).toBe(422);
    // The failing chunk is the second; at most the one beside it started after.
    expect(scorer.started).toBeLessThanOrEqual(3);
  });

  it('a body over the byte limit is a 413', async () => {
    const { app } = make({ bodyLimit: 1000 });
    const r = await post(app, '/rerank', { query: 'q', texts: ['x'.repeat(2000)] });
    expect(r.statusCode).toBe(413);
    expect(r.json().error_type).toBe('Validation');
  });

  it('a tokenizer failure is a 422 Tokenizer, a full queue a 429 Overloaded', async () => {
    const { app, scorer } = make();
    const bad = await post(app, '/rerank', { query: 'q', texts: ['fine', BAD_TEXT] });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error_type).toBe('Tokenizer');
    scorer.queueLimit = 2;
    const full = await post(app, '/rerank', { query: 'q', texts: ['a', 'b', 'c'] });
    expect(full.statusCode).toBe(429);
    expect(full.json().error_type).toBe('Overloaded');
    expect(full.headers['retry-after']).toBe('1'); // nothing waits in the fake's queue between calls
  });

  it('every 429 carries Retry-After: the queued pairs at the rate scored so far, over the calls run at once, in 1..60 s', async () => {
    // A queue of `queued` pairs on a scorer that spent `busyMs` on 1,000 pairs, 2 calls at once.
    const stalled = (queued: number, busyMs: number) => {
      const s = new FakeScorer();
      s.queueLimit = 0;
      const base = s.stats();
      s.stats = () => ({ ...base, pairs: 1000, tokenizeMs: busyMs / 10, runMs: (busyMs * 9) / 10, queuedPairs: queued });
      return make({}, s).app;
    };
    const retryAfter = async (app: CappyServer) => {
      const r = await post(app, '/rerank', { query: 'q', texts: ['a'] });
      expect(r.statusCode).toBe(429);
      return r.headers['retry-after'];
    };
    // 950 pairs × 10 ms per pair / 2 calls = 4.75 s → 5.
    expect(await retryAfter(stalled(950, 10_000))).toBe('5');
    // 200 × 1 ms / 2 = 0.1 s → at least 1.
    expect(await retryAfter(stalled(200, 1_000))).toBe('1');
    // 65,536 × 10 ms / 2 = 328 s → at most 60.
    expect(await retryAfter(stalled(65_536, 10_000))).toBe('60');
    // The same on every route that scores.
    const app = stalled(950, 10_000);
    for (const [url, payload] of [
      ['/predict', { inputs: ['q', 'a'] }],
      ['/v1/rerank', { query: 'q', documents: ['a'] }],
      ['/v2/rerank', { model: 'fake-cappy', query: 'q', documents: ['a'] }],
      ['/score', { pairs: [['q', 'a']] }],
      ['/score/stream', { pairs: [['q', 'a']] }],
    ] as const) {
      const r = await post(app, url, payload);
      expect([r.statusCode, r.headers['retry-after']], url).toEqual([429, '5']);
    }
  });

  it('unknown routes are a 404 in the same shape', async () => {
    const { app } = make();
    const r = await app.inject({ method: 'GET', url: '/nope' });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ error_type: 'Validation', code: 'NOT_FOUND' });
  });
});

describe('TEI /predict, /info, /health', () => {
  it('scores a pair and a batch of pairs', async () => {
    const { app } = make();
    const single = (await post(app, '/predict', { inputs: ['q', 'a'] })).json();
    expect(single).toEqual([{ score: sigmoid(fakeScore('q', 'a')), label: 'LABEL_0' }]);
    const batch = (
      await post(app, '/predict', {
        inputs: [
          ['q', 'a'],
          ['q', 'b'],
        ],
        raw_scores: true,
      })
    ).json();
    expect(batch).toEqual([[{ score: fakeScore('q', 'a'), label: 'LABEL_0' }], [{ score: fakeScore('q', 'b'), label: 'LABEL_0' }]]);
  });

  it('a lone string is a 422 (Cappy scores pairs); a triple or a number is a 422 too; nothing is Empty', async () => {
    const { app } = make();
    expect((await post(app, '/predict', { inputs: 'just one text' })).json()).toMatchObject({ code: 'UNPROCESSABLE' });
    expect((await post(app, '/predict', { inputs: [['only one']] })).statusCode).toBe(422);
    expect((await post(app, '/predict', { inputs: [['a', 'b', 'c']] })).json()).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((await post(app, '/predict', { inputs: 7 })).statusCode).toBe(422);
    const empty = await post(app, '/predict', { inputs: [] });
    expect([empty.statusCode, empty.json().error_type]).toEqual([400, 'Empty']);
  });

  it('/info reports the limits clients split requests by', async () => {
    const { app } = make({ maxClientBatchSize: 77, modelId: 'btan2/cappy-large' });
    const info = (await app.inject({ method: 'GET', url: '/info' })).json();
    expect(info).toMatchObject({
      model_id: 'btan2/cappy-large',
      served_model_name: 'btan2/cappy-large',
      max_input_length: 16,
      max_client_batch_size: 77,
      max_batch_tokens: 16384,
      auto_truncate: true,
      model_type: { reranker: { id2label: { '0': 'LABEL_0' } } },
      cappy: { tei_raw_scores_default: false },
    });
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    const dflt = (await make().app.inject({ method: 'GET', url: '/info' })).json();
    expect(dflt.model_id).toBe('fake-cappy');
    expect(dflt.model_dtype).toBe('float32'); // no dtype known: the fp32 default graph
    const half = new FakeScorer();
    half.info.model.dtype = 'fp16';
    expect((await make({}, half).app.inject({ method: 'GET', url: '/info' })).json().model_dtype).toBe('float16');
  });

  it("/health answers 200, and so does GET / (TEI's health route too)", async () => {
    const { app } = make();
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/' })).json()).toEqual({ status: 'ok', models: { 'fake-cappy': 'ready' } });
  });

  it('POST / is /rerank, as TEI serves a reranker at its base URL', async () => {
    const { app } = make();
    const body = { query: 'q', texts: ['a', 'b c'], raw_scores: true, return_text: true };
    const root = await post(app, '/', body);
    expect(root.statusCode).toBe(200);
    expect(root.json()).toEqual((await post(app, '/rerank', body)).json());
    expect((await post(app, '/', { query: 'q', texts: [] })).json().error_type).toBe('Empty');
  });
});

describe('Cohere /v1/rerank', () => {
  it('takes strings or {text}, answers results with raw relevance_score, top_n and documents', async () => {
    const { app } = make();
    const documents = ['alpha', { text: 'beta' }, 'gamma', { text: 'delta' }];
    const texts = ['alpha', 'beta', 'gamma', 'delta'];
    const r = await post(app, '/v1/rerank', { model: 'fake-cappy', query: 'q', documents, top_n: 2, return_documents: true });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.meta).toMatchObject({ api_version: { version: '1' } });
    expect(body.results).toHaveLength(2);
    const all = texts.map((t, index) => ({ index, s: fakeScore('q', t) })).sort((a, b) => b.s - a.s);
    body.results.forEach((x: { index: number; relevance_score: number; document: { text: string } }, k: number) => {
      expect(x.index).toBe(all[k].index);
      expect(x.relevance_score).toBe(all[k].s);
      expect(x.document).toEqual({ text: texts[x.index] });
    });
    const plain = (await post(app, '/v1/rerank', { query: 'q', documents: texts, top_n: 99 })).json();
    expect(plain.results).toHaveLength(4);
    expect(plain.results[0].document).toBeUndefined();
  });

  it('return_documents gives an object document back as it was given, every field', async () => {
    const { app } = make();
    const documents = [{ text: 'Mars is red.', title: 'Mars', meta: { id: 7 } }, 'Venus is hot.'];
    const body = (await post(app, '/v1/rerank', { query: 'q', documents, return_documents: true })).json();
    const byIndex = Object.fromEntries(body.results.map((x: { index: number; document: unknown }) => [x.index, x.document]));
    expect(byIndex).toEqual({ 0: documents[0], 1: { text: 'Venus is hot.' } });
    // Scored on `text` alone without rank_fields.
    expect(body.results.find((x: { index: number }) => x.index === 0).relevance_score).toBe(fakeScore('q', 'Mars is red.'));
  });

  it('rank_fields scores the named fields as `field: value` lines, in the order given', async () => {
    const { app } = make();
    const documents = [
      { title: 'Mars', text: 'The red planet.', year: 1877 },
      { text: 'Venus is hot.' }, // lacks title: its other field is still scored
      'Jupiter is big.', // a string is {text}
    ];
    const body = (
      await post(app, '/v1/rerank', { query: 'q', documents, rank_fields: ['title', 'text', 'year'], return_documents: true })
    ).json();
    const score = (i: number) => body.results.find((x: { index: number }) => x.index === i).relevance_score;
    expect(score(0)).toBe(fakeScore('q', 'title: Mars\ntext: The red planet.\nyear: 1877'));
    expect(score(1)).toBe(fakeScore('q', 'text: Venus is hot.'));
    expect(score(2)).toBe(fakeScore('q', 'text: Jupiter is big.'));
    expect(body.results.find((x: { index: number }) => x.index === 0).document).toEqual(documents[0]);
    // A document with none of the fields cannot be scored: said, not skipped.
    const none = await post(app, '/v1/rerank', { query: 'q', documents: [{ body: 'x' }], rank_fields: ['title'] });
    expect([none.statusCode, none.json().error]).toEqual([
      422,
      expect.stringMatching(/documents\[0\]" has none of the rank_fields \(title\)/),
    ]);
    for (const bad of [[], 'title', ['title', 'title'], [3]]) {
      expect((await post(app, '/v1/rerank', { query: 'q', documents: ['a'], rank_fields: bad })).statusCode, JSON.stringify(bad)).toBe(422);
    }
  });

  it('rejects bad documents and top_n with 422', async () => {
    const { app } = make();
    expect((await post(app, '/v1/rerank', { query: 'q', documents: [{ title: 'x' }] })).json().error).toMatch(
      /no string "text".*rank_fields/,
    );
    expect((await post(app, '/v1/rerank', { query: 'q', documents: [7] })).statusCode).toBe(422);
    expect((await post(app, '/v1/rerank', { query: 'q', documents: ['a'], top_n: 0 })).statusCode).toBe(422);
    expect((await post(app, '/v1/rerank', { query: 'q', documents: ['a'], top_n: 1.5 })).statusCode).toBe(422);
  });
});

describe('Cohere /v2/rerank', () => {
  it("answers v2's shape: {id, results: [{index, relevance_score}], meta}, no document echo, top_n", async () => {
    const { app } = make();
    const documents = ['alpha', 'beta', 'gamma'];
    const r = await post(app, '/v2/rerank', { model: 'fake-cappy', query: 'q', documents, top_n: 2, return_documents: true });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    const all = documents
      .map((t, index) => ({ index, relevance_score: fakeScore('q', t) }))
      .sort((a, b) => b.relevance_score - a.relevance_score);
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      results: all.slice(0, 2),
      meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } },
    });
  });

  it('requires model and string documents', async () => {
    const { app } = make();
    const noModel = await post(app, '/v2/rerank', { query: 'q', documents: ['a'] });
    expect([noModel.statusCode, noModel.json().error]).toEqual([422, expect.stringMatching(/"model" is required.*fake-cappy/)]);
    expect((await post(app, '/v2/rerank', { model: 'rerank-v3.5', query: 'q', documents: ['a'] })).statusCode).toBe(404);
    const objects = await post(app, '/v2/rerank', { model: 'fake-cappy', query: 'q', documents: [{ text: 'a' }] });
    expect([objects.statusCode, objects.json().error]).toEqual([422, expect.stringMatching(/YAML strings.*\/v1\/rerank/)]);
    expect((await post(app, '/v2/rerank', { model: 'fake-cappy', query: 'q', documents: [] })).json().error_type).toBe('Empty');
  });

  it('max_tokens_per_doc keeps the words that fit; at or past the model limit it changes nothing', async () => {
    const { app, scorer } = make();
    // The fake tokenizer: one token per word, 2 specials; the fake's max length is 16.
    const doc = 'one two three four five six';
    const capped = (
      await post(app, '/v2/rerank', { model: 'fake-cappy', query: 'q', documents: [doc, 'short'], max_tokens_per_doc: 4 })
    ).json();
    expect(capped.results.find((x: { index: number }) => x.index === 0).relevance_score).toBe(fakeScore('q', 'one two three four'));
    expect(capped.results.find((x: { index: number }) => x.index === 1).relevance_score).toBe(fakeScore('q', 'short'));
    const whole = (await post(app, '/v2/rerank', { model: 'fake-cappy', query: 'q', documents: [doc], max_tokens_per_doc: 16 })).json();
    expect(whole.results[0].relevance_score).toBe(fakeScore('q', doc));
    expect(scorer.callSizes.length).toBe(2);
    expect((await post(app, '/v2/rerank', { model: 'fake-cappy', query: 'q', documents: [doc], max_tokens_per_doc: 0 })).statusCode).toBe(
      422,
    );
  });
});

describe('native /score and /score/stream', () => {
  it('/score answers raw scores in input order, for tuples and objects', async () => {
    const { app } = make();
    const pairs = [['i1', 'r1'], { instruction: 'i2', response: 'r2' }, ['i3', '']];
    const r = await post(app, '/score', { pairs });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ scores: [fakeScore('i1', 'r1'), fakeScore('i2', 'r2'), fakeScore('i3', '')] });
    expect((await post(app, '/score', { pairs: [['only']] })).statusCode).toBe(422);
    expect((await post(app, '/score', { pairs: [{ instruction: 'x' }] })).statusCode).toBe(422);
    expect((await post(app, '/score', { pairs: [] })).json()).toMatchObject({ error_type: 'Empty', code: 'EMPTY' });
  });

  const ndjson = (lines: string[]) => ({ payload: lines.join('\n') + '\n', headers: { 'content-type': 'application/x-ndjson' } });
  const parseLines = (s: string) =>
    s
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));

  it('/score/stream turns NDJSON pairs into NDJSON scores with a final done line', async () => {
    const { app } = make({ streamChunkSize: 7 });
    const pairs = Array.from({ length: 50 }, (_, i) => [`q${i}`, `a${i}`]);
    const lines = pairs.map((p, i) => (i % 2 ? JSON.stringify(p) : JSON.stringify({ instruction: p[0], response: p[1] })));
    lines.splice(10, 0, '', '   ');
    const r = await app.inject({ method: 'POST', url: '/score/stream', ...ndjson(lines) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/application\/x-ndjson/);
    const out = parseLines(r.body);
    expect(out).toHaveLength(51);
    out.slice(0, 50).forEach((o, i) => expect(o).toEqual({ index: i, score: fakeScore(pairs[i][0], pairs[i][1]) }));
    expect(out[50]).toMatchObject({ done: true, count: 50 });
  });

  it('/score/stream also takes a JSON {pairs} body', async () => {
    const { app } = make();
    const r = await post(app, '/score/stream', {
      pairs: [
        ['a', 'b'],
        ['c', 'd'],
      ],
    });
    expect(parseLines(r.body).map((o) => o.score)).toEqual([fakeScore('a', 'b'), fakeScore('c', 'd'), undefined]);
  });

  it('a bad line before any score is a 400; after scores it ends the stream with an error line', async () => {
    const { app } = make({ streamChunkSize: 4 });
    const early = await app.inject({ method: 'POST', url: '/score/stream', ...ndjson(['["a","b"]', '{not json']) });
    expect(early.statusCode).toBe(400);
    expect(early.json().error).toMatch(/line 2: not valid JSON/);
    const good = Array.from({ length: 12 }, (_, i) => JSON.stringify([`q${i}`, 'a']));
    const late = await app.inject({ method: 'POST', url: '/score/stream', ...ndjson([...good, '[1, 2]']) });
    expect(late.statusCode).toBe(200);
    const out = parseLines(late.body);
    expect(out.at(-1)).toMatchObject({ error_type: 'Validation', status: 422, code: 'INVALID_REQUEST' });
    expect(out.at(-1).error).toMatch(/line 13/);
    const empty = await app.inject({ method: 'POST', url: '/score/stream', ...ndjson(['']) });
    expect([empty.statusCode, empty.json().error_type]).toEqual([400, 'Empty']);
  });

  it('/score/stream bounds one line, not the whole body', async () => {
    const { app } = make({ bodyLimit: 200 });
    const many = Array.from({ length: 100 }, (_, i) => JSON.stringify([`q${i}`, 'a']));
    expect((await app.inject({ method: 'POST', url: '/score/stream', ...ndjson(many) })).statusCode).toBe(200);
    const huge = await app.inject({ method: 'POST', url: '/score/stream', ...ndjson([JSON.stringify(['q', 'x'.repeat(500)])]) });
    expect(huge.statusCode).toBe(413);
  });
});

describe('auth', () => {
  const body = { query: 'q', texts: ['a'] };

  it('every route but /health needs the bearer key', async () => {
    const { app } = make({ apiKey: 's3cret-key' });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    const missing = await post(app, '/rerank', body);
    expect(missing.statusCode).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(missing.json()).toMatchObject({ error_type: 'Validation', code: 'UNAUTHORIZED' });
    for (const authorization of ['Bearer wrong', 'Bearer s3cret-key-longer', 'Basic s3cret-key', 's3cret-key', 'Bearer ']) {
      expect((await post(app, '/rerank', body, { authorization })).statusCode, authorization).toBe(401);
    }
    expect((await post(app, '/rerank', body, { authorization: 'Bearer s3cret-key' })).statusCode).toBe(200);
    expect((await post(app, '/rerank', body, { authorization: 'bearer s3cret-key' })).statusCode).toBe(200);
    for (const url of ['/info', '/metrics']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(401);
      const ok = await app.inject({ method: 'GET', url, headers: { authorization: 'Bearer s3cret-key' } });
      expect(ok.statusCode, url).toBe(200);
    }
  });

  it('rejects an empty key at construction', () => {
    expect(() => createServer(new FakeScorer(), { apiKey: '' })).toThrow(/apiKey/);
  });
});

describe('metrics', () => {
  it('exposes TEI names and the scorer totals', async () => {
    const { app } = make();
    await post(app, '/rerank', { query: 'q', texts: ['a b', 'c'] });
    await post(app, '/rerank', { query: 'q', texts: [] });
    await post(app, '/v1/rerank', { query: 'q', documents: ['a'] });
    const r = await app.inject({ method: 'GET', url: '/metrics' });
    expect(r.headers['content-type']).toMatch(/text\/plain/);
    const m = r.body;
    const model = 'model="fake-cappy"';
    expect(m).toMatch(new RegExp(`^te_request_count\\{method="rerank",${model}\\} 2$`, 'm'));
    expect(m).toMatch(new RegExp(`^te_request_success\\{method="rerank",${model}\\} 1$`, 'm'));
    expect(m).toMatch(new RegExp(`^te_request_failure\\{method="rerank",${model},err="EMPTY"\\} 1$`, 'm'));
    expect(m).toMatch(new RegExp(`^te_request_count\\{method="cohere_rerank",${model}\\} 1$`, 'm'));
    expect(m).toMatch(new RegExp(`^te_request_duration_bucket\\{le="\\+Inf",method="rerank",${model}\\} 2$`, 'm'));
    expect(m).toMatch(new RegExp(`^te_request_inference_duration_count\\{method="rerank",${model}\\} 1$`, 'm'));
    expect(m).toMatch(new RegExp(`^te_queue_size\\{${model}\\} 0$`, 'm'));
    expect(m).toMatch(new RegExp(`^te_batch_next_size\\{${model}\\} \\d`, 'm'));
    expect(m).toMatch(new RegExp(`^te_batch_next_tokens\\{${model}\\} \\d`, 'm'));
    expect(m).toMatch(new RegExp(`^cappy_pad_fraction\\{${model}\\} 0\\.5$`, 'm'));
    // rerank: (1+2+4) + (1+1+4); cohere: 1+1+4 → 19 real tokens, 38 computed.
    expect(m).toMatch(new RegExp(`^cappy_tokens_real_total\\{${model}\\} 19$`, 'm'));
    expect(m).toMatch(new RegExp(`^cappy_tokens_computed_total\\{${model}\\} 38$`, 'm'));
    // A second scrape does not count the same tokens twice.
    const again = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(again).toMatch(new RegExp(`^cappy_tokens_computed_total\\{${model}\\} 38$`, 'm'));
  });

  it('each server has its own registry', async () => {
    const a = make().app;
    const b = make().app;
    await post(a, '/score', { pairs: [['a', 'b']] });
    expect((await b.inject({ method: 'GET', url: '/metrics' })).body).not.toMatch(/te_request_count\{method="score"\}/);
  });
});

describe('embedding as a plugin', () => {
  it('mounts under a prefix; its auth and errors stay inside it', async () => {
    const host = Fastify();
    host.get('/hello', async () => ({ hi: true }));
    const state = { draining: false };
    await host.register(cappyPlugin, { scorer: new FakeScorer(), prefix: '/cappy', apiKey: 'k', state });
    const auth = { authorization: 'Bearer k' };
    expect((await host.inject({ method: 'GET', url: '/hello' })).statusCode).toBe(200);
    expect((await host.inject({ method: 'GET', url: '/cappy/health' })).statusCode).toBe(200);
    const r = await host.inject({ method: 'POST', url: '/cappy/score', payload: { pairs: [['a', 'b']] }, headers: auth });
    expect(r.json()).toEqual({ scores: [fakeScore('a', 'b')] });
    expect((await host.inject({ method: 'POST', url: '/cappy/score', payload: {} })).statusCode).toBe(401);
    state.draining = true;
    const drained = await host.inject({ method: 'POST', url: '/cappy/score', payload: { pairs: [['a', 'b']] }, headers: auth });
    expect(drained.statusCode).toBe(503);
    expect(drained.json().error_type).toBe('Unhealthy');
    expect((await host.inject({ method: 'GET', url: '/cappy/health' })).statusCode).toBe(503);
    expect((await host.inject({ method: 'GET', url: '/hello' })).statusCode).toBe(200);
    await host.close();
  });
});

describe('the error table', () => {
  it("every code's type is one of TEI's ErrorType kinds (TEI's own schema), and its body TEI's ErrorResponse", () => {
    for (const code of Object.keys(ERROR_TABLE)) {
      const m = mapError({ code, message: 'm' });
      expect(TEI_ERROR_TYPES, code).toContain(m.body.error_type);
      validateTei('error-response', m.body);
      expect(m.status).toBe(ERROR_TABLE[code as keyof typeof ERROR_TABLE].httpStatus);
    }
  });

  it('the bodies TEI routes send on failure validate as ErrorResponse: 429, 422 Tokenizer, 424 Backend, 503 while loading and draining', async () => {
    const { app, scorer } = make();
    const tokenizer = await post(app, '/rerank', { query: 'q', texts: [BAD_TEXT] });
    validateTei('error-response', tokenizer.json());
    scorer.queueLimit = 0;
    const full = await post(app, '/predict', { inputs: ['q', 'a'] });
    expect(full.statusCode).toBe(429);
    validateTei('error-response', full.json());
    const failing = new FakeScorer();
    failing.scoreBatch = async () => {
      throw Object.assign(new Error('ORT failed'), { code: 'RUNTIME' });
    };
    const backend = await post(make({}, failing).app, '/rerank', { query: 'q', texts: ['a'] });
    expect(backend.statusCode).toBe(424);
    validateTei('error-response', backend.json());
    const loading = createServer(new ModelSet(['m']));
    servers.push(loading);
    for (const [method, url] of [
      ['GET', '/health'],
      ['GET', '/'],
      ['POST', '/rerank'],
    ] as const) {
      const r = await loading.inject({ method, url, payload: method === 'POST' ? { query: 'q', texts: ['a'] } : undefined });
      expect(r.statusCode, url).toBe(503);
      validateTei('error-response', r.json());
    }
    void app.cappy.drain();
    const drained = await post(app, '/rerank', { query: 'q', texts: ['a'] });
    expect(drained.statusCode).toBe(503);
    validateTei('error-response', drained.json());
  });

  it.each([
    [{ code: 'TOKENIZER', message: 'm' }, 422, 'Tokenizer'],
    [{ code: 'INVALID_INPUT', message: 'm' }, 422, 'Validation'],
    [{ code: 'QUEUE_FULL', message: 'm' }, 429, 'Overloaded'],
    [{ code: 'DISPOSED', message: 'm' }, 503, 'Unhealthy'],
    [{ code: 'RUNTIME', message: 'm' }, 424, 'Backend'],
    [{ code: 'ABORTED', message: 'm' }, 499, 'Validation'],
    [{ name: 'AbortError', message: 'm' }, 499, 'Validation'],
    [{ code: 'UNAUTHORIZED', message: 'm' }, 401, 'Validation'],
    [{ code: 'EMPTY', message: 'm' }, 400, 'Empty'],
    [{ code: 'INVALID_REQUEST', message: 'm' }, 422, 'Validation'],
    [{ statusCode: 400, code: 'FST_ERR_CTP_EMPTY_JSON_BODY', message: 'm' }, 400, 'Validation'],
    [{ statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', message: 'm' }, 415, 'Validation'],
    [new Error('secret internals'), 500, 'Backend'],
  ])('%o → %i %s', (e, status, type) => {
    const m = mapError(e);
    expect(m.status).toBe(status);
    expect(m.body.error_type).toBe(type);
    if (status === 500) expect(m.body.error).not.toMatch(/secret/);
  });
});
