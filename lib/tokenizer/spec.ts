// tokenizer.json -> NativeTokenizerSpec. All JSON handling and validation
// lives here (the C++ core never sees JSON); every rejection names the field,
// so a user with an unsupported file knows what to change.
import { TokenizerError } from '../errors/index.js';
import type { NativeAddedToken, NativeNormalizerSpec, NativeTokenizerSpec, NativeTruncationStrategy } from '../native.js';
import { fail, isId, isObject, optBool, type Json } from './json-checks.js';
import { parseTemplate } from './template.js';
import { parseSequenceNormalizer, parseUnigram, parseUnigramPreTokenizer } from './unigram.js';

export type TruncationStrategy = NativeTruncationStrategy;

/** What the file's own `truncation` field asks for, if anything. */
export interface FileTruncation {
  maxLength: number;
  strategy: TruncationStrategy;
}

export interface ParsedTokenizerJson {
  spec: Omit<NativeTokenizerSpec, 'truncation'>;
  fileTruncation: FileTruncation | null;
}

function parseVocab(model: Json) {
  const vocabObj = model.vocab;
  if (!isObject(vocabObj)) fail('model.vocab must be an object mapping token to id');
  const vocab = Object.keys(vocabObj);
  const vocabIds = new Int32Array(vocab.length);
  for (let i = 0; i < vocab.length; i++) {
    const id = vocabObj[vocab[i]];
    if (!isId(id)) fail(`model.vocab[${JSON.stringify(vocab[i])}] must be a non-negative integer id`);
    vocabIds[i] = id;
  }
  return { vocab, vocabIds, vocabObj };
}

function parseUnk(model: Json, vocabObj: Json, required: boolean): number {
  if (model.unk_token === undefined || model.unk_token === null) {
    if (required) fail('model.unk_token must name a vocab token (WordPiece maps unknown words to it)');
    return -1;
  }
  if (typeof model.unk_token !== 'string') fail('model.unk_token must be a string or null');
  const id = Object.hasOwn(vocabObj, model.unk_token) ? vocabObj[model.unk_token] : undefined;
  if (!isId(id)) fail(`model.unk_token ${JSON.stringify(model.unk_token)} is not in model.vocab`);
  return id;
}

// WordPiece (BERT): vocab, unk token, "##" continuation prefix, word length cap.
function parseWordPiece(model: Json) {
  const { vocab, vocabIds, vocabObj } = parseVocab(model);
  const prefix = model.continuing_subword_prefix ?? '##';
  if (typeof prefix !== 'string') fail('model.continuing_subword_prefix must be a string');
  const maxChars = model.max_input_chars_per_word ?? 100;
  if (!isId(maxChars)) fail('model.max_input_chars_per_word must be a non-negative integer');
  return {
    model: 'wordpiece' as const,
    vocab,
    vocabIds,
    mergesLeft: [] as string[],
    mergesRight: [] as string[],
    unkId: parseUnk(model, vocabObj, true),
    vocabObj,
    continuingSubwordPrefix: prefix,
    maxInputCharsPerWord: maxChars,
  };
}

function parseModel(model: unknown) {
  if (!isObject(model)) fail('model must be an object');
  if (model.type === 'WordPiece') return parseWordPiece(model);
  if (model.type === 'Unigram') return parseUnigram(model);
  // Old files leave the type out; HF then infers BPE from vocab + merges.
  if (model.type !== undefined && model.type !== 'BPE') {
    fail(`model.type must be "BPE", "WordPiece" or "Unigram" (got ${JSON.stringify(model.type)})`);
  }
  if (model.dropout !== undefined && model.dropout !== null && model.dropout !== 0) {
    fail('model.dropout must be null: dropout makes encoding random');
  }
  for (const key of ['continuing_subword_prefix', 'end_of_word_suffix'] as const) {
    const v = model[key];
    if (v !== undefined && v !== null && v !== '') fail(`model.${key} must be empty or null`);
  }
  if (optBool(model, 'ignore_merges', 'model', false)) fail('model.ignore_merges true is not supported');
  if (optBool(model, 'byte_fallback', 'model', false)) fail('model.byte_fallback true is not supported');

  const { vocab, vocabIds, vocabObj } = parseVocab(model);
  const merges = model.merges;
  if (!Array.isArray(merges)) fail('model.merges must be an array');
  const mergesLeft: string[] = new Array(merges.length);
  const mergesRight: string[] = new Array(merges.length);
  for (let k = 0; k < merges.length; k++) {
    const m: unknown = merges[k];
    if (typeof m === 'string') {
      // Older form "a b": the parts never contain a space (byte-level writes Ġ).
      const space = m.indexOf(' ');
      if (space <= 0 || space === m.length - 1 || m.indexOf(' ', space + 1) !== -1) {
        fail(`model.merges[${k}] must be "left right" (got ${JSON.stringify(m)})`);
      }
      mergesLeft[k] = m.slice(0, space);
      mergesRight[k] = m.slice(space + 1);
    } else if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') {
      mergesLeft[k] = m[0];
      mergesRight[k] = m[1];
    } else {
      fail(`model.merges[${k}] must be a "left right" string or a [left, right] pair of strings`);
    }
  }

  const unkId = parseUnk(model, vocabObj, false);
  return { model: 'bpe' as const, vocab, vocabIds, mergesLeft, mergesRight, unkId, vocabObj };
}

