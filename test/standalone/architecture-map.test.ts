// docs/architecture.md is the map of the code: every folder under lib/ and
// native/core/ is named in it by its path, every path it names in backticks
// exists, and it stays a map (no line over 200 characters).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const map = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');

function folders(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) {
      out.push(path);
      folders(path, out);
    }
  }
  return out;
}

/** Whether the map names `path` as a whole path (not as the prefix of a longer one). */
function names(text: string, path: string): boolean {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[\\s\`(|,])${escaped}/?(?=[\\s\`)|,:]|$)`, 'm').test(text);
}

describe('docs/architecture.md', () => {
  it('names every folder under lib/ and native/core/ by its path', () => {
    const all = [...folders('lib'), 'native/core', ...folders('native/core')];
    expect(all.length).toBeGreaterThan(40);
    expect(all.filter((f) => !names(map, f))).toEqual([]);
  });

  it('recognises a path only as itself (the check can fail)', () => {
    expect(names('see `lib/adapt/graph` here', 'lib/adapt/graph')).toBe(true);
    expect(names('see `lib/adapt/graph/build.ts` here', 'lib/adapt/graph')).toBe(false);
    expect(names('see `lib/adapt/graphs` here', 'lib/adapt/graph')).toBe(false);
    expect(names(map, 'lib/no-such-folder')).toBe(false);
  });

  it('names only paths that exist', () => {
    const paths = [...map.matchAll(/`((?:lib|native|docs|test|scripts|bench|support|deploy|examples)\/[\w./-]+)`/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((p) => !existsSync(join(ROOT, p)))).toEqual([]);
  });

  it('stays a map: no line over 200 characters, and every page it links exists', () => {
    expect(map.split('\n').filter((l) => l.length > 200)).toEqual([]);
    const links = [...map.matchAll(/\]\(([\w-]+\.md)(#[\w-]+)?\)/g)].map((m) => m[1]);
    expect(links.filter((l) => !existsSync(join(ROOT, 'docs', l)))).toEqual([]);
  });
});
