// Tokenizer throughput: this engine (1 thread and all threads) against HF
// `tokenizers` encodeBatch (1 thread and all threads) and the transformers.js
// tokenizer, on the same >= 5 MB mixed corpus and the same tokenizer.json, in
// one run. The machine is shared, so the ratios printed at the end, all from
// this run, are the result; absolute MB/s move with the load.
//
//   npx tsx bench/tokenize.ts [--mb 6] [--samples 3] [--model roberta|bert|unigram|xlmr] [--skip-transformers] [--json out.json]
//
// --model bert runs a WordPiece (BERT uncased) tokenizer.json whose
// vocabulary is built from the corpus itself (lib/forge buildBertTokenizerJson).
// --model unigram runs an XLM-R-shaped Unigram file (NFKC, Metaspace, XLM-R
// template; support/unigram-json.ts: GPT-2's pieces as text plus the
// corpus's characters). --model xlmr is the same vocabulary with the
// normalizer real XLM-R files carry: [Precompiled (an NFKC-shaped charsmap,
// support/charsmap.ts), Replace " {2,}" -> " "].
//
// HF's thread pool (rayon) is sized once per process from RAYON_NUM_THREADS,
// so each HF configuration runs in a child process of this script.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Tokenizer } from '../lib/tokenizer/index.js';
import { buildBertTokenizerJson, buildRobertaTokenizerJson } from '../lib/forge/tokenizer-json.js';
import { measure, type Measured } from './support/measure.js';
import { tokenizeCorpus } from './support/tokenize-corpus.js';
import { buildUnigramTokenizerJson, xlmrNormalizer } from '../support/unigram-json.js';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '6' },
    samples: { type: 'string', default: '3' },
    'skip-transformers': { type: 'boolean', default: false },
    'hf-child': { type: 'string' },
    model: { type: 'string', default: 'roberta' },
    json: { type: 'string' },
  },
});
const MB = Number(args.mb);
const SAMPLES = Number(args.samples);
const cores = availableParallelism();
const corpus = tokenizeCorpus(MB);
if (!['roberta', 'bert', 'unigram', 'xlmr'].includes(String(args.model))) throw new Error('--model must be roberta, bert, unigram or xlmr');
const sample = corpus.items.filter((_, i) => i % 4 === 0);
const jsonObj =
  args.model === 'bert'
    ? buildBertTokenizerJson(sample, { vocabSize: 30_000 })
    : args.model === 'unigram'
      ? buildUnigramTokenizerJson({ texts: sample, normalizer: { type: 'NFKC' } })
      : args.model === 'xlmr'
        ? buildUnigramTokenizerJson({
            texts: sample,
            normalizer: xlmrNormalizer(),
          })
        : buildRobertaTokenizerJson();
const jsonText = JSON.stringify(jsonObj);
const require = createRequire(import.meta.url);

interface HfTokenizer {
  encodeBatch(items: string[], o?: { addSpecialTokens?: boolean }): Promise<{ getIds(): number[] }[]>;
}

async function hfChild(threads: string): Promise<void> {
  const { Tokenizer: Hf } = require('tokenizers') as { Tokenizer: { fromString(s: string): HfTokenizer } };
  const hf = Hf.fromString(jsonText);
  const r = await measure(
    `HF tokenizers encodeBatch, ${threads} thread(s)`,
    corpus.bytes,
    () => hf.encodeBatch(corpus.items, { addSpecialTokens: true }),
    SAMPLES,
  );
  process.stdout.write('RESULT ' + JSON.stringify(r) + '\n');
}

