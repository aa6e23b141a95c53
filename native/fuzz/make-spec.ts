// Writes what scripts/fuzz.sh feeds native/fuzz/tokenizer_fuzz.cc:
//   <out>                  the full RoBERTa tokenizer.json (lib/forge/tokenizer-json.ts),
//                          which the fuzzer reads with the core's own loader;
//   <out>.charsmap         an NFKC-shaped SentencePiece charsmap (support/charsmap.ts)
//                          for the Precompiled configurations;
//   <out>.seed-charsmap    a seed for the charsmap-from-input configuration (16);
//   <out>.seed-json-*      small tokenizer.json files of each model family, seeds for
//                          the JSON-from-input configuration (17).
//   npx tsx native/fuzz/make-spec.ts out.json
import { writeFileSync } from 'node:fs';
import { buildBertTokenizerJson, buildRobertaTokenizerJson } from '../../lib/forge/tokenizer-json.js';
import { buildCharsmap, buildNfkcCharsmap } from '../../support/charsmap.js';

const out = process.argv[2];
if (!out) throw new Error('usage: make-spec.ts <out.json>');
writeFileSync(out, JSON.stringify(buildRobertaTokenizerJson()));
writeFileSync(`${out}.charsmap`, buildNfkcCharsmap([['e\u0301', '\u00e9'], ['\u00a0', ' ']]));
// A seed for the input-charsmap configuration (config byte 16): a small real
// charsmap (fullwidth forms and ligatures to NFKC) in front of some text.
const small = [];
for (let cp = 0xfb00; cp <= 0xfb06; cp++) small.push([String.fromCodePoint(cp), String.fromCodePoint(cp).normalize('NFKC')] as const);
for (let cp = 0xff01; cp <= 0xff5e; cp++) small.push([String.fromCodePoint(cp), String.fromCodePoint(cp).normalize('NFKC')] as const);
const blob = buildCharsmap(small);
const text = Buffer.from('\uff28\uff45llo \ufb01ne e\u0301  x', 'utf8');
writeFileSync(`${out}.seed-charsmap`, Buffer.concat([Buffer.from([16, blob.length >> 8, blob.length & 0xff]), blob, text]));

// Seeds for the JSON-from-input configuration (config byte 17): small files
// that reach every reader (BPE merges in both forms, WordPiece, Unigram with
// a normalizer Sequence, Metaspace variants, templates, truncation, padding).
const tiny = ['hello world', 'the cat sat on the mat', 'caf\u00e9 \u4e2d\u6587', 'hello there world'];
const bpe = buildRobertaTokenizerJson();
const full = bpe.model as { vocab: Record<string, number>; merges: ([string, string] | string)[] };
// The byte stand-ins and the first thousand ids, and the merges among them
// (in both forms), keep the file small and every merge valid.
const kept = Object.fromEntries(Object.entries(full.vocab).filter(([t, id]) => id < 1000 || [...t].length === 1));
const merges = full.merges
  .map((m) => (typeof m === 'string' ? (m.split(' ') as [string, string]) : m))
  .filter(([l, r]) => l in kept && r in kept && l + r in kept)
  .slice(0, 300)
  .map((m, i) => (i % 2 ? m : m.join(' ')));
const seeds: Record<string, unknown> = {
  bpe: { ...bpe, model: { ...full, vocab: kept, merges } },
  wordpiece: buildBertTokenizerJson(tiny, { vocabSize: 60 }),
  unigram: {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<s>', special: true }, { id: 2, content: '</s>', special: true }, { id: 9, content: '<mask>', special: true, lstrip: true }],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
        { type: 'Strip', strip_left: true, strip_right: false },
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Lowercase' },
      ],
    },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: true }] },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
    },
    truncation: { max_length: 12, strategy: 'LongestFirst', direction: 'Right', stride: 0 },
    padding: { pad_id: 1 },
    model: {
      type: 'Unigram',
      unk_id: 3,
      byte_fallback: true,
      vocab: [['<s>', 0], ['<pad>', 0], ['</s>', 0], ['<unk>', 0], ['\u2581', -2], ['\u2581the', -3], ['he', -4], ['llo', -4.5], ['<0x41>', -9], ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c, i) => [c, -5 - (i % 4) / 4])],
    },
  },
};
for (const [name, json] of Object.entries(seeds)) {
  writeFileSync(`${out}.seed-json-${name}`, Buffer.concat([Buffer.from([17]), Buffer.from(JSON.stringify(json), 'utf8')]));
}
