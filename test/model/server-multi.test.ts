// Several real (forged) models in one server: a RoBERTa and a BERT cross-encoder
// behind the real `cappy serve`, probes through loading and warm-up, routing
// by name against in-process scores; the pair-length check of truncate=false
// counted with each model's own template at exactly the limit (HF tokenizers
// as the truth); and a saturated model that does not hold a fast one's
// requests, with two real Scorers. Forged models: random weights.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { forgeModel, Scorer } from '../../lib/index.js';
import { startFakeUpstream } from '../../support/fake-openai.js';
import { hfTokenizer, type HfTokenizer } from '../../support/hf.js';
import { listening, postJson, startServe, stopServe } from '../../support/serving.js';

let scratch: string;
let bertDir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cappy-multi-'));
  bertDir = join(scratch, 'bert-tiny');
  await forgeModel({ preset: 'bert-tiny', seed: 11, outDir: bertDir });
});
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await rm(scratch, { recursive: true, force: true });
});

/** Words appended one HF token at a time until the pair has exactly `target` tokens (specials included). */
async function pairOfLength(tok: HfTokenizer, query: string, target: number): Promise<string> {
  const len = async (doc: string) => (await tok.encode(query, doc, { addSpecialTokens: true })).getIds().length;
  let filler = '';
  for (const w of ['the', 'a', 'and', 'of', 'to', 'x', 'b']) {
    if ((await tok.encode(w, null, { addSpecialTokens: false })).getIds().length === 1) {
      filler = w;
      break;
    }
  }
  expect(filler).not.toBe('');
  let words = Math.max(1, target - (await len('')) - 1);
  let doc = Array(words).fill(filler).join(' ');
  while ((await len(doc)) < target) doc = Array(++words).fill(filler).join(' ');
  expect(await len(doc)).toBe(target);
  return doc;
}

