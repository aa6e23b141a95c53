// The version of an installed package, for test titles and reports (which
// client version was tested), read from the package.json above its entry
// point: some packages' `exports` do not expose package.json itself.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export function packageVersion(pkg: string): string {
  for (let dir = dirname(require.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version: string };
      if (json.name === pkg) return json.version;
    } catch {
      // not at this level; go up
    }
  }
  throw new Error(`no package.json found for ${pkg}`);
}
