// Several models in one server, on fake scorers: the `model` field (or
// ?model=) picks one, the default applies when absent, an unknown name is a
// 404 listing the names; /info, /v1/models and the metrics list every model;
// readiness and liveness through loading, warming, ready and draining; the
// drain timeout fails what is left with 503; a saturated model does not hold
// another's requests.
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { cappyPlugin, createServer, installShutdown, ModelSet, type CappyServer } from '../../lib/server/index.js';
import { FakeScorer, fakeScore } from './server-fake.js';

let servers: CappyServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function two(opts: Parameters<typeof createServer>[1] = {}) {
  const fast = new FakeScorer();
  const slow = new FakeScorer();
  slow.info.model.dir = '/models/slow';
  const app = createServer({ fast, slow }, opts);
  servers.push(app);
  return { app, fast, slow };
}

const post = (app: FastifyInstance, url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('routing by model', () => {
  it('the model field picks the model on every route; absent, the default (the first) serves', async () => {
    const { app, fast, slow } = two();
    const cases: [string, object][] = [
      ['/rerank', { query: 'q', texts: ['a'] }],
      ['/predict', { inputs: ['q', 'a'] }],
      ['/v1/rerank', { query: 'q', documents: ['a'] }],
      ['/score', { pairs: [['q', 'a']] }],
      ['/score/stream', { pairs: [['q', 'a']] }],
    ];
    for (const [url, body] of cases) {
      expect((await post(app, url, { ...body, model: 'slow' })).statusCode, url).toBe(200);
      expect((await post(app, url, body)).statusCode, url).toBe(200);
    }
    expect(slow.started).toBe(cases.length);
    expect(fast.started).toBe(cases.length);
    // NDJSON bodies name the model in the query.
    const nd = await app.inject({
      method: 'POST',
      url: '/score/stream?model=slow',
      payload: '["q","b"]\n',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(nd.statusCode).toBe(200);
    expect(nd.body.split('\n')[0]).toBe(JSON.stringify({ index: 0, score: fakeScore('q', 'b') }));
    expect(slow.started).toBe(cases.length + 1);
  });

  it('defaultModel chooses the default', async () => {
    const { app, fast, slow } = two({ defaultModel: 'slow' });
    await post(app, '/score', { pairs: [['q', 'a']] });
    expect([fast.started, slow.started]).toEqual([0, 1]);
    expect(() => createServer({ a: new FakeScorer() }, { defaultModel: 'b' })).toThrow(/default model 'b' is not among/);
  });

  it('an unknown model is a 404 that lists the names; a non-string model is a 422', async () => {
    const { app, fast, slow } = two();
    const r = await post(app, '/v1/rerank', { model: 'rerank-english-v3.0', query: 'q', documents: ['a'] });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({
      error: expect.stringMatching(/'rerank-english-v3\.0' is not served here; models: fast, slow/),
      error_type: 'Validation',
      code: 'NOT_FOUND',
    });
    expect((await post(app, '/score', { model: 7, pairs: [['q', 'a']] })).statusCode).toBe(422);
    expect(fast.started + slow.started).toBe(0);
  });

  it('/info describes the default (or ?model=) in TEI fields and lists every model; /v1/models lists them', async () => {
    const { app } = two({ maxClientBatchSize: 100, maxRequestItems: 5000 });
    const info = (await app.inject({ method: 'GET', url: '/info' })).json();
    expect(info).toMatchObject({
      model_id: 'fast',
      max_client_batch_size: 100,
      cappy: { max_request_items: 5000, default: true, state: 'ready' },
    });
    expect(info.models.map((m: { model_id: string }) => m.model_id)).toEqual(['fast', 'slow']);
    expect((await app.inject({ method: 'GET', url: '/info?model=slow' })).json().model_id).toBe('slow');
    expect((await app.inject({ method: 'GET', url: '/info?model=nope' })).statusCode).toBe(404);
    const list = (await app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(list.object).toBe('list');
    expect(list.data).toEqual([
      expect.objectContaining({
        id: 'fast',
        object: 'model',
        owned_by: 'cappy-engine',
        default: true,
        state: 'ready',
        max_input_length: 16,
      }),
      expect.objectContaining({ id: 'slow', object: 'model', default: false }),
    ]);
  });

  it('metrics carry the model label, per model', async () => {
    const { app } = two();
    await post(app, '/score', { pairs: [['q', 'a b']] });
    await post(app, '/score', {
      model: 'slow',
      pairs: [
        ['q', 'a'],
        ['q', 'b'],
      ],
    });
    await post(app, '/score', { model: 'nope', pairs: [['q', 'a']] });
    const m = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(m).toMatch(/^te_request_count\{method="score",model="fast"\} 1$/m);
    expect(m).toMatch(/^te_request_count\{method="score",model="slow"\} 1$/m);
    // An unknown name is not a label value (labels stay bounded).
    expect(m).toMatch(/^te_request_failure\{method="score",model="",err="NOT_FOUND"\} 1$/m);
    expect(m).toMatch(/^te_queue_size\{model="fast"\} 0$/m);
    expect(m).toMatch(/^te_queue_size\{model="slow"\} 0$/m);
    expect(m).toMatch(/^cappy_pairs_scored_total\{model="fast"\} 1$/m);
    expect(m).toMatch(/^cappy_pairs_scored_total\{model="slow"\} 2$/m);
    expect(m).toMatch(/^te_request_inference_duration_count\{method="score",model="slow"\} 1$/m);
  });

  it('two models with the same name, or a bad name, are refused', () => {
    expect(() => new ModelSet(['a', 'a'])).toThrow(/given twice/);
    expect(() => new ModelSet(['has space'])).toThrow(/a model name is/);
    expect(() => new ModelSet([])).toThrow(/at least one model/);
  });
});

describe('readiness and liveness', () => {
  it('/health is 503 while loading and warming, 200 when every model is ready, 503 again while draining; /live is always 200', async () => {
    const models = new ModelSet(['a', 'b']);
    // Mounted with a state we hold, to see draining through inject (a closed app takes no more requests).
    const state = { draining: false };
    const app = Fastify();
    await app.register(cappyPlugin, { models, state });
    const health = async () => {
      const r = await app.inject({ method: 'GET', url: '/health' });
      return { code: r.statusCode, body: r.json() };
    };
    const live = async () => (await app.inject({ method: 'GET', url: '/live' })).statusCode;

    expect(await health()).toEqual({
      code: 503,
      body: expect.objectContaining({ status: 'loading', error_type: 'Unhealthy', models: { a: 'loading', b: 'loading' } }),
    });
    expect(await live()).toBe(200);
    // A request for a model not ready yet: 503 with Retry-After, without touching any scorer.
    const early = await post(app, '/score', { pairs: [['q', 'a']] });
    expect(early.statusCode).toBe(503);
    expect(early.headers['retry-after']).toBe('1');
    expect(early.json().error).toMatch(/model 'a' is loading/);
    // /info answers while loading, with what is known.
    expect((await app.inject({ method: 'GET', url: '/info' })).json()).toMatchObject({
      model_id: 'a',
      max_input_length: null,
      cappy: { state: 'loading' },
    });

    const a = new FakeScorer();
    models.warming('a', a);
    expect((await health()).body).toMatchObject({ status: 'loading', models: { a: 'warming', b: 'loading' } });
    models.ready('a');
    expect((await post(app, '/score', { pairs: [['q', 'a']] })).statusCode).toBe(200);
    expect((await post(app, '/score', { model: 'b', pairs: [['q', 'a']] })).statusCode).toBe(503);
    models.warming('b', new FakeScorer());
    expect((await health()).body).toMatchObject({ status: 'warming' });
    models.ready('b');
    expect(await health()).toEqual({ code: 200, body: { status: 'ok', models: { a: 'ready', b: 'ready' } } });

    state.draining = true;
    expect(await health()).toEqual({ code: 503, body: expect.objectContaining({ status: 'draining' }) });
    expect(await live()).toBe(200);
    expect((await post(app, '/score', { pairs: [['q', 'a']] })).statusCode).toBe(503);
    await app.close();
  });

  it('a model that failed to load keeps /health at 503 and says why', async () => {
    const models = new ModelSet(['a']);
    const app = createServer(models);
    servers.push(app);
    models.failed('a', new Error('model folder not found'));
    const r = await app.inject({ method: 'GET', url: '/health' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ status: 'failed', error: expect.stringMatching(/'a' failed to load \(model folder not found\)/) });
  });

  it('/health and /live need no key; /v1/models does', async () => {
    const { app } = two({ apiKey: 'k' });
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/live' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/models' })).statusCode).toBe(401);
  });
});

