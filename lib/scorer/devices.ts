// The `devices` option: how many sessions a Scorer holds and where each runs.
// Three spellings, one meaning each:
//   a count      2                  two sessions on `device` (cpu: two CPU
//                                   sessions; cuda/tensorrt: ordinals
//                                   deviceId, deviceId+1, ...)
//   'all'                           every visible GPU (cuda, tensorrt, auto
//                                   with a GPU), or on the CPU one session
//                                   per NUMA node
//   a list       ['cuda:0','cuda:1'] or ['cpu','cpu']: one session per item
// On the command line and in CAPPY_DEVICES the list is comma-separated
// (`--devices cuda:0,cuda:1`, `--devices 2`, `--devices all`).
// lib/options/devices.ts parses and checks the value (lib/options/scorer.ts
// declares the option with it); this file turns it, with `device`,
// `deviceId` and the thread counts, into one plan per session. The thread counts are totals for the scorer: N sessions
// divide them, so 2 CPU sessions on 8 cores run 4 intra-op threads each.
import { readdirSync } from 'node:fs';
import { DeviceUnavailableError, InvalidInputError } from '../errors/index.js';
import { checkDeviceList, MAX_DEVICE_ORDINAL, MAX_SESSIONS, type DevicesValue } from '../options/devices.js';

export {
  checkDeviceList,
  checkDevices,
  MAX_DEVICE_ORDINAL,
  MAX_SESSIONS,
  parseDeviceItem,
  parseDevices,
  type DeviceItem,
  type DevicesValue,
} from '../options/devices.js';

/** What one session of the pool is asked to be. */
export interface SessionPlan {
  /** How info and messages name it: 'cpu', 'cuda:1', or 'auto' before it loads. */
  label: string;
  device: 'cpu' | 'cuda' | 'tensorrt' | 'auto';
  deviceId: number;
  intraOpThreads: number;
  tokenizerThreads: number;
}

/** What planning reads besides the options: the machine. Tests pass their own. */
export interface MachineProbe {
  gpuCount(): number;
  numaNodes(): number;
}

/**
 * GPUs this process may use: CUDA_VISIBLE_DEVICES when set (CUDA stops at
 * its first invalid entry, such as -1), else the /dev/nvidiaN nodes.
 */
export function visibleGpuCount(env: NodeJS.ProcessEnv = process.env, devDir = '/dev'): number {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined) {
    let n = 0;
    for (const entry of visible.split(',').map((s) => s.trim())) {
      if (entry === '' || entry.startsWith('-')) break;
      n++;
    }
    return n;
  }
  try {
    return readdirSync(devDir).filter((f) => /^nvidia\d+$/.test(f)).length;
  } catch {
    return 0;
  }
}

/** NUMA nodes the kernel reports; 1 where it says nothing (no /sys, no NUMA). */
export function numaNodeCount(nodeDir = '/sys/devices/system/node'): number {
  try {
    return Math.max(1, readdirSync(nodeDir).filter((f) => /^node\d+$/.test(f)).length);
  } catch {
    return 1;
  }
}

export const THIS_MACHINE: MachineProbe = { gpuCount: () => visibleGpuCount(), numaNodes: () => numaNodeCount() };

/** `total` split over `n` as evenly as integers allow, each at least 1 (the first ones take the remainder). */
export function divide(total: number, n: number): number[] {
  const base = Math.floor(total / n);
  return Array.from({ length: n }, (_, i) => Math.max(1, base + (i < total % n ? 1 : 0)));
}

interface PlanInput {
  devices: DevicesValue | undefined;
  device: 'cpu' | 'cuda' | 'tensorrt' | 'auto';
  deviceId: number;
  intraOpThreads: number;
  tokenizerThreads: number;
}

/**
 * One plan per session. Without `devices`: one session, as `device` and
 * `deviceId` say. `given` tells which of device/deviceId the caller set, so a
 * list that contradicts them is an error rather than a silent choice.
 */
export function planSessions(
  o: PlanInput,
  given: { device?: unknown; deviceId?: unknown },
  machine: MachineProbe = THIS_MACHINE,
): SessionPlan[] {
  let targets: { device: SessionPlan['device']; deviceId: number }[];
  const gpu = o.device !== 'cpu';
  if (o.devices === undefined) {
    targets = [{ device: o.device, deviceId: o.deviceId }];
  } else if (Array.isArray(o.devices)) {
    const items = checkDeviceList(o.devices, 'devices');
    if (given.deviceId !== undefined) {
      throw new InvalidInputError('give deviceId or a devices list, not both: the list names each ordinal (cuda:0, cuda:1)');
    }
    if (given.device !== undefined && given.device !== 'auto' && given.device !== items[0].kind) {
      throw new InvalidInputError(`device is ${String(given.device)} but devices lists ${items[0].kind}; give one of them`);
    }
    targets = items.map((d) => ({ device: d.kind, deviceId: d.deviceId }));
  } else if (o.devices === 'all') {
    const gpus = gpu ? machine.gpuCount() : 0;
    if (gpu && gpus === 0 && o.device !== 'auto') {
      throw new DeviceUnavailableError(
        o.device,
        `devices 'all' on ${o.device} found no GPU (no /dev/nvidia0..N, or CUDA_VISIBLE_DEVICES hides them all)`,
        { missing: ['/dev/nvidia*'] },
      );
    }
    if (gpus > 0) {
      // With CUDA_VISIBLE_DEVICES the ordinals ORT sees are 0..n-1 whatever the physical ones.
      targets = Array.from({ length: Math.min(gpus, MAX_SESSIONS) }, (_, i) => ({ device: o.device, deviceId: i }));
    } else {
      targets = Array.from({ length: Math.min(machine.numaNodes(), MAX_SESSIONS) }, () => ({ device: 'cpu' as const, deviceId: 0 }));
    }
  } else {
    const n = o.devices;
    targets = Array.from({ length: n }, (_, i) => ({ device: o.device, deviceId: gpu ? o.deviceId + i : 0 }));
    const last = targets.at(-1)!.deviceId;
    if (last > MAX_DEVICE_ORDINAL)
      throw new InvalidInputError(`devices ${n} from deviceId ${o.deviceId} would reach ordinal ${last}, over ${MAX_DEVICE_ORDINAL}`);
  }
  const intra = divide(o.intraOpThreads, targets.length);
  const tok = divide(o.tokenizerThreads, targets.length);
  return targets.map((t, i) => ({
    label: t.device === 'cpu' || t.device === 'auto' ? t.device : `${t.device}:${t.deviceId}`,
    device: t.device,
    deviceId: t.deviceId,
    intraOpThreads: intra[i],
    tokenizerThreads: tok[i],
  }));
}
