// The Scorer option table reads the core's load defaults
// (native/core/include/cappy/load.h) instead of restating them: what
// Scorer.load resolves with no options is what the core says, and the help
// texts that name a default number name the core's.
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../lib/native.js';
import { SCORER_OPTIONS } from '../../lib/options/scorer.js';
import { helpOf, resolveOptions } from '../../lib/options/spec.js';

describe("Scorer's defaults are the core's", () => {
  const core = loadAddon().loadDefaults();

  it('resolving no options gives the core defaults', () => {
    const o = resolveOptions(SCORER_OPTIONS, {});
    expect({
      maxLength: o.maxLength,
      truncation: o.truncation,
      intraOpThreads: o.intraOpThreads,
      tokenizerThreads: o.tokenizerThreads,
      maxBatchTokens: o.maxBatchTokens,
      maxBatchSize: o.maxBatchSize,
      padMultiple: o.padMultiple,
      pinnedBuffers: o.pinnedBuffers,
    }).toEqual({
      maxLength: core.maxLength,
      truncation: core.truncation,
      intraOpThreads: core.intraOpThreads,
      tokenizerThreads: core.tokenizerThreads,
      maxBatchTokens: core.maxBatchTokens,
      maxBatchSize: core.maxBatchSize,
      padMultiple: core.padMultiple,
      pinnedBuffers: core.pinnedBuffers,
    });
    // The GPU defaults are left to the core's rule (on for a GPU, off on CPU).
    expect(o.ioBinding).toBeUndefined();
    expect(o.batchesInFlight).toBeUndefined();
  });

  it('help texts name the same numbers', () => {
    expect(helpOf(SCORER_OPTIONS.maxLength)).toContain(`default: ${core.maxLength}`);
    expect(helpOf(SCORER_OPTIONS.maxBatchTokens)).toContain(`default: ${core.maxBatchTokens})`);
    expect(helpOf(SCORER_OPTIONS.maxBatchSize)).toContain(`default: ${core.maxBatchSize})`);
    expect(helpOf(SCORER_OPTIONS.padMultiple)).toContain(`default: ${core.padMultiple})`);
    expect(helpOf(SCORER_OPTIONS.truncation)).toContain(`default: ${core.truncation})`);
    expect(helpOf(SCORER_OPTIONS.batchesInFlight)).toContain(`${core.gpuBatchesInFlight} on a GPU, ${core.cpuBatchesInFlight} on CPU`);
  });

  it('the core resolves the GPU defaults and the position-table rule', () => {
    const addon = loadAddon();
    expect(addon.resolveLoad({ executionProvider: 'cuda' }, 0)).toMatchObject({
      ioBinding: true,
      batchesInFlight: core.gpuBatchesInFlight,
    });
    expect(addon.resolveLoad({}, 0)).toMatchObject({
      ioBinding: false,
      batchesInFlight: core.cpuBatchesInFlight,
      maxLength: core.maxLength,
    });
    expect(addon.resolveLoad({}, 128).maxLength).toBe(128);
    expect(() => addon.resolveLoad({ maxLength: 600 }, 128)).toThrow(/position table takes \(128 tokens/);
  });
});