describe('drain timeout', () => {
  async function listening(scorer: FakeScorer) {
    const app = createServer(scorer);
    servers.push(app);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const send = (url: string, body: object) =>
      fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
        async (r) => ({
          status: r.status,
          body: await r.json(),
        }),
      );
    return { app, send };
  }

  it('past the timeout, requests still running fail with 503 and the shutdown completes', async () => {
    const scorer = new FakeScorer();
    scorer.delayMs = 60_000;
    const { app, send } = await listening(scorer);
    const failedCounts: number[] = [];
    const handle = installShutdown(app, { signals: [], drainTimeoutMs: 200, onTimeout: (n) => failedCounts.push(n) });
    const stuck = [send('/score', { pairs: [['q', 'a']] }), send('/rerank', { query: 'q', texts: ['b'] })];
    while (scorer.started < 2) await new Promise((r) => setTimeout(r, 5));
    const t0 = Date.now();
    handle.begin();
    const answers = await Promise.all(stuck);
    for (const r of answers) {
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ error_type: 'Unhealthy', error: expect.stringMatching(/drain timeout passed/) });
    }
    await handle.done;
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(handle.timedOut).toBe(true);
    expect(failedCounts).toEqual([2]);
    expect(scorer.aborted).toBe(2);
  });

  it('a drain that finishes in time is not cut', async () => {
    const scorer = new FakeScorer();
    scorer.delayMs = 300;
    const { app, send } = await listening(scorer);
    const handle = installShutdown(app, { signals: [], drainTimeoutMs: 20_000 });
    const pending = send('/score', { pairs: [['q', 'a']] });
    while (scorer.started < 1) await new Promise((r) => setTimeout(r, 5));
    handle.begin();
    expect((await pending).status).toBe(200);
    await handle.done;
    expect(handle.timedOut).toBe(false);
  });
});

