// TEI's routes as TEI's own clients and schemas see them: one live `cappy
// serve` (the built CLI, on loopback, a forged tiny model: random weights,
// not Cappy) with an API key, called by @huggingface/inference and by plain
// HTTP, every body (200s and errors alike) checked with ajv against the JSON
// schemas written from TEI's OpenAPI document (test/support/tei-schemas).
// Scores are compared with the in-process Scorer on the same model.
import { textClassification } from '@huggingface/inference';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { startServe, stopServe, type ServeProcess } from '../../support/serving.js';
import { packageVersion } from '../support/package-version.js';
import { validateTei, type TeiSchema } from '../support/tei-schemas/index.js';

const HF_VERSION = packageVersion('@huggingface/inference');
const KEY = 'k-tei-test';
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const query = 'Which planet is known as the Red Planet?';
const texts = ['Mars.', 'Venus is the hottest planet.', 'The Red Planet is Mars.', 'I do not know.'];

let serve: ServeProcess;
let scorer: Scorer;
let expected: Float32Array;

beforeAll(async () => {
  const dir = inject('tinyModelDir');
  serve = await startServe(['--model', `cappy=${dir}`, '--warmup-lengths', 'none', '--max-request-items', '64'], {
    ready: true,
    env: { CAPPY_API_KEY: KEY },
  });
  scorer = await Scorer.load(dir);
  expected = await scorer.scoreBatch(texts.map((t) => [query, t] as const));
});

afterAll(async () => {
  if (serve) expect(await stopServe(serve)).toBe(0);
  await scorer?.dispose();
});

/** A request with the key; the body is validated against `schema` (or TEI's ErrorResponse when not 2xx). */
async function tei(
  method: 'GET' | 'POST',
  path: string,
  schema: TeiSchema,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${KEY}` },
) {
  const r = await fetch(serve.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const json = (await r.json()) as unknown;
  validateTei(r.ok ? schema : 'error-response', json);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: r.status, headers: r.headers, json: json as any };
}

describe(`@huggingface/inference ${HF_VERSION} textClassification on /predict`, () => {
  it('takes a pair sent as a batch of one (the nested shape it reads), and a batch', async () => {
    const endpointUrl = `${serve.url}/predict`;
    const one = await textClassification({ endpointUrl, accessToken: KEY, inputs: [[query, texts[0]]] as unknown as string });
    expect(one).toHaveLength(1);
    expect(one[0].label).toBe('LABEL_0');
    expect(one[0].score).toBeCloseTo(sigmoid(expected[0]), 5);
  });

  it('a single pair sent flat gets the flat answer TEI gives, which this client refuses (as against TEI itself)', async () => {
    const flat = await tei('POST', '/predict', 'predict-response', { inputs: [query, texts[0]] });
    expect(flat.json).toEqual([{ score: expect.any(Number), label: 'LABEL_0' }]);
    await expect(
      textClassification({ endpointUrl: `${serve.url}/predict`, accessToken: KEY, inputs: [query, texts[0]] as unknown as string }),
    ).rejects.toThrow(/malformed response/);
  });
});

describe("TEI's routes against TEI's schemas", () => {
  it('/rerank and POST / (the same route for a reranker) answer RerankResponse with the in-process scores', async () => {
    for (const path of ['/rerank', '/']) {
      const r = await tei('POST', path, 'rerank-response', { query, texts, return_text: true });
      expect(r.status).toBe(200);
      expect(r.json.map((x: { index: number }) => x.index).sort()).toEqual([0, 1, 2, 3]);
      for (const x of r.json) {
        expect(x.score).toBeCloseTo(sigmoid(expected[x.index]), 5);
        expect(x.text).toBe(texts[x.index]);
      }
      for (const h of ['x-compute-time', 'x-tokenization-time', 'x-queue-time', 'x-inference-time', 'x-total-time'])
        expect(r.headers.get(h)).toMatch(/^\d+$/);
    }
    const raw = await tei('POST', '/rerank', 'rerank-response', { query, texts, raw_scores: true });
    for (const x of raw.json) expect(x.score).toBeCloseTo(expected[x.index], 5);
  });

  it('/predict answers Prediction lists, flat for one pair and nested for a batch', async () => {
    const batch = await tei('POST', '/predict', 'predict-response', { inputs: texts.map((t) => [query, t]), raw_scores: true });
    batch.json.forEach((p: { score: number }[], i: number) => expect(p[0].score).toBeCloseTo(expected[i], 5));
  });

  it('/info is TEI Info, served_model_name included', async () => {
    const info = await tei('GET', '/info', 'info');
    expect(info.json).toMatchObject({
      model_id: 'cappy',
      served_model_name: 'cappy',
      model_type: { reranker: { id2label: { '0': 'LABEL_0' } } },
    });
  });

  it('/health is 200; GET / is health too', async () => {
    expect((await fetch(`${serve.url}/health`)).status).toBe(200);
    expect((await fetch(`${serve.url}/`)).status).toBe(200);
  });

  // Every error a client can provoke here, each body checked against ErrorResponse (error_type within TEI's kinds).
  it.each([
    ['no key', 401, 'Validation', '/rerank', { query, texts }, {}],
    ['empty texts', 400, 'Empty', '/rerank', { query, texts: [] }, undefined],
    ['empty inputs', 400, 'Empty', '/predict', { inputs: [] }, undefined],
    ['not JSON', 400, 'Validation', '/rerank', '{"query": ', undefined],
    ['a wrong JSON type', 422, 'Validation', '/rerank', { query: 7, texts }, undefined],
    ['a missing field', 422, 'Validation', '/predict', {}, undefined],
    [
      'more items than max_request_items',
      413,
      'Validation',
      '/rerank',
      { query, texts: Array.from({ length: 65 }, (_, i) => `t${i}`) },
      undefined,
    ],
    [
      'an over-long pair with truncate=false',
      422,
      'Validation',
      '/rerank',
      { query, texts: ['word '.repeat(700)], truncate: false },
      undefined,
    ],
    ['a lone text where Cappy needs a pair', 422, 'Validation', '/predict', { inputs: 'one text' }, undefined],
    ['a model not served here', 404, 'Validation', '/rerank', { query, texts, model: 'bge-reranker' }, undefined],
  ] as const)('%s: %i %s', async (_what, status, type, path, body, headers) => {
    const r = await tei('POST', path, 'rerank-response', body, headers);
    expect(r.status).toBe(status);
    expect(r.json.error_type).toBe(type);
  });
});
