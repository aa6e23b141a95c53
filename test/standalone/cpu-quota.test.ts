// Thread defaults follow a container's CPU quota. The core reads it
// (native/core/load/cpu_quota.cc; its own cases are in native/test/load_test.cc);
// these check the binding reaches that logic, with cgroup trees laid out in a
// temp folder as the kernel shows them, for cgroup v2, v1, and a process with
// no quota, and that Scorer's thread defaults are the core's.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAddon } from '../../lib/native.js';
import { resolveOptions } from '../../lib/options/spec.js';
import { SCORER_OPTIONS } from '../../lib/options/scorer.js';
import { cgroupCpuLimit, usableCores } from '../../lib/runtime/cpu-quota.js';

const roots: string[] = [];
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'cappy-cgroup-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text + '\n');
  }
  return root;
}
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('cgroup CPU quota', () => {
  it('v2: the tightest cpu.max on the path to the root, rounded down for threads', () => {
    const root = fakeRoot({
      'proc/self/cgroup': '0::/kubepods/pod1/ctr',
      'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': 'max 100000',
      'sys/fs/cgroup/kubepods/pod1/cpu.max': '250000 100000',
      'sys/fs/cgroup/kubepods/cpu.max': '800000 100000',
    });
    expect(cgroupCpuLimit(root)).toBe(2.5);
    expect(usableCores(root, 64)).toBe(2);
    expect(usableCores(root, 1)).toBe(1); // the affinity mask is tighter
  });

  it('v1: cfs_quota_us / cfs_period_us; -1 is no quota', () => {
    const limited = fakeRoot({
      'proc/self/cgroup': '4:memory:/x\n3:cpu,cpuacct:/docker/abc\n0::/',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '150000',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us': '-1',
      'sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us': '100000',
    });
    expect(cgroupCpuLimit(limited)).toBe(1.5);
    expect(usableCores(limited, 16)).toBe(1);
    const free = fakeRoot({
      'proc/self/cgroup': '1:cpu:/',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000',
    });
    expect(cgroupCpuLimit(free)).toBeUndefined();
    expect(usableCores(free, 16)).toBe(16);
  });

  it('a quota under one CPU still gives one thread; nothing readable means no cap', () => {
    const tiny = fakeRoot({ 'proc/self/cgroup': '0::/', 'sys/fs/cgroup/cpu.max': '50000 100000' });
    expect(cgroupCpuLimit(tiny)).toBe(0.5);
    expect(usableCores(tiny, 8)).toBe(1);
    expect(usableCores(fakeRoot({}), 8)).toBe(8);
  });

  it("Scorer's thread defaults are the core's, from this process's real cgroup", () => {
    const d = loadAddon().loadDefaults();
    expect(d.intraOpThreads).toBe(usableCores());
    expect(d.tokenizerThreads).toBe(Math.max(1, Math.floor(usableCores() / 2)));
    const resolved = resolveOptions(SCORER_OPTIONS, {});
    expect(resolved.intraOpThreads).toBe(d.intraOpThreads);
    expect(resolved.tokenizerThreads).toBe(d.tokenizerThreads);
  });
});
