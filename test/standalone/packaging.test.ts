// The package as users install it. `npm run release:pack` writes every tarball
// a release publishes; they are installed into fresh projects with npm, with
// ordinary dependencies from the registry (or npm's cache):
// - prebuilt: cappy-engine + @cappy-engine/linux-x64-gnu with a PATH on which
//   cmake, cc, c++, g++ and make all fail, so nothing can be compiled;
// - source: cappy-engine alone (optional dependencies omitted) plus the
//   documented source-build prerequisites, with the toolchain.
// In each, the scores of a forged model must equal this checkout's own build
// scoring the same folder: the same engine built independently (the parity
// suites hold that build to onnxruntime-node and a float64 reference).
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scorer } from '../../lib/index.js';
import { makePairs } from '../support/pairs.js';

const root = resolve(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'cappy-packaging-'));
const rel = join(work, 'release');
/** Forged by `cappy forge` inside the prebuilt consumer; both consumers and this checkout score it. */
const model = join(work, 'prebuilt', 'forged-tiny-seed11');
const pairs = makePairs(12, 5);
const LONG = 20 * 60_000;

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** npm's environment for a child npm: none of the npm_* variables of the `npm test` running us, which would point it at this checkout. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) || keep.has(k.toLowerCase())));
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, timeout = LONG): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    console.error(`${cmd} ${args.join(' ')} in ${cwd}: exit ${r.status}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r;
}

/** A folder whose cmake, cc, c++, g++, gcc, make and ninja all fail, for the front of PATH. */
function noToolchainPath(): string {
  const dir = join(work, 'no-toolchain');
  mkdirSync(dir, { recursive: true });
  for (const tool of ['cmake', 'cc', 'c++', 'g++', 'gcc', 'make', 'ninja', 'clang', 'clang++']) {
    writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool}: blocked by the packaging test (no compiler may be needed)" >&2\nexit 127\n`);
    chmodSync(join(dir, tool), 0o755);
  }
  return `${dir}${delimiter}${process.env.PATH}`;
}

function newProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true }));
  return dir;
}

const SCORE_SCRIPT = `
  import { Scorer } from 'cappy-engine';
  const [dir, pairsFile] = process.argv.slice(1);
  const s = await Scorer.load(dir, { intraOpThreads: 1 });
  const scores = await s.scoreBatch(JSON.parse((await import('node:fs')).readFileSync(pairsFile, 'utf8')));
  console.log(JSON.stringify({ scores: Array.from(scores), ort: s.info.ort }));
  await s.dispose();`;

/** Scores `pairs` on the forged model from inside a consumer project. */
function scoreIn(project: string, env: NodeJS.ProcessEnv): { scores: number[]; ort: { version: string; libraryPath: string } } {
  const pairsFile = join(project, 'pairs.json');
  writeFileSync(pairsFile, JSON.stringify(pairs));
  const r = run(process.execPath, ['--input-type=module', '-e', SCORE_SCRIPT, model, pairsFile], project, env, 120_000);
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.trim());
}

/** This checkout's own build scoring the forged folder, on one thread as the consumers do. */
async function ownScores(): Promise<number[]> {
  const own = await Scorer.load(model, { intraOpThreads: 1 });
  try {
    return Array.from(await own.scoreBatch(pairs));
  } finally {
    await own.dispose();
  }
}

beforeAll(() => {
  const pack = run(process.execPath, [join(root, 'scripts', 'release-pack.mjs'), '--out', rel], root, cleanEnv());
  expect(pack.status).toBe(0);
}, LONG);