function runHf(threads: number): Measured {
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      import.meta.filename,
      '--hf-child',
      String(threads),
      '--mb',
      String(MB),
      '--samples',
      String(SAMPLES),
      '--model',
      String(args.model),
    ],
    {
      env: { ...process.env, RAYON_NUM_THREADS: String(threads), TOKENIZERS_PARALLELISM: 'true' },
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    },
  );
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`HF child failed (status ${child.status}): ${child.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7)) as Measured;
}

async function main(): Promise<void> {
  if (args['hf-child']) return hfChild(args['hf-child']);
  console.log(
    `corpus: ${corpus.items.length} items, ${(corpus.bytes / 1e6).toFixed(2)} MB (prose ${(corpus.parts.prose / 1e6).toFixed(2)}, ` +
      `multilingual/CJK ${(corpus.parts.multilingual / 1e6).toFixed(2)}, code ${(corpus.parts.code / 1e6).toFixed(2)}), digest ${corpus.digest}; ${cores} cores; model ${args.model}`,
  );
  const ours = Tokenizer.fromJSON(jsonText);
  // Same ids as HF on this corpus, or the speed means nothing.
  const { Tokenizer: Hf } = require('tokenizers') as { Tokenizer: { fromString(s: string): HfTokenizer } };
  const sample = corpus.items.filter((_, i) => i % 10 === 0);
  const want = await Hf.fromString(jsonText).encodeBatch(sample, { addSpecialTokens: true });
  const got = await ours.encodeBatchPacked(sample);
  let bad = 0;
  for (let i = 0; i < sample.length; i++) {
    const w = want[i].getIds();
    const g = got.ids.subarray(got.offsets[i], got.offsets[i + 1]);
    if (w.length !== g.length || w.some((x, k) => x !== g[k])) bad++;
  }
  console.log(`check: ${sample.length} items against HF, ${bad} mismatches`);

  const results: Measured[] = [];
  const show = (r: Measured) => {
    results.push(r);
    console.log(`${r.name.padEnd(44)} ${r.mbPerSec.toFixed(2).padStart(8)} MB/s  (±${r.rme.toFixed(1)}%, ${r.samples} passes)`);
  };
  show(
    await measure('cappy encodeBatchPacked, 1 thread', corpus.bytes, () => ours.encodeBatchPacked(corpus.items, { threads: 1 }), SAMPLES),
  );
  show(
    await measure(
      `cappy encodeBatchPacked, ${cores} threads`,
      corpus.bytes,
      () => ours.encodeBatchPacked(corpus.items, { threads: cores }),
      SAMPLES,
    ),
  );
  show(
    await measure(
      `cappy encodeBatch (objects), ${cores} threads`,
      corpus.bytes,
      () => ours.encodeBatch(corpus.items, { threads: cores }),
      SAMPLES,
    ),
  );
  const hf1 = runHf(1);
  show(hf1);
  const hfN = runHf(cores);
  show(hfN);
  let tjs: Measured | undefined;
  if (!args['skip-transformers']) {
    const { PreTrainedTokenizer } = (await import('@huggingface/transformers')) as unknown as {
      PreTrainedTokenizer: new (j: object, c: object) => { encode(t: string): number[] };
    };
    const tj = new PreTrainedTokenizer(structuredClone(jsonObj), {});
    for (const t of corpus.items.slice(0, 300)) tj.encode(t); // JIT warm-up, outside the timing
    tjs = await measure(
      'transformers.js tokenizer encode',
      corpus.bytes,
      async () => {
        for (const t of corpus.items) tj.encode(t);
      },
      Math.max(2, SAMPLES - 1),
    );
    show(tjs);
  }
  const [one, all] = results;
  const ratio = (a: Measured, b: Measured) => (a.mbPerSec / b.mbPerSec).toFixed(1) + '×';
  console.log('\nratios (same run):');
  console.log(`  cappy 1 thread / HF 1 thread:          ${ratio(one, hf1)}`);
  console.log(`  cappy ${cores} threads / HF ${cores} threads:        ${ratio(all, hfN)}`);
  console.log(`  cappy ${cores} threads / cappy 1 thread:       ${(all.mbPerSec / one.mbPerSec).toFixed(2)}×`);
  if (tjs) console.log(`  cappy 1 thread / transformers.js:       ${ratio(one, tjs)}`);
  if (args.json)
    writeFileSync(
      args.json,
      JSON.stringify({ corpus: { bytes: corpus.bytes, items: corpus.items.length, digest: corpus.digest }, cores, results }, null, 2),
    );
}

await main();
