// cappy-engine and onnxruntime-node 1.30 (the devDependency, the very one
// transformers.js runs on) in one process, loaded in either order, through
// onnxruntime-node's own API and through transformers.js'. Each case runs in
// its own process, so one failure (a crash, say) cannot hide another.
//
// Truth, independent of both runtimes: ids from HF tokenizers and the float64
// reference forward pass (test/support/reference-roberta.ts) on the forged
// weights (tiny, seed 7: random weights). Every round of both runtimes must
// land within 1e-5 of it, and repeat its own first round exactly: the other
// runtime loading or running in between must change nothing.
//
// What broke before (docs/ort-loading.md): cappy first, then
// onnxruntime-node, failed to load ("version VERS_1.30.0 not found": our ORT
// carried the soname its binding asks for); onnxruntime-node first, then
// cappy, broke onnxruntime-node's next run ("Unexpected input data type":
// our addon exported the STB_GNU_UNIQUE static of ORT's C++ header). The
// negative control below loads our ORT the old way and must still fail.
//
// CAPPY_TEST_ORT_NODE_DIRS=/path/to/onnxruntime-node[:...] adds other
// onnxruntime-node packages (transformers.js 3.x's 1.2x, say) to the run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { forgedWeights, PRESETS } from '../../lib/forge/index.js';
import { elfSoname } from '../../lib/runtime/elf-soname.js';
import { hfEncodePairs, hfTokenizer } from '../../support/hf.js';
import { repoRoot as root, runJsonChild } from '../support/json-child.js';
import { referenceLogit } from '../support/reference-roberta.js';

const dir = inject('tinyModelDir');
const TOL = 1e-5;
const ROUNDS = 4;
const PAIRS: [string, string][] = [
  ['What is the capital of France?', 'Paris is the capital of France.'],
  ['What is the capital of France?', 'The moon orbits the earth.'],
  ['Translate: good morning', 'bonjour'],
  ['a', 'b'],
  ['Explain recursion in one sentence.', 'A function that calls itself on a smaller part of the problem until it reaches a base case.'],
];

let ids: number[][];
let truth: number[];

beforeAll(async () => {
  ids = await hfEncodePairs(hfTokenizer(join(dir, 'tokenizer.json'), 512), PAIRS);
  const weights = forgedWeights('tiny', 7);
  truth = ids.map((r) => referenceLogit(PRESETS.tiny, weights, r));
});

interface Round {
  other?: number[];
  cappy?: number[];
}
interface ChildResult {
  ok: boolean;
  error?: string;
  rounds: Round[];
  events: string[];
  otherVersion?: string;
  ort?: { version: string; libraryPath: string; load: string; loadedPath: string };
}

function runChild(order: string, env: Record<string, string | undefined> = {}, ortNodeDir?: string) {
  const r = runJsonChild<ChildResult>('coexist-child.mjs', { dir, pairs: PAIRS, ids, order, rounds: ROUNDS, ortNodeDir }, { env });
  const out = r.out ?? {
    ok: false,
    error: `no result (exit ${r.status}, signal ${r.signal}): ${r.stderr.slice(-2000)}`,
    rounds: [],
    events: [],
  };
  return { ...out, signal: r.signal, stderr: r.stderr };
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

/** Both runtimes right in every round, and each repeating its own first round exactly. */
function expectAllCorrect(r: ReturnType<typeof runChild>) {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.error, r.stderr).toBeUndefined();
  expect(r.ok).toBe(true);
  expect(r.rounds.length).toBe(ROUNDS + 1);
  const firstOther = r.rounds.find((x) => x.other)!.other!;
  const firstCappy = r.rounds.find((x) => x.cappy)!.cappy!;
  for (const round of r.rounds) {
    if (round.other) {
      expect(maxDiff(round.other, truth)).toBeLessThan(TOL);
      expect(round.other).toEqual(firstOther);
    }
    if (round.cappy) {
      expect(maxDiff(round.cappy, truth)).toBeLessThan(TOL);
      expect(round.cappy).toEqual(firstCappy);
    }
  }
  return { firstOther, firstCappy };
}

describe('one process with onnxruntime-node', () => {
  it('exports nothing but the Node-API entry points (no STB_GNU_UNIQUE symbol to merge with another library)', () => {
    const addon = join(root, 'build', 'Release', 'cappy.node');
    const r = spawnSync('readelf', ['-W', '--dyn-syms', addon], { encoding: 'utf8' });
    if (r.error) return; // no binutils here: the order tests below still cover the effect
    const exported = r.stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length >= 8 && /^\d+:$/.test(f[0]) && f[4] !== 'LOCAL' && f[6] !== 'UND');
    expect(exported.map((f) => f[7]).sort()).toEqual(['napi_register_module_v1', 'node_api_module_get_api_version_v1']);
    expect(exported.some((f) => f[4] === 'UNIQUE')).toBe(false);
  });

  for (const order of ['ort-first', 'cappy-first']) {
    it(`${order}: both load, and both score right over ${ROUNDS} interleaved rounds`, () => {
      const r = runChild(order);
      expectAllCorrect(r);
      expect(r.otherVersion).toMatch(/^onnxruntime-node 1\.30\./);
      // Our ORT is the renamed copy, so no one else's DT_NEEDED can resolve to it.
      expect(r.ort!.load).toBe('copy');
      expect(r.ort!.version).toBe('1.29.0');
      expect(elfSoname(r.ort!.loadedPath)).toBe('libcappyonnxrt.so.1');
      expect(elfSoname(r.ort!.libraryPath)).toBe('libonnxruntime.so.1');
    });
  }

  it('CAPPY_ORT_LOAD=reuse after onnxruntime-node shares its ORT 1.30 and scores the same', () => {
    const r = runChild('ort-first', { CAPPY_ORT_LOAD: 'reuse' });
    expectAllCorrect(r);
    expect(r.ort!.load).toBe('reuse');
    expect(r.ort!.version).toBe('1.30.0');
    expect(r.ort!.loadedPath).toMatch(/onnxruntime-node\/bin\/.*libonnxruntime\.so\.1$/);
  });

  it('negative control: loading our ORT as it is (CAPPY_ORT_LOAD=plain), cappy first, breaks onnxruntime-node as before', () => {
    const r = runChild('cappy-first', { CAPPY_ORT_LOAD: 'plain' });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/VERS_1\.30\.0' not found/);
  });
});

describe('one process with transformers.js (its own API, local forged folder, no downloads)', () => {
  for (const order of ['tfjs-first', 'cappy-first-tfjs']) {
    it(`${order}: both load, and both score right over ${ROUNDS} interleaved rounds`, () => {
      const r = runChild(order);
      expectAllCorrect(r);
      expect(r.otherVersion).toMatch(/^transformers\.js /);
    });
  }
});

const extraDirs = (process.env.CAPPY_TEST_ORT_NODE_DIRS ?? '').split(':').filter(Boolean);
describe.skipIf(extraDirs.length === 0)('other onnxruntime-node packages (CAPPY_TEST_ORT_NODE_DIRS)', () => {
  for (const ortNodeDir of extraDirs) {
    for (const order of ['ort-first', 'cappy-first']) {
      it(`${order} with ${ortNodeDir}`, () => {
        expect(existsSync(ortNodeDir)).toBe(true);
        const r = runChild(order, {}, ortNodeDir);
        expectAllCorrect(r);
        console.log(`${order}: ${r.otherVersion} beside cappy-engine (ORT ${r.ort?.version}): all ${ROUNDS + 1} rounds right`);
      });
    }
  }
});