function parseAddedTokens(value: unknown, vocabObj: Json, vocabCount: number): NativeAddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail('added_tokens must be an array');
  // HF ignores the ids written here: a token in the model vocab keeps its
  // vocab id, and the others are numbered from the vocab's entry count, in
  // file order (checked against tokenizers 0.23).
  const assigned = new Map<string, number>();
  let nextNew = vocabCount;
  return value.map((t: unknown, i: number): NativeAddedToken => {
    const where = `added_tokens[${i}]`;
    if (!isObject(t)) fail(`${where} must be an object`);
    if (typeof t.content !== 'string') fail(`${where}.content must be a string`);
    if (!isId(t.id)) fail(`${where}.id must be a non-negative integer`);
    const special = optBool(t, 'special', where, false);
    const modelId = Object.hasOwn(vocabObj, t.content) ? vocabObj[t.content] : undefined;
    let id = assigned.get(t.content) ?? (isId(modelId) ? modelId : undefined);
    if (id === undefined) {
      id = t.content === '' ? t.id : nextNew++; // empty tokens never match; HF skips them
      assigned.set(t.content, id);
    }
    return {
      content: t.content,
      id,
      special,
      lstrip: optBool(t, 'lstrip', where, false),
      rstrip: optBool(t, 'rstrip', where, false),
      singleWord: optBool(t, 'single_word', where, false),
      normalized: optBool(t, 'normalized', where, !special),
    };
  });
}

function parseByteLevel(p: Json, where: string): boolean {
  if (!optBool(p, 'use_regex', where, true)) fail(`${where}.use_regex must be true`);
  return optBool(p, 'add_prefix_space', where, true);
}

/** Returns add_prefix_space. Accepts ByteLevel alone or as the only member of a Sequence. */
function parsePreTokenizer(p: unknown, model: 'bpe' | 'wordpiece'): boolean {
  if (model === 'wordpiece') {
    const only = isObject(p) && p.type === 'Sequence' && Array.isArray(p.pretokenizers) && p.pretokenizers.length === 1 ? p.pretokenizers[0] : p;
    if (!isObject(only) || only.type !== 'BertPreTokenizer') fail('pre_tokenizer must be BertPreTokenizer for a WordPiece model');
    return false;
  }
  if (!isObject(p)) fail('pre_tokenizer must be a ByteLevel pre-tokenizer');
  if (p.type === 'ByteLevel') return parseByteLevel(p, 'pre_tokenizer');
  if (p.type === 'Sequence') {
    const list = p.pretokenizers;
    if (!Array.isArray(list) || list.length !== 1 || !isObject(list[0]) || list[0].type !== 'ByteLevel') {
      fail('pre_tokenizer Sequence must hold exactly one ByteLevel pre-tokenizer');
    }
    return parseByteLevel(list[0] as Json, 'pre_tokenizer.pretokenizers[0]');
  }
  fail(`pre_tokenizer.type must be "ByteLevel" (got ${JSON.stringify(p.type)})`);
}

function parseNormalizer(n: unknown, model: 'bpe' | 'wordpiece' | 'unigram'): NativeNormalizerSpec {
  if (model === 'unigram') return parseSequenceNormalizer(n);
  if (n === undefined || n === null) return { kind: 'none' };
  if (!isObject(n) || n.type !== 'BertNormalizer' || model !== 'wordpiece') {
    fail('normalizer must be null (byte-level BPE) or BertNormalizer (WordPiece)');
  }
  const lowercase = optBool(n, 'lowercase', 'normalizer', true);
  return {
    kind: 'bert',
    cleanText: optBool(n, 'clean_text', 'normalizer', true),
    handleChineseChars: optBool(n, 'handle_chinese_chars', 'normalizer', true),
    // null means "whatever lowercase says", as in HF.
    stripAccents: optBool(n, 'strip_accents', 'normalizer', lowercase),
    lowercase,
  };
}

type Post = NativeTokenizerSpec['postProcessor'];
const NO_POST: Post = { kind: 'none', cls: '<s>', clsId: 0, sep: '</s>', sepId: 2 };

