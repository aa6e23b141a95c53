// Writes the full RoBERTa tokenizer spec (lib/forge/tokenizer-json.ts) in the
// line format native/fuzz/tokenizer_fuzz.cc reads, since the C++ core never
// parses JSON:  v ID HEX | m HEXLEFT HEXRIGHT | a ID LSTRIP RSTRIP SINGLE NORMALIZED HEX
// and beside it <out>.charsmap, an NFKC-shaped SentencePiece charsmap
// (support/charsmap.ts) for the Precompiled configurations.
//   npx tsx native/fuzz/make-spec.ts out.spec
import { writeFileSync } from 'node:fs';
import { parseTokenizerJson } from '../../lib/tokenizer/spec.js';
import { buildRobertaTokenizerJson } from '../../lib/forge/tokenizer-json.js';
import { buildCharsmap, buildNfkcCharsmap } from '../../support/charsmap.js';

const out = process.argv[2];
if (!out) throw new Error('usage: make-spec.ts <out.spec>');
const { spec } = parseTokenizerJson(buildRobertaTokenizerJson());
const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
const lines: string[] = [];
spec.vocab.forEach((v, i) => lines.push(`v ${spec.vocabIds[i]} ${hex(v)}`));
spec.mergesLeft.forEach((l, i) => lines.push(`m ${hex(l)} ${hex(spec.mergesRight[i])}`));
for (const t of spec.addedTokens) {
  lines.push(`a ${t.id} ${+t.lstrip} ${+t.rstrip} ${+t.singleWord} ${+t.normalized} ${hex(t.content)}`);
}
writeFileSync(out, lines.join('\n') + '\n');
writeFileSync(`${out}.charsmap`, buildNfkcCharsmap([['e\u0301', '\u00e9'], ['\u00a0', ' ']]));
// A seed for the input-charsmap configuration (config byte 16): a small real
// charsmap (fullwidth forms and ligatures to NFKC) in front of some text.
const small = [];
for (let cp = 0xfb00; cp <= 0xfb06; cp++) small.push([String.fromCodePoint(cp), String.fromCodePoint(cp).normalize('NFKC')] as const);
for (let cp = 0xff01; cp <= 0xff5e; cp++) small.push([String.fromCodePoint(cp), String.fromCodePoint(cp).normalize('NFKC')] as const);
const blob = buildCharsmap(small);
const text = Buffer.from('\uff28\uff45llo \ufb01ne e\u0301  x', 'utf8');
writeFileSync(`${out}.seed-charsmap`, Buffer.concat([Buffer.from([16, blob.length >> 8, blob.length & 0xff]), blob, text]));
