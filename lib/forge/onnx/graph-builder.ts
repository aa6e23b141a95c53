// A small ONNX graph builder: initializers, nodes with generated output
// names, dynamic-axis inputs and outputs, and a writer that keeps big weights
// in an external data file so no model ever needs one protobuf buffer over
// protobuf's 2 GB limit. The forge and the converter both build through it.
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { once } from 'node:events';
import { AttributeType, DataType, ModelProto } from './schema.js';

export type AttrValue = number | number[] | string | { float: number } | { floats: number[] };

type TensorData = Float32Array | BigInt64Array | Int32Array | Uint16Array;

interface Initializer {
  name: string;
  dims: number[];
  dataType: DataType;
  data: TensorData;
}

interface Dim {
  value?: number;
  param?: string;
}

export interface WriteOptions {
  /** Put weights in `<model>.onnx_data` beside the model. Default: when weights exceed 1 GiB. */
  externalData?: boolean;
  /** Called after each tensor is written, with bytes written so far and the total. */
  onProgress?: (written: number, total: number) => void;
}

const EXTERNAL_THRESHOLD = 1024 ** 3;
const ALIGN = 64; // keeps every external tensor aligned for vectorized loads
const INLINE_MAX_BYTES = 1024; // tiny constants stay in the .onnx

function dataTypeOf(data: TensorData): DataType {
  if (data instanceof Float32Array) return DataType.FLOAT;
  if (data instanceof BigInt64Array) return DataType.INT64;
  if (data instanceof Int32Array) return DataType.INT32;
  return DataType.FLOAT16; // Uint16Array holds fp16 bit patterns
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class GraphBuilder {
  readonly #initializers: Initializer[] = [];
  readonly #names = new Set<string>();
  readonly #nodes: object[] = [];
  readonly #inputs: object[] = [];
  readonly #outputs: object[] = [];
  #counter = 0;

  constructor(readonly name: string, readonly opset = 17) {}

  #claim(name: string): string {
    if (this.#names.has(name)) throw new Error(`duplicate ONNX name ${name}`);
    this.#names.add(name);
    return name;
  }

  /** Adds a weight or constant; returns its name for use as a node input. */
  initializer(name: string, dims: number[], data: TensorData): string {
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new Error(`initializer ${name}: dims ${dims} hold ${count} values, data has ${data.length}`);
    this.#initializers.push({ name: this.#claim(name), dims, dataType: dataTypeOf(data), data });
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

  input(name: string, elemType: DataType, dims: Dim[]): string {
    this.#inputs.push(this.#valueInfo(this.#claim(name), elemType, dims));
    return name;
  }

  output(name: string, elemType: DataType, dims: Dim[]): void {
    this.#outputs.push(this.#valueInfo(name, elemType, dims));
  }

  #valueInfo(name: string, elemType: DataType, dims: Dim[]): object {
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
  node(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { output?: string; hint?: string; domain?: string } = {}): string {
    const out = this.#claim(opts.output ?? `${opts.hint ?? opType.toLowerCase()}_${this.#counter++}`);
    const attribute = Object.entries(attrs).map(([name, v]) => {
      if (typeof v === 'number') return { name, type: AttributeType.INT, i: v };
      if (typeof v === 'string') return { name, type: AttributeType.STRING, s: Buffer.from(v) };
      if (Array.isArray(v)) return { name, type: AttributeType.INTS, ints: v };
      if ('float' in v) return { name, type: AttributeType.FLOAT, f: v.float };
      return { name, type: AttributeType.FLOATS, floats: v.floats };
    });
    this.#nodes.push({ opType, input: inputs, output: [out], name: `${opType}_${this.#counter++}`, attribute, domain: opts.domain ?? '' });
    return out;
  }

  /** Total bytes of all initializers. */
  get weightBytes(): number {
    return this.#initializers.reduce((s, t) => s + t.data.byteLength, 0);
  }

  /** Writes the model (and its external data file, if used) to `path`. */
  async write(path: string, options: WriteOptions = {}): Promise<{ externalDataPath?: string; bytes: number }> {
    const total = this.weightBytes;
    const external = options.externalData ?? total > EXTERNAL_THRESHOLD;
    const tensors: object[] = [];
    let externalDataPath: string | undefined;
    let written = 0;
    if (external) {
      externalDataPath = join(dirname(path), `${basename(path)}_data`);
      const location = basename(externalDataPath);
      const stream = createWriteStream(externalDataPath);
      let offset = 0;
      for (const t of this.#initializers) {
        const bytes = bytesOf(t.data);
        if (bytes.byteLength <= INLINE_MAX_BYTES) {
          tensors.push({ name: t.name, dims: t.dims, dataType: t.dataType, rawData: bytes });
          continue;
        }
        const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
        if (pad && !stream.write(Buffer.alloc(pad))) await once(stream, 'drain');
        offset += pad;
        if (!stream.write(bytes)) await once(stream, 'drain');
        tensors.push({
          name: t.name,
          dims: t.dims,
          dataType: t.dataType,
          dataLocation: 1, // EXTERNAL
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: String(offset) },
            { key: 'length', value: String(bytes.byteLength) },
          ],
        });
        offset += bytes.byteLength;
        written += bytes.byteLength;
        options.onProgress?.(written, total);
      }
      stream.end();
      await once(stream, 'finish');
    } else {
      for (const t of this.#initializers) {
        tensors.push({ name: t.name, dims: t.dims, dataType: t.dataType, rawData: bytesOf(t.data) });
      }
    }
    const model = {
      irVersion: 8,
      producerName: 'cappy-engine',
      opsetImport: [{ domain: '', version: this.opset }],
      graph: { name: this.name, node: this.#nodes, initializer: tensors, input: this.#inputs, output: this.#outputs },
    };
    const bytes = ModelProto.encode(ModelProto.fromObject(model)).finish();
    await writeFile(path, bytes);
    if (!external) options.onProgress?.(total, total);
    return { externalDataPath, bytes: bytes.byteLength };
  }
}