function tokenPair(v: unknown, where: string): [string, number] {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || !isId(v[1])) {
    fail(`${where} must be [token, id]`);
  }
  return [v[0], v[1]];
}

function parsePostProcessor(p: unknown, where = 'post_processor'): Post {
  if (p === undefined || p === null) return NO_POST;
  if (!isObject(p)) fail(`${where} must be an object or null`);
  switch (p.type) {
    case 'RobertaProcessing': {
      const [sep, sepId] = tokenPair(p.sep, `${where}.sep`);
      const [cls, clsId] = tokenPair(p.cls, `${where}.cls`);
      return { kind: 'roberta', cls, clsId, sep, sepId };
    }
    case 'BertProcessing': {
      const [sep, sepId] = tokenPair(p.sep, `${where}.sep`);
      const [cls, clsId] = tokenPair(p.cls, `${where}.cls`);
      // HF's BertProcessing gives the second text and its [SEP] type id 1.
      return { kind: 'bert', cls, clsId, sep, sepId, pairTypeId: 1 };
    }
    case 'ByteLevel':
      return NO_POST; // only trims offsets, which we never build
    case 'TemplateProcessing':
      return parseTemplate(p, where);
    case 'Sequence': {
      const list = p.processors;
      if (!Array.isArray(list)) fail(`${where}.processors must be an array`);
      const adding = list.map((q: unknown, i: number) => parsePostProcessor(q, `${where}.processors[${i}]`)).filter((q) => q.kind !== 'none');
      if (adding.length > 1) fail(`${where}: at most one processor may add special tokens`);
      return adding[0] ?? NO_POST;
    }
    default:
      fail(`${where}.type must be RobertaProcessing, BertProcessing, ByteLevel, TemplateProcessing or null (got ${JSON.stringify(p.type)})`);
  }
}

const FILE_STRATEGIES: Record<string, TruncationStrategy> = {
  LongestFirst: 'longest_first',
  OnlyFirst: 'only_first',
  OnlySecond: 'only_second',
};

function parseTruncation(t: unknown): FileTruncation | null {
  if (t === undefined || t === null) return null;
  if (!isObject(t)) fail('truncation must be an object or null');
  if (!isId(t.max_length) || t.max_length === 0) fail('truncation.max_length must be a positive integer');
  const strategy = FILE_STRATEGIES[String(t.strategy ?? 'LongestFirst')];
  if (!strategy) fail('truncation.strategy must be LongestFirst, OnlyFirst or OnlySecond');
  if (t.direction !== undefined && t.direction !== 'Right') fail('truncation.direction must be "Right"');
  return { maxLength: t.max_length, strategy };
}

/** Parses and validates tokenizer.json text or an already-parsed object. */
export function parseTokenizerJson(input: unknown): ParsedTokenizerJson {
  let root: unknown = input;
  if (typeof input === 'string') {
    try {
      root = JSON.parse(input);
    } catch (e) {
      throw new TokenizerError(`tokenizer.json is not valid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  if (!isObject(root)) fail('the top level must be an object');
  const model = parseModel(root.model);
  const normalizer = parseNormalizer(root.normalizer, model.model);
  const addedTokens = parseAddedTokens(root.added_tokens, model.vocabObj, model.vocab.length);
  const addPrefixSpace = model.model === 'unigram' ? false : parsePreTokenizer(root.pre_tokenizer, model.model);
  const postProcessor = parsePostProcessor(root.post_processor);
  const padName = model.model === 'wordpiece' ? '[PAD]' : '<pad>';
  const padEntry = Object.hasOwn(model.vocabObj, padName) ? model.vocabObj[padName] : undefined;
  let extra: Partial<NativeTokenizerSpec> = {};
  if (model.model === 'wordpiece') {
    extra = {
      model: 'wordpiece',
      preTokenizer: 'bert',
      normalizer,
      continuingSubwordPrefix: model.continuingSubwordPrefix,
      maxInputCharsPerWord: model.maxInputCharsPerWord,
    };
  } else if (model.model === 'unigram') {
    extra = { model: 'unigram', normalizer, scores: model.scores, byteFallback: model.byteFallback, ...parseUnigramPreTokenizer(root.pre_tokenizer) };
  }
  return {
    spec: {
      vocab: model.vocab,
      vocabIds: model.vocabIds,
      mergesLeft: model.model === 'unigram' ? [] : model.mergesLeft,
      mergesRight: model.model === 'unigram' ? [] : model.mergesRight,
      addedTokens,
      addPrefixSpace,
      unkId: model.unkId,
      padId: isObject(root.padding) && isId(root.padding.pad_id) ? root.padding.pad_id : isId(padEntry) ? padEntry : 1,
      postProcessor,
      ...extra,
    },
    fileTruncation: parseTruncation(root.truncation),
  };
}
