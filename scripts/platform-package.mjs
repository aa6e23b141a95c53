// The prebuilt-binary contract, declared once: which platform package holds
// the prebuilt addon for this machine, and what is inside it. Used by the
// install step (scripts/build-native.mjs), the release script
// (scripts/release-pack.mjs) and the runtime loader (lib/native.ts,
// lib/runtime/ort-library.ts), which finds the package by Node's module
// resolution, so it works where npm hoisted it and even if no install script ran.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The npm scope of the platform packages. */
export const PLATFORM_SCOPE = '@cappy-engine';

/** Platforms a release ships a prebuilt for; anywhere else builds from source. */
export const PREBUILT_PLATFORMS = ['linux-x64-gnu'];

/** Files inside a platform package. */
export const PREBUILT_FILES = {
  addon: 'cappy.node',
  ort: 'libonnxruntime.so',
  /** The CUDA plugin EP loads its bridge from beside libonnxruntime.so. */
  ortProvidersShared: 'libonnxruntime_providers_shared.so',
  /** What the binaries were built with and need (glibc, ORT version). */
  buildInfo: 'build-info.json',
};

let libc;

/** 'gnu' or 'musl' on Linux (glibc reports its version in process.report), else ''. */
export function libcFamily() {
  if (libc === undefined) {
    libc = process.platform !== 'linux' ? '' : process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl';
  }
  return libc;
}

/** This machine's platform id, as in PREBUILT_PLATFORMS: linux-x64-gnu, darwin-arm64, … */
export function platformId() {
  const libc = libcFamily();
  return `${process.platform}-${process.arch}${libc ? `-${libc}` : ''}`;
}

/** The platform package's name for this machine (it exists only for PREBUILT_PLATFORMS). */
export function platformPackageName(id = platformId()) {
  return `${PLATFORM_SCOPE}/${id}`;
}

/**
 * The platform package as Node's module resolution finds it from `fromFile`
 * (a file inside cappy-engine), or undefined when it is not installed.
 * `addon` and `ort` are set only when those files are in it.
 */
export function findPlatformPackage(fromFile) {
  const name = platformPackageName();
  let dir;
  try {
    dir = dirname(createRequire(fromFile).resolve(`${name}/package.json`));
  } catch {
    return undefined;
  }
  const file = (f) => (existsSync(join(dir, f)) ? join(dir, f) : undefined);
  let buildInfo;
  try {
    buildInfo = JSON.parse(readFileSync(join(dir, PREBUILT_FILES.buildInfo), 'utf8'));
  } catch {
    buildInfo = undefined;
  }
  const version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;
  return { name, version, dir, addon: file(PREBUILT_FILES.addon), ort: file(PREBUILT_FILES.ort), buildInfo };
}
