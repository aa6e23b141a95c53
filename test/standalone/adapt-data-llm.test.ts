// `cappy adapt data --llm`: candidates from a fake OpenAI-compatible LLM on
// loopback (./adapt-data-fake-llm.ts). What is sent for the paper's decoding
// mix, the labels of what comes back, the cache (a rerun sends nothing), the
// retries (429 with Retry-After, 5xx, dropped connections), refusals, an
// unreachable server and an abort: typed errors and no output file.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { Command } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Upstream, UpstreamFailure } from '../../lib/boost/upstream.js';
import { LlmError } from '../../lib/adapt/recipe/errors.js';
import { parseRetryAfter, retryDelayMs } from '../../lib/adapt/recipe/llm-candidates.js';
import { makeAdaptData, type AdaptDataProgress } from '../../lib/adapt/recipe/make-data.js';
import type { LabelledPair } from '../../lib/adapt/recipe/pairs.js';
import { registerAdaptData } from '../../lib/cli/commands/adapt-data.js';
import { AbortError, RemoteError } from '../../lib/errors/index.js';
import { rougeLBest } from '../../lib/eval/rouge.js';
import { startFakeLlm, type FakeLlm } from './adapt-data-fake-llm.js';

const dir = mkdtempSync(join(tmpdir(), 'cappy-adapt-llm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ROWS = [
  { task: 'words', instruction: 'Say the word: apple', references: ['apple'] },
  { task: 'words', instruction: 'Say the word: river', references: ['river', 'a river'] },
  { task: 'words', instruction: 'Say the word: stone', references: ['stone'] },
];
const tasks = join(dir, 'rows.jsonl');
writeFileSync(tasks, ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
const refsOf = new Map(ROWS.map((r) => [r.instruction, r.references]));

let fake: FakeLlm;
let cacheN = 0;
let cache: string;
beforeEach(async () => {
  fake = await startFakeLlm();
  // Varied answers: some say the word, some half of it, some another word.
  fake.text = (prompt, _body, n) => {
    const word = prompt.split(': ')[1];
    return [`${word}`, `the ${word} ${n}`, `pear ${n}`, `${word}s are here ${n}`][n % 4];
  };
  cache = join(dir, `cache-${cacheN++}`);
});
afterEach(() => fake.close());

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as LabelledPair);
const noSleep = async () => undefined;
const base = () => ({ tasks, llm: fake.url, llmModel: 'fake-model', cache, llmSleep: noSleep });

describe('what is asked', () => {
  it("the paper's mix: one greedy answer, then the four sampling settings, n per setting, max_tokens 64; top_k and min_tokens only with --llm-extras", async () => {
    await makeAdaptData({ ...base(), samples: 8 });
    const asked = fake.requests.map((r) => r.body);
    expect(fake.requests.every((r) => r.path === '/v1/chat/completions')).toBe(true);
    // 3 instructions x (greedy + 4 settings), one request each (n honoured).
    expect(asked).toHaveLength(15);
    const forApple = asked.filter((b) => (b.messages as { content: string }[])[0].content === 'Say the word: apple');
    expect(forApple.map((b) => [b.temperature, b.top_p, b.n, b.max_tokens])).toEqual([
      [0, 1, undefined, 64],
      [1, 1, 2, 64],
      [0.9, 1, 2, 64],
      [1, 1, 2, 64],
      [1, 0.95, 2, 64],
    ]);
    expect(forApple.every((b) => !('top_k' in b) && !('min_tokens' in b) && b.model === 'fake-model')).toBe(true);
    expect(forApple[0].messages).toEqual([{ role: 'user', content: 'Say the word: apple' }]);

    fake.requests.length = 0;
    await makeAdaptData({ ...base(), samples: 4, llmExtras: true, llmApi: 'completions' });
    const extra = fake.requests.filter((r) => r.body.prompt === 'Say the word: apple');
    expect(extra.every((r) => r.path === '/v1/completions')).toBe(true);
    expect(extra.map((r) => [r.body.temperature, r.body.top_p, r.body.top_k, r.body.min_tokens])).toEqual([
      [0, 1, undefined, 3],
      [1, 1, 50, 3],
      [0.9, 1, 50, 3],
      [1, 1, 40, 3],
      [1, 0.95, 50, 3],
    ]);
  });

  it('labels every answer by stemmed Rouge-L against its own row, keeps each pair once, and skips answers equal to a gold', async () => {
    const out = join(dir, 'labels.jsonl');
    const r = await makeAdaptData({ ...base(), out, samples: 8 });
    const pairs = lines(out);
    const samples = pairs.filter((p) => p.source === 'sample');
    for (const p of samples) expect(p.label).toBeCloseTo(rougeLBest(p.response, refsOf.get(p.instruction)!), 12);
    // 27 answers per the whole run: 3 x 9. Bare words ("apple" etc., every 4th answer) repeat a gold or an earlier answer.
    expect(r.stats.llmCandidates).toBe(27);
    expect(r.stats.samples + r.stats.samplesSkipped + r.stats.emptyCandidates).toBe(27);
    expect(r.stats.samplesSkipped).toBeGreaterThan(0);
    expect(new Set(samples.map((p) => p.label)).size).toBeGreaterThan(2); // varied labels, not all 0 or 1
    const keys = pairs.map((p) => JSON.stringify([p.instruction, p.response]));
    expect(new Set(keys).size).toBe(keys.length);
    expect(pairs.filter((p) => p.source === 'gold')).toHaveLength(4);
  });

  it("a server that ignores n (llama.cpp's) still yields every answer, by parallel requests", async () => {
    fake.ignoresN = true;
    const r = await makeAdaptData({ ...base(), samples: 8 });
    expect(r.stats.llmCandidates).toBe(27);
    expect(fake.requests.length).toBeGreaterThan(15);
  });
});

describe('the cache', () => {
  it('a rerun sends no request and writes the same file; changed settings ask again', async () => {
    const first = join(dir, 'first.jsonl');
    const second = join(dir, 'second.jsonl');
    await makeAdaptData({ ...base(), out: first, samples: 4, seed: 3 });
    const sent = fake.requests.length;
    expect(sent).toBe(15);
    const again = await makeAdaptData({ ...base(), out: second, samples: 4, seed: 3 });
    expect(fake.requests.length).toBe(sent);
    expect(again.stats.llm).toMatchObject({ requests: 0, cached: 15, generated: 0 });
    expect(readFileSync(second, 'utf8')).toBe(readFileSync(first, 'utf8'));
    // Twice the samples: the first four per instruction come from the cache, only the rest are asked.
    const more = await makeAdaptData({ ...base(), samples: 8, seed: 3 });
    expect(more.stats.llm).toMatchObject({ cached: 15, generated: 12 });
    expect(fake.requests.length - sent).toBe(12);
  });

  it('a run that failed half way keeps what it got: the resumed run asks only for the rest', async () => {
    fake.faults = [{ kind: 'status', status: 400 }];
    await expect(makeAdaptData({ ...base(), samples: 4, llmConcurrency: 1 })).rejects.toBeInstanceOf(LlmError);
    const failed = fake.requests.length;
    fake.requests.length = 0;
    const r = await makeAdaptData({ ...base(), samples: 4, llmConcurrency: 1 });
    expect(r.stats.llm!.cached + r.stats.llm!.generated).toBe(15);
    expect(fake.requests.length).toBe(r.stats.llm!.generated);
    expect(failed).toBe(1);
  });
});

describe('retries', () => {
  it('429 (with Retry-After), 503 and dropped connections are retried; the answers are the same as without faults', async () => {
    // Does the boost client pass Retry-After on? (lib/boost/upstream.ts gains it in its own change.)
    fake.faults = [{ kind: 'status', status: 429, retryAfter: '7' }];
    const probe = await new Upstream({ baseUrl: fake.url, mode: 'n', timeoutMs: 5000 })
      .gather('/chat/completions', { model: 'm', messages: [] }, 1, {}, new AbortController().signal)
      .catch((e: unknown) => e);
    const carried = (probe as UpstreamFailure & { retryAfter?: string }).retryAfter;
    expect(probe).toBeInstanceOf(UpstreamFailure);
    fake.requests.length = 0;

    fake.faults = [{ kind: 'status', status: 429, retryAfter: '7' }, { kind: 'drop' }, { kind: 'status', status: 503 }];
    const waits: number[] = [];
    const retries: number[] = [];
    const onProgress = (p: AdaptDataProgress) => {
      if (p.phase === 'llm' && p.retry) retries.push(p.retry.status);
    };
    const out = join(dir, 'retried.jsonl');
    const r = await makeAdaptData({
      ...base(),
      out,
      samples: 4,
      llmConcurrency: 1,
      onProgress,
      llmSleep: async (ms) => void waits.push(ms),
    });
    expect(retries).toEqual([429, 502, 503]); // a dropped connection reaches us as the client's 502
    expect(fake.requests).toHaveLength(15 + 3);
    expect(r.stats.llm).toMatchObject({ retries: 3, generated: 15 });
    if (carried === '7') expect(waits[0]).toBe(7000);
    else expect(waits[0]).toBeGreaterThanOrEqual(250); // no Retry-After to honour: jittered backoff, 0.25-0.5 s on the first retry
    expect(waits[1]).toBeLessThanOrEqual(1000); // second retry: 0.5-1 s
    expect(lines(out).filter((p) => p.source === 'sample')).toHaveLength(r.stats.samples);
  });

  it('a request past --llm-timeout is a 504 and is retried; progress counts instructions to the end', async () => {
    fake.faults = [{ kind: 'stall' }];
    const retries: number[] = [];
    const done: number[] = [];
    const onProgress = (p: AdaptDataProgress) => {
      if (p.phase !== 'llm') return;
      if (p.retry) retries.push(p.retry.status);
      else done.push(p.done);
    };
    const r = await makeAdaptData({ ...base(), samples: 4, llmConcurrency: 1, llmTimeout: 0.2, onProgress });
    expect(retries).toEqual([504]);
    expect(r.stats.llm).toMatchObject({ generated: 15, retries: 1 });
    expect(done).toEqual([0, 1, 2, 3]);
  });

  it('the backoff: Retry-After in seconds or as a date, capped; otherwise doubling from 0.5 s to 30 s, the upper half jittered', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT'))).toBe(60_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(retryDelayMs('3', 1)).toBe(3000);
    expect(retryDelayMs('86400', 1)).toBe(300_000);
    expect(retryDelayMs(undefined, 1, () => 0)).toBe(250);
    expect(retryDelayMs(undefined, 1, () => 1)).toBe(500);
    expect(retryDelayMs(undefined, 3, () => 0.5)).toBe(1500);
    expect(retryDelayMs(undefined, 20, () => 1)).toBe(30_000);
  });
});

