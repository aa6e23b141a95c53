// What the converter accepts: an HF config.json for a RoBERTa or BERT
// sequence classifier with one output (Cappy's shape, or a MiniLM
// cross-encoder's, at any size), and the parameter names and shapes that such
// a checkpoint must hold. Everything else is
// refused up front with a message that says what is supported, rather than
// failing halfway through a 1.4 GB conversion.
import { InvalidInputError, ModelLoadError } from '../errors/index.js';
import type { TensorInfo, WeightSource } from './source.js';

export const SUPPORTED_ARCHITECTURES = [
  'RobertaForSequenceClassification',
  'XLMRobertaForSequenceClassification',
  'CamembertForSequenceClassification',
  'BertForSequenceClassification',
] as const;

/**
 * The graph family (parameter prefix, positions, segment ids, head) of each
 * supported architecture. XLM-R and CamemBERT are RoBERTa's graph under the
 * same `roberta.` names; only their tokenizer differs (SentencePiece Unigram
 * with a Precompiled charsmap, which lib/tokenizer reads).
 */
const FAMILY: Record<(typeof SUPPORTED_ARCHITECTURES)[number], 'roberta' | 'bert'> = {
  RobertaForSequenceClassification: 'roberta',
  XLMRobertaForSequenceClassification: 'roberta',
  CamembertForSequenceClassification: 'roberta',
  BertForSequenceClassification: 'bert',
};

/** Why near misses are refused, so the message can say what would be needed. */
const NOT_YET: Record<string, string> = {
  XLMRobertaForMaskedLM: 'a masked-LM head scores tokens, not pairs; a cross-encoder needs a sequence-classification head',
  RobertaForMaskedLM: 'a masked-LM head scores tokens, not pairs; a cross-encoder needs a sequence-classification head',
};

export interface EncoderConfig {
  architecture: (typeof SUPPORTED_ARCHITECTURES)[number];
  /** roberta: roberta.* names, RoBERTa positions, no segment ids; bert: bert.* names, 0..S-1 positions, token_type_ids, pooler head. */
  family: 'roberta' | 'bert';
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  vocabSize: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  numLabels: number;
  /** The config.json as read, for copying into the converted folder. */
  raw: Record<string, unknown>;
}

function supportedList(): string {
  return `supported: ${SUPPORTED_ARCHITECTURES.join(', ')} with num_labels 1 (a single regression score, as Cappy)`;
}

export function parseEncoderConfig(config: unknown, where = 'config.json'): EncoderConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ModelLoadError(`${where} is not a JSON object`);
  }
  const c = config as Record<string, unknown>;
  const archs = Array.isArray(c.architectures) ? c.architectures.map(String) : [];
  const arch = archs.find((a) => (SUPPORTED_ARCHITECTURES as readonly string[]).includes(a));
  if (!arch) {
    const named = archs.length ? archs.join(', ') : `model_type ${String(c.model_type ?? 'unknown')} (no architectures)`;
    const why = archs.map((a) => NOT_YET[a]).find(Boolean);
    throw new ModelLoadError(`${where}: cannot convert ${named}${why ? ` (${why})` : ''}; ${supportedList()}`);
  }
  // HF derives num_labels from id2label and defaults it to 2.
  const numLabels =
    typeof c.num_labels === 'number' ? c.num_labels : c.id2label && typeof c.id2label === 'object' ? Object.keys(c.id2label).length : 2;
  if (numLabels !== 1) {
    throw new ModelLoadError(`${where}: ${arch} with ${numLabels} labels; ${supportedList()}`);
  }
  const int = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new ModelLoadError(`${where}: ${key} must be a non-negative integer (got ${JSON.stringify(v)})`);
    }
    return v;
  };
  const act = c.hidden_act ?? 'gelu';
  if (act !== 'gelu') {
    throw new ModelLoadError(`${where}: hidden_act ${JSON.stringify(act)} is not supported; the graph uses exact (erf) gelu`);
  }
  const posType = c.position_embedding_type ?? 'absolute';
  if (posType !== 'absolute') {
    throw new ModelLoadError(`${where}: position_embedding_type ${JSON.stringify(posType)} is not supported (absolute only)`);
  }
  const architecture = arch as EncoderConfig['architecture'];
  const family = FAMILY[architecture];
  const cfg: EncoderConfig = {
    architecture,
    family,
    hiddenSize: int('hidden_size'),
    numLayers: int('num_hidden_layers'),
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings'),
    vocabSize: int('vocab_size'),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: typeof c.layer_norm_eps === 'number' ? c.layer_norm_eps : 1e-12,
    // HF's defaults when the file leaves it out: RobertaConfig 1, BertConfig 0.
    padTokenId: int('pad_token_id', family === 'bert' ? 0 : 1),
    numLabels,
    raw: c,
  };
  if (cfg.hiddenSize % cfg.numHeads !== 0) {
    throw new ModelLoadError(`${where}: hidden_size ${cfg.hiddenSize} is not a multiple of num_attention_heads ${cfg.numHeads}`);
  }
  return cfg;
}

/**
 * The parameters a checkpoint holds, with their PyTorch shapes.
 * RobertaForSequenceClassification: roberta.{embeddings,encoder}.*, then
 * classifier.dense and classifier.out_proj. BertForSequenceClassification:
 * bert.{embeddings,encoder}.*, bert.pooler.dense, then classifier.
 */
