// How many cores this process may really use. Node's availableParallelism()
// counts the CPUs in the affinity mask, which in a container is the host's,
// not the pod's CPU limit (a CFS quota). ORT with 64 intra-op threads in a pod
// limited to 4 CPUs spends its time throttled, so thread defaults read the
// quota too: cgroup v2 `cpu.max` ("200000 100000": 2 CPUs; "max": none) or
// v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none), on this process's
// cgroup and each parent (the tightest wins).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';

/** CPUs the quota allows (fractional), or undefined when no quota applies or none can be read. */
export function cgroupCpuLimit(fsRoot = '/'): number | undefined {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(posix.join(fsRoot, path), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const membership = read('proc/self/cgroup');
  if (membership === undefined) return undefined;
  let limit: number | undefined;
  const tighten = (cpus: number) => {
    if (Number.isFinite(cpus) && cpus > 0) limit = limit === undefined ? cpus : Math.min(limit, cpus);
  };
  for (const line of membership.split('\n')) {
    // "0::/path" (v2) or "4:cpu,cpuacct:/path" (v1).
    const [id, controllers, path] = [line.slice(0, line.indexOf(':')), ...splitOnce(line.slice(line.indexOf(':') + 1))];
    if (path === undefined) continue;
    const v2 = id === '0' && controllers === '';
    const v1 = controllers.split(',').includes('cpu');
    if (!v2 && !v1) continue;
    for (let dir = path; ; dir = posix.dirname(dir)) {
      if (v2) {
        const [quota, period] = (read(posix.join('sys/fs/cgroup', dir, 'cpu.max')) ?? 'max').split(/\s+/);
        if (quota !== 'max') tighten(Number(quota) / Number(period ?? 100000));
      } else {
        // v1 mounts the cpu controller at cpu/ or cpu,cpuacct/ (often both, linked).
        for (const mount of ['sys/fs/cgroup/cpu', 'sys/fs/cgroup/cpu,cpuacct']) {
          const quota = Number(read(posix.join(mount, dir, 'cpu.cfs_quota_us')));
          const period = Number(read(posix.join(mount, dir, 'cpu.cfs_period_us')));
          if (quota > 0 && period > 0) tighten(quota / period);
        }
      }
      if (dir === '/' || dir === '.' || dir === '') break;
    }
  }
  return limit;
}

function splitOnce(rest: string): [string, string | undefined] {
  const i = rest.indexOf(':');
  return i < 0 ? [rest, undefined] : [rest.slice(0, i), rest.slice(i + 1)];
}

/**
 * Cores for thread defaults: the CPUs Node may run on, capped by a cgroup CPU
 * quota rounded down (at least 1), since threads beyond the quota only wait.
 */
export function usableCores(fsRoot = '/', affinity = availableParallelism()): number {
  const limit = cgroupCpuLimit(fsRoot);
  return limit === undefined ? affinity : Math.max(1, Math.min(affinity, Math.floor(limit)));
}
