// Where libonnxruntime.so comes from. The addon dlopens it by path, so any
// ORT >= 1.29 build can be swapped in with CAPPY_ORT_LIB (a full GPU build
// with TensorRT, say) without rebuilding the addon.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '../errors/index.js';
import { findPlatformPackage, platformPackageName } from '../../scripts/platform-package.mjs';

export const ORT_PACKAGE = 'com.github.asus4.onnxruntime';

/** The ORT library to load and which of the places below it came from. */
export interface OrtLibraryLocation {
  path: string;
  /** 'CAPPY_ORT_LIB', the platform package's name, or ORT_PACKAGE. */
  from: string;
}

/**
 * The ORT library an npm package ships for this platform, or undefined: the
 * prebuilt platform package's (@cappy-engine/linux-x64-gnu, installed by
 * default), else the one in com.github.asus4.onnxruntime (the source-build
 * prerequisite, linux-x64 only). Both are ORT 1.29.
 */
export function packagedOrtLibraryLocation(): OrtLibraryLocation | undefined {
  const prebuilt = findPlatformPackage(fileURLToPath(import.meta.url));
  if (prebuilt?.ort) return { path: prebuilt.ort, from: prebuilt.name };
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve(`${ORT_PACKAGE}/package.json`));
    const lib = join(pkgDir, 'Plugins', 'Linux', 'x64', 'libonnxruntime.so');
    return existsSync(lib) ? { path: lib, from: ORT_PACKAGE } : undefined;
  } catch {
    return undefined;
  }
}

/** The path of packagedOrtLibraryLocation(). */
export function packagedOrtLibrary(): string | undefined {
  return packagedOrtLibraryLocation()?.path;
}

/** Finds the ORT library to load: CAPPY_ORT_LIB first, then an npm package's. */
export function locateOrtLibrary(env: NodeJS.ProcessEnv = process.env): OrtLibraryLocation {
  const override = env.CAPPY_ORT_LIB;
  if (override) {
    if (!existsSync(override)) {
      throw new ModelLoadError(`CAPPY_ORT_LIB points at ${override}, which does not exist`);
    }
    return { path: override, from: 'CAPPY_ORT_LIB' };
  }
  const packaged = packagedOrtLibraryLocation();
  if (!packaged) {
    throw new ModelLoadError(
      `No ONNX Runtime library found. On linux-x64 it comes with the prebuilt package ${platformPackageName('linux-x64-gnu')} ` +
        `(or with ${ORT_PACKAGE}); elsewhere set CAPPY_ORT_LIB=/path/to/libonnxruntime.so (ORT 1.29 or newer).`,
    );
  }
  return packaged;
}

/** The path of the ORT library to load (see locateOrtLibrary). */
export function resolveOrtLibrary(env: NodeJS.ProcessEnv = process.env): string {
  return locateOrtLibrary(env).path;
}
