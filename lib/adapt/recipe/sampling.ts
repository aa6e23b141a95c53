// The paper's decoding mix (scripts/bigbench_flan_generate.py in
// tanyuqian/cappy, FLAN-T5 through transformers' Flax generate, min_length 3,
// max_length 64) and what an OpenAI-compatible server is asked instead.
//
//   paper                       | asked here                      | with --llm-extras also
//   beam4: 4 beams, 1 answer    | temperature 0 (greedy), n 1     | min_tokens 3
//   sampling (T 1, top_k 50)*   | temperature 1, top_p 1          | top_k 50, min_tokens 3
//   temp0.9 (T 0.9, top_k 50)*  | temperature 0.9, top_p 1        | top_k 50, min_tokens 3
//   topk40 (T 1, top_k 40)      | temperature 1, top_p 1          | top_k 40, min_tokens 3
//   topp0.95 (top_p 0.95, k 50)*| temperature 1, top_p 0.95      | top_k 50, min_tokens 3
//   4 answers per sampling mode | n = 4 (`samples` 16, spread round-robin over the four)
//   max_length 64               | max_tokens 64
//
// * transformers' GenerationConfig leaves top_k at 50 unless it is set, so
//   the paper's "plain" sampling was top-k 50 sampling.
// Beam search is not part of the OpenAI API (vLLM dropped it from its
// sampling parameters), so greedy decoding, the other deterministic mode,
// stands in for it. top_k and min_tokens are not OpenAI parameters either
// (OpenAI answers 400 to them); vLLM and llama.cpp's server take them, so they
// are sent only with --llm-extras. Without them "topk40" samples like "plain"
// sampling, but stays a separate set of draws (the setting's name is part of the cache key).

export type DecodingName = 'greedy' | 'sampling' | 'temp0.9' | 'topk40' | 'topp0.95';

export interface Decoding {
  name: DecodingName;
  temperature: number;
  topP: number;
  /** Sent only as an extra. */
  topK?: number;
}

export const GREEDY: Decoding = { name: 'greedy', temperature: 0, topP: 1 };

/** The four sampling settings, in the paper's order. */
export const SAMPLING_DECODINGS: readonly Decoding[] = [
  { name: 'sampling', temperature: 1, topP: 1, topK: 50 },
  { name: 'temp0.9', temperature: 0.9, topP: 1, topK: 50 },
  { name: 'topk40', temperature: 1, topP: 1, topK: 40 },
  { name: 'topp0.95', temperature: 1, topP: 0.95, topK: 50 },
];

/** The paper's min_length. */
export const MIN_TOKENS = 3;

export interface PlannedDecoding {
  decoding: Decoding;
  /** Answers asked with this setting; they are sample indices 0..count-1. */
  count: number;
}

/**
 * Per instruction: the greedy answer (when `greedy`), then `samples` answers
 * spread round-robin over the four sampling settings (16: 4 each, as the paper).
 */
export function samplingPlan(samples: number, greedy: boolean): PlannedDecoding[] {
  const plan: PlannedDecoding[] = greedy ? [{ decoding: GREEDY, count: 1 }] : [];
  SAMPLING_DECODINGS.forEach((decoding, i) => {
    const count = Math.floor(samples / SAMPLING_DECODINGS.length) + (i < samples % SAMPLING_DECODINGS.length ? 1 : 0);
    if (count > 0) plan.push({ decoding, count });
  });
  return plan;
}

export interface RequestSettings {
  api: 'chat' | 'completions';
  model: string;
  maxTokens: number;
  extras: boolean;
}

/** The request body for one decoding (without `n`, which the client sets). */
export function requestBody(prompt: string, decoding: Decoding, s: RequestSettings): Record<string, unknown> {
  const body: Record<string, unknown> = { model: s.model };
  if (s.api === 'chat') body.messages = [{ role: 'user', content: prompt }];
  else body.prompt = prompt;
  body.temperature = decoding.temperature;
  body.top_p = decoding.topP;
  body.max_tokens = s.maxTokens;
  if (s.extras) {
    if (decoding.topK !== undefined) body.top_k = decoding.topK;
    body.min_tokens = MIN_TOKENS;
  }
  return body;
}