describe('isolation', () => {
  it("a saturated model (its queue full, its calls stuck) does not hold another model's requests", async () => {
    const { app, fast, slow } = two();
    slow.delayMs = 60_000;
    slow.queueLimit = 64;
    // Saturate the slow model: requests until its queue refuses more.
    const slowAnswers = Array.from({ length: 12 }, (_, i) =>
      post(app, '/score', { model: 'slow', pairs: Array.from({ length: 8 }, (_, j) => [`s${i}`, `${j}`]) }),
    );
    while (slow.started < 8) await new Promise((r) => setTimeout(r, 5));
    // Meanwhile the fast model answers every request, while every slow one is still pending or refused.
    let settledSlow = 0;
    slowAnswers.forEach((p) => void p.then(() => (settledSlow += 1)));
    for (let k = 0; k < 20; k++) {
      const r = await post(app, '/score', { model: 'fast', pairs: [['q', `f${k}`]] });
      expect(r.statusCode).toBe(200);
      expect(r.json().scores).toEqual([fakeScore('q', `f${k}`)]);
    }
    expect(fast.started).toBe(20);
    // The four past the slow queue's bound were refused (429); the eight admitted are still running.
    expect(settledSlow).toBe(4);
    expect(slow.inFlight).toBe(8);
  });
});
