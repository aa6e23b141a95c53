// The models a server serves, by name, each with its own Scorer (and so its
// own queue, limits and native calls: a slow model cannot hold a fast one's
// requests). A model is 'loading' until its scorer exists, 'warming' while
// its warm-up runs, then 'ready'; 'failed' when it could not load. The
// server listens from the start, so probes see those states.
import { InvalidInputError } from '../errors/index.js';
import { checkModelName } from '../options/serve.js';
import { HttpError } from './errors.js';
import type { ScorerLike } from './types.js';

export type ModelState = 'loading' | 'warming' | 'ready' | 'failed';

export interface ServedModel {
  readonly name: string;
  readonly state: ModelState;
  /** Set from 'warming' on. */
  readonly scorer: ScorerLike | undefined;
  /** Why it failed, when it did. */
  readonly error: Error | undefined;
}

interface Slot {
  name: string;
  state: ModelState;
  scorer: ScorerLike | undefined;
  error: Error | undefined;
}

/** The folder's last path segment: how a model given without a name is called. */
export function folderName(dir: string): string {
  const parts = dir.split(/[\\/]/).filter(Boolean);
  return parts[parts.length - 1] ?? dir;
}

export class ModelSet {
  readonly #slots = new Map<string, Slot>();
  readonly defaultName: string;

  /** Names in order; the default is `defaultName`, else the first. Every model starts 'loading'. */
  constructor(names: readonly string[], defaultName?: string) {
    if (names.length === 0) throw new InvalidInputError('a server needs at least one model');
    for (const name of names) {
      checkModelName(name, 'model name');
      if (this.#slots.has(name)) throw new InvalidInputError(`model name '${name}' is given twice; name each model once (name=DIR)`);
      this.#slots.set(name, { name, state: 'loading', scorer: undefined, error: undefined });
    }
    this.defaultName = defaultName ?? names[0];
    if (!this.#slots.has(this.defaultName)) {
      throw new InvalidInputError(`default model '${this.defaultName}' is not among the models (${names.join(', ')})`);
    }
  }

  /** A set of scorers that are ready now. */
  static of(scorers: Readonly<Record<string, ScorerLike>>, defaultName?: string): ModelSet {
    const set = new ModelSet(Object.keys(scorers), defaultName);
    for (const [name, scorer] of Object.entries(scorers)) set.ready(name, scorer);
    return set;
  }

  get names(): string[] {
    return [...this.#slots.keys()];
  }

  all(): ServedModel[] {
    return [...this.#slots.values()];
  }

  #slot(name: string): Slot {
    const s = this.#slots.get(name);
    if (!s) throw new InvalidInputError(`no model named '${name}' (models: ${this.names.join(', ')})`);
    return s;
  }

  /** The scorer exists; its warm-up runs now. */
  warming(name: string, scorer: ScorerLike): void {
    Object.assign(this.#slot(name), { state: 'warming', scorer });
  }

  /** Requests are served from now on. */
  ready(name: string, scorer?: ScorerLike): void {
    const s = this.#slot(name);
    const sc = scorer ?? s.scorer;
    if (!sc) throw new InvalidInputError(`model '${name}' has no scorer to be ready with`);
    Object.assign(s, { state: 'ready', scorer: sc });
  }

  failed(name: string, error: Error): void {
    Object.assign(this.#slot(name), { state: 'failed', error });
  }

  /** Every model serves requests at once. */
  get allReady(): boolean {
    return this.all().every((m) => m.state === 'ready');
  }

  states(): Record<string, ModelState> {
    return Object.fromEntries(this.all().map((m) => [m.name, m.state]));
  }

  /** The model a request names (the default when it names none); 404 listing the names when unknown. */
  entry(name: string | undefined): ServedModel {
    const s = this.#slots.get(name ?? this.defaultName);
    if (!s) {
      throw new HttpError('NOT_FOUND', `model '${name}' is not served here; models: ${this.names.join(', ')}`);
    }
    return s;
  }

  /** The model's scorer, or a 503 while it is not ready. */
  scorerOf(name: string | undefined): { model: ServedModel; scorer: ScorerLike } {
    const model = this.entry(name);
    if (model.state !== 'ready' || !model.scorer) {
      const why = model.state === 'failed' ? `failed to load (${model.error?.message ?? 'unknown error'})` : `is ${model.state}`;
      throw new HttpError('NOT_READY', `model '${model.name}' ${why}; retry when GET /health answers 200`);
    }
    return { model, scorer: model.scorer };
  }
}
