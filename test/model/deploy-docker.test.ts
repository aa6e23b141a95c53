// deploy/docker without docker: these machines cannot pull base images, so
// the images were never built. What can be checked without them is checked:
// 1. The Dockerfiles, parsed: two stages, a runtime stage with no toolchain,
//    a numeric non-root USER, tini as PID 1 in exec form, a HEALTHCHECK on
//    /health, only CAPPY_* variables the server reads, and a runtime COPY
//    list that is exactly the build stage's app folder plus the healthcheck.
// 2. The runtime stage's file set, reproduced: the build stage's own install
//    step (deploy/docker/install-app.mjs) runs on a release made from this
//    checkout (npm pack + a platform package staged with this checkout's addon
//    and ORT, as release:pack stages it, though not built portable: that build
//    is release:pack's and the packaging test's), the runtime COPY lines are
//    replayed into an empty folder, and the image's ENTRYPOINT + CMD run there
//    with the image's ENV, no compiler on PATH and nothing of this checkout
//    reachable, on a forged tiny model (random weights; real Cappy weights
//    cannot be downloaded here).
// 3. Signals: SIGTERM to that entrypoint (through tini when it is installed,
//    as in the image) drains and exits 0, without hitting the drain timeout.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildProgram } from '../../lib/cli/index.js';
import { noexecIn } from '../../lib/runtime/ort-load.js';
import { startEntrypoint, type Served } from '../support/deploy-serve.js';

const root = resolve(import.meta.dirname, '..', '..');
const docker = join(root, 'deploy', 'docker');
const work = mkdtempSync(join(tmpdir(), 'cappy-deploy-docker-'));
const LONG = 10 * 60_000;

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  steps: Instruction[];
}

/** Dockerfile instructions, stage by stage: comments dropped, continuation lines joined, FROM's ARGs substituted. */
function parseDockerfile(file: string): Stage[] {
  const text = readFileSync(file, 'utf8').replace(/\\\n(\s*#.*\n)*/g, ' ');
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`${file}: cannot read '${line}'`);
    const op = m[1].toUpperCase();
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = m[2].split('=');
      args[k] = v ?? '';
      continue;
    }
    if (op === 'FROM') {
      const [image, as, name] = m[2].replace(/\$\{(\w+)\}/g, (_s, k: string) => args[k] ?? '').split(/\s+/);
      stages.push({ from: image, name: as?.toUpperCase() === 'AS' ? name : undefined, steps: [] });
      continue;
    }
    stages.at(-1)!.steps.push({ op, args: m[2] });
  }
  return stages;
}

const steps = (s: Stage, op: string) => s.steps.filter((i) => i.op === op).map((i) => i.args);
/** An exec-form (JSON array) instruction's argv; shell form is refused. */
const execForm = (args: string) => {
  expect(args.trim().startsWith('['), `not exec form: ${args}`).toBe(true);
  return JSON.parse(args) as string[];
};
/** `ENV A=1 B=2` (as written here: no spaces inside values). */
const envOf = (s: Stage) =>
  Object.fromEntries(steps(s, 'ENV').flatMap((a) => a.split(/\s+/).map((kv) => kv.split('=') as [string, string])));
/** COPY's flags, sources and destination. */
const copyOf = (args: string) => {
  const words = args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  return { from: flags.find((f) => f.startsWith('--from='))?.slice(7), sources: rest.slice(0, -1), dest: rest.at(-1)! };
};

