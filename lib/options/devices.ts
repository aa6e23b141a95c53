// The `devices` option's values, checked: a count, 'all', or a list such as
// ['cuda:0', 'cuda:1'] or ['cpu', 'cpu'] (on the command line and in
// CAPPY_DEVICES comma-separated). What they mean, and the plan of sessions
// made from them, is lib/scorer/devices.ts's.
import { InvalidInputError } from '../errors/index.js';

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
  const items = t
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  checkDeviceList(items, name);
  return items;
}
