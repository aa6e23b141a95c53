// deploy/k8s against the server it deploys. The manifests are rendered by
// test/support/kustomize.ts (compared with kubectl kustomize in
// test/standalone/deploy-kustomize.test.ts); then the real `node bin/cappy.js
// serve` is started with the rendered Deployment's environment and no flags
// (the image's CMD is `serve`), on a forged tiny model (random weights, made
// by the global setup; real Cappy weights cannot be downloaded here), and:
// - the probe paths answer as the probes expect, on the port the pod exposes;
// - every HPA metric is a prometheus-adapter rule whose series are in the
//   live /metrics output;
// - terminationGracePeriodSeconds outlasts preStop + the drain;
// - every CAPPY_* variable in a pod is one the command reads (the option
//   tables), and the batch Jobs' command lines are `cappy score` / `cappy merge`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../lib/cli/index.js';
import { ENVIRONMENT } from '../../lib/options/environment.js';
import { SERVE_OPTIONS } from '../../lib/options/index.js';
import { startEntrypoint, waitFor200, type Served } from '../support/deploy-serve.js';
import { podSpecOf, renderKustomization, type Resource } from '../support/kustomize.js';

const root = resolve(import.meta.dirname, '..', '..');
const k8s = join(root, 'deploy', 'k8s');
const cli = join(root, 'bin', 'cappy.js');
const work = mkdtempSync(join(tmpdir(), 'cappy-deploy-k8s-'));

/**
 * The sharding contract of issue 15 that the batch Job is written against
 * (`cappy score --input IN --output OUT --shard i/N`, the shard also from
 * JOB_COMPLETION_INDEX with CAPPY_SHARD_COUNT; parts OUT.part-0000i-of-0000N;
 * `cappy merge` joins them). Until `cappy score` has --shard, the Job is
 * checked against this; once it does, the Job's command lines are run.
 */
const SHARD_CONTRACT = { shardFlag: '--shard', countEnv: 'CAPPY_SHARD_COUNT', indexEnv: 'JOB_COMPLETION_INDEX' };

const overlays = {
  cpu: Object.fromEntries(renderKustomization(join(k8s, 'overlays', 'cpu')).map((r) => [r.kind, r])) as Record<string, Resource>,
  gpu: Object.fromEntries(renderKustomization(join(k8s, 'overlays', 'gpu')).map((r) => [r.kind, r])) as Record<string, Resource>,
};
const scoreJob = renderKustomization(join(k8s, 'batch', 'score')).find((r) => r.kind === 'Job')!;
const mergeJob = renderKustomization(join(k8s, 'batch', 'merge')).find((r) => r.kind === 'Job')!;
const adapter = parse(readFileSync(join(k8s, 'prometheus-adapter-values.yaml'), 'utf8')) as {
  rules: { custom: { seriesQuery: string; name: { as: string }; metricsQuery: string }[] };
};

const container = (r: Resource) => podSpecOf(r)!.containers[0];
const envOf = (c: Resource): Record<string, string> =>
  Object.fromEntries((c.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value]));

/** Each CLI command's flags and CAPPY_* variables, from the program itself (the option tables). */
function commandOptions(name: string): { flags: Set<string>; env: Set<string> } | undefined {
  const cmd = buildProgram().commands.find((c) => c.name() === name);
  if (!cmd) return undefined;
  return {
    flags: new Set(cmd.options.map((o) => o.long!).filter(Boolean)),
    env: new Set(cmd.options.map((o) => o.envVar).filter((v): v is string => typeof v === 'string')),
  };
}
/** Variables the engine reads beside its flags' (lib/options/environment.ts). */
const ENGINE_ENV = new Set(Object.keys(ENVIRONMENT));

