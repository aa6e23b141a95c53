// HF repository ids, hub URLs and where a repository lives in the cappy cache.
// The converted model sits at models/{owner}--{name} (the layout
// lib/model/default-model.ts already expects for btan2/cappy-large); the raw
// downloads sit apart under hub/, keyed by commit, so a new revision never
// mixes files with an old one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../errors/index.js';
import { cacheRoot } from '../model/default-model.js';

export interface RepoId {
  owner: string;
  name: string;
}

// HF names: letters, digits, '-', '_', '.'; no leading '.', no '..', max 96.
const PART = /^(?!\.)(?!.*\.\.)[A-Za-z0-9._-]{1,96}$/;

export function parseRepoId(ref: string): RepoId | undefined {
  const parts = ref.split('/');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p))) return undefined;
  return { owner: parts[0], name: parts[1] };
}

export function requireRepoId(ref: string): RepoId {
  const id = parseRepoId(ref);
  if (!id) throw new InvalidInputError(`${JSON.stringify(ref)} is not a hub repository id (owner/name)`);
  return id;
}

export const repoString = (id: RepoId): string => `${id.owner}/${id.name}`;
const folderName = (id: RepoId): string => `${id.owner}--${id.name}`;

export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
}

export function hubToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
}

/** {endpoint}/{repo}/resolve/{revision}/{file}, each segment escaped. */
export function resolveUrl(endpoint: string, id: RepoId, revision: string, file: string): string {
  const path = file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${id.owner}/${id.name}/resolve/${encodeURIComponent(revision)}/${path}`;
}

export function apiRevisionUrl(endpoint: string, id: RepoId, revision: string): string {
  return `${endpoint}/api/models/${id.owner}/${id.name}/revision/${encodeURIComponent(revision)}`;
}

/** The converted model folder for a repository. */
export function modelCacheDir(id: RepoId, root: string = cacheRoot()): string {
  return join(root, 'models', folderName(id));
}

/** The raw downloaded files of one commit. */
export function downloadCacheDir(id: RepoId, commit: string, root: string = cacheRoot()): string {
  return join(root, 'hub', folderName(id), commit);
}

function isConverted(dir: string): boolean {
  return existsSync(join(dir, 'onnx', 'model.onnx')) && existsSync(join(dir, 'tokenizer.json'));
}

/**
 * The cached converted folder for a repository id such as 'btan2/cappy-large',
 * or undefined when `ref` is not a repository id or has not been pulled.
 */
export function resolveModelRef(ref: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const id = parseRepoId(ref);
  if (!id) return undefined;
  const dir = modelCacheDir(id, cacheRoot(env));
  return isConverted(dir) ? dir : undefined;
}
