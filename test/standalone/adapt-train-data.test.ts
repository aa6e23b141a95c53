// Training data for `cappy adapt`: the JSONL checks (errors name file and
// line), tokenizing against HF tokenizers (ids, and BERT's token types), the
// seeded row stream (epochs, --train-size, --no-shuffle, the last partial
// step), the micro-batches, and the dev metrics against values worked out by
// hand.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors/index.js';
import { buildBertTokenizerJson, buildRobertaTokenizerJson } from '../../lib/forge/tokenizer-json.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { readLabelledPairs } from '../../lib/adapt/data/jsonl.js';
import { averageRanks, meanSquaredError, spearman } from '../../lib/adapt/data/metrics.js';
import {
  buildMicroBatch,
  dropoutSeedFor,
  groupStep,
  planStep,
  streamOrder,
  totalStepsFor,
  type StreamSettings,
} from '../../lib/adapt/data/plan.js';
import { encodeRows, splitPoint, type EncodedRows } from '../../lib/adapt/data/tokenize.js';
import { makeCorpus } from '../../support/corpus.js';
import { Hf } from '../../support/hf.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cappy-adapt-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, text);
  return p;
}

describe('labelled pairs (JSONL)', () => {
  it('reads rows, skips blank lines, keeps other fields out, hashes the bytes', async () => {
    const text = '{"instruction":"a","response":"b","label":1}\r\n\n  \n{"id":7,"instruction":"c","response":"","label":0.25}\n';
    const d = await readLabelledPairs(await file('ok.jsonl', text));
    expect(d.rows).toEqual([
      { instruction: 'a', response: 'b', label: 1 },
      { instruction: 'c', response: '', label: 0.25 },
    ]);
    expect(Array.from(d.lines)).toEqual([1, 4]);
    const { createHash } = await import('node:crypto');
    expect(d.sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(d.outsideUnit).toBe(0);
  });

  it.each([
    ['empty.jsonl', '', /empty\.jsonl: no rows \(the file is empty\)/],
    ['blank.jsonl', '\n \n', /no rows \(only blank lines\)/],
    ['badjson.jsonl', '{"instruction":"a","response":"b","label":1}\n{"instruction": "a",\n', /badjson\.jsonl:2: not valid JSON/],
    ['array.jsonl', '["a","b"]\n', /array\.jsonl:1: expected an object/],
    ['missing.jsonl', '{"instruction":"a","label":1}\n', /missing\.jsonl:1: missing field "response"/],
    ['nolabel.jsonl', '\n{"instruction":"a","response":"b"}\n', /nolabel\.jsonl:2: missing field "label"/],
    [
      'strlabel.jsonl',
      '{"instruction":"a","response":"b","label":"0.5"}\n',
      /strlabel\.jsonl:1: "label" must be a number, got the string "0\.5"/,
    ],
    ['nulllabel.jsonl', '{"instruction":"a","response":"b","label":null}\n', /"label" must be a number, got null/],
    ['inf.jsonl', '{"instruction":"a","response":"b","label":1e999}\n', /inf\.jsonl:1: "label" must be a finite number, got Infinity/],
    ['numtext.jsonl', '{"instruction":3,"response":"b","label":1}\n', /"instruction" must be a string, got number/],
  ])('%s is refused with a typed error naming file and line', async (name, text, message) => {
    const err = await readLabelledPairs(await file(name, text)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).code).toBe('INVALID_INPUT');
    expect((err as Error).message).toMatch(message);
  });

  it('counts labels outside [0, 1] and keeps them as they are', async () => {
    const d = await readLabelledPairs(
      await file(
        'wide.jsonl',
        '{"instruction":"a","response":"b","label":-0.5}\n{"instruction":"a","response":"b","label":2}\n{"instruction":"a","response":"b","label":1}\n',
      ),
    );
    expect(d.outsideUnit).toBe(2);
    expect(d.rows.map((r) => r.label)).toEqual([-0.5, 2, 1]);
  });

  it('a missing file is a typed error', async () => {
    await expect(readLabelledPairs(join(dir, 'nope.jsonl'))).rejects.toThrow(InvalidInputError);
  });
});

