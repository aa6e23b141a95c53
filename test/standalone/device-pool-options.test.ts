// The `devices` option without a model: every spelling (library value, flag,
// CAPPY_DEVICES) reaches the same checks; GPU device strings parse and
// validate with typed errors; the session plan divides the threads; 'all'
// reads the machine through a probe the test supplies; and the pool's chunk
// cutting covers every pair once, in order. Loading pools on a real model is
// test/model/device-pool.test.ts.
import { Command } from 'commander';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeviceUnavailableError, InvalidInputError } from '../../lib/errors/index.js';
import { addOptions, readOptions } from '../../lib/options/commander.js';
import { SCORER_OPTIONS } from '../../lib/options/scorer.js';
import { cutChunks, estimateTokens } from '../../lib/scorer/device-pool.js';
import { checkDevices, divide, numaNodeCount, parseDevices, planSessions, visibleGpuCount } from '../../lib/scorer/devices.js';
import { resolveScorerOptions } from '../../lib/scorer/options.js';

const noMachine = { gpuCount: () => 0, numaNodes: () => 1 };

describe('devices: spellings', () => {
  it('a count, all, or a list, from the library and from text alike', () => {
    expect(checkDevices(2, 'devices')).toBe(2);
    expect(checkDevices('all', 'devices')).toBe('all');
    expect(checkDevices(['cuda:0', 'cuda:1'], 'devices')).toEqual(['cuda:0', 'cuda:1']);
    expect(checkDevices(['cpu', 'cpu'], 'devices')).toEqual(['cpu', 'cpu']);
    expect(parseDevices(' 3 ', '--devices')).toBe(3);
    expect(parseDevices('all', '--devices')).toBe('all');
    expect(parseDevices('cuda:0, cuda:7', '--devices')).toEqual(['cuda:0', 'cuda:7']);
    expect(parseDevices('tensorrt:2,tensorrt:3', '--devices')).toEqual(['tensorrt:2', 'tensorrt:3']);
    expect(resolveScorerOptions({}).devices).toBeUndefined();
    expect(resolveScorerOptions({ devices: ['cpu', 'cpu'] }).devices).toEqual(['cpu', 'cpu']);
  });

  it.each([
    [['cuda'], /needs its GPU ordinal, e.g. cuda:0/],
    [['gpu:0'], /devices\[0\] must be cpu, cuda:N or tensorrt:N/],
    [['cuda:x'], /must be cpu, cuda:N or tensorrt:N/],
    [['cuda:-1'], /must be cpu, cuda:N or tensorrt:N/],
    [['cuda:256'], /must be cpu, cuda:N or tensorrt:N \(N a GPU ordinal from 0 to 255\)/],
    [['cpu:2'], /must be cpu, cuda:N or tensorrt:N/],
    [['cpu', 'cuda:0'], /mixes cpu and cuda; a pool runs on one kind of device/],
    [['cuda:1', 'cuda:1'], /names cuda:1 twice/],
    [[], /at least one device/],
    [0, /count must be an integer from 1 to 64, got 0/],
    [65, /from 1 to 64, got 65/],
    [1.5, /from 1 to 64/],
    [{ n: 2 }, /must be a count, 'all', or a list/],
    [[2], /must be a count, 'all', or a list/],
  ])('%j is refused with an InvalidInputError', (value, message) => {
    expect(() => resolveScorerOptions({ devices: value as never })).toThrow(InvalidInputError);
    expect(() => resolveScorerOptions({ devices: value as never })).toThrow(message);
  });

  it('the flag and CAPPY_DEVICES give the same value and the same refusals', () => {
    const read = (argv: string[], env: Record<string, string> = {}) => {
      const saved = process.env.CAPPY_DEVICES;
      if (env.CAPPY_DEVICES !== undefined) process.env.CAPPY_DEVICES = env.CAPPY_DEVICES;
      try {
        const cmd = addOptions(new Command('x').exitOverride().configureOutput({ writeErr: () => {} }), SCORER_OPTIONS);
        cmd.parse(argv, { from: 'user' });
        return readOptions(cmd, SCORER_OPTIONS).devices;
      } finally {
        if (saved === undefined) delete process.env.CAPPY_DEVICES;
        else process.env.CAPPY_DEVICES = saved;
      }
    };
    expect(read(['--devices', 'cuda:0,cuda:1'])).toEqual(['cuda:0', 'cuda:1']);
    expect(read(['--devices', '2'])).toBe(2);
    expect(read([], { CAPPY_DEVICES: 'cpu,cpu' })).toEqual(['cpu', 'cpu']);
    expect(read([], { CAPPY_DEVICES: 'all' })).toBe('all');
    expect(() => read(['--devices', 'cuda'])).toThrow(/needs its GPU ordinal/);
    expect(() => read([], { CAPPY_DEVICES: 'cpu,cuda:0' })).toThrow(/mixes cpu and cuda/);
  });
});