const serveEnv = new Set(
  buildProgram()
    .commands.find((c) => c.name() === 'serve')!
    .options.map((o) => o.envVar),
);
const TOOLCHAIN = /\b(gcc|g\+\+|clang|cmake|make|ninja-build|build-essential|binutils)\b/;

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each([
  ['Dockerfile', 'cpu'],
  ['Dockerfile.cuda', 'cuda'],
] as const)('deploy/docker/%s', (file, variant) => {
  const stages = parseDockerfile(join(docker, file));
  const build = stages[0];
  const runtime = stages.at(-1)!;

  it('builds in a stage with the toolchain and runs from one without it', () => {
    expect(stages.length).toBe(2);
    expect(build.name).toBe('build');
    expect(steps(build, 'RUN').join('\n')).toMatch(TOOLCHAIN);
    expect(steps(runtime, 'RUN').join('\n')).not.toMatch(TOOLCHAIN);
    if (variant === 'cpu') expect(runtime.from).toMatch(/^node:20-bookworm-slim$/);
    else expect(runtime.from).toMatch(/^nvidia\/cuda:13\.\d+\.\d+-runtime-ubuntu/);
  });

  it('copies into the runtime stage exactly the installed app folder (and Node, on the CUDA base), plus the healthcheck', () => {
    const copies = steps(runtime, 'COPY').map(copyOf);
    const fromBuild = copies.filter((c) => c.from === 'build');
    const install = steps(build, 'RUN').join('\n');
    const app = /install-app\.mjs --release \S+ --app (\S+)/.exec(install)![1];
    const expected = [{ from: 'build', sources: [app], dest: app }];
    if (variant === 'cuda') expected.unshift({ from: 'build', sources: ['/usr/local/bin/node'], dest: '/usr/local/bin/node' });
    expect(fromBuild).toEqual(expected);
    expect(copies.filter((c) => c.from === undefined)).toEqual([
      { from: undefined, sources: ['deploy/docker/healthcheck.mjs'], dest: `${app}/healthcheck.mjs` },
    ]);
    if (variant === 'cuda') expect(install).toMatch(/--with com\.github\.asus4\.onnxruntime\.linux-x64-gpu@0\.4\.9\b/);
  });

  it('runs as a numeric non-root user, under tini, in exec form, with a HEALTHCHECK on /health', () => {
    const user = steps(runtime, 'USER');
    expect(user).toHaveLength(1);
    const [uid, gid] = user[0].split(':').map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    const entry = execForm(steps(runtime, 'ENTRYPOINT')[0]);
    expect(entry.slice(0, 3)).toEqual(['/usr/bin/tini', '--', 'node']);
    expect(steps(runtime, 'RUN').join('\n')).toMatch(/apt-get install[^\n]*\btini\b/);
    expect(execForm(steps(runtime, 'CMD')[0])).toEqual(['serve']);
    const hc = steps(runtime, 'HEALTHCHECK')[0];
    const cmd = execForm(hc.slice(hc.indexOf('CMD') + 3));
    expect(cmd[0]).toBe('node');
    expect(readFileSync(join(docker, 'healthcheck.mjs'), 'utf8')).toMatch(/\/health`/);
    expect(Number(/--start-period=(\d+)s/.exec(hc)![1])).toBeGreaterThanOrEqual(300);
  });

  it("sets only variables the server reads, binds all interfaces, and drains within docker stop's 10 s", () => {
    const env = envOf(runtime);
    for (const k of Object.keys(env).filter((k) => k.startsWith('CAPPY_'))) {
      expect(serveEnv.has(k) || k === 'CAPPY_HOME', `${k} is not a cappy serve variable`).toBe(true);
    }
    expect(env.CAPPY_HOST).toBe('0.0.0.0');
    expect(Number(env.CAPPY_DRAIN_TIMEOUT)).toBeLessThan(10);
    expect(steps(runtime, 'EXPOSE')).toEqual([env.CAPPY_PORT]);
    if (variant === 'cuda') expect(env.CAPPY_DEVICE).toBe('cuda');
  });
});

describe('the build context and the documented paths', () => {
  const patterns = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));

  it("the root .dockerignore (the legacy builder's) lists what the BuildKit files list, and keeps the heavy folders out", () => {
    const rootList = patterns(join(root, '.dockerignore'));
    for (const f of ['Dockerfile.dockerignore', 'Dockerfile.cuda.dockerignore']) expect(patterns(join(docker, f)), f).toEqual(rootList);
    for (const heavy of ['.git', 'node_modules', 'build', 'build-*', 'dist', '**/*.tgz']) expect(rootList).toContain(heavy);
    // Every folder git ignores at the top level is kept out of the context too.
    const gitTop = patterns(join(root, '.gitignore'))
      .filter((l) => /^[^/*]+\/$/.test(l))
      .map((l) => l.slice(0, -1));
    const covers = (p: string, dir: string) => p === dir || p === `**/${dir}` || (p.endsWith('*') && dir.startsWith(p.slice(0, -1)));
    for (const dir of gitTop)
      expect(
        rootList.some((p) => covers(p, dir)),
        dir,
      ).toBe(true);
  });

  it('the Dockerfiles, docs/scale-out.md and the Kubernetes Deployment name the same model path', () => {
    const k8s = /value: cappy=(\S+)/.exec(readFileSync(join(root, 'deploy', 'k8s', 'base', 'deployment.yaml'), 'utf8'))![1];
    expect(k8s).toBe('/models/models/btan2--cappy-large');
    for (const f of [join(docker, 'Dockerfile'), join(docker, 'Dockerfile.cuda'), join(root, 'docs', 'scale-out.md')]) {
      const named = [...readFileSync(f, 'utf8').matchAll(/CAPPY_MODEL=cappy=(\/models\/[^\s`'"]+)/g)].map((m) => m[1]);
      expect(named.length, f).toBeGreaterThan(0);
      for (const p of named) expect(p === k8s || p === '/models/my-cappy', `${f}: ${p}`).toBe(true);
    }
  });

  it('noexec is read from the mount table: the longest mount point holding the path, the later of two at one point', () => {
    const table = [
      '22 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw',
      '30 22 0:30 / /var/cache/cappy rw,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw',
      '31 22 0:31 / /tmp rw,nosuid,nodev,relatime - tmpfs tmpfs rw',
      '32 22 0:32 / /srv/my\\040cache rw,noexec - tmpfs tmpfs rw',
      '33 31 0:33 / /tmp/ro rw,noexec - tmpfs tmpfs rw',
      '34 31 0:34 / /tmp/ro rw - tmpfs tmpfs rw',
    ].join('\n');
    expect(noexecIn(table, '/var/cache/cappy/ort/abc')).toBe(true);
    expect(noexecIn(table, '/var/cache/cappy')).toBe(true);
    expect(noexecIn(table, '/var/cache/cappyx')).toBe(false);
    expect(noexecIn(table, '/tmp/cappy-ort-1000')).toBe(false);
    expect(noexecIn(table, '/srv/my cache/ort')).toBe(true);
    expect(noexecIn(table, '/tmp/ro/x')).toBe(false);
    expect(noexecIn(table, '/usr/lib')).toBe(false);
  });
});

