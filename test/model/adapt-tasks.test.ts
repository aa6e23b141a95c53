// adapt({ tasks }) (library, forged tiny model, a fake OpenAI-compatible LLM
// on loopback):
// - stopped and resumed: the checkpoint records what the pairs were made
//   from; the resumed run (the same one-line call plus `resume`) trains on
//   the kept pairs without asking the LLM again and ends in the same weights,
//   byte for byte, as a run never stopped (1 thread, dropout 0); a resume
//   with another tasks file or other --pairs is refused;
// - dev task rows without candidates get the LLM's (greedy first, then the
//   sampling settings), written beside --out and evaluated on.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adapt, type AdaptEvent, type AdaptOptions } from '../../lib/adapt/train.js';
import { AbortError, InvalidInputError } from '../../lib/errors/index.js';
import { rougeLBest } from '../../lib/eval/rouge.js';
import { startFakeLlm, type FakeLlm } from '../standalone/adapt-data-fake-llm.js';

const root = mkdtempSync(join(tmpdir(), 'cappy-adapt-tasks-'));
const tasks = join(root, 'tasks.jsonl');
const WORDS = ['apple', 'river', 'stone', 'cloud', 'horse', 'bread'];
writeFileSync(tasks, WORDS.map((w) => JSON.stringify({ instruction: `${w}: say it`, references: [w] })).join('\n') + '\n');

let fake: FakeLlm;
beforeAll(async () => {
  fake = await startFakeLlm();
  fake.text = (prompt, _body, serial) =>
    `${serial % 2 ? prompt.split(':')[0] : WORDS[serial % WORDS.length]} ${serial % 3 ? 'please' : ''}`.trim();
});
afterAll(async () => {
  await fake.close();
  rmSync(root, { recursive: true, force: true });
});

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('adapt({ tasks }) and --resume', () => {
  const cache = join(root, 'cache');
  const common = (): AdaptOptions => ({
    model: inject('tinyModelDir'),
    tasks,
    llm: fake.url,
    llmModel: 'fake',
    samples: 4,
    cache,
    batchSize: 4,
    gradAccum: 1,
    epochs: 3,
    lr: 1e-3,
    dropout: 0,
    seed: 5,
    threads: 1,
  });

  it("stops after step 2 with a checkpoint naming the pairs; the resumed run asks the LLM nothing and ends in the unstopped run's bytes", async () => {
    const out = join(root, 'stopped');
    const checkpoint = `${out}.checkpoint`;
    const ac = new AbortController();
    const onEvent = (e: AdaptEvent) => {
      if (e.type === 'step' && e.step === 2) ac.abort();
    };
    await expect(adapt({ ...common(), out, signal: ac.signal, onEvent })).rejects.toThrow(AbortError);
    expect(fake.requests.length).toBe(WORDS.length * 5); // greedy + 4 settings per instruction
    const meta = JSON.parse(readFileSync(join(checkpoint, 'checkpoint.json'), 'utf8'));
    expect(meta.step).toBe(2);
    expect(meta.data.path).toBe(`${out}.pairs.jsonl`);
    expect(meta.madeFrom.tasks.sha256).toBe(sha(tasks));

    // Another tasks file, or other --pairs, is not the run the checkpoint holds.
    const otherTasks = join(root, 'other.jsonl');
    writeFileSync(otherTasks, '{"instruction":"x: say it","references":["x"]}\n');
    await expect(adapt({ ...common(), tasks: otherTasks, out, resume: checkpoint })).rejects.toThrow(
      /--tasks .*other\.jsonl is not the file the checkpoint's pairs were made from/,
    );
    await expect(adapt({ ...common(), out, pairs: join(root, 'elsewhere.jsonl'), resume: checkpoint })).rejects.toThrow(InvalidInputError);

    fake.requests.length = 0;
    const messages: string[] = [];
    const resumed = await adapt({ ...common(), out, resume: checkpoint, onEvent: (e) => e.type === 'message' && messages.push(e.message) });
    expect(fake.requests).toHaveLength(0);
    expect(messages.join('\n')).toMatch(/resuming: training on the pairs the checkpoint names/);
    expect(existsSync(checkpoint)).toBe(false);
    const adaptJson = JSON.parse(readFileSync(join(out, 'adapt.json'), 'utf8'));
    expect(adaptJson.madeFrom.tasks.sha256).toBe(sha(tasks));
    expect(adaptJson.madeFrom.settings.llmApiKey).toBeUndefined();

    const whole = join(root, 'whole');
    const unstopped = await adapt({ ...common(), out: whole });
    expect(fake.requests).toHaveLength(0); // every answer from the cache
    expect(sha(`${whole}.pairs.jsonl`)).toBe(sha(`${out}.pairs.jsonl`));
    expect(resumed.losses).toEqual(unstopped.losses);
    expect(sha(join(out, 'model.safetensors'))).toBe(sha(join(whole, 'model.safetensors')));
  }, 120_000);

  it("dev task rows without candidates get the LLM's, written to <out>.dev-tasks.jsonl and evaluated on; rows with their own keep them", async () => {
    const dev = join(root, 'dev.jsonl');
    writeFileSync(
      dev,
      [
        '{"instruction":"apple: say it again","references":["apple"]}',
        '{"instruction":"river: say it","references":["river"],"candidates":["river","stone"]}',
      ].join('\n') + '\n',
    );
    const out = join(root, 'with-dev');
    fake.requests.length = 0;
    const events: AdaptEvent[] = [];
    const res = await adapt({ ...common(), epochs: 1, eval: dev, out, onEvent: (e) => events.push(e) });
    // Only the new instruction is asked: greedy + the 4 settings (samples 4: one each).
    expect(fake.requests.map((r) => (r.body.messages as { content: string }[])[0].content)).toEqual(Array(5).fill('apple: say it again'));
    expect(fake.requests.map((r) => r.body.temperature)).toEqual([0, 1, 0.9, 1, 1]);
    const rowsPath = `${out}.dev-tasks.jsonl`;
    const rows = readFileSync(rowsPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const answered = fake.requests.length; // one answer per request here (n = 1 for each setting)
    expect(rows[0]).toEqual({ instruction: 'apple: say it again', references: ['apple'], candidates: rows[0].candidates });
    expect(rows[0].candidates).toHaveLength(answered);
    expect(rows[1]).toEqual({ instruction: 'river: say it', references: ['river'], candidates: ['river', 'stone'] });
    expect(events.some((e) => e.type === 'dev-candidates' && e.rows === rowsPath && e.drawn === 1)).toBe(true);
    const meta = JSON.parse(readFileSync(join(out, 'adapt.json'), 'utf8'));
    expect(meta.eval.path).toBe(rowsPath);
    expect(meta.madeFrom.eval).toEqual({ tasks: { path: dev, sha256: sha(dev) }, rows: rowsPath, drawn: 1 });
    expect(res.evalBefore!.bestOfN).toMatchObject({ rows: 2, candidates: answered + 2 });
    // The figures are over the written rows' candidates (Rouge-L, tested against rouge_score's cases elsewhere).
    const mean = (f: (r: { candidates: string[]; references: string[] }) => number) => rows.reduce((t, r) => t + f(r), 0) / rows.length;
    expect(res.evalAfter!.bestOfN!.firstCandidate).toBeCloseTo(
      mean((r) => rougeLBest(r.candidates[0], r.references)),
      12,
    );
    expect(res.evalAfter!.bestOfN!.oracle).toBeCloseTo(
      mean((r) => Math.max(...r.candidates.map((c) => rougeLBest(c, r.references)))),
      12,
    );
  }, 120_000);
});
