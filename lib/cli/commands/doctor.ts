// `cappy doctor`: what a user debugging an install needs on one screen: the
// platform, where the addon came from, which ONNX Runtime, the CPU features
// the kernels can use, the GPU providers with everything they miss, the cache
// folder, the environment variables (lib/cli/environment.ts), and whether the
// engine actually scores (it loads a model and scores a pair). Exits 1 when it
// cannot score.
import { CommanderError, type Command } from 'commander';
import { DeviceUnavailableError } from '../../errors/index.js';
import { ensureDefaultModel } from '../../forge/default-model.js';
import { cacheRoot } from '../../model/cache.js';
import { loadAddon, locateAddon, type AddonLocation } from '../../native.js';
import { cpuFeatures, type CpuFeatures } from '../../runtime/cpu-features.js';
import { prepareCuda, prepareTensorRt } from '../../runtime/execution-provider.js';
import { locateOrtLibrary, type OrtLibraryLocation } from '../../runtime/ort-library.js';
import { addOptions, readOptions } from '../../options/commander.js';
import { DOCTOR_OPTIONS } from '../../options/commands.js';
import { resolveOptions } from '../../options/spec.js';
import { Scorer } from '../../scorer/scorer.js';
import { environmentReport, formatEnvironment, type EnvironmentRow } from '../environment.js';
import { optionalModelOf } from '../options.js';
import { sourceBuildPrerequisites } from '../../../scripts/native-deps.mjs';
import { findPlatformPackage, type PrebuiltBuildInfo } from '../../../scripts/platform-package.mjs';

type Check<T> = ({ ok: true } & T) | { ok: false; error: string };

