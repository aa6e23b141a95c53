// Every environment variable is declared once: the engine's own in
// lib/options/environment.ts, each flag's CAPPY_* twin by its option table.
// This test reads the sources users run (lib/, bin/, the install and build
// scripts, the core's getenv calls) for every variable they read, and fails on
// one that neither declares, or on a declared one that nothing reads.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../lib/cli/index.js';
import { ENVIRONMENT } from '../../lib/options/environment.js';

const ROOT = join(import.meta.dirname, '../..');

function files(dir: string, match: RegExp, out: string[] = []): string[] {
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) files(path, match, out);
    else if (match.test(name)) out.push(path);
  }
  return out;
}

/** The scripts a user runs (install, source build, the C core's install); not the developers' own (fuzz, release, tests). */
const USER_SCRIPTS = ['scripts/build-native.mjs', 'scripts/native-deps.mjs', 'scripts/platform-package.mjs', 'scripts/install-core.sh'];

/** Variable reads in one source: env.X, env['X'], env[CONST] with CONST = 'X' in the file, getenv("X"), ${X} in shell. */
function variablesRead(source: string, shell: boolean): Set<string> {
  const names = new Set<string>();
  const add = (re: RegExp) => {
    for (const m of source.matchAll(re)) names.add(m[1]);
  };
  add(/\benv\.([A-Za-z_][A-Za-z0-9_]*)/g);
  add(/\benv\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]/g);
  add(/\bgetenv\(\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\)/g);
  for (const m of source.matchAll(/\benv\[\s*([A-Z_][A-Z0-9_]*)\s*\]/g)) {
    const value = new RegExp(`\\b${m[1]}\\s*=\\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]`).exec(source);
    if (value) names.add(value[1]);
    else names.add(`<unresolved ${m[1]}>`);
  }
  if (shell) add(/\$\{?([A-Z][A-Z0-9_]*)/g);
  return names;
}

function flagVariables(program: Command, out = new Set<string>()): Set<string> {
  for (const o of program.options) if (o.envVar) out.add(o.envVar);
  for (const sub of program.commands) flagVariables(sub, out);
  return out;
}

describe('environment variables', () => {
  const sources = [
    ...files('lib', /\.ts$/),
    'bin/cappy.js',
    ...USER_SCRIPTS,
    ...files('native/core', /\.(cc|h)$/).filter((f) => !f.includes('third_party')),
  ];
  const reads = new Map<string, string[]>();
  for (const file of sources) {
    for (const name of variablesRead(readFileSync(join(ROOT, file), 'utf8'), file.endsWith('.sh'))) {
      reads.set(name, [...(reads.get(name) ?? []), relative(ROOT, join(ROOT, file))]);
    }
  }
  const shellOwn = new Set(['BASH_SOURCE']);
  const flags = flagVariables(buildProgram());

  it('finds what the scanner should (the check can fail)', () => {
    expect(variablesRead('const JOB = \'JOB_COMPLETION_INDEX\'; env[JOB]; env.HF_TOKEN; getenv("CAPPY_ORT_LIB")', false)).toEqual(
      new Set(['JOB_COMPLETION_INDEX', 'HF_TOKEN', 'CAPPY_ORT_LIB']),
    );
    expect(reads.get('CAPPY_HOME')).toContain('lib/model/cache.ts');
    expect(reads.get('CAPPY_ORT_LIB')).toEqual(expect.arrayContaining(['lib/runtime/ort-library.ts', 'native/core/capi/c_api.cc']));
  });

  it('reads no variable that is not declared', () => {
    const undeclared = [...reads]
      .filter(([name]) => !Object.hasOwn(ENVIRONMENT, name) && !flags.has(name) && !shellOwn.has(name))
      .map(([name, where]) => `${name} (read in ${where.join(', ')})`);
    expect(undeclared).toEqual([]);
  });

  it('declares no variable that nothing reads, and says truly where each is read', () => {
    for (const [name, v] of Object.entries(ENVIRONMENT)) {
      const where = reads.get(name) ?? [];
      expect(where, `${name} is declared but read nowhere`).not.toEqual([]);
      for (const file of v.readBy.split(', ')) expect(where, `${name}: readBy names ${file}`).toContain(file);
    }
  });

  it('never gives an engine variable the name of a flag variable (one name, one meaning)', () => {
    expect(Object.keys(ENVIRONMENT).filter((n) => flags.has(n))).toEqual([]);
  });
});
