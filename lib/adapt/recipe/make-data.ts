// `makeAdaptData`, what `cappy adapt data` runs: task rows in, the paper's
// labelled pairs out. The output file is written under a temporary name in
// its folder and renamed when complete, so a failed run (bad rows, an
// unreachable LLM, an abort) leaves no file, or the previous one untouched.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AbortError, InvalidInputError } from '../../errors/index.js';
import { ADAPT_DATA_OPTIONS } from '../../options/adapt-data.js';
import { resolveOptions, type GivenOptions, type ResolvedOptions } from '../../options/spec.js';
import { llmCandidates, type LlmCandidateOptions, type LlmProgress } from './llm-candidates.js';
import { buildPairs, pairLine, type LabelledPair, type PairStats } from './pairs.js';
import { readTaskRows } from './task-rows.js';

export type AdaptDataProgress =
  | { phase: 'read'; rows: number }
  | ({ phase: 'llm' } & LlmProgress)
  | { phase: 'label'; pairs: number }
  | { phase: 'write'; path: string; pairs: number };

export type AdaptDataOptions = GivenOptions<typeof ADAPT_DATA_OPTIONS> & {
  signal?: AbortSignal;
  onProgress?: (p: AdaptDataProgress) => void;
  /** For tests: passed to the LLM client. */
  llmSleep?: LlmCandidateOptions['sleep'];
};

export interface AdaptDataResult {
  /** The file written (absent when `out` was not given). */
  out?: string;
  pairs: LabelledPair[];
  stats: PairStats & {
    /** Candidates taken from the rows, and from the LLM. */
    fileCandidates: number;
    llmCandidates: number;
    llm?: LlmProgress;
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('adapt data was aborted', { cause: signal.reason });
}

/** Writes `lines` to `path` atomically: a temporary file beside it, then a rename. */
export async function writeAtomically(path: string, lines: Iterable<string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const file = await open(temp, 'w');
  let done = false;
  try {
    let chunk = '';
    for (const line of lines) {
      chunk += line;
      if (chunk.length >= 1 << 20) {
        await file.write(chunk);
        chunk = '';
      }
    }
    if (chunk) await file.write(chunk);
    await file.sync();
    await file.close();
    await rename(temp, path);
    done = true;
  } finally {
    if (!done) {
      await file.close().catch(() => undefined);
      await rm(temp, { force: true });
    }
  }
}

type LlmFlags = Pick<
  ResolvedOptions<typeof ADAPT_DATA_OPTIONS>,
  | 'llm'
  | 'llmModel'
  | 'llmApi'
  | 'samples'
  | 'greedy'
  | 'llmExtras'
  | 'llmMaxTokens'
  | 'llmMode'
  | 'llmConcurrency'
  | 'llmTimeout'
  | 'llmMaxAttempts'
  | 'llmApiKey'
  | 'cache'
>;

/** The LLM client's options from the data step's flags (`llm` and `llmModel` set). */
export function llmOptionsOf(o: LlmFlags): Omit<LlmCandidateOptions, 'signal' | 'onProgress' | 'sleep'> {
  return {
    url: o.llm!,
    model: o.llmModel!,
    api: o.llmApi,
    samples: o.samples,
    greedy: o.greedy,
    extras: o.llmExtras,
    maxTokens: o.llmMaxTokens,
    mode: o.llmMode,
    concurrency: o.llmConcurrency,
    timeoutMs: o.llmTimeout * 1000,
    maxAttempts: o.llmMaxAttempts,
    apiKey: o.llmApiKey,
    cacheDir: o.cache,
  };
}

/** Reads the task rows, asks the LLM if one is given, labels the pairs and writes them. */
export async function makeAdaptData(options: AdaptDataOptions): Promise<AdaptDataResult> {
  const o = resolveOptions(ADAPT_DATA_OPTIONS, options, 'adapt data options');
  if (!o.tasks) throw new InvalidInputError('adapt data needs tasks (--tasks FILE): the JSONL task rows');
  if (o.llm && !o.llmModel) throw new InvalidInputError('--llm needs --llm-model: the name of the model the server serves');
  if (!o.llm && o.llmModel) throw new InvalidInputError('--llm-model is given without --llm (the server to ask)');
  const report = options.onProgress ?? (() => undefined);
  throwIfAborted(options.signal);

  const rows = await readTaskRows(o.tasks);
  report({ phase: 'read', rows: rows.length });

  const candidates: string[][] = rows.map((r) => (o.candidatesFromFile ? [...r.candidates] : []));
  const fileCandidates = candidates.reduce((s, c) => s + c.length, 0);
  let llmCount = 0;
  let llm: LlmProgress | undefined;
  if (o.llm) {
    // One set of answers per distinct instruction: rows that repeat one share them.
    const distinct = [...new Set(rows.map((r) => r.instruction))];
    const got = await llmCandidates(distinct, {
      ...llmOptionsOf(o),
      signal: options.signal,
      onProgress: (p) => report({ phase: 'llm', ...p }),
      sleep: options.llmSleep,
    });
    llm = got.progress;
    const byInstruction = new Map(distinct.map((instruction, i) => [instruction, got.candidates[i]]));
    rows.forEach((r, i) => {
      const answers = byInstruction.get(r.instruction)!;
      candidates[i].push(...answers);
      llmCount += answers.length;
    });
  }

  const { pairs, stats } = buildPairs(rows, candidates, { seed: o.seed, trainSize: o.trainSize, stem: o.stem });
  report({ phase: 'label', pairs: pairs.length });
  throwIfAborted(options.signal);
  if (o.out) {
    report({ phase: 'write', path: o.out, pairs: pairs.length });
    await writeAtomically(
      o.out,
      (function* () {
        for (const p of pairs) yield pairLine(p);
      })(),
    );
  }
  return { out: o.out, pairs, stats: { ...stats, fileCandidates, llmCandidates: llmCount, llm } };
}
