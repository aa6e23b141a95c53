// A small ONNX graph builder: initializers, nodes with generated output
// names, dynamic-axis inputs and outputs, opset imports, and a writer that
// keeps big weights in an external data file so no model ever needs one
// protobuf buffer near protobuf's 2 GB limit. The forge and the converter
// both build through it.
//
// Initializers may be lazy (a function that makes the data): the writer calls
// it when that tensor's turn comes and drops the result once it is on disk,
// so with external data a model is written with about one tensor in memory.
import { createWriteStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { AttributeType, DataType, ModelProto } from './schema.js';

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

export type TensorData =
  Float32Array | Float64Array | BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Uint16Array | Int8Array | Uint8Array;

/** Data now, or a function that makes it when the writer reaches it (called once per write). */
export type TensorSource = TensorData | (() => TensorData);

interface Initializer {
  name: string;
  dims: number[];
  dataType: DataType;
  source: TensorSource;
}

export interface Dim {
  value?: number;
  param?: string;
}

/** A node as emitted, readable back (lib/adapt/differentiate builds gradients from these). */
export interface GraphNode {
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: string[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly domain: string;
  readonly name: string;
}

interface NodeRecord extends GraphNode {
  inputs: string[];
}

/** A graph input or output as declared. */
export interface GraphValue {
  readonly name: string;
  readonly elemType: DataType;
  readonly dims: readonly Dim[];
}

/** An initializer's declaration; `data` only when it was given eagerly (not lazy). */
export interface InitializerInfo {
  readonly dims: readonly number[];
  readonly dataType: DataType;
  readonly data?: TensorData;
}

export interface WriteOptions {
  /** Put weights in `<model>_data` beside the model. Default: when weights exceed 1 GiB. */
  externalData?: boolean;
  /** Called after each tensor is made and written, with bytes so far and the total. */
  onProgress?: (written: number, total: number) => void;
}

export interface WriteResult {
  /** Set when the weights went to an external data file. */
  externalDataPath?: string;
  /** Size of the .onnx file itself. */
  bytes: number;
  /** Bytes of all initializers. */
  weightBytes: number;
}

const EXTERNAL_THRESHOLD = 1024 ** 3;
// The ONNX external-data spec asks for offsets that are multiples of 4096 so
// runtimes can mmap tensors in place; ORT's own writer uses the same figure.
const ALIGN = 4096;
const INLINE_MAX_BYTES = 1024; // tiny constants stay in the .onnx
// protobuf cannot encode a message of 2 GiB or more; leave room for the graph.
const INLINE_LIMIT = 2 ** 31 - 64 * 1024 ** 2;

const BYTES_PER: Record<DataType, number> = {
  [DataType.FLOAT]: 4,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.FLOAT16]: 2,
  [DataType.INT8]: 1,
  [DataType.UINT8]: 1,
  [DataType.BOOL]: 1,
  [DataType.DOUBLE]: 8,
  [DataType.UINT32]: 4,
  [DataType.UINT64]: 8,
};

function dataTypeOf(data: TensorData): DataType {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof Float64Array) return DataType.DOUBLE;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof BigUint64Array) return DataType.UINT64;
  if (data instanceof Uint32Array) return DataType.UINT32;
  if (data instanceof Int32Array) return DataType.INT32;
  if (data instanceof Int8Array) return DataType.INT8;
  if (data instanceof Uint8Array) return DataType.UINT8;
  return DataType.FLOAT16; // Uint16Array holds fp16 bit patterns
}

