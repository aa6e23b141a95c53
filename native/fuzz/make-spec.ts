// Writes the full RoBERTa tokenizer spec (lib/forge/tokenizer-json.ts) in the
// line format native/fuzz/tokenizer_fuzz.cc reads, since the C++ core never
// parses JSON:  v ID HEX | m HEXLEFT HEXRIGHT | a ID LSTRIP RSTRIP SINGLE NORMALIZED HEX
//   npx tsx native/fuzz/make-spec.ts out.spec
import { writeFileSync } from 'node:fs';
import { parseTokenizerJson } from '../../lib/tokenizer/spec.js';
import { buildRobertaTokenizerJson } from '../../lib/forge/tokenizer-json.js';

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