describe('devices: the session plan', () => {
  const base = { devices: undefined, device: 'cpu' as const, deviceId: 0, intraOpThreads: 8, tokenizerThreads: 4 };

  it('no devices: one session with every thread', () => {
    expect(planSessions(base, {}, noMachine)).toEqual([
      { label: 'cpu', device: 'cpu', deviceId: 0, intraOpThreads: 8, tokenizerThreads: 4 },
    ]);
  });

  it('CPU sessions divide the threads; the first take the remainder; none gets 0', () => {
    const two = planSessions({ ...base, devices: ['cpu', 'cpu'] }, {}, noMachine);
    expect(two.map((p) => [p.label, p.intraOpThreads, p.tokenizerThreads])).toEqual([
      ['cpu', 4, 2],
      ['cpu', 4, 2],
    ]);
    const three = planSessions({ ...base, devices: 3, intraOpThreads: 8, tokenizerThreads: 1 }, {}, noMachine);
    expect(three.map((p) => p.intraOpThreads)).toEqual([3, 3, 2]);
    expect(three.map((p) => p.tokenizerThreads)).toEqual([1, 1, 1]);
    expect(divide(2, 2)).toEqual([1, 1]);
    expect(divide(16, 5).reduce((a, b) => a + b)).toBe(16);
  });

  it('a count on a GPU takes consecutive ordinals from deviceId', () => {
    const plans = planSessions({ ...base, device: 'cuda', deviceId: 2, devices: 3 }, {}, noMachine);
    expect(plans.map((p) => p.label)).toEqual(['cuda:2', 'cuda:3', 'cuda:4']);
    expect(() => planSessions({ ...base, device: 'cuda', deviceId: 255, devices: 2 }, {}, noMachine)).toThrow(/would reach ordinal 256/);
  });

  it('a list names the devices; deviceId or a different device beside it is an error', () => {
    const plans = planSessions({ ...base, devices: ['tensorrt:1', 'tensorrt:0'] }, {}, noMachine);
    expect(plans.map((p) => [p.device, p.deviceId])).toEqual([
      ['tensorrt', 1],
      ['tensorrt', 0],
    ]);
    expect(() => planSessions({ ...base, devices: ['cuda:0'] }, { deviceId: 1 }, noMachine)).toThrow(
      /deviceId or a devices list, not both/,
    );
    expect(() => planSessions({ ...base, devices: ['cuda:0'] }, { device: 'cpu' }, noMachine)).toThrow(
      /device is cpu but devices lists cuda/,
    );
    expect(planSessions({ ...base, device: 'cuda', devices: ['cuda:0'] }, { device: 'cuda' }, noMachine)).toHaveLength(1);
  });

  it("'all': every visible GPU, or one CPU session per NUMA node; a GPU device with none is DeviceUnavailableError", () => {
    const gpus = { gpuCount: () => 4, numaNodes: () => 2 };
    expect(planSessions({ ...base, device: 'cuda', devices: 'all' }, {}, gpus).map((p) => p.label)).toEqual([
      'cuda:0',
      'cuda:1',
      'cuda:2',
      'cuda:3',
    ]);
    expect(planSessions({ ...base, devices: 'all' }, {}, gpus).map((p) => [p.label, p.intraOpThreads])).toEqual([
      ['cpu', 4],
      ['cpu', 4],
    ]);
    expect(
      planSessions({ ...base, device: 'auto', devices: 'all' }, {}, { gpuCount: () => 0, numaNodes: () => 2 }).map((p) => p.label),
    ).toEqual(['cpu', 'cpu']);
    const err = (() => {
      try {
        planSessions({ ...base, device: 'cuda', devices: 'all' }, {}, noMachine);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as DeviceUnavailableError).message).toMatch(/found no GPU/);
  });

  it('the machine probes read CUDA_VISIBLE_DEVICES, /dev/nvidiaN and /sys NUMA nodes', async () => {
    expect(visibleGpuCount({ CUDA_VISIBLE_DEVICES: '0,2' })).toBe(2);
    expect(visibleGpuCount({ CUDA_VISIBLE_DEVICES: '' })).toBe(0);
    expect(visibleGpuCount({ CUDA_VISIBLE_DEVICES: '1,-1,0' })).toBe(1);
    const root = await mkdtemp(join(tmpdir(), 'cappy-devices-'));
    try {
      for (const f of ['nvidia0', 'nvidia1', 'nvidiactl', 'nvidia-uvm']) await mkdir(join(root, 'dev', f), { recursive: true });
      for (const f of ['node0', 'node1', 'possible']) await mkdir(join(root, 'node', f), { recursive: true });
      expect(visibleGpuCount({}, join(root, 'dev'))).toBe(2);
      expect(numaNodeCount(join(root, 'node'))).toBe(2);
      expect(numaNodeCount(join(root, 'missing'))).toBe(1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('the pool cuts calls into chunks', () => {
  it('contiguous, covering every pair once, in order, about the target each', () => {
    const estimates = Array.from({ length: 1000 }, (_, i) => 5 + ((i * 37) % 300));
    const chunks = cutChunks(estimates, 4096);
    expect(chunks[0][0]).toBe(0);
    expect(chunks.at(-1)![1]).toBe(1000);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i][0]).toBe(chunks[i - 1][1]);
    for (const [s, e] of chunks) {
      expect(e).toBeGreaterThan(s);
      const sum = estimates.slice(s, e).reduce((a, b) => a + b, 0);
      // Over the target only when a single pair is.
      if (e - s > 1) expect(sum).toBeLessThanOrEqual(4096);
    }
    expect(cutChunks([], 10)).toEqual([]);
    expect(cutChunks([50, 50], 10)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });

  it('estimates tokens from characters, capped at maxLength', () => {
    expect(estimateTokens('abcd', 'efgh', 512)).toBe(6);
    expect(estimateTokens('', 'x'.repeat(100_000), 512)).toBe(512);
  });
});

describe("cappy serve's runner-thread warning counts pool sessions", () => {
  it('a pool runs one native call per session, so sessions, not maxConcurrentCalls, fill the runners', async () => {
    const { runnerWarning } = await import('../../lib/cli/commands/serve.js');
    // One session per model: maxConcurrentCalls calls each.
    expect(runnerWarning(2, 1, 2, 4)).toBeUndefined();
    expect(runnerWarning(3, 1, 2, 4)).toMatch(/3 model\(s\) x 2 native calls .* 4 native runner threads.*--max-concurrent-calls 1/);
    // Pools: 2 models x 3 sessions need 6 runners, even with maxConcurrentCalls 1.
    expect(runnerWarning(2, 3, 1, 4)).toMatch(/2 model\(s\) x 3 native calls.*fewer --devices sessions/);
    expect(runnerWarning(2, 2, 8, 4)).toBeUndefined();
  });
});