describe('failures: typed errors and no output', () => {
  const noTemp = () => expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);

  it('an unreachable LLM: LlmError (a RemoteError, code REMOTE) after the tries, and no file', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const url = `http://127.0.0.1:${port}/v1`;
    const out = join(dir, 'unreachable.jsonl');
    const err = await makeAdaptData({ ...base(), llm: url, out, llmMaxAttempts: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err).toBeInstanceOf(RemoteError);
    expect((err as LlmError).code).toBe('REMOTE');
    expect((err as LlmError).endpoint).toBe(url);
    expect((err as Error).message).toMatch(
      new RegExp(`the LLM at ${url.replace(/[./]/g, '\\$&')} failed 3 times; last: 502 cannot reach upstream`),
    );
    expect(existsSync(out)).toBe(false);
    noTemp();
  });

  it('a refusal (400) is not retried and says what the server said, with a hint about --llm-extras', async () => {
    fake.faults = [
      { kind: 'status', status: 400, body: JSON.stringify({ error: { message: 'Unrecognized request argument supplied: top_k' } }) },
    ];
    const out = join(dir, 'refused.jsonl');
    const err = await makeAdaptData({ ...base(), out, llmExtras: true, llmConcurrency: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).status).toBe(400);
    expect((err as Error).message).toMatch(
      /refused the request with 400: Unrecognized request argument supplied: top_k \(--llm-extras sends top_k/,
    );
    expect(fake.requests).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('an abort stops the requests in flight: AbortError, and no file', async () => {
    fake.faults = [{ kind: 'stall' }, { kind: 'stall' }, { kind: 'stall' }, { kind: 'stall' }];
    const controller = new AbortController();
    const out = join(dir, 'aborted.jsonl');
    const run = makeAdaptData({ ...base(), out, signal: controller.signal });
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(AbortError);
    expect(existsSync(out)).toBe(false);
    noTemp();
  });
});

describe('`cappy adapt data --llm`', () => {
  it('takes the LLM flags (and their CAPPY_* variables) and writes the pairs', async () => {
    const program = new Command('cappy').exitOverride();
    const adapt = program.command('adapt').option('--seed <n>');
    registerAdaptData(adapt);
    const out = join(dir, 'cli-llm.jsonl');
    let stderr = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
    process.env.CAPPY_LLM_MODEL = 'fake-model';
    try {
      await program.parseAsync(
        ['adapt', 'data', '--tasks', tasks, '--out', out, '--llm', fake.url, '--samples', '4', '--cache', cache, '--seed', '1'],
        { from: 'user' },
      );
    } finally {
      process.stderr.write = write;
      delete process.env.CAPPY_LLM_MODEL;
    }
    expect(fake.requests).toHaveLength(15);
    expect(fake.requests.every((r) => r.body.model === 'fake-model')).toBe(true);
    expect(stderr).toMatch(/LLM: 15 answers asked in 15 requests, 0 from the cache/);
    expect(lines(out).some((p) => p.source === 'sample')).toBe(true);
  });
});
