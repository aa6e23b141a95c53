// Cohere's own SDK and LangChain's Cohere reranker against one live `cappy
// serve` (the built CLI, on loopback, a forged tiny model: random weights,
// not Cappy). The SDK skips validating responses by default, so every raw
// body it received is also parsed with the SDK's own serializers with
// validation on: the shapes the SDK declares are the truth. Scores are the
// in-process Scorer's on the same model (raw logits, Cohere's routes).
import { Document } from '@langchain/core/documents';
import { CohereRerank } from '@langchain/cohere';
import { CohereClient, CohereClientV2 } from 'cohere-ai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { startServe, stopServe, type ServeProcess } from '../../support/serving.js';
import { packageVersion } from '../support/package-version.js';

const require = createRequire(import.meta.url);
const version = packageVersion;
/** The SDK's serializers (not exported by name: loaded from its folder). */
const serializers = require(join(dirname(require.resolve('cohere-ai')), 'serialization')) as Record<
  string,
  { parseOrThrow(raw: unknown, opts?: { unrecognizedObjectKeys?: 'passthrough' | 'strip' | 'fail' }): unknown }
>;

const query = 'Which planet is known as the Red Planet?';
const texts = ['Mars.', 'Venus is the hottest planet.', 'The Red Planet is Mars, the fourth planet.', 'Jupiter', 'I do not know.'];

let serve: ServeProcess;
let scorer: Scorer;
/** Every response the SDK clients received: path, status, body. */
const seen: { path: string; status: number; body: string }[] = [];
const recording: typeof fetch = async (input, init) => {
  const r = await fetch(input, init);
  seen.push({
    path: new URL(String(input instanceof Request ? input.url : input)).pathname,
    status: r.status,
    body: await r.clone().text(),
  });
  return r;
};

beforeAll(async () => {
  const dir = inject('tinyModelDir');
  serve = await startServe(['--model', `cappy=${dir}`, '--warmup-lengths', 'none'], { ready: true });
  scorer = await Scorer.load(dir);
});

afterAll(async () => {
  if (serve) expect(await stopServe(serve)).toBe(0);
  await scorer?.dispose();
});

const scoresOf = (docs: string[]) => scorer.scoreBatch(docs.map((d) => [query, d] as const));
const client = () => new CohereClient({ token: 'unused', baseUrl: serve.url, fetch: recording });
const clientV2 = () => new CohereClientV2({ token: 'unused', baseUrl: serve.url, fetch: recording });