export function expectedParameters(cfg: EncoderConfig): { name: string; shape: number[] }[] {
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const out: { name: string; shape: number[] }[] = [];
  const linear = (prefix: string, outDim: number, inDim: number) => {
    out.push({ name: `${prefix}.weight`, shape: [outDim, inDim] }, { name: `${prefix}.bias`, shape: [outDim] });
  };
  const norm = (prefix: string) => {
    out.push({ name: `${prefix}.weight`, shape: [H] }, { name: `${prefix}.bias`, shape: [H] });
  };
  const base = cfg.family;
  const e = `${base}.embeddings`;
  out.push({ name: `${e}.word_embeddings.weight`, shape: [cfg.vocabSize, H] });
  out.push({ name: `${e}.position_embeddings.weight`, shape: [cfg.maxPositions, H] });
  out.push({ name: `${e}.token_type_embeddings.weight`, shape: [cfg.typeVocabSize, H] });
  norm(`${e}.LayerNorm`);
  for (let i = 0; i < cfg.numLayers; i++) {
    const l = `${base}.encoder.layer.${i}`;
    for (const p of ['query', 'key', 'value']) linear(`${l}.attention.self.${p}`, H, H);
    linear(`${l}.attention.output.dense`, H, H);
    norm(`${l}.attention.output.LayerNorm`);
    linear(`${l}.intermediate.dense`, I, H);
    linear(`${l}.output.dense`, H, I);
    norm(`${l}.output.LayerNorm`);
  }
  if (cfg.family === 'bert') {
    linear('bert.pooler.dense', H, H);
    linear('classifier', cfg.numLabels, H);
  } else {
    linear('classifier.dense', H, H);
    linear('classifier.out_proj', cfg.numLabels, H);
  }
  return out;
}

/**
 * Checkpoint entries that are known and not weights of this model: buffers,
 * RoBERTa's unused pooler, pretraining heads (lm_head, BERT's cls.*).
 */
const IGNORABLE = [
  /\.position_ids$/,
  /\.embeddings\.token_type_ids$/,
  /^roberta\.pooler\./,
  /^lm_head\./,
  /^cls\.(predictions|seq_relationship)\./,
];

/** A checkpoint's tensors under the names the graph builder asks for. */
export class MappedWeights {
  constructor(
    readonly source: WeightSource,
    /** Builder name → name in the source. */
    private readonly sourceName: Map<string, string>,
    readonly expected: { name: string; shape: number[] }[],
    /** Tensors in the checkpoint that the model does not use and that are not known buffers. */
    readonly unused: string[],
  ) {}

  names(): string[] {
    return this.expected.map((e) => e.name);
  }

  shape(name: string): number[] {
    const e = this.expected.find((x) => x.name === name);
    if (!e) throw new InvalidInputError(`no parameter ${name} in this model`);
    return e.shape;
  }

  read(name: string): Promise<Float32Array> {
    const s = this.sourceName.get(name);
    if (!s) throw new InvalidInputError(`no parameter ${name} in this model`);
    return this.source.read(s);
  }

  /** Every parameter, read one after another (the builder needs them all anyway). */
  async loadAll(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const { name } of this.expected) out.set(name, await this.read(name));
    return out;
  }
}

/** Older checkpoints (BERT-era TF ports) name LayerNorm parameters gamma/beta. */
function canonical(name: string): string {
  return name.replace(/\.LayerNorm\.gamma$/, '.LayerNorm.weight').replace(/\.LayerNorm\.beta$/, '.LayerNorm.bias');
}

/** Checks a checkpoint against the config: every parameter present, every shape right. */
export function mapWeights(source: WeightSource, cfg: EncoderConfig): MappedWeights {
  const byCanonical = new Map<string, TensorInfo>();
  for (const t of source.list()) byCanonical.set(canonical(t.name), t);
  const expected = expectedParameters(cfg);
  const sourceName = new Map<string, string>();
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const e of expected) {
    const t = byCanonical.get(e.name);
    if (!t) missing.push(e.name);
    else if (t.shape.join('x') !== e.shape.join('x')) wrong.push(`${e.name} is [${t.shape}], config says [${e.shape}]`);
    else if (!['F32', 'F16', 'BF16', 'F64'].includes(t.dtype)) wrong.push(`${e.name} is ${t.dtype}, not a float type`);
    else sourceName.set(e.name, t.name);
  }
  const list = (xs: string[]) => xs.slice(0, 8).join('; ') + (xs.length > 8 ? `; and ${xs.length - 8} more` : '');
  if (missing.length) {
    throw new ModelLoadError(`${source.path}: ${missing.length} parameter(s) of ${cfg.architecture} are missing: ${list(missing)}`);
  }
  if (wrong.length) throw new ModelLoadError(`${source.path}: checkpoint does not match config.json: ${list(wrong)}`);
  const used = new Set(sourceName.values());
  const unused = source
    .list()
    .map((t) => t.name)
    .filter((n) => !used.has(n) && !IGNORABLE.some((re) => re.test(n)));
  return new MappedWeights(source, sourceName, expected, unused);
}
