// Unigram tokenizer.json handling beyond the parity corpus: what is refused
// (by name), what errors where HF errors, and the small cases where HF's
// pipeline has a rule of its own (empty text, Metaspace "first" after Strip).
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../lib/errors/index.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { T5_TEMPLATE, buildUnigramTokenizerJson, metaspace } from '../../support/unigram-json.js';

interface HfTokenizer {
  encode(a: string, b?: string | null): Promise<{ getIds(): number[] }>;
}
const require = createRequire(import.meta.url);
const { Tokenizer: Hf } = require('tokenizers') as { Tokenizer: { fromString(s: string): HfTokenizer } };

const base = buildUnigramTokenizerJson({ texts: ['hello world', 'hello there'] });
const withPart = (patch: Record<string, unknown>) => ({ ...structuredClone(base), ...patch });

function refused(json: object, field: RegExp): void {
  let err: unknown;
  try {
    Tokenizer.fromJSON(json);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TokenizerError);
  expect((err as Error).message).toMatch(field);
}

/** Both tokenizers of one file, built once; `ids` gives each side's ids or 'error'. */
function bothOf(json: object) {
  const hf = Hf.fromString(JSON.stringify(json));
  const ours = Tokenizer.fromJSON(json);
  return {
    async hf(a: string, b?: string): Promise<number[] | 'error'> {
      try {
        return (await hf.encode(a, b ?? null)).getIds();
      } catch {
        return 'error';
      }
    },
    ours(a: string, b?: string): number[] | 'error' {
      try {
        return Array.from(ours.encode(a, b).ids);
      } catch (e) {
        expect(e).toBeInstanceOf(TokenizerError);
        return 'error';
      }
    },
  };
}

describe('Unigram tokenizer.json', () => {
  it('refuses what it cannot do yet, naming it', () => {
    refused(
      withPart({ normalizer: { type: 'Precompiled', precompiled_charsmap: 'AAAA' } }),
      /precompiled_charsmap is shorter than its 4-byte header/,
    );
    refused(
      withPart({
        normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Replace', pattern: { Regex: '\\s+' }, content: ' ' }] },
      }),
      /normalizers\[1\].*regex/,
    );
    refused(withPart({ normalizer: { type: 'BertNormalizer' } }), /"BertNormalizer" is not supported/);
    refused(
      withPart({ pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Whitespace' }, metaspace('always')] } }),
      /pre_tokenizer/,
    );
    refused(withPart({ pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', add_prefix_space: false } }), /add_prefix_space/);
    refused(withPart({ model: { type: 'Unigram', unk_id: 99_999_999, vocab: [['a', -1]] } }), /unk_id/);
    refused(withPart({ model: { type: 'Unigram', unk_id: null, vocab: [['a', 'x']] } }), /vocab\[0\]/);
  });

  it('a regex Replace without metacharacters is a literal, as HF sees it', async () => {
    const t = bothOf(withPart({ normalizer: { type: 'Replace', pattern: { Regex: 'lo' }, content: 'LO' } }));
    for (const s of ['hello world', 'lololo']) expect(t.ours(s)).toEqual(await t.hf(s));
  });

  it('without unk_id, a character no piece covers is an error on both sides', async () => {
    const t = bothOf(withPart({ model: { ...(base.model as object), unk_id: null } }));
    for (const s of ['hello', 'hello \u{1F600}', '\u{1F600}']) expect(t.ours(s)).toEqual(await t.hf(s));
    expect(t.ours('\u{1F600}')).toBe('error');
  });

  it('empty text, lone specials and Metaspace "first" after Strip agree with HF', async () => {
    const t = bothOf(
      withPart({
        normalizer: { type: 'Sequence', normalizers: [{ type: 'Strip', strip_left: true, strip_right: true }] },
        pre_tokenizer: metaspace('first'),
        post_processor: T5_TEMPLATE,
      }),
    );
    const cases: [string, string?][] = [
      [''],
      [' '],
      ['<s>'],
      ['  hello'],
      ['hello <s> world'],
      ['<s>hello'],
      ['hello', '  world'],
      ['', ''],
      ['\u2581hello'],
    ];
    for (const [a, b] of cases) expect(t.ours(a, b)).toEqual(await t.hf(a, b));
  });

  it('a template without a pair form encodes singles and refuses pairs', () => {
    const { pair: _pair, ...single } = T5_TEMPLATE;
    const tok = Tokenizer.fromJSON(withPart({ post_processor: single }));
    expect(Array.from(tok.encode('hello').ids).at(-1)).toBe(2);
    expect(() => tok.encode('a', 'b')).toThrow(TokenizerError);
  });
});
