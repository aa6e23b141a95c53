// deploy/k8s rendered two ways: by test/support/kustomize.ts (what CI uses),
// and, where kubectl is installed, by `kubectl kustomize` (the real thing).
// Both must give the same objects. Then the invariants that need no server:
// selectors that find the pods, names that refer to objects that exist, a
// securityContext that cannot run as root, and the GPU overlay's one GPU per
// pod. Probe paths, ports, metric names and the drain are checked against a
// running `cappy serve` in test/model/deploy-k8s.test.ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { idOf, podSpecOf, renderKustomization, type Resource } from '../support/kustomize.js';

const root = resolve(import.meta.dirname, '..', '..');
const k8s = join(root, 'deploy', 'k8s');

/** Every folder under deploy/k8s with a kustomization.yaml. */
function kustomizations(dir = k8s): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...kustomizations(p));
    else if (e === 'kustomization.yaml') out.push(dir);
  }
  return out.sort();
}

const byId = (rs: Resource[]) => Object.fromEntries(rs.map((r) => [idOf(r), r]));
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
const dirs = kustomizations();
const name = (d: string) => relative(k8s, d);

describe('the renderer', () => {
  it('finds the kustomizations it is meant to render', () => {
    expect(dirs.map(name)).toEqual(['base', 'batch/merge', 'batch/score', 'models', 'overlays/cpu', 'overlays/gpu']);
  });

  it('refuses kustomize features it does not implement, and patches that miss', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'cappy-kustomize-'));
    try {
      writeFileSync(join(tmp, 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n');
      const k = (body: string) => writeFileSync(join(tmp, 'kustomization.yaml'), `resources: [cm.yaml]\n${body}`);
      k('namePrefix: p-\n');
      expect(() => renderKustomization(tmp)).toThrow(/field 'namePrefix' is not supported/);
      k('labels: [{pairs: {a: b}, includeSelectors: true}]\n');
      expect(() => renderKustomization(tmp)).toThrow(/includeSelectors/);
      k('patches: [{patch: "[{op: replace, path: /data/a, value: \'2\'}]", target: {kind: Secret}}]\n');
      expect(() => renderKustomization(tmp)).toThrow(/matches nothing/);
      k('patches: [{patch: "[{op: replace, path: /data/b, value: \'2\'}]", target: {kind: ConfigMap}}]\n');
      expect(() => renderKustomization(tmp)).toThrow(/no such member/);
      k('patches: [{patch: "[{op: move, from: /data/a, path: /data/b}]", target: {kind: ConfigMap}}]\n');
      expect(() => renderKustomization(tmp)).toThrow(/'move' is not supported/);
      k('patches: [{patch: "[{op: replace, path: /data/a, value: \'2\'}]", target: {kind: ConfigMap}}]\n');
      expect(renderKustomization(tmp)[0].data).toEqual({ a: '2' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe.runIf(hasKubectl)('test/support/kustomize.ts renders exactly what kubectl kustomize renders', () => {
  it.each(dirs.map((d) => [name(d), d]))('%s', (_n, dir) => {
    const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const real = parseAllDocuments(r.stdout).map((d) => d.toJS() as Resource);
    const ours = renderKustomization(dir);
    // kustomize reorders by kind; the objects, not the order, are the contract.
    expect(Object.keys(byId(ours)).sort()).toEqual(Object.keys(byId(real)).sort());
    expect(byId(ours)).toEqual(byId(real));
  });
});

describe.each(['cpu', 'gpu'])('overlays/%s', (variant) => {
  const rs = byId(renderKustomization(join(k8s, 'overlays', variant)));
  const dep = rs['Deployment/cappy'];
  const pod = podSpecOf(dep)!;
  const podLabels = dep.spec.template.metadata.labels as Record<string, string>;
  const within = (sel: Record<string, string>, labels: Record<string, string>) => Object.entries(sel).every(([k, v]) => labels[k] === v);

  it('has the serving objects', () => {
    expect(Object.keys(rs).sort()).toEqual([
      'Deployment/cappy',
      'HorizontalPodAutoscaler/cappy',
      'PodDisruptionBudget/cappy',
      'Service/cappy',
      'ServiceMonitor/cappy',
    ]);
  });

  it("Service, PDB and ServiceMonitor select the Deployment's pods (and the Service)", () => {
    const selector = dep.spec.selector.matchLabels;
    expect(within(selector, podLabels)).toBe(true);
    expect(within(rs['Service/cappy'].spec.selector, podLabels)).toBe(true);
    expect(within(rs['PodDisruptionBudget/cappy'].spec.selector.matchLabels, podLabels)).toBe(true);
    expect(within(rs['ServiceMonitor/cappy'].spec.selector.matchLabels, rs['Service/cappy'].metadata.labels)).toBe(true);
    // The ServiceMonitor and the Service name a port the container has.
    const containerPorts = pod.containers[0].ports.map((p: { name: string }) => p.name);
    expect(containerPorts).toContain(rs['Service/cappy'].spec.ports[0].targetPort);
    expect(rs['Service/cappy'].spec.ports.map((p: { name: string }) => p.name)).toContain(
      rs['ServiceMonitor/cappy'].spec.endpoints[0].port,
    );
  });

  it('the HPA scales this Deployment and never below what the PDB lets go', () => {
    const hpa = rs['HorizontalPodAutoscaler/cappy'];
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'cappy' });
    expect(hpa.spec.minReplicas).toBeGreaterThan(rs['PodDisruptionBudget/cappy'].spec.maxUnavailable);
    expect(hpa.spec.maxReplicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
  });

  it('runs as a non-root user with a read-only root, no privilege escalation and no capabilities', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const sc = pod.containers[0].securityContext;
    expect(sc).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    // What the server writes (CAPPY_HOME: the ORT library copy) is a mounted, writable volume.
    const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    const home = pod.containers[0].volumeMounts.find((m: { mountPath: string }) => m.mountPath === env.CAPPY_HOME);
    expect(home?.readOnly).not.toBe(true);
    expect(pod.volumes.map((v: { name: string }) => v.name)).toContain(home.name);
  });

  it('asks for resources; the GPU overlay for exactly one GPU per pod, the CPU overlay for none', () => {
    const res = pod.containers[0].resources;
    expect(res.requests.cpu).toBeDefined();
    expect(res.limits.memory).toBeDefined();
    const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    if (variant === 'gpu') {
      expect(res.limits['nvidia.com/gpu']).toBe(1);
      expect(res.requests['nvidia.com/gpu']).toBe(1);
      expect(env.CAPPY_DEVICE).toBe('cuda');
      expect(pod.containers[0].image).toBe('cappy-engine:0.1.0-cuda');
    } else {
      expect(JSON.stringify(res)).not.toContain('nvidia.com/gpu');
      expect(env.CAPPY_DEVICE).toBeUndefined();
      // Node sees the host's cores: ORT's threads are pinned to the CPU limit.
      expect(Number(env.CAPPY_INTRA_OP_THREADS)).toBe(Number(res.limits.cpu));
      expect(pod.containers[0].image).toBe('cappy-engine:0.1.0');
    }
  });
});

describe('batch', () => {
  const score = byId(renderKustomization(join(k8s, 'batch', 'score')));
  const merge = byId(renderKustomization(join(k8s, 'batch', 'merge')));
  const models = byId(renderKustomization(join(k8s, 'models')));
  const job = score['Job/cappy-score'];
  const env = (c: Resource) => Object.fromEntries((c.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));

  it('is an Indexed Job with one pod per shard and restarts that rewrite the same shard', () => {
    expect(job.spec.completionMode).toBe('Indexed');
    const c = podSpecOf(job)!.containers[0];
    expect(Number(env(c).CAPPY_SHARD_COUNT)).toBe(job.spec.completions);
    expect(job.spec.parallelism).toBeLessThanOrEqual(job.spec.completions);
    expect(podSpecOf(job)!.restartPolicy).toBe('Never');
    // The merge waits for as many parts as there are shards.
    expect(env(podSpecOf(merge['Job/cappy-merge'])!.containers[0]).CAPPY_SHARD_COUNT).toBe(env(c).CAPPY_SHARD_COUNT);
  });

  it('score, merge, serve and pull share volumes: the parts land where the merge reads, the model where pull writes it', () => {
    const claim = (r: Resource, mountPath: string) => {
      const spec = podSpecOf(r)!;
      const m = spec.containers[0].volumeMounts.find((v: { mountPath: string }) => v.mountPath === mountPath);
      return spec.volumes.find((v: { name: string }) => v.name === m.name).persistentVolumeClaim.claimName;
    };
    expect(claim(job, '/data')).toBe(score['PersistentVolumeClaim/cappy-batch'].metadata.name);
    expect(claim(merge['Job/cappy-merge'], '/data')).toBe('cappy-batch');
    expect(claim(job, '/models')).toBe(models['PersistentVolumeClaim/cappy-models'].metadata.name);
    expect(claim(models['Job/cappy-pull'], '/models')).toBe('cappy-models');
    // Shard pods on different nodes write the same volume.
    expect(score['PersistentVolumeClaim/cappy-batch'].spec.accessModes).toEqual(['ReadWriteMany']);
    expect(models['PersistentVolumeClaim/cappy-models'].spec.accessModes).toEqual(['ReadWriteMany']);
    // cappy pull --cache C puts btan2/cappy-large at C/models/btan2--cappy-large (docs/convert.md).
    const pullArgs = podSpecOf(models['Job/cappy-pull'])!.containers[0].args as string[];
    const cache = pullArgs[pullArgs.indexOf('--cache') + 1];
    const repo = pullArgs[pullArgs.indexOf('pull') + 1];
    const pulled = `${cache}/models/${repo.replace('/', '--')}`;
    expect(env(podSpecOf(job)!.containers[0]).CAPPY_MODEL).toBe(pulled);
    const serving = byId(renderKustomization(join(k8s, 'overlays', 'cpu')))['Deployment/cappy'];
    expect(env(podSpecOf(serving)!.containers[0]).CAPPY_MODEL).toBe(`cappy=${pulled}`);
  });
});
