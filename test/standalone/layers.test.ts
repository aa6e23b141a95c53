// The import graph of lib/ has no cycles, between files or between folders.
// eslint's import/no-cycle (npm run lint) sees value imports between files;
// this test also counts `import type` and dynamic import(), and folds files
// into their top folder (lib/scorer, lib/options, ...), so "options needs
// scorer needs options" fails here even when no single file pair forms a loop.
// The graph comes from TypeScript's own import scanner (ts.preProcessFile).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) tsFiles(path, out);
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Each lib file's relative imports, as repository paths (`./x.js` resolved to the `.ts` beside it). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(join(ROOT, 'lib'))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => {
        const target = resolve(dirname(file), spec);
        const asTs = target.replace(/\.js$/, '.ts');
        return relative(ROOT, !existsSync(target) && existsSync(asTs) ? asTs : target);
      });
    graph.set(relative(ROOT, file), targets);
  }
  return graph;
}

/** lib/scorer/x.ts → lib/scorer; lib/native.ts stays itself. */
const unitOf = (path: string): string => path.split('/').slice(0, 2).join('/');

/** The cycles of a directed graph: its strongly connected components with more than one node (Tarjan). */
function cyclesOf(edges: ReadonlyMap<string, Iterable<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** For a failure message: the imports that make two units depend on each other. */
function witnesses(graph: Map<string, string[]>, units: string[]): string[] {
  const inCycle = new Set(units);
  const lines: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (unitOf(from) !== unitOf(to) && inCycle.has(unitOf(from)) && inCycle.has(unitOf(to))) lines.push(`${from} -> ${to}`);
    }
  }
  return lines;
}

describe('the import graph of lib/', () => {
  const graph = importGraph();

  it('finds the imports (the scanner works: scorer.ts imports the tokenizer)', () => {
    expect(graph.get('lib/scorer/scorer.ts')).toContain('lib/tokenizer/index.ts');
    expect(graph.size).toBeGreaterThan(100);
  });

  it('has no cycle between files, type imports included', () => {
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const units = new Map<string, Set<string>>();
    for (const [from, targets] of graph) {
      const set = units.get(unitOf(from)) ?? new Set<string>();
      for (const to of targets) if (to.startsWith('lib/') && unitOf(to) !== unitOf(from)) set.add(unitOf(to));
      units.set(unitOf(from), set);
    }
    const cycles = cyclesOf(units);
    expect(cycles.map((c) => ({ folders: c, imports: witnesses(graph, c) }))).toEqual([]);
  });

  it('reaches outside lib/ only for the install scripts it shares (never bench/ or test/)', () => {
    const outside = [...graph.values()].flat().filter((to) => !to.startsWith('lib/'));
    expect(new Set(outside.map((p) => dirname(p)))).toEqual(new Set(['scripts']));
  });

  it('cyclesOf finds a two-folder loop and ignores a chain (the checker can fail)', () => {
    expect(
      cyclesOf(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', []],
        ]),
      ),
    ).toEqual([]);
    expect(
      cyclesOf(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b']]);
  });
});
