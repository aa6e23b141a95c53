#!/usr/bin/env node
// Writes every tarball a release publishes into one folder, and publishes nothing:
//   npm run release:pack -- --out DIR
// - the platform package of this machine (only linux-x64-gnu is built today):
//   the addon built portable (CMakeLists.txt, CAPPY_PORTABLE_GLIBC) into
//   build-prebuilt/, checked with objdump against the glibc baseline, with ONNX
//   Runtime's library and notices from com.github.asus4.onnxruntime;
// - the main package (`npm pack`, whose `prepare` builds dist/ when stale).
// DIR/release.json lists them with their sizes and what the binaries need.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFromSource, packageRoot } from './build-native.mjs';
import { ORT_HEADERS_PACKAGE } from './native-deps.mjs';
import { PREBUILT_FILES, PREBUILT_PLATFORMS, platformId, platformPackageName } from './platform-package.mjs';

/** Oldest glibc the prebuilt targets: Node 20's own Linux builds need 2.28, and so does ORT 1.29. */
export const GLIBC_BASELINE = '2.28';
/** Libraries the prebuilt addon may link: the C runtime and GCC's unwinder, found on every glibc system. */
const ALLOWED_NEEDED = new Set(['libc.so.6', 'libm.so.6', 'libgcc_s.so.1', 'ld-linux-x86-64.so.2', 'libdl.so.2', 'libpthread.so.0']);

const { values } = parseArgs({ options: { out: { type: 'string' } } });
if (!values.out) {
  console.error('usage: npm run release:pack -- --out DIR');
  process.exit(2);
}
const out = resolve(values.out);
const log = (m) => console.log(`release:pack: ${m}`);
const fail = (m) => {
  console.error(`release:pack: ${m}`);
  process.exit(1);
};

const cmp = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};
const newest = (versions) => versions.sort(cmp).at(-1) ?? 'none';

/** The symbol versions and libraries an ELF file needs, read with objdump. */
function elfNeeds(file) {
  const dyn = spawnSync('objdump', ['-T', '-p', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (dyn.status !== 0) fail(`objdump -T -p ${file} failed (binutils is needed to pack a release): ${dyn.stderr || dyn.error?.message}`);
  const versions = (prefix) => [...new Set([...dyn.stdout.matchAll(new RegExp(`\\(${prefix}_([0-9.]+)\\)`, 'g'))].map((m) => m[1]))];
  const needed = [...dyn.stdout.matchAll(/^\s+NEEDED\s+(\S+)$/gm)].map((m) => m[1]);
  return { glibc: newest(versions('GLIBC')), glibcxx: newest(versions('GLIBCXX')), needed };
}

function npmPack(dir) {
  const r = spawnSync('npm', ['pack', '--json', '--pack-destination', out], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) fail(`npm pack in ${dir} failed`);
  // prepare scripts may print before npm's JSON.
  const info = JSON.parse(r.stdout.slice(r.stdout.indexOf('[\n')))[0];
  return { file: join(out, info.filename), name: info.name, version: info.version, size: info.size, unpackedSize: info.unpackedSize };
}

const main = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
const id = platformId();
if (!PREBUILT_PLATFORMS.includes(id)) fail(`a release is packed on ${PREBUILT_PLATFORMS.join(' or ')}; this machine is ${id}`);
for (const p of PREBUILT_PLATFORMS) {
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'packages', p, 'package.json'), 'utf8'));
  const spec = main.optionalDependencies?.[platformPackageName(p)];
  if (pkg.name !== platformPackageName(p) || pkg.version !== main.version || spec !== main.version) {
    fail(`packages/${p} must be ${platformPackageName(p)}@${main.version}, listed in optionalDependencies at exactly that version`);
  }
}
// Only what this script writes is replaced in DIR; nothing else there is touched.
mkdirSync(out, { recursive: true });
rmSync(join(out, 'stage'), { recursive: true, force: true });

log(`building the portable addon for ${id} in build-prebuilt/`);
const addon = buildFromSource({ buildDir: join(packageRoot, 'build-prebuilt'), portable: true });
const addonNeeds = elfNeeds(addon);
if (cmp(addonNeeds.glibc, GLIBC_BASELINE) > 0)
  fail(
    `the addon needs GLIBC_${addonNeeds.glibc}, newer than the ${GLIBC_BASELINE} baseline: bind the new call in native/portable/glibc_compat.cc`,
  );
if (addonNeeds.glibcxx !== 'none') fail(`the addon needs libstdc++ (GLIBCXX_${addonNeeds.glibcxx}); it should link it statically`);
const extra = addonNeeds.needed.filter((n) => !ALLOWED_NEEDED.has(n));
if (extra.length) fail(`the addon links ${extra.join(', ')}, which a user's machine may lack`);

const ortDir = join(dirname(createRequire(import.meta.url).resolve(`${ORT_HEADERS_PACKAGE}/package.json`)));
const ortLib = join(ortDir, 'Plugins', 'Linux', 'x64', PREBUILT_FILES.ort);
const ortNeeds = elfNeeds(ortLib);
const ortVersion = /ORT_API_VERSION\s+(\d+)/.exec(
  readFileSync(
    join(ortDir, 'Plugins', 'iOS~', 'onnxruntime.xcframework', 'ios-arm64', 'onnxruntime.framework', 'Headers', 'onnxruntime_c_api.h'),
    'utf8',
  ),
)?.[1];

const stage = join(out, 'stage', id);
mkdirSync(stage, { recursive: true });
for (const f of ['package.json', 'README.md']) copyFileSync(join(packageRoot, 'packages', id, f), join(stage, f));
copyFileSync(addon, join(stage, PREBUILT_FILES.addon));
copyFileSync(ortLib, join(stage, PREBUILT_FILES.ort));
copyFileSync(join(dirname(ortLib), PREBUILT_FILES.ortProvidersShared), join(stage, PREBUILT_FILES.ortProvidersShared));
copyFileSync(join(ortDir, 'LICENSE'), join(stage, 'ONNXRUNTIME-LICENSE'));
copyFileSync(join(ortDir, 'ThirdPartyNotices.txt'), join(stage, 'ONNXRUNTIME-ThirdPartyNotices.txt'));
const compiler = spawnSync('c++', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'unknown';
const buildInfo = {
  platform: id,
  version: main.version,
  napiVersion: 8,
  compiler,
  addonGlibc: addonNeeds.glibc,
  addonGlibcxx: addonNeeds.glibcxx,
  ortApiVersion: Number(ortVersion),
  ortGlibc: ortNeeds.glibc,
  ortGlibcxx: ortNeeds.glibcxx,
};
writeFileSync(join(stage, PREBUILT_FILES.buildInfo), JSON.stringify(buildInfo, null, 2) + '\n');

const tarballs = [npmPack(stage), npmPack(packageRoot)];
rmSync(join(out, 'stage'), { recursive: true, force: true });
writeFileSync(
  join(out, 'release.json'),
  JSON.stringify({ tarballs: tarballs.map((t) => ({ ...t, file: t.file.slice(out.length + 1) })), buildInfo }, null, 2) + '\n',
);
for (const t of tarballs)
  log(`${t.file}: ${(statSync(t.file).size / 1e6).toFixed(2)} MB (${(t.unpackedSize / 1e6).toFixed(2)} MB unpacked)`);
log(
  `the addon needs GLIBC_${addonNeeds.glibc} and no libstdc++; ONNX Runtime (API ${buildInfo.ortApiVersion}) needs GLIBC_${ortNeeds.glibc} and GLIBCXX_${ortNeeds.glibcxx}`,
);
log('nothing was published');
