// tokenizer.json load time, before and after the core read the file itself,
// in one run: an XLM-R-sized Unigram file (250,002 pieces, HF's pretty-printed
// layout, Precompiled + Replace normalizer, Metaspace, XLM-R template; about
// 17 MB like XLM-R's own, which cannot be downloaded here) is loaded with
// Tokenizer.fromFile by this checkout (simdjson in the core) and by a checkout
// from before the change (TypeScript JSON.parse + spec arrays handed to the
// native constructor), alternating, each load in a fresh child process.
// HF tokenizers' own load of the same file is the third anchor. Both engines'
// ids are checked against HF on sample texts first.
//
//   npx tsx bench/tokenizer-load.ts --before /path/to/old-checkout [--runs 5] [--json out.json]
//
// --before: a checkout of the engine before this change with its addon built,
// e.g. `git worktree add /tmp/cappy-before a4b28d2 && (cd /tmp/cappy-before && npm ci)`.
// Without it only the current path and HF are measured.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildUnigramTokenizerJson, xlmrNormalizer } from '../support/unigram-json.js';
import { tokenizeCorpus } from './support/tokenize-corpus.js';

const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    runs: { type: 'string', default: '5' },
    json: { type: 'string' },
    child: { type: 'string' }, // internal: load with the engine at this root and print timings
    file: { type: 'string' },
  },
});
const root = resolve(import.meta.dirname, '..');
const SAMPLE_TEXTS = [
  'Hello world, this is a test.',
  'Ｆｕｌｌｗｉｄｔｈ ﬁne  spaced   text',
  'déjà vu — 中文 テキスト Ünïcödé',
  'the quick brown fox',
];
const XLMR_PIECES = 250_002;

// Child: one load, timed, then the ids of the sample texts.
async function child(engineRoot: string, file: string): Promise<void> {
  if (engineRoot === 'hf') {
    const { createRequire } = await import('node:module');
    const { Tokenizer } = createRequire(import.meta.url)('tokenizers') as {
      Tokenizer: { fromFile(p: string): { encode(a: string): Promise<{ getIds(): number[] }> } };
    };
    const t0 = performance.now();
    const hf = Tokenizer.fromFile(file);
    const ms = performance.now() - t0;
    const ids = [];
    for (const s of SAMPLE_TEXTS) ids.push((await hf.encode(s)).getIds());
    process.stdout.write('RESULT ' + JSON.stringify({ ms, ids }) + '\n');
    return;
  }
  const { Tokenizer } = (await import(join(engineRoot, 'lib', 'tokenizer', 'index.ts'))) as typeof import('../lib/tokenizer/index.js');
  const t0 = performance.now();
  const tok = await Tokenizer.fromFile(file);
  const ms = performance.now() - t0;
  const ids = SAMPLE_TEXTS.map((s) => Array.from(tok.encode(s).ids));
  // The old TypeScript reader, where the checkout has one: its share of the
  // load (read + JSON.parse + spec arrays); the rest was the native build.
  let tsParseMs: number | undefined;
  const spec = join(engineRoot, 'lib', 'tokenizer', 'spec.ts');
  if (existsSync(spec)) {
    const { parseTokenizerJson } = (await import(spec)) as { parseTokenizerJson(text: string): unknown };
    const t1 = performance.now();
    parseTokenizerJson(readFileSync(file, 'utf8'));
    tsParseMs = performance.now() - t1;
  }
  process.stdout.write('RESULT ' + JSON.stringify({ ms, ids, tsParseMs }) + '\n');
}

function runChild(engineRoot: string, file: string): { ms: number; ids: number[][]; tsParseMs?: number } {
  const r = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--child', engineRoot, '--file', file], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`load with ${engineRoot} failed (status ${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(line.slice(7));
}

