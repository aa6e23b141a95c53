// An XLM-R-shaped cross-encoder (the shape of BAAI/bge-reranker-base) end to
// end on CPU: the forged tiny RoBERTa's weights under an
// XLMRobertaForSequenceClassification config, with a SentencePiece Unigram
// tokenizer.json whose normalizer is [Precompiled (an NFKC-shaped charsmap
// built here), Replace " {2,}" -> " "], as XLM-R files have it. `cappy
// convert`'s converter turns the folder into the engine's layout; Scorer.load
// scores pairs; the truth is onnxruntime-node running the converted graph on
// the ids HF tokenizers gives for the same tokenizer.json. A forged model:
// these are not bge-reranker's scores, only its shapes.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertModelDir } from '../../lib/convert/convert.js';
import { forgedWeights, PRESETS, robertaConfigJson } from '../../lib/forge/index.js';
import { Scorer } from '../../lib/index.js';
import { Hf } from '../../support/hf.js';
import { buildUnigramTokenizerJson, xlmrNormalizer } from '../../support/unigram-json.js';
import { writeSafetensors } from '../support/weight-writers.js';
import { runRows } from '../../support/ort-rows.js';

const SEED = 11;
const config = PRESETS.tiny;
let root: string;
let out: string;
let tokenizerJson: string;

const PAIRS: [string, string][] = [
  ['Which planet is known as the red planet?', 'Mars is the fourth planet from the Sun.'],
  ['Ｗｈｉｃｈ　ｐｌａｎｅｔ？', 'ﬁve  spaces   here\u0007 and e\u0301 marks'],
  ['Quelle est la capitale de la France ?', 'Paris est la capitale de la France.'],
  ['日本の首都はどこですか', '東京は日本の首都です。'],
  ['short', 'x'.repeat(700)], // truncated at 512 on both sides
];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cappy-xlmr-'));
  const src = join(root, 'hf');
  await mkdir(src, { recursive: true });
  const json = buildUnigramTokenizerJson({
    texts: PAIRS.flat(),
    normalizer: xlmrNormalizer(),
  });
  // The forged embedding table has config.vocabSize rows: keep every id below it.
  const model = json.model as { vocab: [string, number][] };
  model.vocab = model.vocab.slice(0, config.vocabSize - 1);
  (json.added_tokens as { id: number; content: string }[]).find((t) => t.content === '<mask>')!.id = model.vocab.length;
  tokenizerJson = JSON.stringify(json);
  await writeFile(join(src, 'tokenizer.json'), tokenizerJson);
  await writeFile(
    join(src, 'config.json'),
    JSON.stringify({ ...robertaConfigJson(config), architectures: ['XLMRobertaForSequenceClassification'], model_type: 'xlm-roberta' }),
  );
  await writeSafetensors(
    join(src, 'model.safetensors'),
    [...forgedWeights(config, SEED)].map(([name, w]) => ({ name, shape: w.shape, dtype: 'F32' as const, data: w.data })),
  );
  out = join(root, 'converted');
  await convertModelDir(src, out);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The converted graph on HF's ids (padded with <pad> = 1), one row per pair. */
async function reference(): Promise<Float32Array> {
  const hf = Hf.fromString(tokenizerJson);
  hf.setTruncation(512, { strategy: 'LongestFirst' });
  const rows = await Promise.all(PAIRS.map(async ([a, b]) => (await hf.encode(a, b)).getIds()));
  const session = await ort.InferenceSession.create(join(out, 'onnx', 'model.onnx'));
  try {
    return await runRows(ort, session, rows);
  } finally {
    await session.release();
  }
}

describe('XLM-R-shaped cross-encoder (Unigram + Precompiled) through convert and Scorer', () => {
  it('scores as onnxruntime-node on HF tokenizers ids', async () => {
    const scorer = await Scorer.load(out);
    let ours: Float32Array;
    try {
      ours = await scorer.scoreBatch(PAIRS);
    } finally {
      await scorer.dispose();
    }
    const want = await reference();
    const diff = Math.max(...Array.from(ours, (s, i) => Math.abs(s - want[i])));
    console.log(`xlmr-shaped (forged) parity vs onnxruntime-node on HF ids: max |diff| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
    // The pairs differ, so equal scores would mean the inputs were lost.
    expect(new Set(Array.from(ours, (s) => s.toFixed(6))).size).toBe(PAIRS.length);
  });
});
