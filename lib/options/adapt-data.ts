// `cappy adapt data` (and `makeAdaptData`), declared once: every entry is a
// flag and a CAPPY_* variable. The recipe is the Cappy paper's (docs/adapt.md,
// lib/adapt/recipe/): gold pairs, in-task negatives and LLM samples labelled
// by Rouge-L.
import { join } from 'node:path';
import { cacheRoot } from '../model/default-model.js';
import { boolean, decimal, httpUrl, integer, oneOf, text } from './spec.js';

export const ADAPT_DATA_OPTIONS = {
  /** JSONL task rows: {"task"?, "instruction", "references": [...], "candidates"?: [...]}. */
  tasks: text({ placeholder: 'file', help: 'JSONL task rows {task?, instruction, references[], candidates[]?}' }),
  /** JSONL labelled pairs {instruction, response, label, source}, written atomically. */
  out: text({ placeholder: 'file', help: 'JSONL labelled pairs {instruction, response, label, source} (written atomically)' }),
  /** Use each row's `candidates` as samples (labelled by Rouge-L against its references). */
  candidatesFromFile: boolean({ default: false, help: "label each row's candidates by Rouge-L and add them as samples" }),
  /** OpenAI-compatible base URL (vLLM, llama.cpp, OpenAI), e.g. http://127.0.0.1:8000/v1. */
  llm: httpUrl({ help: 'draw samples from this OpenAI-compatible server (base URL, e.g. http://127.0.0.1:8000/v1)' }),
  /** The model name the LLM server serves; required with `llm`. */
  llmModel: text({ placeholder: 'name', help: 'the model to ask (required with --llm)' }),
  /** Sampled candidates per instruction, spread over the paper's four sampling settings. */
  samples: integer({
    min: 0,
    max: 1024,
    default: 16,
    help: "sampled candidates per instruction, spread over the paper's four sampling settings",
  }),
  /** Also one greedy (temperature 0) answer, the stand-in for the paper's beam search. */
  greedy: boolean({ default: true, help: "also one greedy answer per instruction (the paper's beam-search candidate)" }),
  /** Chat completions (messages) or plain completions (prompt). */
  llmApi: oneOf(['chat', 'completions'], {
    default: 'chat',
    help: 'ask /chat/completions (the instruction as a user message) or /completions',
  }),
  /** Also send top_k and min_tokens, which vLLM and llama.cpp accept and OpenAI refuses. */
  llmExtras: boolean({ default: false, help: 'also send top_k and min_tokens (vLLM and llama.cpp take them; OpenAI refuses)' }),
  /** max_tokens per answer; the paper generated at most 64. */
  llmMaxTokens: integer({ max: 1_000_000, default: 64, help: 'max_tokens per answer' }),
  /** How `n` is asked: 'auto' asks with n and falls back to parallel requests when the server ignores it. */
  llmMode: oneOf(['auto', 'n', 'parallel'], {
    default: 'auto',
    help: 'ask several answers with n, with parallel requests, or auto (n, parallel where n is ignored)',
  }),
  /** Instructions whose samples are asked at once. */
  llmConcurrency: integer({ max: 256, default: 4, help: 'instructions asked at once' }),
  /** One request that takes longer is retried. */
  llmTimeout: decimal({
    min: 0.001,
    max: 86_400,
    unit: 'seconds',
    default: 120,
    help: 'longest wait for one LLM request; then it is retried',
  }),
  /** Tries per request on 429, 5xx, timeouts and dropped connections. */
  llmMaxAttempts: integer({ max: 1000, default: 8, help: 'tries per LLM request on 429/5xx, timeouts and dropped connections' }),
  /** Sent as "Authorization: Bearer <key>". */
  llmApiKey: text({ placeholder: 'key', secret: true, help: 'bearer key for the LLM server' }),
  /** Generations already asked are kept here, keyed by the request, so a rerun asks nothing twice. */
  cache: text({
    placeholder: 'dir',
    default: () => join(cacheRoot(), 'adapt-data'),
    defaultText: '<CAPPY_HOME>/adapt-data',
    help: 'where LLM answers are kept (keyed by model, prompt, sampling settings and sample index)',
  }),
  /** Pairs written: the shuffled set repeated or cut to this many. Unset: the set once. */
  trainSize: integer({ help: 'pairs to write: the shuffled set repeated or cut to this many', defaultText: 'the set once' }),
  /** Seeds the negatives' draws and the shuffle. */
  seed: integer({ min: 0, max: 0xffffffff, default: 0, help: 'seed of the negatives and the shuffle' }),
  /** Porter-stem tokens for the Rouge-L labels (rouge_score use_stemmer=True, as the paper). */
  stem: boolean({ default: true, help: "Porter-stem the Rouge-L labels' tokens (rouge_score's use_stemmer, as the paper)" }),
} as const;

export type AdaptDataOptionKey = keyof typeof ADAPT_DATA_OPTIONS;
