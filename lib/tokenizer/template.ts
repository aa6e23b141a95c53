// TemplateProcessing from tokenizer.json: special tokens around $A (and $B).
// The RoBERTa and BERT shapes keep their dedicated kinds; any other template
// (XLM-R variants, T5's `$A </s>`, multi-id specials) becomes id lists.
import type { NativePostProcessorSpec } from '../native.js';
import { fail, isId, isObject, type Json } from './json-checks.js';

type Piece = { seq: 'A' | 'B' } | { token: string };

function pieces(list: unknown, where: string): Piece[] {
  if (!Array.isArray(list)) fail(`${where} must be an array`);
  return list.map((x: unknown, i: number): Piece => {
    if (isObject(x) && isObject(x.SpecialToken) && typeof x.SpecialToken.id === 'string') return { token: x.SpecialToken.id };
    if (isObject(x) && isObject(x.Sequence) && (x.Sequence.id === 'A' || x.Sequence.id === 'B')) return { seq: x.Sequence.id };
    fail(`${where}[${i}] must be {"SpecialToken": {"id": ...}} or {"Sequence": {"id": "A" | "B"}}`);
  });
}

// BERT's segment ids: type 0 for `cls $A sep`, one type (1 in every BERT file)
// for `$B sep`. The engine feeds them as token_type_ids, so a file that mixes
// types any other way is refused rather than scored with the wrong ids.
// (RoBERTa's shape keeps 0 whatever the file says: its models have one type
// and transformers never feeds them token_type_ids.)
function bertPairType(p: Json, where: string): number {
  const typeOf = (x: unknown): number => {
    const inner = isObject(x) ? (isObject(x.SpecialToken) ? x.SpecialToken : x.Sequence) : undefined;
    const t = isObject(inner) ? (inner.type_id ?? 0) : 0;
    return isId(t) ? t : -1;
  };
  const singleTypes = (p.single as unknown[]).map(typeOf);
  const pairTypes = (p.pair as unknown[]).map(typeOf);
  const pairTypeId = pairTypes[3];
  if (singleTypes.some((t) => t !== 0) || pairTypes.slice(0, 3).some((t) => t !== 0) || pairTypeId < 0 || pairTypes[4] !== pairTypeId) {
    fail(
      `${where}: BERT template type ids must be 0 for [CLS] $A [SEP] and one type for $B [SEP] (got single ${JSON.stringify(singleTypes)}, pair ${JSON.stringify(pairTypes)})`,
    );
  }
  return pairTypeId;
}

export function parseTemplate(p: Json, where: string): NativePostProcessorSpec {
  const specials = isObject(p.special_tokens) ? p.special_tokens : {};
  const idsOf = (name: string): number[] => {
    const entry = Object.hasOwn(specials, name) ? specials[name] : undefined;
    if (!isObject(entry) || !Array.isArray(entry.ids) || !entry.ids.every(isId)) {
      fail(`${where}.special_tokens[${JSON.stringify(name)}] must list its ids`);
    }
    return entry.ids as number[];
  };
  const single = pieces(p.single, `${where}.single`);
  const pair = p.pair === undefined || p.pair === null ? null : pieces(p.pair, `${where}.pair`);
  const count = (ps: Piece[], s: 'A' | 'B') => ps.filter((x) => 'seq' in x && x.seq === s).length;
  if (count(single, 'A') !== 1 || count(single, 'B') !== 0) fail(`${where}.single must hold $A once and no $B`);
  if (pair && (count(pair, 'A') !== 1 || count(pair, 'B') !== 1)) fail(`${where}.pair must hold $A and $B once each`);
  const flat = (ps: Piece[]) => Int32Array.from(ps.flatMap((x) => ('seq' in x ? [x.seq === 'A' ? -1 : -2] : idsOf(x.token))));

  // The two shapes the scorer's models use keep their dedicated kinds.
  const shape = (ps: Piece[] | null) => (ps ?? []).map((x) => ('seq' in x ? '$' + x.seq : 'tok:' + x.token)).join(' ');
  const first = single[0];
  const last = single[single.length - 1];
  if (single.length === 3 && 'token' in first && 'token' in last && idsOf(first.token).length === 1 && idsOf(last.token).length === 1) {
    const cls = first.token;
    const sep = last.token;
    const base = { cls, clsId: idsOf(cls)[0], sep, sepId: idsOf(sep)[0] };
    const s = shape(pair);
    if (s === `tok:${cls} $A tok:${sep} tok:${sep} $B tok:${sep}`) return { kind: 'roberta', ...base };
    if (s === `tok:${cls} $A tok:${sep} $B tok:${sep}`) return { kind: 'bert', ...base, pairTypeId: bertPairType(p, where) };
  }
  return { kind: 'template', cls: '', clsId: 0, sep: '', sepId: 0, single: flat(single), pair: pair ? flat(pair) : new Int32Array(0) };
}
