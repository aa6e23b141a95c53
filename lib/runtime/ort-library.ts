// Where libonnxruntime.so comes from. The addon dlopens it by path, so any
// ORT >= 1.29 build can be swapped in with CAPPY_ORT_LIB (a full GPU build
// with TensorRT, say) without rebuilding the addon.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelLoadError } from '../errors/index.js';

export const ORT_PACKAGE = 'com.github.asus4.onnxruntime';

/** The ORT library the npm package ships for this platform, or undefined. */
export function packagedOrtLibrary(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve(`${ORT_PACKAGE}/package.json`));
    const lib = join(pkgDir, 'Plugins', 'Linux', 'x64', 'libonnxruntime.so');
    return existsSync(lib) ? lib : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves the ORT library to load: CAPPY_ORT_LIB first, then the npm package. */
export function resolveOrtLibrary(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.CAPPY_ORT_LIB;
  if (override) {
    if (!existsSync(override)) {
      throw new ModelLoadError(`CAPPY_ORT_LIB points at ${override}, which does not exist`);
    }
    return override;
  }
  const packaged = packagedOrtLibrary();
  if (!packaged) {
    throw new ModelLoadError(
      `No ONNX Runtime library found. The npm package ${ORT_PACKAGE} ships one for linux-x64 only; ` +
        'on other platforms set CAPPY_ORT_LIB=/path/to/libonnxruntime.so (ORT 1.29 or newer).',
    );
  }
  return packaged;
}
