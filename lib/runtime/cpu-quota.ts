// How many cores this process may really use: the core decides
// (native/core/load/cpu_quota.cc), so thread defaults are the same for the C
// ABI and for Scorer.load. Node's availableParallelism() counts the CPUs in
// the affinity mask, which in a container is the host's, not the pod's CPU
// limit (a CFS quota); ORT with 64 intra-op threads in a pod limited to 4
// CPUs spends its time throttled. The core reads cgroup v2 `cpu.max` or v1
// `cpu.cfs_quota_us` / `cpu.cfs_period_us` on this process's cgroup and each
// parent (the tightest wins).
import { loadAddon } from '../native.js';

/** CPUs the quota allows (fractional), or undefined when no quota applies or none can be read. */
export function cgroupCpuLimit(fsRoot = '/'): number | undefined {
  return loadAddon().cgroupCpuLimit(fsRoot);
}

/**
 * Cores for thread defaults: the CPUs this process may run on, capped by a
 * cgroup CPU quota rounded down (at least 1), since threads beyond the quota
 * only wait. `affinity` overrides the affinity count (tests).
 */
export function usableCores(fsRoot = '/', affinity?: number): number {
  return loadAddon().usableCores(fsRoot, affinity);
}
