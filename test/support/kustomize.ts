// A small renderer for the part of kustomize that deploy/k8s uses, so CI can
// check the rendered manifests without kubectl. It is faithful only to that
// part, and refuses anything else rather than guess:
// - `resources`: YAML files (one or more documents) and folders holding a
//   kustomization.yaml, rendered first, in order;
// - `patches`: `path` (or inline `patch`) holding an RFC 6902 JSON patch,
//   applied to the resources `target` selects by kind and name (at least one);
// - `images`: `name` with `newName` and/or `newTag`, on every container and
//   init container of a pod template (Deployment, StatefulSet, DaemonSet, Job,
//   CronJob) whose image is that name, with or without a tag;
// - `labels`: `pairs` added to every resource's metadata.labels, with
//   includeSelectors and includeTemplates false (the default).
// Where kubectl exists, test/standalone/deploy-kustomize.test.ts compares this
// renderer's output with `kubectl kustomize` for every kustomization here.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';

/** One Kubernetes object, as parsed YAML. */
export type Resource = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Target {
  kind?: string;
  name?: string;
}
interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}

const KNOWN_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'patches', 'images', 'labels']);

function fail(dir: string, why: string): never {
  throw new Error(`kustomize subset (${dir}): ${why}`);
}

function readYamlDocs(file: string): Resource[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return d.toJS() as Resource | null;
    })
    .filter((r): r is Resource => r !== null && r !== undefined);
}

/** Renders the kustomization in `dir` into its list of resources, in kustomize's input order. */
export function renderKustomization(dir: string): Resource[] {
  dir = resolve(dir);
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) fail(dir, 'no kustomization.yaml');
  const k = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const key of Object.keys(k)) if (!KNOWN_FIELDS.has(key)) fail(dir, `field '${key}' is not supported by this renderer`);
  if (k.kind !== undefined && k.kind !== 'Kustomization') fail(dir, `kind ${String(k.kind)}`);

  const out: Resource[] = [];
  for (const entry of (k.resources as string[] | undefined) ?? []) {
    const path = resolve(dir, entry);
    if (statSync(path).isDirectory()) out.push(...renderKustomization(path));
    else out.push(...readYamlDocs(path));
  }
  const ids = out.map(idOf);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) fail(dir, `${dup} appears twice`);

  for (const p of (k.patches as { path?: string; patch?: string; target?: Target; options?: unknown }[] | undefined) ?? []) {
    if (p.options !== undefined) fail(dir, 'patch options are not supported');
    if (!p.target) fail(dir, 'only JSON patches with a target are supported');
    const ops = (p.path !== undefined ? parse(readFileSync(resolve(dir, p.path), 'utf8')) : parse(p.patch ?? '')) as JsonPatchOp[];
    if (!Array.isArray(ops)) fail(dir, `patch ${p.path ?? '(inline)'} is not a JSON patch (a list of operations)`);
    const hits = out.filter((r) => matches(r, p.target!));
    if (hits.length === 0) fail(dir, `patch target ${JSON.stringify(p.target)} matches nothing`);
    for (const r of hits) for (const op of ops) applyOp(r, op, dir);
  }

  for (const img of (k.images as { name: string; newName?: string; newTag?: string; digest?: string }[] | undefined) ?? []) {
    if (img.digest !== undefined) fail(dir, 'image digests are not supported');
    for (const r of out) for (const c of podContainers(r)) c.image = retag(c.image, img);
  }

  for (const l of (k.labels as { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[] | undefined) ??
    []) {
    if (l.includeSelectors || l.includeTemplates) fail(dir, 'labels with includeSelectors or includeTemplates are not supported');
    for (const r of out) {
      r.metadata ??= {};
      r.metadata.labels = { ...(r.metadata.labels ?? {}), ...l.pairs };
    }
  }
  return out;
}

/** `Kind/name`, how a resource is told apart here (no namespaces are used). */
export function idOf(r: Resource): string {
  return `${r.kind}/${r.metadata?.name}`;
}

function matches(r: Resource, t: Target): boolean {
  for (const key of Object.keys(t)) if (key !== 'kind' && key !== 'name') throw new Error(`patch target field '${key}' is not supported`);
  return (t.kind === undefined || r.kind === t.kind) && (t.name === undefined || r.metadata?.name === t.name);
}

/** The pod spec inside a workload, if it has one. */
export function podSpecOf(r: Resource): Resource | undefined {
  if (r.kind === 'CronJob') return r.spec?.jobTemplate?.spec?.template?.spec;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(r.kind)) return r.spec?.template?.spec;
  if (r.kind === 'Pod') return r.spec;
  return undefined;
}

function podContainers(r: Resource): Resource[] {
  const spec = podSpecOf(r);
  return spec ? [...(spec.containers ?? []), ...(spec.initContainers ?? [])] : [];
}

/** kustomize's image rule: the name matches the image without its tag. */
function retag(image: string, rule: { name: string; newName?: string; newTag?: string }): string {
  if (image.includes('@')) throw new Error(`image ${image}: digests are not supported`);
  const colon = image.lastIndexOf(':');
  const hasTag = colon > image.lastIndexOf('/');
  const name = hasTag ? image.slice(0, colon) : image;
  if (name !== rule.name) return image;
  const tag = rule.newTag ?? (hasTag ? image.slice(colon + 1) : undefined);
  return `${rule.newName ?? name}${tag !== undefined ? `:${tag}` : ''}`;
}

/** RFC 6901: '/a/b~1c' → ['a', 'b/c']. */
function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`JSON pointer '${path}' must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 add, replace and remove (all deploy/k8s uses). */
function applyOp(doc: Resource, op: JsonPatchOp, dir: string): void {
  if (!['add', 'replace', 'remove'].includes(op.op)) fail(dir, `operation '${String(op.op)}' is not supported`);
  const parts = pointer(op.path);
  const last = parts.pop();
  if (last === undefined) fail(dir, `cannot ${op.op} the whole document`);
  let parent: any = doc; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const p of parts) {
    parent = Array.isArray(parent) ? parent[Number(p)] : parent?.[p];
    if (parent === undefined || parent === null || typeof parent !== 'object') fail(dir, `${op.op} ${op.path}: '${p}' does not exist`);
  }
  const value = structuredClone(op.value);
  if (Array.isArray(parent)) {
    const index = last === '-' ? parent.length : Number(last);
    if (!Number.isInteger(index) || index < 0 || index > parent.length || (op.op !== 'add' && index >= parent.length)) {
      fail(dir, `${op.op} ${op.path}: index out of range`);
    }
    if (op.op === 'add') parent.splice(index, 0, value);
    else if (op.op === 'replace') parent[index] = value;
    else parent.splice(index, 1);
    return;
  }
  if (op.op === 'add') parent[last] = value;
  else {
    if (!(last in parent)) fail(dir, `${op.op} ${op.path}: no such member`);
    if (op.op === 'replace') parent[last] = value;
    else delete parent[last];
  }
}
