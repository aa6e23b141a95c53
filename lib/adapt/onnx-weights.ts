// Reading a model's trainable weights back out of the fp32 ONNX graph that
// `cappy forge` or `cappy convert` wrote (lib/forge/roberta-graph.ts), for
// folders that hold no HF checkpoint. The graph keeps each weight under its
// HF name with three changes, undone here exactly (a transpose and a copy of
// float32 values, no arithmetic):
// - Linear weights are stored transposed, [in, out], as `<name>_t`;
// - RoBERTa's token-type table is stored as its row 0 only
//   (`roberta.embeddings.token_type_row0`): RoBERTa feeds type 0 everywhere,
//   so other rows (a config with type_vocab_size > 1) never reach the graph;
//   they come back as zeros and the caller is told;
// - tensors past 1 GiB in all live in `model.onnx_data` (external data).
import { readFile, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelLoadError } from '../errors/index.js';
import { robertaParameterShapes, type RobertaConfig } from '../forge/roberta-graph.js';
import { DataType, ModelProto } from '../forge/onnx/schema.js';
import type { ParameterSet } from './contract.js';

interface TensorMessage {
  name: string;
  dims: (number | { toNumber(): number })[];
  dataType: number;
  rawData?: Uint8Array;
  floatData?: number[];
  externalData?: { key: string; value: string }[];
  dataLocation?: number;
}

interface ModelMessage {
  metadataProps?: { key: string; value: string }[];
  graph?: { initializer?: TensorMessage[] };
}

const toNumber = (d: number | { toNumber(): number }) => (typeof d === 'number' ? d : d.toNumber());

async function tensorValues(t: TensorMessage, onnxPath: string): Promise<Float32Array> {
  if (t.dataType !== DataType.FLOAT)
    throw new ModelLoadError(`${onnxPath}: initializer ${t.name} is not float32 (data type ${t.dataType}); adapt reads the fp32 graph`);
  const count = t.dims.map(toNumber).reduce((a, b) => a * b, 1);
  let bytes: Uint8Array;
  if (t.dataLocation === 1) {
    const kv = new Map((t.externalData ?? []).map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location || location.includes('/') || location.includes('\\'))
      throw new ModelLoadError(`${onnxPath}: initializer ${t.name} has a bad external data location`);
    const offset = Number(kv.get('offset') ?? 0);
    const length = Number(kv.get('length') ?? count * 4);
    const fh = await open(join(dirname(onnxPath), location), 'r');
    try {
      bytes = new Uint8Array(length);
      const { bytesRead } = await fh.read(bytes, 0, length, offset);
      if (bytesRead !== length) throw new ModelLoadError(`${onnxPath}: external data of ${t.name} is cut short`);
    } finally {
      await fh.close();
    }
  } else if (t.rawData && t.rawData.length > 0) {
    bytes = t.rawData;
  } else {
    const values = Float32Array.from(t.floatData ?? []);
    if (values.length !== count)
      throw new ModelLoadError(`${onnxPath}: initializer ${t.name} holds ${values.length} values, dims say ${count}`);
    return values;
  }
  if (bytes.length !== count * 4)
    throw new ModelLoadError(`${onnxPath}: initializer ${t.name} holds ${bytes.length} bytes, dims say ${count} floats`);
  // A copy: the protobuf's bytes may sit at any offset, and the weights are trained in place.
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function untranspose(data: Float32Array, inDim: number, outDim: number): Float32Array {
  // Stored [in, out]; HF's layout is [out, in].
  const out = new Float32Array(data.length);
  for (let i = 0; i < inDim; i++) {
    for (let o = 0; o < outDim; o++) out[o * inDim + i] = data[i * outDim + o];
  }
  return out;
}

export interface OnnxWeights {
  weights: ParameterSet;
  /** Notes for the user (e.g. token-type rows rebuilt as zeros). */
  notes: string[];
}

/** Every parameter of `config` by HF name, in HF layout, from an fp32 graph built by lib/forge. */
export async function readOnnxWeights(onnxPath: string, config: RobertaConfig): Promise<OnnxWeights> {
  let model: ModelMessage;
  try {
    model = ModelProto.decode(await readFile(onnxPath)) as unknown as ModelMessage;
  } catch (e) {
    throw new ModelLoadError(`${onnxPath}: not a readable ONNX model (${(e as Error).message})`, { cause: e });
  }
  const dtype = model.metadataProps?.find((p) => p.key === 'cappy_dtype')?.value;
  if (dtype !== undefined && dtype !== 'fp32')
    throw new ModelLoadError(`${onnxPath} is a ${dtype} graph; adapt trains from fp32 weights (onnx/model.onnx or a model.safetensors)`);
  const byName = new Map((model.graph?.initializer ?? []).map((t) => [t.name, t]));
  const weights: ParameterSet = new Map();
  const notes: string[] = [];
  for (const [name, shape] of robertaParameterShapes(config)) {
    const stored = byName.get(`${name}_t`) ?? byName.get(name);
    if (stored) {
      const data = await tensorValues(stored, onnxPath);
      weights.set(name, stored.name.endsWith('_t') ? untranspose(data, shape[1], shape[0]) : data);
      continue;
    }
    const row0 =
      name === `${config.family}.embeddings.token_type_embeddings.weight`
        ? byName.get(`${config.family}.embeddings.token_type_row0`)
        : undefined;
    if (row0) {
      const table = new Float32Array(shape[0] * shape[1]);
      table.set(await tensorValues(row0, onnxPath));
      if (shape[0] > 1)
        notes.push(
          `${name}: the graph keeps row 0 only (RoBERTa feeds type 0); rows 1..${shape[0] - 1} start as zeros and get no gradient`,
        );
      weights.set(name, table);
      continue;
    }
    throw new ModelLoadError(
      `${onnxPath} has no initializer for ${name}; it was not built by cappy forge or cappy convert from this config.json`,
    );
  }
  return { weights, notes };
}
