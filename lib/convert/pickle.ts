// A restricted unpickler for torch state dicts. A pickle is a program for a
// small stack machine whose GLOBAL + REDUCE opcodes import and call arbitrary
// Python callables; that is how a malicious checkpoint runs code. This VM
// never calls anything: it knows the handful of globals torch.save emits for
// a dict of tensors and models each as data. Any other global, and any opcode
// outside what protocol 2-4 state dicts use, stops the load with an error that
// names it.
import { ModelLoadError } from '../errors/index.js';
import type { DType } from './dtypes.js';

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
export class PyDict {
  readonly map = new Map<PyValue, PyValue>();
}
/** A reference to an allowed global; `kind` says what it is used as. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly kind: 'ordered-dict' | 'rebuild-tensor' | 'rebuild-parameter' | 'storage-type',
  ) {}
}
/** persistent_load's ('storage', type, key, location, numel): one data/<key> entry. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    readonly location: string,
  ) {}
}
/** What torch._utils._rebuild_tensor_v2 would have made: a view into a storage. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export type PyValue =
  null | boolean | number | bigint | string | Uint8Array | PyValue[] | PyTuple | PyDict | PyGlobal | StorageRef | TensorRef;

/** torch's legacy typed-storage class names, as torch.save still writes them. */
const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

function allowedGlobal(module: string, name: string): PyGlobal | undefined {
  if (module === 'collections' && name === 'OrderedDict') return new PyGlobal(module, name, 'ordered-dict');
  if (module === 'torch._utils' && name === '_rebuild_tensor_v2') return new PyGlobal(module, name, 'rebuild-tensor');
  if (module === 'torch._utils' && name === '_rebuild_parameter') return new PyGlobal(module, name, 'rebuild-parameter');
  if (module === 'torch' && Object.prototype.hasOwnProperty.call(STORAGE_DTYPES, name)) {
    return new PyGlobal(module, name, 'storage-type');
  }
  return undefined;
}

export const ALLOWED_GLOBALS = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((n) => `torch.${n}`),
];

const MARK = Symbol('mark');
type Slot = PyValue | typeof MARK;

export function unpickle(data: Uint8Array, what: string): PyValue {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const stack: Slot[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;

  const fail = (why: string): never => {
    throw new ModelLoadError(`${what}: ${why} (at byte ${pos}); refusing to load this checkpoint`);
  };
  const need = (n: number): void => {
    if (pos + n > buf.length) fail('pickle ends early');
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++];
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const bytes = (n: number): Buffer => {
    need(n);
    const b = buf.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) fail('unterminated GLOBAL');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined) fail('stack underflow');
    if (v === MARK) fail('unexpected MARK');
    return v as PyValue;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('stack underflow');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('no MARK on the stack');
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const global = (module: string, name: string): PyGlobal => {
    const g = allowedGlobal(module, name);
    if (!g) {
      fail(
        `the pickle asks for the Python global ${module}.${name}, which a state dict of tensors never needs ` +
          `(allowed: ${ALLOWED_GLOBALS.join(', ')})`,
      );
    }
    return g as PyGlobal;
  };
  const setItems = (dict: PyValue, kv: PyValue[]): void => {
    if (!(dict instanceof PyDict)) fail('SETITEM(S) on something that is not a dict');
    for (let i = 0; i + 1 < kv.length; i += 2) (dict as PyDict).map.set(kv[i], kv[i + 1]);
  };
  const memoKey = (): number => memo.size;

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('pickle protocol newer than 5');
        break;
      case 0x95: // FRAME: framing is only a read hint
        bytes(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) fail('pickle left more than one value');
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push(new PyDict());
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PyTuple([]));
        break;
      case 0x74: // TUPLE
        stack.push(new PyTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PyTuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        stack.push(new PyTuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        stack.push(new PyTuple([pop(), b, c]));
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88:
        stack.push(true);
        break;
      case 0x89:
        stack.push(false);
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(buf.readInt32LE(pos));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(buf.readUInt16LE(pos));
        pos += 2;
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement of n bytes
        const n = u8();
        const b = bytes(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n > 0 && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        stack.push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      case 0x58: // BINUNICODE
        stack.push(bytes(u32()).toString('utf8'));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(bytes(u8()).toString('utf8'));
        break;
      case 0x54: // BINSTRING (py2 str)
        stack.push(bytes(u32()).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(bytes(u8()).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        stack.push(new Uint8Array(bytes(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(new Uint8Array(bytes(u8())));
        break;
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memoKey(), top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const k = op === 0x68 ? u8() : u32();
        if (!memo.has(k)) fail(`memo key ${k} was never stored`);
        stack.push(memo.get(k) as PyValue);
        break;
      }
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop(), fail));
        break;
      case 0x52: {
        // REDUCE: modelled, never executed
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args, fail));
        break;
      }
      case 0x62: {
        // BUILD: torch's OrderedDict carries `_metadata` (per-module versions),
        // which conversion does not need.
        pop();
        if (!(top() instanceof PyDict)) fail('BUILD on something other than an OrderedDict');
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) fail('APPEND to something that is not a list');
        (l as PyValue[]).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) fail('APPENDS to something that is not a list');
        (l as PyValue[]).push(...items);
        break;
      }
      default:
        fail(`pickle opcode 0x${op.toString(16).padStart(2, '0')} is not one a torch state dict uses`);
    }
  }
}

