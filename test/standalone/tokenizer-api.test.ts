// The Tokenizer API under bad input: typed errors, never a crash.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CappyError, InvalidInputError, TokenizerError } from '../../lib/errors/index.js';
import { isNativeError, loadAddon } from '../../lib/native.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';
import { buildRobertaTokenizerJson } from '../support/roberta-tokenizer-json.js';
import { buildBertTokenizerJson } from '../../lib/forge/tokenizer-json.js';

const base = buildRobertaTokenizerJson();
const jsonText = JSON.stringify(base);
const tok = Tokenizer.fromJSON(jsonText);
const require = createRequire(import.meta.url);
const { Tokenizer: Hf } = require('tokenizers') as {
  Tokenizer: { fromString(s: string): { encode(a: string, b?: string | null): Promise<{ getIds(): number[] }> } };
};
const hf = Hf.fromString(jsonText);

/** A deep copy of the RoBERTa json with one change (any: the changes reach into tokenizer.json's free-form fields). */
/* eslint-disable @typescript-eslint/no-explicit-any */
function variant(change: (j: any) => void): any {
  const j = structuredClone(base) as any;
  change(j);
  return j;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

function expectTokenizerError(fn: () => unknown, field: RegExp) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TokenizerError);
  expect((err as Error).message).toMatch(field);
}

describe('loading tokenizer.json', () => {
  it('reports the RoBERTa sizes and pad id', () => {
    expect(tok.vocabSize).toBe(50265);
    expect(tok.padId).toBe(1);
    expect(tok.truncation).toBeNull();
  });

  it('rejects malformed files with a TokenizerError naming the field', () => {
    expectTokenizerError(() => Tokenizer.fromJSON('{ not json'), /not valid JSON/);
    expectTokenizerError(() => Tokenizer.fromJSON('[]'), /top level/);
    expectTokenizerError(
      () => Tokenizer.fromJSON(variant((j) => (j.model.type = 'WordLevel'))),
      /model\.type must be "BPE", "WordPiece" or "Unigram"/,
    );
    expectTokenizerError(
      () => Tokenizer.fromJSON(variant((j) => (j.model.type = 'Unigram'))),
      /model\.vocab must be an array of \[piece, score\] pairs/,
    );
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => delete j.model)), /model must be an object/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.model.vocab = [1, 2]))), /model\.vocab/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.model.vocab.hello = -3))), /model\.vocab\["hello"\]/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.model.merges = 'a b'))), /model\.merges must be an array/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.model.merges[7] = 'ab'))), /model\.merges\[7\]/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.model.merges[7] = ['a', 1]))), /model\.merges\[7\]/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.pre_tokenizer = { type: 'Whitespace' }))), /pre_tokenizer\.type/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.normalizer = { type: 'NFC' }))), /normalizer/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.post_processor = { type: 'SomeProcessing' }))), /post_processor\.type/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.added_tokens = {}))), /added_tokens must be an array/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.added_tokens[0].content = 5))), /added_tokens\[0\]\.content/);
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => (j.truncation = { max_length: 0 }))), /truncation\.max_length/);
  });

  it('rejects a merge whose parts are not in the vocab (checked natively)', () => {
    expectTokenizerError(() => Tokenizer.fromJSON(variant((j) => j.model.merges.push(['zzzq', 'qqq']))), /not in the vocab/);
  });

  it('accepts ByteLevel inside a Sequence and the RoBERTa TemplateProcessing, with the same ids', () => {
    const seq = Tokenizer.fromJSON(
      variant((j) => {
        j.pre_tokenizer = { type: 'Sequence', pretokenizers: [j.pre_tokenizer] };
        j.post_processor = {
          type: 'TemplateProcessing',
          single: [
            { SpecialToken: { id: '<s>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '</s>', type_id: 0 } },
          ],
          pair: [
            { SpecialToken: { id: '<s>', type_id: 0 } },
            { Sequence: { id: 'A', type_id: 0 } },
            { SpecialToken: { id: '</s>', type_id: 0 } },
            { SpecialToken: { id: '</s>', type_id: 0 } },
            { Sequence: { id: 'B', type_id: 0 } },
            { SpecialToken: { id: '</s>', type_id: 0 } },
          ],
          special_tokens: { '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] }, '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] } },
        };
      }),
    );
    expect(Array.from(seq.encode('Hello there', 'pair!').ids)).toEqual(Array.from(tok.encode('Hello there', 'pair!').ids));
    const none = Tokenizer.fromJSON(variant((j) => (j.post_processor = null)));
    expect(Array.from(none.encode('Hello').ids)).toEqual([15500]);
  });

  it('fromFile reads the file, takes its truncation as the default, and fails typed on a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cappy-tok-'));
    const path = join(dir, 'tokenizer.json');
    writeFileSync(
      path,
      JSON.stringify(variant((j) => (j.truncation = { max_length: 8, strategy: 'LongestFirst', stride: 0, direction: 'Right' }))),
    );
    const t = await Tokenizer.fromFile(path);
    expect(t.truncation).toEqual({ maxLength: 8, strategy: 'longest_first' });
    expect(t.encode('one two three four five six seven eight nine').ids.length).toBe(8);
    const wider = await Tokenizer.fromFile(path, { maxLength: 10 });
    expect(wider.encode('one two three four five six seven eight nine').ids.length).toBe(10);
    await expect(Tokenizer.fromFile(join(dir, 'missing.json'))).rejects.toBeInstanceOf(TokenizerError);
    await expect(Tokenizer.fromFile(42 as unknown as string)).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('validates options', () => {
    expect(() => Tokenizer.fromJSON(jsonText, { maxLength: -1 })).toThrow(InvalidInputError);
    expect(() => Tokenizer.fromJSON(jsonText, { maxLength: 1.5 })).toThrow(InvalidInputError);
    expect(() => Tokenizer.fromJSON(jsonText, { truncation: 'middle' as never, maxLength: 9 })).toThrow(InvalidInputError);
    expect(() => Tokenizer.fromJSON(jsonText, { truncation: 'only_first' })).toThrow(InvalidInputError);
    expect(Tokenizer.fromJSON(jsonText, { maxLength: 9 }).truncation).toEqual({ maxLength: 9, strategy: 'longest_first' });
  });
});