/** npm's environment without the npm_* variables of the `npm test` running us. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.has(k.toLowerCase()))), ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: LONG, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) console.error(`${cmd} ${args.join(' ')}: exit ${r.status}\n${r.stdout?.slice(-4000)}\n${r.stderr?.slice(-4000)}`);
  return r;
}

/** A release folder as install-app.mjs reads it, from this checkout's build (see the header). */
function stageRelease(rel: string): void {
  mkdirSync(join(rel, 'stage'), { recursive: true });
  const id = 'linux-x64-gnu';
  const stage = join(rel, 'stage', id);
  mkdirSync(stage);
  for (const f of ['package.json', 'README.md']) copyFileSync(join(root, 'packages', id, f), join(stage, f));
  copyFileSync(join(root, 'build', 'Release', 'cappy.node'), join(stage, 'cappy.node'));
  const ortDir = join(
    dirname(createRequire(join(root, 'package.json')).resolve('com.github.asus4.onnxruntime/package.json')),
    'Plugins',
    'Linux',
    'x64',
  );
  for (const f of ['libonnxruntime.so', 'libonnxruntime_providers_shared.so']) copyFileSync(join(ortDir, f), join(stage, f));
  writeFileSync(
    join(stage, 'build-info.json'),
    JSON.stringify({ platform: id, note: 'staged by test/model/deploy-docker.test.ts from a checkout build' }),
  );
  const pack = (dir: string) => {
    const r = run('npm', ['pack', '--json', '--pack-destination', rel], dir, cleanEnv());
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[\n')))[0];
    return { name: info.name, file: info.filename };
  };
  writeFileSync(join(rel, 'release.json'), JSON.stringify({ tarballs: [pack(stage), pack(root)], buildInfo: { platform: id } }));
}

/** A folder whose compilers and build tools all fail, for the front of PATH. */
function noToolchain(): string {
  const dir = join(work, 'no-toolchain');
  mkdirSync(dir, { recursive: true });
  for (const tool of ['cmake', 'cc', 'c++', 'g++', 'gcc', 'make', 'ninja', 'clang', 'clang++']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool}: not in the runtime image" >&2\nexit 127\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return dir;
}

const hasTini = spawnSync('tini', ['--version']).status === 0;
/** Whether this machine lets us mount a tmpfs in a user and mount namespace of our own. */
const canUnshare = process.platform === 'linux' && spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt']).status === 0;

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('the CPU runtime stage, reproduced in a folder', () => {
  const stages = parseDockerfile(join(docker, 'Dockerfile'));
  const runtime = stages.at(-1)!;
  const buildOut = join(work, 'build-stage');
  const rootfs = join(work, 'rootfs');
  /** An image path inside the reproduced runtime folder. */
  const inRootfs = (p: string) => join(rootfs, p);
  let env: NodeJS.ProcessEnv;
  let served: Served | undefined;

  beforeAll(() => {
    const rel = join(work, 'release');
    stageRelease(rel);
    // The build stage's install step, as its RUN line has it.
    const line = /node (deploy\/docker\/install-app\.mjs) --release (\S+) --app (\S+)/.exec(steps(stages[0], 'RUN').join('\n'))!;
    const r = run(process.execPath, [join(root, line[1]), '--release', rel, '--app', join(buildOut, line[3])], work, cleanEnv());
    expect(r.status).toBe(0);
    // The runtime stage's COPY lines, replayed.
    for (const c of steps(runtime, 'COPY').map(copyOf)) {
      for (const src of c.sources)
        cpSync(c.from === 'build' ? join(buildOut, src) : join(root, src), inRootfs(c.dest), { recursive: true });
    }
    const image = Object.fromEntries(
      Object.entries(envOf(runtime)).map(([k, v]) => [k, k === 'CAPPY_HOME' ? join(work, 'cappy-home') : v]),
    );
    const keep = Object.fromEntries(['HOME', 'TMPDIR', 'LANG'].filter((k) => process.env[k]).map((k) => [k, process.env[k]!]));
    // Only the image's variables, no CAPPY_ADDON_PATH or NODE_PATH leaking in; a PATH with Node, tini and no compiler.
    env = { ...keep, ...image, PATH: [noToolchain(), dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter) };
  }, LONG);

  afterAll(() => {
    if (served && served.proc.exitCode === null) served.proc.kill('SIGKILL');
  });

  it('holds the prebuilt install and nothing a source build or development needs', () => {
    const nm = inRootfs('/app/node_modules');
    expect(existsSync(join(nm, '@cappy-engine', 'linux-x64-gnu', 'cappy.node'))).toBe(true);
    expect(existsSync(join(nm, 'cappy-engine', 'build'))).toBe(false);
    for (const dev of ['com.github.asus4.onnxruntime', 'node-addon-api', '@nozbe/simdjson', 'typescript', 'vitest', 'onnxruntime-node']) {
      expect(existsSync(join(nm, dev)), dev).toBe(false);
    }
    expect(existsSync(inRootfs('/app/healthcheck.mjs'))).toBe(true);
  });

  it('cappy doctor, from the copied folder, finds the prebuilt addon and ORT inside it and scores', () => {
    const bin = inRootfs('/app/node_modules/cappy-engine/bin/cappy.js');
    const r = run(process.execPath, [bin, 'doctor', '--json'], rootfs, env);
    expect(r.status).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d.addon).toMatchObject({
      ok: true,
      origin: 'prebuilt',
      path: inRootfs('/app/node_modules/@cappy-engine/linux-x64-gnu/cappy.node'),
    });
    expect(d.ort).toMatchObject({ ok: true, from: '@cappy-engine/linux-x64-gnu' });
    expect(d.scoring.ok).toBe(true);
    const demo = run(process.execPath, [bin, 'demo'], rootfs, env);
    expect(demo.status).toBe(0);
    expect(demo.stdout).toMatch(/RANDOM weights/);
  });

  // docker run --read-only with plain --tmpfs mounts gives noexec, root-owned
  // tmpfs: ORT's copy is written, then cannot be mapped. Reproduced with a
  // real noexec tmpfs in a user and mount namespace (unshare -rm), where
  // this machine allows one; the uid/gid options are Docker's business.
  it.runIf(canUnshare)(
    'a read-only root: noexec mounts fail with the three recipes named; an exec mount and CAPPY_ORT_LOAD=plain work',
    () => {
      const bin = inRootfs('/app/node_modules/cappy-engine/bin/cappy.js');
      const home = join(work, 'ro-cache');
      const tmp = join(work, 'ro-tmp');
      mkdirSync(home, { recursive: true });
      mkdirSync(tmp, { recursive: true });
      const score = (opts: string, extra: Record<string, string> = {}) =>
        spawnSync(
          'unshare',
          [
            '-rm',
            'sh',
            '-c',
            `mount -t tmpfs -o ${opts} tmpfs "$0" && mount -t tmpfs -o ${opts} tmpfs "$1" && shift 2 && exec "$@"`,
            home,
            tmp,
            process.execPath,
            bin,
            'score',
            '--model',
            inject('tinyModelDir'),
          ],
          {
            input: '["Name a prime.", "7"]\n',
            encoding: 'utf8',
            timeout: 120_000,
            env: { ...env, CAPPY_HOME: home, TMPDIR: tmp, ...extra },
          },
        );
      const refused = score('noexec');
      expect(refused.status, refused.stderr).toBe(2);
      expect(refused.stderr).toMatch(/on a filesystem mounted noexec/);
      for (const recipe of ['--tmpfs /var/cache/cappy:exec,uid=1000,gid=1000', '-v cappy-cache:/var/cache/cappy', 'CAPPY_ORT_LOAD=plain'])
        expect(refused.stderr).toContain(recipe);
      for (const [opts, extra] of [
        ['exec', {}],
        ['noexec', { CAPPY_ORT_LOAD: 'plain' }],
      ] as const) {
        const ok = score(opts, extra);
        expect(ok.status, `${opts} ${JSON.stringify(extra)}: ${ok.stderr}`).toBe(0);
        expect(JSON.parse(ok.stdout.trim())).toMatchObject({ index: 0, score: expect.any(Number) });
      }
    },
    LONG,
  );

  it(
    'the ENTRYPOINT + CMD serve; the HEALTHCHECK says healthy once ready; SIGTERM drains and exits 0',
    async () => {
      let argv = [...execForm(steps(runtime, 'ENTRYPOINT')[0]), ...execForm(steps(runtime, 'CMD')[0])].map((a) =>
        a.startsWith('/app/') ? inRootfs(a) : a,
      );
      // Without tini here, node is started as tini would exec it; the signal path is then one hop shorter.
      if (!hasTini) argv = argv.slice(2);
      else argv[0] = 'tini';
      const serveEnvVars = { ...env, CAPPY_PORT: '0', CAPPY_HOST: '127.0.0.1', CAPPY_MODEL: `cappy=${inject('tinyModelDir')}` };
      served = await startEntrypoint(argv[0] === 'node' ? process.execPath : argv[0], argv.slice(1), serveEnvVars, rootfs);
      const port = new URL(served.base).port;
      // The process the signal goes to is tini (PID 1 in the image), not node.
      if (hasTini) expect(readFileSync(`/proc/${served.proc.pid}/comm`, 'utf8').trim()).toBe('tini');
      const hc = steps(runtime, 'HEALTHCHECK')[0];
      const check = execForm(hc.slice(hc.indexOf('CMD') + 3)).map((a) => (a.startsWith('/app/') ? inRootfs(a) : a));
      const healthcheck = () => spawnSync(process.execPath, check.slice(1), { env: { ...env, CAPPY_PORT: port }, timeout: 30_000 }).status;
      let status = healthcheck();
      for (let i = 0; status !== 0 && i < 600; i++) {
        await new Promise((r) => setTimeout(r, 250));
        status = healthcheck();
      }
      expect(status, served.log()).toBe(0);
      // The check fails where nothing answers: it is not always 0.
      expect(spawnSync(process.execPath, check.slice(1), { env: { ...env, CAPPY_PORT: '1' }, timeout: 30_000 }).status).toBe(1);

      served.proc.kill('SIGTERM');
      const code = await Promise.race([served.exited, new Promise((r) => setTimeout(() => r('no exit within 60 s'), 60_000))]);
      expect(code, served.log()).toBe(0);
      expect(served.log()).toMatch(/SIGTERM: draining/);
      expect(served.log()).not.toMatch(/drain timeout .* passed/);
    },
    LONG,
  );
});
