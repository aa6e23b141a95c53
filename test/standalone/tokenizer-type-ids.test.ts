// Segment ids come from the file's post-processor: BertProcessing and the
// BERT template give the second text type 1 (the engine feeds it as
// token_type_ids); RoBERTa stays type 0. A BERT template whose first segment
// is not type 0, or whose second segment mixes types, is refused at load.
import { describe, expect, it } from 'vitest';
import { buildBertTokenizerJson, buildRobertaTokenizerJson } from '../../lib/forge/tokenizer-json.js';
import { Tokenizer } from '../../lib/tokenizer/index.js';

const texts = ['the cat sat on the mat', 'a dog ran in the park', 'the sun is hot'].flatMap((t) => [t, t, t]);

type Piece = { SpecialToken?: { type_id: number }; Sequence?: { type_id: number } };
function withPairTypes(types: number[]): Record<string, unknown> {
  const json = buildBertTokenizerJson(texts, { vocabSize: 200 });
  const post = json.post_processor as { pair: Piece[] };
  post.pair.forEach((p, i) => ((p.SpecialToken ?? p.Sequence)!.type_id = types[i]));
  return json;
}

describe('segment ids from the post-processor', () => {
  it('BERT template and BertProcessing: type 1 for the second text; RoBERTa: 0', () => {
    const info = (json: object) => Tokenizer.fromJSON(json).native.info;
    expect(info(withPairTypes([0, 0, 0, 1, 1]))).toMatchObject({ postProcessor: 'bert', pairTypeId: 1 });
    expect(info(buildBertTokenizerJson(texts, { vocabSize: 200, bertProcessing: true }))).toMatchObject({
      postProcessor: 'bert',
      pairTypeId: 1,
    });
    expect(info(buildRobertaTokenizerJson())).toMatchObject({ postProcessor: 'roberta', pairTypeId: 0 });
    // A file that keeps everything type 0 is followed as written.
    expect(info(withPairTypes([0, 0, 0, 0, 0]))).toMatchObject({ postProcessor: 'bert', pairTypeId: 0 });
  });

  it('refuses templates whose type ids the engine cannot reproduce', () => {
    expect(() => Tokenizer.fromJSON(withPairTypes([1, 1, 1, 1, 1]))).toThrow(/type ids must be 0 for \[CLS\] \$A \[SEP\]/);
    expect(() => Tokenizer.fromJSON(withPairTypes([0, 0, 0, 1, 0]))).toThrow(/one type for \$B \[SEP\]/);
  });
});