function tarballs(): { main: string; platform: string } {
  const manifest = JSON.parse(readFileSync(join(rel, 'release.json'), 'utf8')) as { tarballs: { file: string; name: string }[] };
  const file = (name: string) => join(rel, manifest.tarballs.find((t) => t.name === name)!.file);
  return { main: file('cappy-engine'), platform: file('@cappy-engine/linux-x64-gnu') };
}

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('installed from the release tarballs', () => {
  it('release:pack writes the main and the platform tarball, and the prebuilt needs at most glibc 2.28 and no libstdc++', () => {
    const manifest = JSON.parse(readFileSync(join(rel, 'release.json'), 'utf8'));
    expect(manifest.tarballs.map((t: { name: string }) => t.name).sort()).toEqual(['@cappy-engine/linux-x64-gnu', 'cappy-engine']);
    for (const t of manifest.tarballs) expect(existsSync(join(rel, t.file))).toBe(true);
    expect(manifest.buildInfo.addonGlibcxx).toBe('none');
    const [major, minor] = manifest.buildInfo.addonGlibc.split('.').map(Number);
    expect(major * 1000 + minor).toBeLessThanOrEqual(2028);
  });

  describe('with the prebuilt, and no compiler on PATH', () => {
    const project = join(work, 'prebuilt');
    const env = cleanEnv({ PATH: noToolchainPath(), CAPPY_HOME: join(work, 'home-prebuilt') });
    const cappy = (...args: string[]) => run('npx', ['--no-install', 'cappy', ...args], project, env, 300_000);

    beforeAll(() => {
      newProject('prebuilt');
      expect(spawnSync('cmake', ['--version'], { env }).status).not.toBe(0);
      const { main, platform } = tarballs();
      const started = performance.now();
      const r = run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', main, platform],
        project,
        env,
      );
      expect(r.status).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/using the prebuilt addon from @cappy-engine\/linux-x64-gnu@/);
      const du = spawnSync('du', ['-sb', join(project, 'node_modules')], { encoding: 'utf8' }).stdout.split('\t')[0];
      console.log(
        `packaging: prebuilt install took ${((performance.now() - started) / 1000).toFixed(1)} s; node_modules ${(Number(du) / 1e6).toFixed(1)} MB`,
      );
    }, LONG);

    it('built nothing, and fetched none of the source-build packages (ORT headers, node-addon-api, simdjson)', () => {
      const pkg = join(project, 'node_modules', 'cappy-engine');
      expect(existsSync(join(pkg, 'build'))).toBe(false);
      expect(existsSync(join(project, 'node_modules', 'com.github.asus4.onnxruntime'))).toBe(false);
      expect(existsSync(join(project, 'node_modules', 'node-addon-api'))).toBe(false);
      expect(existsSync(join(project, 'node_modules', '@nozbe', 'simdjson'))).toBe(false);
      expect(existsSync(join(project, 'node_modules', '@cappy-engine', 'linux-x64-gnu', 'cappy.node'))).toBe(true);
    });

    it('ESM import and CJS require expose the API', () => {
      const names = 'Scorer,Tokenizer,CappyError,ModelLoadError,DeviceUnavailableError,forgeModel,resolveOrtLibrary';
      const esm = run(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import * as m from 'cappy-engine'; import * as s from 'cappy-engine/server';
         console.log(${JSON.stringify(names)}.split(',').filter((n) => !(n in m)).join(','), typeof s.createServer)`,
        ],
        project,
        env,
      );
      expect(esm.stdout.trim()).toBe('function');
      const cjs = run(
        process.execPath,
        [
          '-e',
          `const m = require('cappy-engine'); console.log(${JSON.stringify(names)}.split(',').filter((n) => !(n in m)).join(','), typeof require('cappy-engine/server').createServer)`,
        ],
        project,
        env,
      );
      expect(cjs.stdout.trim()).toBe('function');
    });

    it('npx cappy demo scores on the forged default model and says the weights are random', () => {
      const r = cappy('demo');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/runtime: ONNX Runtime 1\.29\.0 \(cpu\)/);
      expect(r.stdout).toMatch(/RANDOM weights/);
    });

    it("cappy forge, then Scorer.load + scoreBatch, give exactly this checkout's scores, with the packaged ORT", async () => {
      expect(cappy('forge', '--preset', 'tiny', '--seed', '11', '--out', model).status).toBe(0);
      const got = scoreIn(project, env);
      expect(got.ort.version).toBe('1.29.0');
      expect(got.ort.libraryPath).toBe(join(project, 'node_modules', '@cappy-engine', 'linux-x64-gnu', 'libonnxruntime.so'));
      expect(got.scores).toEqual(await ownScores());
    });

    it('cappy doctor reports the prebuilt addon, the packaged ORT, and a working engine', () => {
      const r = cappy('doctor', '--json');
      expect(r.status).toBe(0);
      const d = JSON.parse(r.stdout);
      expect(d.addon).toMatchObject({ ok: true, origin: 'prebuilt', package: '@cappy-engine/linux-x64-gnu@0.1.0' });
      expect(d.addon.path).toBe(join(project, 'node_modules', '@cappy-engine', 'linux-x64-gnu', 'cappy.node'));
      expect(d.ort).toMatchObject({ ok: true, from: '@cappy-engine/linux-x64-gnu', version: '1.29.0' });
      expect(d.scoring.ok).toBe(true);
      expect(d.gpu.map((g: { device: string }) => g.device)).toEqual(['cuda', 'tensorrt']);
      const text = cappy('doctor');
      expect(text.stdout).toMatch(/^addon +prebuilt, @cappy-engine\/linux-x64-gnu@0\.1\.0: /m);
    });

    it('the .d.ts files type-check under tsc --strict with moduleResolution node16 and bundler', async () => {
      const use = `
        import { Scorer, DeviceUnavailableError, type ScorerOptions } from 'cappy-engine';
        import { createServer } from 'cappy-engine/server';
        const options: ScorerOptions = { maxLength: 512, device: 'cpu' };
        export async function best(dir: string): Promise<number> {
          const s = await Scorer.load(dir, options);
          const scores: Float32Array = await s.scoreBatch([['q', 'a'], { instruction: 'q', response: 'b' }]);
          const top = await s.rank('q', ['a', 'b'], { topK: 1 });
          await s.dispose();
          return scores[0] + top[0].score;
        }
        export const isDevice = (e: unknown): boolean => e instanceof DeviceUnavailableError && e.missing.length > 0;
        export const server = typeof createServer;
      `;
      writeFileSync(join(project, 'use.mts'), use);
      writeFileSync(
        join(project, 'use.cts'),
        `import cappy = require('cappy-engine');\nexport const load: typeof cappy.Scorer.load = cappy.Scorer.load;\n`,
      );
      writeFileSync(join(project, 'use.ts'), use);
      const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const common = [
        '--strict',
        '--noEmit',
        '--skipLibCheck',
        'false',
        '--target',
        'es2022',
        '--types',
        'node',
        '--typeRoots',
        join(root, 'node_modules', '@types'),
      ];
      // The two checks run side by side (each is one busy core for a while).
      const check = (args: string[]) =>
        new Promise<{ code: number | null; out: string }>((done) => {
          const child = spawn(process.execPath, [tsc, ...common, ...args], { cwd: project, env });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.stderr.on('data', (d) => (out += d));
          child.on('close', (code) => done({ code, out }));
        });
      const [node16, bundler] = await Promise.all([
        check(['--module', 'node16', '--moduleResolution', 'node16', 'use.mts', 'use.cts']),
        check(['--module', 'esnext', '--moduleResolution', 'bundler', 'use.ts']),
      ]);
      expect(node16).toEqual({ code: 0, out: '' });
      expect(bundler).toEqual({ code: 0, out: '' });
    });
    it('CAPPY_BUILD_FROM_SOURCE=1 forces a source build, which here fails saying what it needs, and leaves the prebuilt working', () => {
      const r = spawnSync('npm', ['rebuild', 'cappy-engine', '--foreground-scripts'], {
        cwd: project,
        env: { ...env, CAPPY_BUILD_FROM_SOURCE: '1' },
        encoding: 'utf8',
        timeout: 300_000,
      });
      expect(r.status).not.toBe(0);
      const out = r.stdout + r.stderr;
      expect(out).toMatch(/building from source \(forced\)/);
      expect(out).toMatch(/a source build needs:\n {2}- cmake >= 3\.15 and a C\+\+17 compiler/);
      // ORT's API headers are vendored (native/core/third_party): not a prerequisite any more.
      expect(out).not.toMatch(/com\.github\.asus4\.onnxruntime/);
      expect(out).toMatch(/npm install node-addon-api/);
      expect(out).toMatch(/npm install @nozbe\/simdjson/);
      expect(cappy('doctor', '--json').status).toBe(0);
    });

    it('without the platform package and no source build, doctor exits 1 naming both ways to get an addon', () => {
      const pkg = join(project, 'node_modules', '@cappy-engine', 'linux-x64-gnu');
      renameSync(pkg, `${pkg}.away`);
      try {
        const r = cappy('doctor', '--json');
        expect(r.status).toBe(1);
        const d = JSON.parse(r.stdout);
        expect(d.addon.ok).toBe(false);
        expect(d.addon.error).toMatch(/@cappy-engine\/linux-x64-gnu is not installed \(were optional dependencies omitted\?\)/);
        expect(d.addon.error).toContain(`node ${join(project, 'node_modules', 'cappy-engine', 'scripts', 'build-native.mjs')} --force`);
        expect(d.scoring.ok).toBe(false);
      } finally {
        renameSync(`${pkg}.away`, pkg);
      }
    });
  });

  describe('without the platform package: a source build', () => {
    const project = join(work, 'source');
    const env = cleanEnv({ CAPPY_HOME: join(work, 'home-source') });

    beforeAll(() => {
      newProject('source');
      const { main } = tarballs();
      const ownPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
      const prerequisites = Object.entries(ownPkg.peerDependencies as Record<string, string>).map(([n, v]) => `${n}@${v}`);
      const started = performance.now();
      const r = run(
        'npm',
        ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', '--omit=optional', main, ...prerequisites],
        project,
        env,
      );
      expect(r.status).toBe(0);
      expect(r.stdout + r.stderr).toMatch(/is not installed \(were optional dependencies omitted\?\); building from source/);
      console.log(`packaging: source-build install took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }, LONG);

    it('built the addon in the package, found the ORT headers where npm hoisted them, and scores exactly as this checkout does', async () => {
      expect(existsSync(join(project, 'node_modules', '@cappy-engine'))).toBe(false);
      expect(existsSync(join(project, 'node_modules', 'cappy-engine', 'build', 'Release', 'cappy.node'))).toBe(true);
      const got = scoreIn(project, env);
      expect(got.ort.libraryPath).toBe(
        join(project, 'node_modules', 'com.github.asus4.onnxruntime', 'Plugins', 'Linux', 'x64', 'libonnxruntime.so'),
      );
      expect(got.scores).toEqual(await ownScores());
      const d = JSON.parse(run('npx', ['--no-install', 'cappy', 'doctor', '--json', '--model', model], project, env, 300_000).stdout);
      expect(d.addon).toMatchObject({ ok: true, origin: 'source' });
      expect(d.scoring.ok).toBe(true);
    });
  });
});