describe(`cohere-ai ${version('cohere-ai')} CohereClient (v1)`, () => {
  it('rerank: strings, top_n, raw scores, in order', async () => {
    const expected = await scoresOf(texts);
    const r = await client().rerank({ model: 'cappy', query, documents: texts, topN: 3 });
    const order = Array.from(expected, (s, i) => ({ s, i }))
      .sort((a, b) => b.s - a.s)
      .map((x) => x.i);
    expect(r.results.map((x) => x.index)).toEqual(order.slice(0, 3));
    for (const x of r.results) expect(x.relevanceScore).toBeCloseTo(expected[x.index], 5);
  });

  it('object documents come back as given with return_documents; rank_fields scores `field: value` lines', async () => {
    const documents: (string | Record<string, string>)[] = [
      { title: 'Mars', text: 'The fourth planet, red with iron oxide.', source: 'wiki' },
      { text: 'Venus is hot.' },
      'Jupiter is big.',
    ];
    const r = await client().rerank({ model: 'cappy', query, documents, returnDocuments: true, rankFields: ['title', 'text'] });
    const byIndex = new Map(r.results.map((x) => [x.index, x]));
    expect(byIndex.get(0)!.document).toEqual(documents[0]);
    expect(byIndex.get(2)!.document).toEqual({ text: 'Jupiter is big.' });
    const expected = await scoresOf([
      'title: Mars\ntext: The fourth planet, red with iron oxide.',
      'text: Venus is hot.',
      'text: Jupiter is big.',
    ]);
    for (const [i, x] of byIndex) expect(x.relevanceScore).toBeCloseTo(expected[i], 5);
  });

  it('errors reach the caller as the SDK types them', async () => {
    await expect(client().rerank({ model: 'rerank-english-v3.0', query, documents: texts }, { maxRetries: 0 })).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(client().rerank({ model: 'cappy', query, documents: [] }, { maxRetries: 0 })).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe(`cohere-ai ${version('cohere-ai')} CohereClientV2`, () => {
  it('rerank: v2 shape, top_n, no documents echoed', async () => {
    const expected = await scoresOf(texts);
    const r = await clientV2().rerank({ model: 'cappy', query, documents: texts, topN: 2 });
    expect(r.results).toHaveLength(2);
    for (const x of r.results) {
      expect(Object.keys(x).sort()).toEqual(['index', 'relevanceScore']);
      expect(x.relevanceScore).toBeCloseTo(expected[x.index], 5);
    }
    expect(r.meta?.apiVersion?.version).toBe('2');
  });

  it('max_tokens_per_doc keeps the words that fit, counted with the model tokenizer', async () => {
    const doc = 'Mars is the fourth planet from the Sun and the second smallest in the Solar System.';
    const r = await clientV2().rerank({ model: 'cappy', query, documents: [doc], maxTokensPerDoc: 5 });
    // The first words whose tokens, each encoded alone without specials, add up to at most 5.
    const tok = scorer.tokenizer;
    const specials = (await tok.encodeBatch(['']))[0].ids.length;
    const words = doc.match(/\s*\S+/g)!;
    const counts = (await tok.encodeBatch(words)).map((e) => e.ids.length - specials);
    let used = 0;
    let keep = 0;
    while (keep < words.length && used + counts[keep] <= 5) used += counts[keep++];
    expect(keep).toBeGreaterThan(0);
    expect(keep).toBeLessThan(words.length);
    const [cut] = await scoresOf([words.slice(0, keep).join('')]);
    expect(r.results[0].relevanceScore).toBeCloseTo(cut, 5);
    const [whole] = await scoresOf([doc]);
    expect(cut).not.toBeCloseTo(whole, 5);
  });
});

/** The cohere-ai that @langchain/cohere itself resolves (its own nested copy when it has one). */
const langChainsCohereEntry = require.resolve('cohere-ai', { paths: [dirname(require.resolve('@langchain/cohere'))] });
const LangChainsCohere = require(langChainsCohereEntry) as {
  CohereClient: new (o: object) => NonNullable<ConstructorParameters<typeof CohereRerank>[0]>['client'];
};
const langChainsCohereVersion = (
  JSON.parse(readFileSync(join(dirname(langChainsCohereEntry), 'package.json'), 'utf8')) as { version: string }
).version;

describe(`@langchain/cohere ${version('@langchain/cohere')} CohereRerank (with its cohere-ai ${langChainsCohereVersion})`, () => {
  it('compressDocuments keeps the top documents with their scores; rerank ranks strings', async () => {
    const expected = await scoresOf(texts);
    // LangChain depends on a cohere-ai of its own (nested under it); its CohereClient, pointed at this server, is what it runs with.
    const reranker = new CohereRerank({
      client: new LangChainsCohere.CohereClient({ token: 'unused', baseUrl: serve.url, fetch: recording }),
      model: 'cappy',
      topN: 2,
    });
    const docs = texts.map((t, i) => new Document({ pageContent: t, metadata: { i } }));
    const kept = await reranker.compressDocuments(docs, query);
    const order = Array.from(expected, (s, i) => ({ s, i }))
      .sort((a, b) => b.s - a.s)
      .map((x) => x.i);
    expect(kept.map((d) => d.metadata.i)).toEqual(order.slice(0, 2));
    for (const d of kept) expect(d.metadata.relevanceScore).toBeCloseTo(expected[d.metadata.i as number], 5);
    const ranked = await reranker.rerank(texts, query, { topN: 5 });
    expect(ranked.map((x) => x.index)).toEqual(order);
  });
});

// Last, so it sees every body the tests above received.
describe("every 200 the SDK clients received, under the SDK's own schemas", () => {
  it('parses with validation on (extra fields allowed)', () => {
    const schema: Record<string, string> = { '/v1/rerank': 'RerankResponse', '/v2/rerank': 'V2RerankResponse' };
    const ok = seen.filter((x) => x.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(6);
    for (const s of ok) {
      expect(
        () => serializers[schema[s.path]].parseOrThrow(JSON.parse(s.body), { unrecognizedObjectKeys: 'passthrough' }),
        s.body,
      ).not.toThrow();
    }
  });
});