describe('tokenizing', () => {
  const corpus = makeCorpus(600, 4242).filter((x): x is [string, string] => Array.isArray(x));
  // Texts that spell the separator, and long pairs that longest_first must cut.
  const pairs: [string, string][] = [
    ['what is [SEP] here', 'a [SEP] b'],
    ['[SEP]', '[SEP] [SEP]'],
    ['', ''],
    ['word '.repeat(40), 'other '.repeat(3)],
    ['short', 'long text '.repeat(50)],
    ...corpus,
  ];
  const rows = pairs.map(([instruction, response], i) => ({ instruction, response, label: i / pairs.length }));

  it('RoBERTa: the ids HF tokenizers gives for the pair, truncated longest_first', async () => {
    const json = JSON.stringify(buildRobertaTokenizerJson());
    const hf = Hf.fromString(json);
    hf.setTruncation(24, { strategy: 'LongestFirst' });
    const enc = await encodeRows(Tokenizer.fromJSON(json, { maxLength: 24, truncation: 'longest_first' }), rows, { typeIds: false });
    expect(enc.secondStarts).toBeUndefined();
    for (let i = 0; i < rows.length; i++) {
      const want = (await hf.encode(pairs[i][0], pairs[i][1])).getIds();
      expect(Array.from(enc.ids.subarray(enc.offsets[i], enc.offsets[i + 1]))).toEqual(want);
    }
    expect(enc.labels[3]).toBe(Math.fround(3 / pairs.length));
  });

  it("BERT: token types where HF's are 1 (the second segment), also when texts spell [SEP] and when truncated", async () => {
    const texts = corpus.flat().concat(['what is here', 'word other short long text']);
    const json = JSON.stringify(buildBertTokenizerJson(texts, { vocabSize: 600 }));
    for (const maxLength of [20, 512]) {
      const hf = Hf.fromString(json);
      hf.setTruncation(maxLength, { strategy: 'LongestFirst' });
      const tok = Tokenizer.fromJSON(json, { maxLength, truncation: 'longest_first' });
      const enc = await encodeRows(tok, rows, { typeIds: true });
      for (let i = 0; i < rows.length; i++) {
        const e = await hf.encode(pairs[i][0], pairs[i][1]);
        const types = e.getTypeIds();
        expect(Array.from(enc.ids.subarray(enc.offsets[i], enc.offsets[i + 1]))).toEqual(e.getIds());
        expect(enc.secondStarts![i]).toBe(types.indexOf(1));
      }
      const b = buildMicroBatch(Uint32Array.of(0, 4), enc, 0.5);
      const first = Array.from(b.tokenTypeIds!.subarray(0, b.seqLen), Number);
      const hfFirst = (await hf.encode(pairs[0][0], pairs[0][1])).getTypeIds();
      expect(first).toEqual([...hfFirst, ...Array(b.seqLen - hfFirst.length).fill(0)]);
    }
  });

  it('splitPoint picks the prefix split, and says when none fits', () => {
    const pair = Int32Array.of(2, 10, 11, 3, 20, 3);
    expect(splitPoint(pair, Int32Array.of(10, 11, 12), Int32Array.of(20, 21), 3)).toBe(2);
    expect(splitPoint(pair, Int32Array.of(10, 99), Int32Array.of(20), 3)).toBe(-1);
  });
});

function fakeEncoded(lengths: number[]): EncodedRows {
  const offsets = new Uint32Array(lengths.length + 1);
  lengths.forEach((l, i) => (offsets[i + 1] = offsets[i] + l));
  const ids = new Int32Array(offsets[lengths.length]);
  lengths.forEach((l, i) => ids.fill(100 + i, offsets[i], offsets[i + 1]));
  return { count: lengths.length, ids, offsets, labels: Float32Array.from(lengths, (_, i) => i / 10), pairTypeId: 0, padId: 1 };
}

