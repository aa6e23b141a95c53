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
// (`--devices cuda:0,cuda:1`, `--devices 2`, `--devices all`). This file
// parses and checks the value (lib/options/scorer.ts declares the option with
// it) and turns it, with `device`, `deviceId` and the thread counts, into one
// plan per session. The thread counts are totals for the scorer: N sessions
// divide them, so 2 CPU sessions on 8 cores run 4 intra-op threads each.
import { readdirSync } from 'node:fs';
import { DeviceUnavailableError, InvalidInputError } from '../errors/index.js';

/** Sessions one scorer may hold. */
export const MAX_SESSIONS = 64;
/** GPU ordinals go as high as `deviceId` does. */
export const MAX_DEVICE_ORDINAL = 255;

export type DevicesValue = number | 'all' | string[];

/** One item of a devices list, checked: 'cpu', or a GPU provider with its ordinal. */
export interface DeviceItem {
  kind: 'cpu' | 'cuda' | 'tensorrt';
  deviceId: number;
}

const ITEM = /^(cpu|cuda|tensorrt)(?::(\d{1,3}))?$/;

/** 'cuda:1' → { kind: 'cuda', deviceId: 1 }; anything else a GPU must name its ordinal. */
export function parseDeviceItem(text: string, name: string): DeviceItem {
  const m = ITEM.exec(text.trim());
  const bad = () =>
    new InvalidInputError(`${name} must be cpu, cuda:N or tensorrt:N (N a GPU ordinal from 0 to ${MAX_DEVICE_ORDINAL}), got '${text}'`);
  if (!m) throw bad();
  const kind = m[1] as DeviceItem['kind'];
  if (kind === 'cpu') {
    if (m[2] !== undefined) throw bad();
    return { kind, deviceId: 0 };
  }
  if (m[2] === undefined) {
    throw new InvalidInputError(`${name}: '${text}' needs its GPU ordinal, e.g. ${kind}:0 (a list names each device it uses)`);
  }
  const deviceId = Number(m[2]);
  if (deviceId > MAX_DEVICE_ORDINAL) throw bad();
  return { kind, deviceId };
}

/** Checks a whole list: one kind of device, no GPU twice, at most MAX_SESSIONS items. */
export function checkDeviceList(items: readonly string[], name: string): DeviceItem[] {
  if (items.length === 0) throw new InvalidInputError(`${name} must name at least one device`);
  if (items.length > MAX_SESSIONS) throw new InvalidInputError(`${name} may name at most ${MAX_SESSIONS} devices, got ${items.length}`);
  const parsed = items.map((t, i) => parseDeviceItem(t, `${name}[${i}]`));
  const kinds = new Set(parsed.map((d) => d.kind));
  if (kinds.size > 1) {
    // Mixed providers would give one request scores from two numerics and
    // wildly different speeds; one pool is one kind of device.
    throw new InvalidInputError(`${name} mixes ${[...kinds].join(' and ')}; a pool runs on one kind of device`);
  }
  const seen = new Set<number>();
  for (const d of parsed) {
    if (d.kind === 'cpu') continue;
    if (seen.has(d.deviceId)) {
      throw new InvalidInputError(
        `${name} names ${d.kind}:${d.deviceId} twice; one session per GPU (batchesInFlight runs several batches on one GPU)`,
      );
    }
    seen.add(d.deviceId);
  }
  return parsed;
}

/** The library check: a count, 'all', a list of strings, or the text form. */
export function checkDevices(value: unknown, name: string): DevicesValue {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 1 || value > MAX_SESSIONS) {
      throw new InvalidInputError(`${name} as a count must be an integer from 1 to ${MAX_SESSIONS}, got ${value}`);
    }
    return value;
  }
  if (typeof value === 'string') return parseDevices(value, name);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    checkDeviceList(value as string[], name);
    return [...(value as string[])].map((s) => s.trim());
  }
  throw new InvalidInputError(`${name} must be a count, 'all', or a list such as ['cuda:0', 'cuda:1'] or ['cpu', 'cpu']`);
}

/** The text form (flag, CAPPY_DEVICES): '2', 'all', or 'cuda:0,cuda:1'. */
export function parseDevices(text: string, name: string): DevicesValue {
  const t = text.trim();
  if (t === 'all') return 'all';
  if (/^\d+$/.test(t)) return checkDevices(Number(t), name);
  const items = t.split(',').map((s) => s.trim()).filter((s) => s !== '');
  checkDeviceList(items, name);
  return items;
}

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
export function planSessions(o: PlanInput, given: { device?: unknown; deviceId?: unknown }, machine: MachineProbe = THIS_MACHINE): SessionPlan[] {
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
    if (last > MAX_DEVICE_ORDINAL) throw new InvalidInputError(`devices ${n} from deviceId ${o.deviceId} would reach ordinal ${last}, over ${MAX_DEVICE_ORDINAL}`);
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