export interface Diagnosis {
  platform: { os: string; arch: string; glibc?: string; node: string; napi: string };
  addon: Check<AddonLocation & { buildInfo?: PrebuiltBuildInfo }>;
  sourceBuild: { cmake?: string; ortHeaders?: string; nodeAddonApi?: string; nodeHeaders?: string; missing: string[] };
  ort: Check<OrtLibraryLocation & { version?: string }>;
  cpu: CpuFeatures;
  gpu: { device: 'cuda' | 'tensorrt'; available: boolean; missing: string[]; message?: string }[];
  cache: { dir: string; fromEnv: boolean };
  /** Every variable the engine reads, and (given the program) every flag's CAPPY_* variable. */
  environment: EnvironmentRow[];
  scoring: Check<{ model: string; forged: boolean; scores: number[] }>;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function scoreOnce(modelDir: string | undefined, ort: Diagnosis['ort']): Promise<Diagnosis['scoring']> {
  try {
    const dir = modelDir ?? (await ensureDefaultModel({ onProgress: (m) => process.stderr.write(`cappy doctor: ${m}\n`) })).dir;
    const scorer = await Scorer.load(dir, { intraOpThreads: 1 });
    try {
      const scores = Array.from(
        await scorer.scoreBatch([
          ['Which planet is known as the Red Planet?', 'Mars'],
          ['Name a prime.', '8'],
        ]),
      );
      if (ort.ok) ort.version = scorer.info.ort.version;
      if (!scores.every(Number.isFinite)) return { ok: false, error: `non-finite scores: ${scores.join(', ')}` };
      return { ok: true, model: dir, forged: scorer.info.model.forged !== undefined, scores };
    } finally {
      await scorer.dispose();
    }
  } catch (e) {
    return { ok: false, error: message(e) };
  }
}

export async function diagnose(options: { model?: string; program?: Command } = {}): Promise<Diagnosis> {
  const header = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header;
  const platform = {
    os: process.platform,
    arch: process.arch,
    ...(header.glibcVersionRuntime ? { glibc: header.glibcVersionRuntime } : {}),
    node: process.version,
    napi: process.versions.napi ?? '?',
  };

  let addon: Diagnosis['addon'];
  let loader: ReturnType<typeof loadAddon> | undefined;
  try {
    const where = locateAddon();
    loader = loadAddon();
    const buildInfo = where.origin === 'prebuilt' ? findPlatformPackage(where.path)?.buildInfo : undefined;
    addon = { ok: true, ...where, ...(buildInfo ? { buildInfo } : {}) };
  } catch (e) {
    addon = { ok: false, error: message(e) };
  }

  const pre = sourceBuildPrerequisites();
  const sourceBuild = {
    cmake: pre.cmake,
    ortHeaders: pre.headers.ort && `${pre.headers.ort.dir} (${pre.headers.ort.from})`,
    nodeAddonApi: pre.headers.napi?.dir,
    nodeHeaders: pre.headers.node && `${pre.headers.node.dir} (${pre.headers.node.from})`,
    missing: pre.missing,
  };

  let ort: Diagnosis['ort'];
  try {
    ort = { ok: true, ...locateOrtLibrary() };
  } catch (e) {
    ort = { ok: false, error: message(e) };
  }

  const gpu: Diagnosis['gpu'] = [];
  for (const [device, prepare] of [
    ['cuda', prepareCuda],
    ['tensorrt', prepareTensorRt],
  ] as const) {
    if (!ort.ok || !loader) {
      gpu.push({ device, available: false, missing: [], message: 'not checked: the addon or ONNX Runtime is missing' });
      continue;
    }
    try {
      prepare(ort.path, loader);
      gpu.push({ device, available: true, missing: [] });
    } catch (e) {
      if (!(e instanceof DeviceUnavailableError)) throw e;
      gpu.push({ device, available: false, missing: [...e.missing], message: e.message });
    }
  }

  const scoring: Diagnosis['scoring'] =
    addon.ok && ort.ok ? await scoreOnce(options.model, ort) : { ok: false, error: 'not tried: the addon or ONNX Runtime is missing' };
  const cache = { dir: cacheRoot(), fromEnv: !!process.env.CAPPY_HOME };
  return { platform, addon, sourceBuild, ort, cpu: cpuFeatures(), gpu, cache, environment: environmentReport(options.program), scoring };
}

const yes = (b: boolean) => (b ? 'yes' : 'no');

export function formatDiagnosis(d: Diagnosis): string {
  const lines: string[] = [];
  const row = (k: string, v: string) => lines.push(`${k.padEnd(14)}${v}`);
  const p = d.platform;
  row('platform', `${p.os} ${p.arch}${p.glibc ? `, glibc ${p.glibc}` : ''}; Node ${p.node} (Node-API ${p.napi})`);
  if (d.addon.ok) {
    const a = d.addon;
    const from = a.origin === 'prebuilt' ? `prebuilt, ${a.package}` : a.origin === 'source' ? 'built from source' : 'CAPPY_ADDON_PATH';
    row('addon', `${from}: ${a.path}`);
    const b = a.buildInfo;
    if (b)
      row(
        '',
        `built with ${b.compiler}; needs GLIBC_${b.addonGlibc}, libstdc++ ${b.addonGlibcxx === 'none' ? 'not needed (linked in)' : `GLIBCXX_${b.addonGlibcxx}`}`,
      );
  } else {
    row('addon', `MISSING: ${d.addon.error}`);
  }
  const s = d.sourceBuild;
  row(
    'source build',
    s.missing.length === 0 ? `possible (${s.cmake}; ORT headers ${s.ortHeaders})` : `would need: ${s.missing.join('; ')}`,
  );
  row('onnxruntime', d.ort.ok ? `${d.ort.version ? `${d.ort.version} ` : ''}from ${d.ort.from}: ${d.ort.path}` : `MISSING: ${d.ort.error}`);
  const f = d.cpu.flags;
  row(
    'cpu',
    `AVX2 ${yes(f.avx2)}, AVX-512F ${yes(f.avx512f)}, AVX-512BW ${yes(f.avx512bw)}, AVX-512 VNNI ${yes(f.avx512vnni)}, ` +
      `AVX-VNNI ${yes(f.avxvnni)}, AMX-TILE ${yes(f.amxTile)}, AMX-INT8 ${yes(f.amxInt8)}; int8 kernel: ${d.cpu.int8Kernel}, ${d.cpu.int8KernelDescription}`,
  );
  for (const g of d.gpu) {
    if (g.available) row(`gpu ${g.device}`, 'available');
    else if (g.missing.length === 0) row(`gpu ${g.device}`, g.message ?? 'unavailable');
    else {
      row(`gpu ${g.device}`, `unavailable; missing: ${g.missing.join(', ')}`);
      for (const l of (g.message ?? '').split('\n').slice(1)) row('', l.trim());
    }
  }
  row('cache', `${d.cache.dir}${d.cache.fromEnv ? ' (CAPPY_HOME)' : ' (set CAPPY_HOME to move it)'}`);
  formatEnvironment(d.environment).forEach((line, i) => row(i === 0 ? 'environment' : '', line));
  if (d.scoring.ok) {
    const sc = d.scoring;
    row('scoring', `ok: ${sc.scores.map((x) => x.toFixed(5)).join(', ')} on ${sc.model}${sc.forged ? ' (forged: RANDOM weights)' : ''}`);
  } else {
    row('scoring', `FAILED: ${d.scoring.error}`);
  }
  return lines.join('\n') + '\n';
}

export function registerDoctor(program: Command): void {
  const cmd = program
    .command('doctor')
    .description(
      'check this install: platform, addon (prebuilt or source), ONNX Runtime, CPU features, GPU providers, cache, environment; then score a pair',
    );
  addOptions(cmd, DOCTOR_OPTIONS);
  cmd.action(async () => {
    const opts = resolveOptions(DOCTOR_OPTIONS, readOptions(cmd, DOCTOR_OPTIONS));
    const d = await diagnose({ model: optionalModelOf(cmd), program });
    process.stdout.write(opts.json ? JSON.stringify(d, null, 2) + '\n' : formatDiagnosis(d));
    if (!d.scoring.ok) {
      process.stderr.write('cappy doctor: the engine cannot score here (see above)\n');
      throw new CommanderError(1, 'cappy.doctor', 'the engine cannot score here');
    }
  });
}