describe('the row stream and its steps', () => {
  const base: StreamSettings = { batchSize: 4, gradAccum: 3, epochs: 1, shuffle: true, seed: 5 };
  const counts = (a: Uint32Array, n: number) => {
    const c = new Array(n).fill(0);
    for (const r of a) c[r]++;
    return c;
  };

  it('epochs: each pass is a permutation of its own; the same seed gives the same stream', () => {
    const o = streamOrder(30, { ...base, epochs: 3 });
    expect(o.length).toBe(90);
    const passes = [0, 1, 2].map((e) => Array.from(o.subarray(e * 30, (e + 1) * 30)));
    for (const p of passes) expect([...p].sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
    expect(passes[0]).not.toEqual(passes[1]);
    expect(passes[0]).not.toEqual([...Array(30).keys()]);
    expect(streamOrder(30, { ...base, epochs: 3 })).toEqual(o);
    expect(streamOrder(30, { ...base, epochs: 3, seed: 6 })).not.toEqual(o);
  });

  it('--train-size repeats or cuts the shuffled file to N rows, each row within one of its fair share', () => {
    for (const n of [7, 30, 100]) {
      const o = streamOrder(30, { ...base, trainSize: n });
      expect(o.length).toBe(n);
      const c = counts(o, 30);
      expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
      expect(c.reduce((a, b) => a + b)).toBe(n);
    }
  });

  it('--no-shuffle keeps file order, repeated', () => {
    expect(Array.from(streamOrder(5, { ...base, shuffle: false, epochs: 2 }))).toEqual([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    expect(Array.from(streamOrder(5, { ...base, shuffle: false, trainSize: 7 }))).toEqual([0, 1, 2, 3, 4, 0, 1]);
  });

  it('steps are ceil(rows / (batch x accum)); the last, shorter step averages over its own rows', () => {
    const data = fakeEncoded(Array.from({ length: 30 }, (_, i) => 3 + ((i * 7) % 11)));
    const order = streamOrder(30, base);
    expect(totalStepsFor(30, base)).toBe(3); // 12 + 12 + 6
    const seen: number[] = [];
    for (let step = 0; step < 3; step++) {
      const plan = planStep(order, step, data, base);
      expect(plan.rows).toBe(step < 2 ? 12 : 6);
      expect(plan.micro.length).toBe(step < 2 ? 3 : 2);
      let weight = 0;
      for (const { batch } of plan.micro) {
        expect(batch.rows).toBeLessThanOrEqual(4);
        weight += batch.rowWeights.reduce((a, b) => a + b, 0);
        for (let r = 0; r < batch.rows; r++) seen.push(Number(batch.inputIds[r * batch.seqLen]) - 100);
      }
      expect(weight).toBeCloseTo(1, 6);
    }
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(30).keys()]);
  });

  it('inside a step rows go longest first, so each micro-batch pads little; --no-shuffle keeps stream order', () => {
    const data = fakeEncoded([5, 9, 2, 9, 7, 3, 8, 1]);
    const rows = Uint32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(groupStep(rows, data, 3, true).map((g) => Array.from(g))).toEqual([
      [1, 3, 6],
      [4, 0, 5],
      [2, 7],
    ]);
    expect(groupStep(rows, data, 3, false).map((g) => Array.from(g))).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
  });

  it('a micro-batch pads with the pad id to its longest row, mask 1 on real tokens', () => {
    const data = fakeEncoded([2, 4]);
    const b = buildMicroBatch(Uint32Array.of(1, 0), data, 0.25);
    expect(b.seqLen).toBe(4);
    expect(Array.from(b.inputIds, Number)).toEqual([101, 101, 101, 101, 100, 100, 1, 1]);
    expect(Array.from(b.attentionMask, Number)).toEqual([1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(b.labels)).toEqual([Math.fround(0.1), 0]);
    expect(Array.from(b.rowWeights)).toEqual([0.25, 0.25]);
    expect(b.tokenTypeIds).toBeUndefined();
  });

  it('dropout seeds differ by step and micro-batch and are 31-bit integers', () => {
    const seeds = new Set<number>();
    for (let step = 0; step < 50; step++) for (let m = 0; m < 16; m++) seeds.add(dropoutSeedFor(3, step, m));
    expect(seeds.size).toBe(800);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true);
    expect(dropoutSeedFor(3, 4, 1)).toBe(dropoutSeedFor(3, 4, 1));
    expect(dropoutSeedFor(4, 4, 1)).not.toBe(dropoutSeedFor(3, 4, 1));
  });
});

describe('dev metrics', () => {
  it('MSE and Spearman with ties as average ranks (values worked out by hand)', () => {
    expect(meanSquaredError([1, 2, 3], [1, 1, 1])).toBeCloseTo(5 / 3, 15);
    expect(Array.from(averageRanks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    // x ranks [1, 2, 3, 4], y ranks [1, 2.5, 2.5, 4]: r = 4.5 / sqrt(5 * 4.5) = 0.9486832980505138.
    expect(spearman([1, 2, 3, 4], [0, 1, 1, 2])).toBeCloseTo(0.9486832980505138, 14);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 15);
    expect(spearman([1, 2, 3], [1, 1, 1])).toBeNull();
    expect(spearman([1], [1])).toBeNull();
  });
});