/** An XLM-R-sized Unigram file: the test builder's pieces plus deterministic synthetic ones up to 250,002. */
function writeXlmrSized(dir: string): string {
  const corpus = tokenizeCorpus(1);
  const json = buildUnigramTokenizerJson({
    texts: corpus.items.filter((_, i) => i % 4 === 0),
    normalizer: xlmrNormalizer(),
  });
  const model = json.model as { vocab: [string, number][] };
  const seen = new Set(model.vocab.map(([p]) => p));
  // Latin, Cyrillic, Greek, kana and CJK syllables, as a multilingual vocabulary has.
  const alphabet = [
    ...'abcdefghijklmnopqrstuvwxyzабвгдежзиклмнопрстуфхцчшщыэюяαβγδεζηθικλμνξοπρστυφχψωアイウエオカキクケコサシスセソタチツテトナニヌネノ的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年',
  ];
  let seed = 12345;
  const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  while (model.vocab.length < XLMR_PIECES) {
    let piece = rand() < 0.4 ? '\u2581' : '';
    const n = 2 + Math.floor(rand() * 7);
    for (let k = 0; k < n; k++) piece += alphabet[Math.floor(rand() * alphabet.length)];
    if (seen.has(piece)) continue;
    seen.add(piece);
    model.vocab.push([piece, -(8 + rand() * 10)]); // full-precision scores, as real files have
  }
  const file = join(dir, 'tokenizer.json');
  writeFileSync(file, JSON.stringify(json, null, 2)); // HF writes indent 2
  return file;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (args.child) return child(args.child, String(args.file));
  const runs = Number(args.runs);
  const before = args.before ? resolve(args.before) : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'cappy-load-'));
  try {
    const file = writeXlmrSized(dir);
    const bytes = statSync(file).size;
    console.log(
      `file: ${XLMR_PIECES} Unigram pieces, ${(bytes / 1e6).toFixed(1)} MB (synthetic, XLM-R-sized); ${runs} loads each, alternating; load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    const engines: [string, string][] = [
      ['after (core reads the file)', root],
      ['HF tokenizers fromFile', 'hf'],
    ];
    if (before) engines.splice(1, 0, ['before (TS JSON.parse + spec)', before]);
    const times = new Map<string, number[]>(engines.map(([name]) => [name, []]));
    const tsParse: number[] = [];
    let reference: string | undefined;
    for (let r = 0; r < runs; r++) {
      for (const [name, engine] of engines) {
        const { ms, ids, tsParseMs } = runChild(engine, file);
        times.get(name)!.push(ms);
        if (tsParseMs !== undefined) tsParse.push(tsParseMs);
        const key = JSON.stringify(ids);
        if (reference === undefined) reference = key;
        if (key !== reference) throw new Error(`${name} gives other ids than the first engine on the sample texts`);
      }
    }
    console.log(`check: ${SAMPLE_TEXTS.length} sample texts give the same ids with every loader (HF included)`);
    const result: Record<string, unknown> = {
      bytes,
      pieces: XLMR_PIECES,
      runs,
      loadavg: loadavg(),
      medianMs: {} as Record<string, number>,
    };
    for (const [name] of engines) {
      const m = median(times.get(name)!);
      (result.medianMs as Record<string, number>)[name] = m;
      console.log(
        `${name.padEnd(32)} median ${m.toFixed(0).padStart(6)} ms  (${times
          .get(name)!
          .map((t) => t.toFixed(0))
          .join(', ')})`,
      );
    }
    const med = result.medianMs as Record<string, number>;
    const after = med['after (core reads the file)'];
    if (before) {
      result.beforeOverAfter = med['before (TS JSON.parse + spec)'] / after;
      console.log(`before / after: ${(result.beforeOverAfter as number).toFixed(2)}x`);
      if (tsParse.length > 0) {
        // Before = TS reading + native build; after = core reading + the same native build.
        result.beforeTsParseMs = median(tsParse);
        result.beforeNativeBuildMs = med['before (TS JSON.parse + spec)'] - median(tsParse);
        console.log(
          `before, split: TS read + JSON.parse + spec ${median(tsParse).toFixed(0)} ms (measured again after each load), native build the rest ` +
            `(~${(result.beforeNativeBuildMs as number).toFixed(0)} ms), which 'after' pays too`,
        );
      }
    }
    result.hfOverAfter = med['HF tokenizers fromFile'] / after;
    console.log(`HF / after: ${(result.hfOverAfter as number).toFixed(2)}x`);
    const out = args.json ?? join(root, 'bench', 'results', 'tokenizer-load.json');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
    console.log(`wrote ${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