describe('cappy serve with two models', () => {
  it('listens first (/live 200, /health 503 while loading and warming), then serves each model by name', async () => {
    const tiny = inject('tinyModelDir');
    const served = await startServe([
      '--model',
      `tiny=${tiny}`,
      '--model',
      `bert=${bertDir}`,
      '--warmup-lengths',
      '16,512',
      '--warmup-batch-sizes',
      '1,32',
    ]);
    child = served.child;
    const base = served.url;
    const stderrNow = served.stderr;
    // Probe from the moment it listens until it is ready.
    const seen: number[] = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      expect((await fetch(base + '/live')).status).toBe(200);
      const h = await fetch(base + '/health');
      seen.push(h.status);
      if (h.status === 200) break;
      const body = (await h.json()) as { status: string };
      expect(['loading', 'warming']).toContain(body.status);
      if (Date.now() > deadline) throw new Error(`never ready:\n${stderrNow()}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    // Loading and warming two models takes far longer than one probe.
    expect(seen[0]).toBe(503);
    const stderr = stderrNow();
    expect(stderr.indexOf('listening on')).toBeLessThan(stderr.indexOf('tiny: loaded'));
    expect(stderr).toMatch(/bert: warmed up 4 shape\(s\)/);
    expect(stderr).toMatch(/ready: tiny, bert \(default tiny\)/);

    const pairs: [string, string][] = [
      ['Which planet is red?', 'Mars.'],
      ['Which planet is red?', 'Venus is hot.'],
    ];
    const [tinyScorer, bertScorer] = await Promise.all([Scorer.load(tiny), Scorer.load(bertDir)]);
    try {
      for (const [name, scorer] of [
        ['tiny', tinyScorer],
        ['bert', bertScorer],
      ] as const) {
        const expected = await scorer.scoreBatch(pairs);
        const r = await postJson(base, '/score', { model: name, pairs });
        expect(r.status).toBe(200);
        (r.body.scores as number[]).forEach((s, i) => expect(s).toBeCloseTo(expected[i], 5));
      }
      // No model named: the default (the first).
      const dflt = await postJson(base, '/score', { pairs });
      const expectedTiny = await tinyScorer.scoreBatch(pairs);
      (dflt.body.scores as number[]).forEach((s, i) => expect(s).toBeCloseTo(expectedTiny[i], 5));
    } finally {
      await Promise.all([tinyScorer.dispose(), bertScorer.dispose()]);
    }
    const unknown = await postJson(base, '/v1/rerank', { model: 'rerank-v3', query: 'q', documents: ['a'] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/models: tiny, bert/);
    const models = (await (await fetch(base + '/v1/models')).json()) as { data: { id: string; state: string }[] };
    expect(models.data.map((m) => [m.id, m.state])).toEqual([
      ['tiny', 'ready'],
      ['bert', 'ready'],
    ]);
    const metrics = await (await fetch(base + '/metrics')).text();
    expect(metrics).toMatch(/^te_request_count\{method="score",model="bert"\} 1$/m);
    expect(metrics).toMatch(/^te_queue_size\{model="tiny"\} 0$/m);

    expect(await stopServe(served)).toBe(0);
  });

  it('a model that fails to load fails readiness and exits 2 with the reason', async () => {
    const served = startServe(['--model', `ok=${inject('tinyModelDir')}`, '--model', 'bad=/nonexistent/model'], { ready: true });
    // It listens, starts loading, fails on the second model, and exits instead of becoming ready.
    await expect(served).rejects.toThrow(/exited 2:[\s\S]*bad: failed to load: .*model folder not found/);
  });
});

describe("truncate=false counts with the model's own template", () => {
  it('a BERT pair of exactly max_input_length tokens is scored; one token more is a 422 (RoBERTa too)', async () => {
    const bert = await Scorer.load(bertDir);
    const roberta = await Scorer.load(inject('tinyModelDir'));
    const { app, post } = await listening({ bert, roberta });
    try {
      for (const [name, dir, scorer] of [
        ['bert', bertDir, bert],
        ['roberta', inject('tinyModelDir'), roberta],
      ] as const) {
        const max = scorer.info.maxLength;
        expect(max).toBe(512);
        const tok = hfTokenizer(join(dir, 'tokenizer.json'));
        const query = 'what is the answer';
        const exact = await pairOfLength(tok, query, max);
        const over = await pairOfLength(tok, query, max + 1);
        const ok = await post('/rerank', { model: name, query, texts: [exact], truncate: false });
        expect(ok.status, `${name} at exactly ${max}`).toBe(200);
        const refused = await post('/rerank', { model: name, query, texts: [exact, over], truncate: false });
        expect(refused.status, `${name} at ${max + 1}`).toBe(422);
        expect(refused.body.error).toMatch(new RegExp(`input 1 has ${max + 1} tokens, more than max_input_length ${max}`));
        const predict = await post('/predict', { model: name, inputs: [[query, exact]], truncate: false });
        expect(predict.status).toBe(200);
      }
    } finally {
      await app.cappy.drain();
      await Promise.all([bert.dispose(), roberta.dispose()]);
    }
  });
});

describe('isolation with real scorers', () => {
  it('while one model works through a backlog, another model answers every request before that backlog is done', async () => {
    const dir = inject('tinyModelDir');
    const slow = await Scorer.load(dir, { maxQueuedPairs: 1 << 20, maxConcurrentCalls: 1 });
    const fast = await Scorer.load(dir);
    const { app, post } = await listening({ slow, fast }, { maxRequestItems: 1 << 20 });
    try {
      const text = 'a longer answer that keeps going with more words, '.repeat(6);
      // A backlog of 16 requests x 256 pairs on the slow model (several seconds of work here).
      const backlog = Array.from({ length: 16 }, (_, k) =>
        post('/score', { model: 'slow', pairs: Array.from({ length: 256 }, (_, j) => [`question ${k}`, `${j} ${text}`]) }),
      );
      const pairsBefore = slow.stats().pairs;
      let backlogDone = 0;
      backlog.forEach((p) => void p.then(() => (backlogDone += 1)));
      while (slow.stats().queuedPairs === 0) await new Promise((r) => setTimeout(r, 5));
      const latencies: number[] = [];
      for (let k = 0; k < 10; k++) {
        const t0 = performance.now();
        const r = await post('/score', { model: 'fast', pairs: [['q', `short answer ${k}`]] });
        latencies.push(performance.now() - t0);
        expect(r.status).toBe(200);
      }
      // Every fast answer came back while the slow model still had queued work.
      expect(slow.stats().queuedPairs).toBeGreaterThan(0);
      expect(backlogDone).toBeLessThan(16);
      // Contrast (the same request on the saturated model waits its turn):
      // one more slow request is answered only once every pair queued before
      // it is scored (one native call at a time, first in first out).
      const last = await post('/score', { model: 'slow', pairs: [['q', 'short answer']] });
      expect(last.status).toBe(200);
      expect(slow.stats().pairs - pairsBefore).toBe(16 * 256 + 1);
      latencies.sort((a, b) => a - b);
      console.log(
        `fast model p50 ${latencies[5].toFixed(1)} ms, max ${latencies[9].toFixed(1)} ms while the slow model worked through 4096 pairs`,
      );
      for (const r of await Promise.all(backlog)) expect(r.status).toBe(200);
    } finally {
      await app.cappy.drain();
      await Promise.all([slow.dispose(), fast.dispose()]);
    }
  });
});

describe('boosting with a real scorer', () => {
  it('cappy serve --boost-upstream picks what Scorer.rank ranks first, and reports every score', async () => {
    const up = await startFakeUpstream();
    const served = await startServe(['--model', inject('tinyModelDir'), '--boost-upstream', up.url, '--boost-n', '5'], { ready: true });
    try {
      const base = served.url;
      const stderr = served.stderr();
      expect(stderr).toMatch(/boosting http:\/\/127\.0\.0\.1:\d+\/v1: .* best of 5 candidates/);
      const question = 'Which planet is known as the Red Planet?';
      const r = await postJson(base, '/v1/chat/completions', { model: 'llm', messages: [{ role: 'user', content: question }] });
      expect(r.status).toBe(200);
      const texts = [0, 1, 2, 3, 4].map((k) => up.text(k, 0));
      const scorer = await Scorer.load(inject('tinyModelDir'));
      try {
        const ranked = await scorer.rank(question, texts);
        const body = r.body as { choices: { message: { content: string } }[]; cappy_boost: { candidates: { score: number }[] } };
        expect(body.choices[0].message.content).toBe(texts[ranked[0].index]);
        const expected = await scorer.scoreBatch(texts.map((t) => [question, t] as const));
        body.cappy_boost.candidates.forEach((c, i) => expect(c.score).toBeCloseTo(expected[i], 5));
      } finally {
        await scorer.dispose();
      }
      expect(await stopServe(served)).toBe(0);
    } finally {
      if (served.child.exitCode === null) served.child.kill('SIGKILL');
      await up.close();
    }
  });
});