function int(v: PyValue, what: string, fail: (why: string) => never): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(`${what} is not an integer`);
  return v as number;
}

function intTuple(v: PyValue, what: string, fail: (why: string) => never): number[] {
  if (!(v instanceof PyTuple)) fail(`${what} is not a tuple`);
  return (v as PyTuple).items.map((x) => int(x, what, fail));
}

function persistentLoad(pid: PyValue, fail: (why: string) => never): StorageRef {
  if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage' || pid.items.length !== 5) {
    fail("persistent id is not ('storage', type, key, location, numel)");
  }
  const [, type, key, location, n] = (pid as PyTuple).items;
  if (!(type instanceof PyGlobal) || type.kind !== 'storage-type') fail('persistent id names no storage type');
  if (typeof key !== 'string' || !/^[A-Za-z0-9_]+$/.test(key)) fail('storage key is not a plain name');
  return new StorageRef(key as string, STORAGE_DTYPES[(type as PyGlobal).name], int(n, 'storage numel', fail), String(location));
}

function reduce(fn: PyValue, args: PyValue, fail: (why: string) => never): PyValue {
  if (!(fn instanceof PyGlobal)) fail('REDUCE on something that is not an allowed global');
  if (!(args instanceof PyTuple)) fail('REDUCE arguments are not a tuple');
  const a = (args as PyTuple).items;
  switch ((fn as PyGlobal).kind) {
    case 'ordered-dict':
      if (a.length !== 0) fail('OrderedDict called with arguments');
      return new PyDict();
    case 'rebuild-tensor': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.length < 6) fail('_rebuild_tensor_v2 with too few arguments');
      if (!(a[0] instanceof StorageRef)) fail('_rebuild_tensor_v2 without a storage');
      const shape = intTuple(a[2], 'tensor size', fail);
      const stride = intTuple(a[3], 'tensor stride', fail);
      if (shape.length !== stride.length) fail('tensor size and stride differ in rank');
      return new TensorRef(a[0] as StorageRef, int(a[1], 'storage offset', fail), shape, stride);
    }
    case 'rebuild-parameter':
      // nn.Parameter(data, requires_grad, hooks): the data is all we keep.
      if (!(a[0] instanceof TensorRef)) fail('_rebuild_parameter without a tensor');
      return a[0];
    default:
      return fail(`${(fn as PyGlobal).module}.${(fn as PyGlobal).name} is not callable here`);
  }
}
