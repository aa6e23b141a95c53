// Where models live on this machine: the cache root (CAPPY_HOME), the folder
// a hub id's converted model takes in it (models/{owner}--{name}), and
// whether a folder holds a model at all, which is the core's rule
// (native/core/model: a tokenizer.json and an ONNX graph of any dtype), so
// an int8-only folder counts as pulled here exactly as Scorer.load reads it.
// lib/hub fetches into this layout; lib/model reads from it.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fromNative, ModelLoadError, type CappyErrorReason } from '../errors/index.js';
import { loadAddon } from '../native.js';

/** CAPPY_HOME, else $XDG_CACHE_HOME/cappy, else ~/.cache/cappy. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.CAPPY_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'cappy');
}

export interface RepoId {
  owner: string;
  name: string;
}

// HF names: letters, digits, '-', '_', '.'; no leading '.', no '..', max 96.
const PART = /^(?!\.)(?!.*\.\.)[A-Za-z0-9._-]{1,96}$/;

/** 'owner/name' as a hub repository id, or undefined when it is not one. */
export function parseRepoId(ref: string): RepoId | undefined {
  const parts = ref.split('/');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p))) return undefined;
  return { owner: parts[0], name: parts[1] };
}

export const repoString = (id: RepoId): string => `${id.owner}/${id.name}`;
/** How a repository is named inside the cache's folders. */
export const repoFolderName = (id: RepoId): string => `${id.owner}--${id.name}`;

/** The converted model folder for a repository. */
export function modelCacheDir(id: RepoId, root: string = cacheRoot()): string {
  return join(root, 'models', repoFolderName(id));
}

/** What the core says when a folder holds no model (as opposed to a model it cannot read). */
const NOT_A_MODEL: ReadonlySet<CappyErrorReason> = new Set(['folder_not_found', 'onnx_missing', 'tokenizer_missing']);

/**
 * Whether `dir` holds a model by the core's rule: tokenizer.json and an ONNX
 * graph of any dtype. A folder whose config.json is broken still holds one
 * (loading it then says what is wrong), so only a missing piece is false.
 */
export function isModelFolder(dir: string): boolean {
  try {
    loadAddon().readModelFolder(dir, { onnxFile: '', dtype: 'auto', gpu: false });
    return true;
  } catch (e) {
    const err = fromNative(e);
    if (err instanceof ModelLoadError && err.reason !== undefined && NOT_A_MODEL.has(err.reason)) return false;
    if (err instanceof ModelLoadError) return true;
    throw err;
  }
}

/**
 * The cached converted folder for a repository id such as 'btan2/cappy-large',
 * or undefined when `ref` is not a repository id or has not been pulled.
 */
export function resolveModelRef(ref: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const id = parseRepoId(ref);
  if (!id) return undefined;
  const dir = modelCacheDir(id, cacheRoot(env));
  return isModelFolder(dir) ? dir : undefined;
}