describe('encoding', () => {
  it('gives HF ids and a full attention mask', async () => {
    const e = tok.encode('Hello <mask> world');
    expect(Array.from(e.ids)).toEqual([0, 15500, 50264, 999, 2]);
    expect(Array.from(e.attentionMask)).toEqual([1, 1, 1, 1, 1]);
  });

  it('rejects non-string input with InvalidInputError', async () => {
    expect(() => tok.encode(5 as unknown as string)).toThrow(InvalidInputError);
    expect(() => tok.encode('a', null as unknown as string)).toThrow(InvalidInputError);
    await expect(tok.encodeBatch('abc' as unknown as string[])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(tok.encodeBatch(['a', 3 as unknown as string])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(tok.encodeBatch([['a'] as unknown as [string, string]])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(tok.encodeBatch([['a', 1] as unknown as [string, string]])).rejects.toBeInstanceOf(InvalidInputError);
    await expect(tok.encodeBatch(['a'], { threads: -1 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('normalize runs the file normalizer alone: none for RoBERTa, HF bertNormalizer for BERT', () => {
    const text = 'Héllo\u0000 WÖRLD\t中文 \u00e9\u0301 <s>';
    expect(tok.normalize(text)).toBe(text);
    const bert = Tokenizer.fromJSON(buildBertTokenizerJson(['hello world', 'some text']));
    const { bertNormalizer } = require('tokenizers') as {
      bertNormalizer(o: object): { normalizeString(s: string): string };
    };
    const hfBert = bertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: true, lowercase: true });
    expect(bert.normalize(text)).toBe(hfBert.normalizeString(text));
    expect(() => tok.normalize(5 as unknown as string)).toThrow(InvalidInputError);
  });

  it('the native layer itself answers bad types with INVALID_INPUT, not a crash', () => {
    const addon = loadAddon();
    const codeOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return isNativeError(e) ? e.cappyCode : 'not native';
      }
      return 'no error';
    };
    const options = { maxLength: 0, truncation: '' } as const;
    expect(codeOf(() => new addon.Tokenizer({} as never, options))).toBe('INVALID_INPUT');
    expect(codeOf(() => new addon.Tokenizer(null as never, options))).toBe('INVALID_INPUT');
    expect(codeOf(() => new addon.Tokenizer({ json: 7 } as never, options))).toBe('INVALID_INPUT');
    expect(codeOf(() => new addon.Tokenizer({ json: jsonText }, undefined as never))).toBe('INVALID_INPUT');
    expect(codeOf(() => new addon.Tokenizer({ json: jsonText }, { maxLength: -1, truncation: '' }))).toBe('INVALID_INPUT');
    expect(codeOf(() => new addon.Tokenizer({ json: jsonText }, { maxLength: 8, truncation: 'middle' as never }))).toBe('INVALID_INPUT');
    expect(codeOf(() => new addon.Tokenizer({ json: '{' }, options))).toBe('TOKENIZER');
    expect(codeOf(() => addon.readModelFolder(7 as never, { onnxFile: '', dtype: '', gpu: false }))).toBe('INVALID_INPUT');
    expect(codeOf(() => addon.readModelFolder('/', { onnxFile: '', dtype: 'fp64' as never, gpu: false }))).toBe('INVALID_INPUT');
    expect(codeOf(() => tok.native.encode(7 as never))).toBe('INVALID_INPUT');
    expect(codeOf(() => tok.native.encode('a', 7 as never))).toBe('INVALID_INPUT');
    expect(codeOf(() => tok.native.encodeBatch('x' as never, [], 0))).toBe('INVALID_INPUT');
    expect(codeOf(() => tok.native.encodeBatch(['a'], [], 0))).toBe('INVALID_INPUT');
    expect(codeOf(() => tok.native.encodeBatch([{} as never], [undefined], 0))).toBe('INVALID_INPUT');
  });

  it('an empty batch gives an empty result', async () => {
    expect(await tok.encodeBatch([])).toEqual([]);
  });

  it('encodes a 1 MB string like HF', async () => {
    const big = 'The quick brown fox, naïve café 中文 😀 123\n'.repeat(25_000);
    expect(big.length).toBeGreaterThan(1_000_000);
    const ours = tok.encode(big).ids;
    expect(ours.length).toBeGreaterThan(100_000);
    expect(Array.from(ours)).toEqual((await hf.encode(big)).getIds());
    const [fromBatch] = await tok.encodeBatch([big]);
    expect(fromBatch.ids).toEqual(ours);
  });

  it('replaces lone surrogates the way HF does', async () => {
    for (const s of ['\ud800', 'a\udfffb', 'x\ud83d', '\ude00y', '\ud800\ud800', ' \udbff ']) {
      expect(Array.from(tok.encode(s).ids)).toEqual((await hf.encode(s)).getIds());
      expect(Array.from(tok.encode('q', s).ids)).toEqual((await hf.encode('q', s)).getIds());
    }
  });

  it('truncation that cannot fit is a TokenizerError, also from encodeBatch', async () => {
    const onlySecond = Tokenizer.fromJSON(jsonText, { maxLength: 6, truncation: 'only_second' });
    expect(() => onlySecond.encode('one two three four five')).toThrow(TokenizerError);
    expect(Array.from(onlySecond.encode('one').ids)).toEqual(Array.from(tok.encode('one').ids)); // fits: fine
    const err = await onlySecond.encodeBatch(['one', 'one two three four five']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenizerError);
    expect(err).toBeInstanceOf(CappyError);
    expect((err as Error).message).toMatch(/input 1/);
  });

  it('encodeBatchPacked gives the same ids as encode, for singles, pairs and any thread count', async () => {
    const items: (string | [string, string])[] = ['Hello <mask> world', ['a question', 'an answer'], '', 'x'.repeat(5000), ['', '中文']];
    const want = items.map((x) => Array.from(typeof x === 'string' ? tok.encode(x).ids : tok.encode(x[0], x[1]).ids));
    for (const threads of [0, 1, 2, 7]) {
      const p = await tok.encodeBatchPacked(items, { threads });
      expect(p.offsets.length).toBe(items.length + 1);
      expect(items.map((_, i) => Array.from(p.ids.subarray(p.offsets[i], p.offsets[i + 1])))).toEqual(want);
    }
    const singles = await tok.encodeBatchPacked(['a', 'b c']);
    expect(Array.from(singles.offsets)).toEqual([0, 3, 7]);
    const empty = await tok.encodeBatchPacked([]);
    expect(empty.ids.length).toBe(0);
    expect(Array.from(empty.offsets)).toEqual([0]);
    await expect(tok.encodeBatchPacked(['a', 5 as never])).rejects.toBeInstanceOf(InvalidInputError);
  });
});