/** Whether `data` can hold a tensor of `type` (a Uint8Array holds bool tensors too). */
function holds(data: TensorData, type: DataType): boolean {
  return dataTypeOf(data) === type || (type === DataType.BOOL && data instanceof Uint8Array);
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function count(dims: number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export class GraphBuilder {
  readonly #initializers: Initializer[] = [];
  readonly #names = new Set<string>();
  readonly #nodes: NodeRecord[] = [];
  readonly #inputs: GraphValue[] = [];
  readonly #outputs: GraphValue[] = [];
  readonly #opsets = new Map<string, number>();
  readonly #metadata: { key: string; value: string }[] = [];
  #counter = 0;

  constructor(
    readonly name: string,
    readonly opset = 17,
  ) {
    this.#opsets.set('', opset);
  }

  /** Declares another operator set (e.g. 'com.microsoft' for ORT contrib ops). */
  importOpset(domain: string, version: number): void {
    this.#opsets.set(domain, version);
  }

  /** A key/value pair in the model's metadata_props (ORT exposes them as custom metadata). */
  metadata(key: string, value: string): void {
    this.#metadata.push({ key, value });
  }

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`duplicate ONNX name ${name}`);
    this.#names.add(name);
    return name;
  }

  /**
   * Adds a weight or constant; returns its name for use as a node input.
   * A lazy source must say its element type unless it is float32.
   */
  initializer(name: string, dims: number[], source: TensorSource, dataType?: DataType): string {
    if (typeof source !== 'function') {
      if (count(dims) !== source.length)
        throw new Error(`initializer ${name}: dims [${dims}] hold ${count(dims)} values, data has ${source.length}`);
      if (dataType !== undefined && !holds(source, dataType)) throw new Error(`initializer ${name}: data type does not match its array`);
    }
    const type = dataType ?? (typeof source === 'function' ? DataType.FLOAT : dataTypeOf(source));
    this.#initializers.push({ name: this.#claim(name), dims, dataType: type, source });
    return name;
  }

  /** An int64 constant (shapes, axes, indices). A scalar when `scalar` is set. */
  int64(values: number[], scalar = false): string {
    const name = `const_i64_${this.#counter++}`;
    return this.initializer(name, scalar ? [] : [values.length], BigInt64Array.from(values, BigInt));
  }

  /** A float32 constant. */
  float(values: number[], scalar = false): string {
    const name = `const_f32_${this.#counter++}`;
    return this.initializer(name, scalar ? [] : [values.length], Float32Array.from(values));
  }

  /** A graph input; a dim with `param` is dynamic under that name. */
  input(name: string, elemType: DataType, dims: Dim[]): string {
    this.#inputs.push({ name: this.#claim(name), elemType, dims });
    return name;
  }

  /** Declares a graph output; some node must produce `name` (see node's `output` option). */
  output(name: string, elemType: DataType, dims: Dim[]): void {
    this.#outputs.push({ name, elemType, dims });
  }

  /** The nodes so far, in the order they were added (a topological order). */
  get nodes(): readonly GraphNode[] {
    return this.#nodes;
  }

  get inputs(): readonly GraphValue[] {
    return this.#inputs;
  }

  get outputs(): readonly GraphValue[] {
    return this.#outputs;
  }

  /** An initializer's dims, type and (when given eagerly) data; undefined for other names. */
  initializerInfo(name: string): InitializerInfo | undefined {
    const t = this.#initializers.find((i) => i.name === name);
    if (!t) return undefined;
    return { dims: t.dims, dataType: t.dataType, data: typeof t.source === 'function' ? undefined : t.source };
  }

  /**
   * Gives the node that produces `output` `count` more outputs (optional
   * outputs such as LayerNormalization's mean and inverse std dev) and
   * returns their names.
   */
  appendOutputs(output: string, count: number): string[] {
    const node = this.#nodes.find((n) => n.outputs.includes(output));
    if (!node) throw new Error(`no node produces ${output}`);
    const names = Array.from({ length: count }, (_, i) => this.#claim(`${output}_out${node.outputs.length + i}`));
    node.outputs.push(...names);
    return names;
  }

  /**
   * Renames a node output (and every use of it), e.g. so a gradient that a
   * node already computes becomes a graph output under a name of its own
   * instead of passing through an Identity copy.
   */
  rename(from: string, to: string): void {
    const producer = this.#nodes.find((n) => n.outputs.includes(from));
    if (!producer) throw new Error(`no node produces ${from}`);
    this.#claim(to);
    producer.outputs[producer.outputs.indexOf(from)] = to;
    for (const n of this.#nodes) {
      n.inputs.forEach((input, i) => {
        if (input === from) n.inputs[i] = to;
      });
    }
  }

  /** Drops nodes no graph output depends on; returns how many went. */
  removeDeadNodes(): number {
    const needed = new Set(this.#outputs.map((o) => o.name));
    const keep = new Array<boolean>(this.#nodes.length).fill(false);
    for (let i = this.#nodes.length - 1; i >= 0; i--) {
      const n = this.#nodes[i];
      if (!n.outputs.some((o) => needed.has(o))) continue;
      keep[i] = true;
      for (const input of n.inputs) needed.add(input);
    }
    const before = this.#nodes.length;
    const kept = this.#nodes.filter((_, i) => keep[i]);
    this.#nodes.length = 0;
    this.#nodes.push(...kept);
    return before - kept.length;
  }

  #valueInfo({ name, elemType, dims }: GraphValue): object {
    return {
      name,
      type: {
        tensorType: {
          elemType,
          shape: { dim: dims.map((d) => (d.param !== undefined ? { dimParam: d.param } : { dimValue: d.value })) },
        },
      },
    };
  }

  /**
   * Adds a node and returns its output name. `output` names it explicitly
   * (graph outputs); otherwise a unique name is generated from `hint`.
   */
  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    opts: { output?: string; hint?: string; domain?: string } = {},
  ): string {
    const out = this.#claim(opts.output ?? `${opts.hint ?? opType.toLowerCase()}_${this.#counter++}`);
    this.#push(opType, inputs, [out], attrs, opts.domain);
    return out;
  }

  /** A node with several outputs (DynamicQuantizeLinear, Split); returns their generated names. */
  nodeOutputs(
    opType: string,
    inputs: string[],
    outputs: number,
    attrs: Record<string, AttrValue> = {},
    opts: { domain?: string } = {},
  ): string[] {
    const outs = Array.from({ length: outputs }, (_, i) => this.#claim(`${opType.toLowerCase()}_${this.#counter++}_${i}`));
    this.#push(opType, inputs, outs, attrs, opts.domain);
    return outs;
  }

  #push(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue>, domain = ''): void {
    this.#nodes.push({ opType, inputs, outputs, attrs, domain, name: `${opType}_${this.#counter++}` });
  }

  #nodeProto(n: GraphNode): object {
    const attribute = Object.entries(n.attrs).map(([name, v]) => {
      if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
      if (typeof v === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(v) };
      if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
      if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
      return { name, type: AttributeType.FLOATS, floats: v.floats };
    });
    return { opType: n.opType, input: n.inputs, output: n.outputs, name: n.name, attribute, domain: n.domain };
  }

  /** Total bytes of all initializers (known from dims, without making lazy ones). */
  get weightBytes(): number {
    return this.#initializers.reduce((s, t) => s + count(t.dims) * BYTES_PER[t.dataType], 0);
  }

  #make(t: Initializer): Uint8Array {
    const data = typeof t.source === 'function' ? t.source() : t.source;
    if (data.length !== count(t.dims))
      throw new Error(`initializer ${t.name}: dims [${t.dims}] hold ${count(t.dims)} values, data has ${data.length}`);
    if (!holds(data, t.dataType)) throw new Error(`initializer ${t.name}: made data of another type than declared`);
    return bytesOf(data);
  }

  /** Writes the model (and its external data file, if used) to `path`. */
  async write(path: string, options: WriteOptions = {}): Promise<WriteResult> {
    const total = this.weightBytes;
    const external = options.externalData ?? total > EXTERNAL_THRESHOLD;
    if (!external && total > INLINE_LIMIT) {
      throw new Error(
        `${(total / 1024 ** 3).toFixed(2)} GiB of weights cannot be inline in one protobuf (2 GiB limit); write with externalData`,
      );
    }
    const externalDataPath = external ? join(dirname(path), `${basename(path)}_data`) : undefined;
    const tensors = externalDataPath ? await this.#writeExternal(externalDataPath, total, options) : this.#inline(total, options);
    const model = {
      irVersion: 8,
      producerName: 'cappy-engine',
      opsetImport: [...this.#opsets].map(([domain, version]) => ({ domain, version })),
      metadataProps: this.#metadata,
      graph: {
        name: this.name,
        node: this.#nodes.map((n) => this.#nodeProto(n)),
        initializer: tensors,
        input: this.#inputs.map((v) => this.#valueInfo(v)),
        output: this.#outputs.map((v) => this.#valueInfo(v)),
      },
    };
    const bytes = ModelProto.encode(ModelProto.fromObject(model)).finish();
    await writeFile(path, bytes);
    // A stale data file from an earlier external write would mislead readers.
    if (!externalDataPath) await rm(join(dirname(path), `${basename(path)}_data`), { force: true });
    return { externalDataPath, bytes: bytes.byteLength, weightBytes: total };
  }

  #inline(total: number, options: WriteOptions): object[] {
    let written = 0;
    return this.#initializers.map((t) => {
      const rawData = this.#make(t);
      written += rawData.byteLength;
      options.onProgress?.(written, total);
      return { name: t.name, dims: t.dims, dataType: t.dataType, rawData };
    });
  }

  async #writeExternal(dataPath: string, total: number, options: WriteOptions): Promise<object[]> {
    const location = basename(dataPath);
    const stream = createWriteStream(dataPath);
    const failed = new Promise<never>((_, reject) => stream.once('error', reject));
    failed.catch(() => undefined); // surfaced by the awaits below
    const put = async (chunk: Uint8Array) => {
      // Waiting for 'drain' keeps at most one tensor queued in the stream.
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed]);
    };
    const tensors: object[] = [];
    let offset = 0;
    let written = 0;
    try {
      for (const t of this.#initializers) {
        const bytes = this.#make(t);
        written += bytes.byteLength;
        if (bytes.byteLength <= INLINE_MAX_BYTES) {
          tensors.push({ name: t.name, dims: t.dims, dataType: t.dataType, rawData: bytes });
          options.onProgress?.(written, total);
          continue;
        }
        const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
        if (pad) await put(new Uint8Array(pad));
        offset += pad;
        await put(bytes);
        tensors.push({
          name: t.name,
          dims: t.dims,
          dataType: t.dataType,
          dataLocation: 1, // TensorProto.DataLocation.EXTERNAL
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(bytes.byteLength) },
          ],
        });
        offset += bytes.byteLength;
        options.onProgress?.(written, total);
      }
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
    } catch (err) {
      stream.destroy();
      throw err;
    }
    return tensors;
  }
}