let served: Served | undefined;
afterAll(() => {
  if (served && served.proc.exitCode === null) served.proc.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe.each(['cpu', 'gpu'] as const)('overlays/%s: pod spec against the option tables', (variant) => {
  const dep = overlays[variant].Deployment;
  const c = container(dep);
  const env = envOf(c);

  it('exposes the port the server binds, and binds all interfaces', () => {
    const port = Number(env.CAPPY_PORT ?? SERVE_OPTIONS.port.default);
    expect(c.ports.find((p: { name: string }) => p.name === 'http').containerPort).toBe(port);
    // The default host is loopback, which no probe or Service could reach.
    expect(env.CAPPY_HOST).toBe('0.0.0.0');
  });

  it('sets only variables that cappy serve reads', () => {
    const serve = commandOptions('serve')!;
    for (const name of Object.keys(env).filter((n) => n.startsWith('CAPPY_'))) {
      expect(serve.env.has(name) || ENGINE_ENV.has(name), `${name} is not a cappy serve variable`).toBe(true);
    }
  });

  it('gives SIGTERM more than preStop + the drain timeout before SIGKILL', () => {
    const drain = Number(env.CAPPY_DRAIN_TIMEOUT ?? SERVE_OPTIONS.drainTimeout.default);
    const preStop = c.lifecycle.preStop.exec.command;
    expect(preStop[0]).toBe('sleep');
    // + 2 s: how long the server gives failed stragglers' answers (lib/server/shutdown.ts FLUSH_MS).
    expect(podSpecOf(dep)!.terminationGracePeriodSeconds).toBeGreaterThan(Number(preStop[1]) + drain + 2);
  });

  it('probes readiness on /health, liveness on /live, with a startup budget of minutes', () => {
    expect(c.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/live', port: 'http' });
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThanOrEqual(300);
  });
});

describe('the batch Jobs against cappy score and cappy merge', () => {
  const args = container(scoreJob).args as string[];
  const env = envOf(container(scoreJob));
  const score = commandOptions('score')!;

  it('runs cappy score with flags and variables it has (or, for sharding, the contract)', () => {
    expect(args[0]).toBe('score');
    for (const flag of args.filter((a) => a.startsWith('--'))) expect(score.flags.has(flag), `cappy score has no ${flag}`).toBe(true);
    for (const name of Object.keys(env)) {
      const known = score.env.has(name) || ENGINE_ENV.has(name) || name === SHARD_CONTRACT.countEnv;
      expect(known, `cappy score does not read ${name}`).toBe(true);
    }
    // The shard comes from Kubernetes (JOB_COMPLETION_INDEX), so the Job must not pin one.
    expect(args).not.toContain(SHARD_CONTRACT.shardFlag);
    expect(Object.keys(env)).not.toContain(SHARD_CONTRACT.indexEnv);
    expect(env[SHARD_CONTRACT.countEnv]).toBe(String(scoreJob.spec.completions));
    expect(container(mergeJob).args[0]).toBe('merge');
  });

  const sharding = score.flags.has(SHARD_CONTRACT.shardFlag) && commandOptions('merge') !== undefined;
  it.runIf(sharding)(
    "the Jobs' command lines, run pod by pod, give the unsharded output byte for byte",
    () => {
      const dir = inject('tinyModelDir');
      const remap = (a: string) => a.replace(/^\/data\//, `${work}/`);
      const lines = Array.from({ length: 23 }, (_, i) =>
        JSON.stringify({ instruction: `question ${i}`, response: `answer ${i} `.repeat(1 + (i % 5)), id: i }),
      );
      const input = join(work, 'in', 'pairs.jsonl');
      for (const d of ['in', 'out']) mkdirSync(join(work, d), { recursive: true });
      writeFileSync(input, lines.join('\n') + '\n');
      const base = { ...process.env, CAPPY_HOME: inject('cappyHome'), CAPPY_MODEL: dir, CAPPY_INTRA_OP_THREADS: '1' };
      const run = (argv: string[], extra: Record<string, string>) => {
        const r = spawnSync(process.execPath, [cli, ...argv], { env: { ...base, ...extra }, encoding: 'utf8', timeout: 300_000 });
        expect(r.status, r.stderr).toBe(0);
      };
      const n = scoreJob.spec.completions as number;
      for (let i = 0; i < n; i++) run(args.map(remap), { [SHARD_CONTRACT.countEnv]: String(n), [SHARD_CONTRACT.indexEnv]: String(i) });
      run((container(mergeJob).args as string[]).map(remap), envOf(container(mergeJob)));
      const whole = join(work, 'whole.jsonl');
      run(['score', '--input', input, '--output', whole], {});
      const out = args[args.indexOf('--output') + 1];
      expect(readFileSync(remap(out))).toEqual(readFileSync(whole));
    },
    600_000,
  );
});

describe('cappy serve started as the cpu pod starts it', () => {
  const dep = overlays.cpu.Deployment;
  const c = container(dep);
  let metrics = '';

  beforeAll(async () => {
    // The pod's environment, with four things changed for this machine: the
    // forged model for the volume's, a free port, loopback, and one thread.
    const env = {
      ...process.env,
      ...envOf(c),
      CAPPY_MODEL: `cappy=${inject('tinyModelDir')}`,
      CAPPY_PORT: '0',
      CAPPY_HOST: '127.0.0.1',
      CAPPY_HOME: inject('cappyHome'),
      CAPPY_INTRA_OP_THREADS: '1',
    };
    served = await startEntrypoint(process.execPath, [cli, 'serve'], env);
    await waitFor200(served.base, c.startupProbe.httpGet.path);
    // One scored request, so the per-request histograms have series.
    const r = await fetch(`${served.base}/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'what is a probe?', texts: ['a check the kubelet makes', 'a space craft'] }),
    });
    expect(r.status).toBe(200);
    metrics = await (await fetch(`${served.base}/metrics`)).text();
  }, 300_000);

  it('answers the readiness and liveness probe paths with 200 once ready', async () => {
    for (const probe of [c.startupProbe, c.readinessProbe, c.livenessProbe]) {
      expect((await fetch(served!.base + probe.httpGet.path)).status).toBe(200);
    }
  });

  it('exports at /metrics every series the adapter rules read, and every HPA metric is an adapter rule', () => {
    const series = new Set([...metrics.matchAll(/^([a-z_:][a-z0-9_:]*)(?:\{| )/gm)].map((m) => m[1]));
    for (const rule of adapter.rules.custom) {
      const read = [
        /^([a-z_:][a-z0-9_:]*)\{/.exec(rule.seriesQuery)![1],
        ...[...rule.metricsQuery.matchAll(/([a-z_:][a-z0-9_:]*)\{<<\.LabelMatchers>>\}/g)].map((m) => m[1]),
      ];
      for (const s of read) expect(series.has(s), `${s} is not in /metrics`).toBe(true);
    }
    // TEI's queue gauge, by its TEI name and type.
    expect(metrics).toMatch(/^# TYPE te_queue_size gauge$/m);
    const provided = new Set(adapter.rules.custom.map((r) => r.name.as));
    for (const variant of ['cpu', 'gpu'] as const) {
      for (const m of overlays[variant].HorizontalPodAutoscaler.spec.metrics) {
        expect(m.type).toBe('Pods');
        expect(provided.has(m.pods.metric.name), `${variant} HPA metric ${m.pods.metric.name} has no adapter rule`).toBe(true);
      }
    }
  });

  it('on SIGTERM it says it drains and exits 0', async () => {
    served!.proc.kill('SIGTERM');
    const code = await served!.exited;
    expect(code, served!.log()).toBe(0);
    expect(served!.log()).toMatch(/SIGTERM: draining/);
  });
});
